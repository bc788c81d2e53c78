"""Indicators from the networks: hamlets covered (FTTH, mobile broadband) and BTS positions shared."""
from __future__ import annotations

import polars as pl

from analysis.indicators import carry_back
from analysis.indicators.base import roll_up


def hamlets_covered(coverage: pl.DataFrame, registry: pl.DataFrame, flag: str) -> pl.DataFrame:
    """Registry hamlets where at least one operator reports `flag` / all registry hamlets, in %, each month with
    coverage reports. A hamlet missing from every report counts as not covered (TARGETS.md)."""
    # Counted by commune, not on a grid of every hamlet and month (nationally 100,000 hamlets by 60 months, 6
    # million rows for two counts): the communes' months get the registry hamlets reported covered, none if none.
    months = pl.DataFrame({"period": sorted(coverage["period"].unique().to_list())})
    place = ["district_code", "commune_code"]
    hamlets = registry.select("hamlet_code", *place)
    covered = (coverage.filter(pl.col(flag)).select("period", "hamlet_code").unique()
               .join(hamlets, on="hamlet_code").group_by("period", *place).agg(numerator=pl.len()))
    commune = (hamlets.group_by(place).agg(denominator=pl.len()).join(months, how="cross")
               .join(covered, on=["period", *place], how="left", nulls_equal=True)
               .select("period", *place, pl.col("numerator").fill_null(0), "denominator"))
    return roll_up(commune)


def uncovered_hamlets(coverage: pl.DataFrame, registry: pl.DataFrame, flag: str, period) -> pl.DataFrame:
    """The registry hamlets no operator reports `flag` for in `period`, by name: the operational gap."""
    covered = coverage.filter((pl.col("period") == period) & pl.col(flag)).select("hamlet_code").unique()
    return registry.join(covered, on="hamlet_code", how="anti").sort("district_code", "commune_code", "hamlet_code")


def bts_site_sharing(sites: pl.DataFrame) -> pl.DataFrame:
    """BTS positions with two or more operators / all positions, in %, each month. A position belongs to the
    commune of most of its sites (on a tie, its earliest site's: the site it is named after)."""
    # Each place's sites counted first (a position's sites lie in one place almost always), then each position
    # takes the place of most sites; on a tie the place of its earliest site, the one it is named after
    # (clean.network.positions); then the smaller codes. Commune and district come from one place, so a position
    # never takes a new unit's code with an old district where its operators name the two geographies.
    # Nationally (2.0 million sites) 2.1-2.5 s against 3.8-4.3 s, alternating with CI running beside them, for the
    # most frequent of the sites' joined codes (which took the smaller code on a tie).
    by_place = sites.group_by("period", "position_id", "commune_code", "district_code").agg(
        sites=pl.len(), named=(pl.col("site_id") == pl.col("position_id")).any(),
        operators=pl.col("operators_at_position").max())
    order = dict(by=["sites", "named", "commune_code", "district_code"], descending=[True, True, False, False])
    positions = by_place.group_by("period", "position_id").agg(
        shared=pl.col("operators").max() >= 2,
        commune_code=pl.col("commune_code").sort_by(**order).first(),
        district_code=pl.col("district_code").sort_by(**order).first())
    if (positions["district_code"].is_null() & positions["commune_code"].is_not_null()).any():
        return carry_back.positions(positions)  # some in 2025 units
    commune = positions.group_by("period", "district_code", "commune_code").agg(
        numerator=pl.col("shared").sum(), denominator=pl.len())
    return roll_up(commune)
