"""The shape every indicator shares: commune-level numerators and denominators, summed up to district and province.

A value is always numerator / denominator × scale, and both are stored, so any figure can be checked by hand.
"""
from __future__ import annotations

import polars as pl

from analysis.areas import REFORM_LEVELS, district_provinces
from analysis.crosswalk import area_crosswalk, merged_months, to_new_communes
from analysis.errors import AnalysisError

SCHEMA = {"indicator_id": pl.String, "area_code": pl.String, "area_level": pl.String, "period": pl.Date,
          "value": pl.Float64, "numerator": pl.Float64, "denominator": pl.Float64, "unit": pl.String,
          "capped": pl.Boolean, "n": pl.Int64, "median": pl.Float64, "note": pl.String, "frequency": pl.String}


def with_province(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows with their district's province code (codes are unique nationally), for runs over many provinces."""
    if "province_code" in frame.columns:
        return frame
    return frame.join(district_provinces(), on="district_code", how="left", maintain_order="left")


def reformed(commune: pl.DataFrame, weight: str, any_flag: str | None = None) -> list[pl.DataFrame]:
    """Old-commune figures (with province_code) on the units of 1 July 2025 (TARGETS.md; issue 10): every new
    commune, from the crosswalk's weights, and a new province in the months every old province that went into it
    has figures (Thái Nguyên after the merger needs Bắc Kạn's too). Totals carry over exactly."""
    provinces = tuple(sorted(commune["province_code"].drop_nulls().unique().to_list()))
    if not provinces or commune.is_empty():
        return []
    cw = area_crosswalk(list(provinces))
    flags = (any_flag,) if any_flag else ()
    known = commune["commune_code"].is_in(cw["old_code"].implode())
    if not known.any():  # no official commune at all (hand-made codes): there is nothing to carry
        return []
    try:  # some official and some not: the new communes would be short of figures, which must not pass unseen
        new = to_new_communes(commune.select("period", "commune_code", "numerator", "denominator", *flags), cw,
                              weight, flags)
    except ValueError as exc:
        raise AnalysisError(f"cannot carry figures onto the 2025 units: {exc}") from None
    capped = [pl.col(any_flag).alias("capped")] if any_flag else []
    whole = merged_months(cw, commune.select("period", "province_code"))
    province = (new.join(whole, on=["period", "province_code"], how="semi").group_by("period", "province_code")
                .agg(pl.col("numerator", "denominator").sum(), *(pl.col(f).any() for f in flags)))
    return [new.select(area_code="commune_code", area_level=pl.lit(REFORM_LEVELS["commune"]), period="period",
                       numerator="numerator", denominator="denominator", *capped),
            province.select(area_code="province_code", area_level=pl.lit(REFORM_LEVELS["province"]), period="period",
                            numerator="numerator", denominator="denominator", *capped)]


def roll_up(commune: pl.DataFrame, *, any_flag: str | None = None, weight: str = "weight_households"
            ) -> pl.DataFrame:
    """commune rows (period, district_code, commune_code, numerator, denominator[, flag]) -> the three levels,
    and the same figures on the units of 1 July 2025 (`reformed`, carried with the crosswalk's `weight`).
    Sums are of the commune numerators as given (capped ones capped), so no level contradicts another."""
    commune = with_province(commune)
    flag = [pl.col(any_flag).any().alias("capped")] if any_flag else []
    keep_flag = [pl.col(any_flag).alias("capped")] if any_flag else []
    levels = [
        commune.select(area_code="commune_code", area_level=pl.lit("commune"), period="period",
                       numerator="numerator", denominator="denominator", *keep_flag),
        commune.group_by("period", "district_code").agg(pl.col("numerator", "denominator").sum(), *flag)
        .select(area_code="district_code", area_level=pl.lit("district"), period="period",
                numerator="numerator", denominator="denominator", *([pl.col("capped")] if any_flag else [])),
        commune.group_by("period", "province_code").agg(pl.col("numerator", "denominator").sum(), *flag)
        .select(area_code="province_code", area_level=pl.lit("province"), period="period",
                numerator="numerator", denominator="denominator", *([pl.col("capped")] if any_flag else [])),
    ]
    return pl.concat(levels + reformed(commune, weight, any_flag), how="diagonal_relaxed")


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
    return in_area_order(out.select([pl.col(n).cast(t) for n, t in SCHEMA.items()]))


def in_area_order(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows sorted by area level, area code and period, as `frame.sort` on them gives them. Each distinct area is
    numbered in order and the rows sorted by that number and the month, one integer: nationally (5.9 million
    indicator rows) 1.3 s against 3.3-4.9 s for the sort on the text columns themselves, whose rows polars encodes
    whole before comparing them."""
    if frame.is_empty():
        return frame
    areas = ["area_level", "area_code"]
    numbered = frame.select(areas).unique().sort(areas).with_row_index("_area")
    # a month as its day number, shifted to 0..2^32-1 with no month (null) at 0: first in its area, as sort puts it
    month = (pl.col("period").cast(pl.Int32).cast(pl.Int64) + 2**31).fill_null(0)
    key = pl.col("_area").cast(pl.Int64) * 2**32 + month
    return frame.join(numbered, on=areas, how="left", nulls_equal=True).sort(key).drop("_area")
