"""`python -m analysis indicators`: plan indicators by province, district and commune, month by month."""
from __future__ import annotations

from pathlib import Path

import polars as pl

from analysis import io
from analysis.errors import AnalysisError
from analysis.periods import interpolate_yearly

SCHEMA_ORDER = ["indicator_id", "area_code", "area_level", "period", "value", "numerator", "denominator", "unit",
                "capped"]


def households_fiber(subscribers: pl.DataFrame, population: pl.DataFrame, province_code: str = "19") -> pl.DataFrame:
    """Household FTTH subscriptions / households (TARGETS.md), in %, capped at 100% per commune.

    Households are interpolated monthly between the yearly figures (each standing at July). A commune whose
    subscriptions exceed its households is capped and flagged (`capped`), and the capped numerator is what
    the district and province sums use, so no area is above 100% because of one commune's excess.
    """
    fibre = (subscribers.filter((pl.col("service") == "ftth") & (pl.col("segment") == "household"))
             .group_by("period", "district_code", "commune_code").agg(numerator=pl.col("subscribers").sum()))
    if fibre.is_empty():
        raise AnalysisError("no household FTTH subscriptions in the subscribers table")
    months = sorted(fibre["period"].unique().to_list())
    households = interpolate_yearly(population, ["district_code", "commune_code"], "households", months)
    commune = (households.join(fibre, on=["period", "district_code", "commune_code"], how="left")
               .with_columns(pl.col("numerator").fill_null(0).cast(pl.Float64), denominator=pl.col("households"))
               .with_columns(capped=pl.col("numerator") > pl.col("denominator"))
               .with_columns(numerator=pl.min_horizontal("numerator", "denominator")))
    levels = [
        commune.select(area_code="commune_code", area_level=pl.lit("commune"), period="period",
                       numerator="numerator", denominator="denominator", capped="capped"),
        commune.group_by("period", "district_code").agg(pl.col("numerator", "denominator").sum(),
                                                         pl.col("capped").any())
        .select(area_code="district_code", area_level=pl.lit("district"), period="period",
                numerator="numerator", denominator="denominator", capped="capped"),
        commune.group_by("period").agg(pl.col("numerator", "denominator").sum(), pl.col("capped").any())
        .select(area_code=pl.lit(province_code), area_level=pl.lit("province"), period="period",
                numerator="numerator", denominator="denominator", capped="capped"),
    ]
    return (pl.concat(levels)
            .with_columns(indicator_id=pl.lit("households_fiber"), unit=pl.lit("%"),
                          value=pl.col("numerator") / pl.col("denominator") * 100)
            .select(SCHEMA_ORDER).sort("area_level", "area_code", "period"))


def run(processed: Path) -> pl.DataFrame:
    """Compute every indicator the cleaned tables allow and write `indicators.parquet`."""
    needed = {"subscribers": processed / "subscribers.parquet", "population": processed / "population.parquet"}
    missing = [name for name, p in needed.items() if not p.exists()]
    if missing:
        raise AnalysisError(f"the indicators need the cleaned {', '.join(missing)} table(s); run the clean stage "
                            f"first or add those files to the raw folder", file=str(processed))
    out = households_fiber(pl.read_parquet(needed["subscribers"]), pl.read_parquet(needed["population"]))
    io.write_parquet(out, processed / "indicators.parquet")
    return out
