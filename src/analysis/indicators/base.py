"""The shape every indicator shares: commune-level numerators and denominators, summed up to district and province.

A value is always numerator / denominator × scale, and both are stored, so any figure can be checked by hand.
"""
from __future__ import annotations

import polars as pl

SCHEMA = {"indicator_id": pl.String, "area_code": pl.String, "area_level": pl.String, "period": pl.Date,
          "value": pl.Float64, "numerator": pl.Float64, "denominator": pl.Float64, "unit": pl.String,
          "capped": pl.Boolean, "n": pl.Int64, "median": pl.Float64, "note": pl.String, "frequency": pl.String}
PROVINCE = "19"


def roll_up(commune: pl.DataFrame, *, any_flag: str | None = None, province_code: str = PROVINCE) -> pl.DataFrame:
    """commune rows (period, district_code, commune_code, numerator, denominator[, flag]) -> the three levels.
    Sums are of the commune numerators as given (capped ones capped), so no level contradicts another."""
    flag = [pl.col(any_flag).any().alias("capped")] if any_flag else []
    keep_flag = [pl.col(any_flag).alias("capped")] if any_flag else []
    levels = [
        commune.select(area_code="commune_code", area_level=pl.lit("commune"), period="period",
                       numerator="numerator", denominator="denominator", *keep_flag),
        commune.group_by("period", "district_code").agg(pl.col("numerator", "denominator").sum(), *flag)
        .select(area_code="district_code", area_level=pl.lit("district"), period="period",
                numerator="numerator", denominator="denominator", *([pl.col("capped")] if any_flag else [])),
        commune.group_by("period").agg(pl.col("numerator", "denominator").sum(), *flag)
        .select(area_code=pl.lit(province_code), area_level=pl.lit("province"), period="period",
                numerator="numerator", denominator="denominator", *([pl.col("capped")] if any_flag else [])),
    ]
    return pl.concat(levels, how="diagonal")


def finish(frame: pl.DataFrame, indicator_id: str, unit: str, scale: float, frequency: str = "monthly"
           ) -> pl.DataFrame:
    """Add the value (numerator / denominator × scale; none where the denominator is 0) and the fixed columns."""
    out = frame.with_columns(
        pl.col("numerator").cast(pl.Float64), pl.col("denominator").cast(pl.Float64),
        indicator_id=pl.lit(indicator_id), unit=pl.lit(unit), frequency=pl.lit(frequency))
    if "value" not in out.columns:
        out = out.with_columns(value=pl.when(pl.col("denominator") > 0)
                               .then(pl.col("numerator") / pl.col("denominator") * scale))
    if "note" not in out.columns:
        out = out.with_columns(note=pl.when(pl.col("denominator") <= 0).then(pl.lit("no denominator")))
    for name, dtype in SCHEMA.items():
        if name not in out.columns:
            out = out.with_columns(pl.lit(None, dtype).alias(name))
    return out.select([pl.col(n).cast(t) for n, t in SCHEMA.items()]).sort("area_level", "area_code", "period")
