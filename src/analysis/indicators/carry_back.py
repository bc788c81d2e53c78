"""Figures reported by the units of 1 July 2025, shared back onto the old communes the plan is judged by.

A unit of 1 July 2025 was formed from old communes, whole or in part (the crosswalk's weights). A figure it
reports is shared among them in proportion to weight × the old commune's households (fixed services) or
population (mobile services, speed tests), in the year of the figure's month (the nearest year the population
table has). Shares of a unit sum to 1, so no subscription is gained or lost; a unit formed from whole old communes
comes back exactly when carried forward again, one that took part of a split commune only approximately (the split
is by area).
"""
from __future__ import annotations

import polars as pl

from analysis.areas import REFORM_LEVELS
from analysis.crosswalk import area_crosswalk, merged_months, to_new_communes
from analysis.indicators.base import with_province

FIXED = ("ftth", "xdsl", "cable")


def _in_new_units(frame: pl.DataFrame) -> pl.Expr:
    return pl.col("district_code").is_null() & pl.col("commune_code").is_not_null()


def shares(crosswalk: pl.DataFrame, population: pl.DataFrame, base: str) -> pl.DataFrame:
    """new_code, year, old_code, old_district_code, old_province_code, share: each old commune's share of what its
    new unit reports, by `base` (households or population) of each year the population table has."""
    sized = (crosswalk.join(population.select("commune_code", "year", base), left_on="old_code",
                            right_on="commune_code", how="inner")
             .with_columns(part=pl.col("weight_households" if base == "households" else "weight_population")
                           * pl.col(base)))
    return (sized.with_columns(share=pl.col("part") / pl.col("part").sum().over("new_code", "year"))
            .select("new_code", "year", "old_code", "old_district_code", "old_province_code", "share"))


def _year(period: pl.Expr, years: list[int]) -> pl.Expr:
    """The period's year, held within the years the population table has."""
    return period.dt.year().clip(min(years), max(years))


def _spread(rows: pl.DataFrame, share: pl.DataFrame, period: str) -> pl.DataFrame:
    """Rows of new units, one per old commune they were formed from, with `_share`."""
    years = share["year"].unique().to_list()
    unknown = rows.join(share.select("new_code").unique(), left_on="commune_code", right_on="new_code", how="anti")
    if unknown.height:
        raise ValueError(f"{unknown['commune_code'].n_unique()} unit(s) of 1 July 2025 have no old communes with "
                         f"a population, e.g. {unknown['commune_code'][0]}")
    return (rows.with_columns(_year=_year(pl.col(period), years))
            .join(share, left_on=["commune_code", "_year"], right_on=["new_code", "year"], how="inner")
            .with_columns(commune_code="old_code", district_code="old_district_code",
                          **({"province_code": "old_province_code"} if "province_code" in rows.columns else {}))
            .drop("_year", "old_code", "old_district_code", "old_province_code").rename({"share": "_share"}))


def subscribers(subs: pl.DataFrame, population: pl.DataFrame) -> pl.DataFrame:
    """The subscriber table with every row of a new unit replaced by its shares on the old communes (households
    for fixed services, population for mobile ones): `subscribers` becomes a float where shared."""
    new = subs.filter(_in_new_units(subs))
    if new.is_empty():
        return subs
    provinces = sorted(set(new["province_code"].drop_nulls()))
    cw = area_crosswalk(provinces)
    parts = []
    for base, services in (("households", pl.col("service").is_in(FIXED)),
                           ("population", ~pl.col("service").is_in(FIXED))):
        part = new.filter(services)
        if part.height:
            spread = _spread(part, shares(cw, population, base), "period")
            parts.append(spread.with_columns(pl.col("subscribers") * pl.col("_share")).drop("_share"))
    old = subs.filter(~_in_new_units(subs)).with_columns(pl.col("subscribers").cast(pl.Float64))
    return pl.concat([old, *parts], how="diagonal_relaxed")


def speed_tests(tests: pl.DataFrame, population: pl.DataFrame) -> pl.DataFrame:
    """Tests placed in a new unit, as fractions of a test on the old communes (by population): `_w` is each row's
    weight (1 for a test in an old commune)."""
    new = tests.filter(_in_new_units(tests))
    if new.is_empty():
        return tests
    cw = area_crosswalk(sorted(set(_provinces(new))))
    spread = _spread(new, shares(cw, population, "population"), "period").rename({"_share": "_w"})
    old = tests.filter(~_in_new_units(tests)).with_columns(_w=pl.lit(1.0))
    return pl.concat([old, spread], how="diagonal_relaxed")


def _provinces(tests: pl.DataFrame) -> list[str]:
    # Speed tests carry no province column: a new unit's province is its code's in the 2025 units.
    from analysis.areas import reformed_units
    codes = set(tests["commune_code"].drop_nulls())
    return reformed_units().filter(pl.col("wardCode").is_in(list(codes)))["provinceCode"].unique().to_list()


def positions(pos: pl.DataFrame) -> pl.DataFrame:
    """BTS positions (period, shared, district_code, commune_code) counted on the old and the new units when some
    lie in units of 1 July 2025. A position is a whole, never shared by weights: a new unit's positions count to
    an old commune, district or province only where the unit lies within it (it was formed from that commune
    alone, or a part of it; from communes of that district alone); an old area that formed a new unit together
    with another has no figure in a month that unit has positions, rather than a count short of them. On the new
    units an old commune's positions are carried by the crosswalk's household weights, as every count is."""
    new, old = pos.filter(_in_new_units(pos)), pos.filter(~_in_new_units(pos))
    old = with_province(old)
    new_provinces = sorted(set(_provinces(new)))
    cw = area_crosswalk(sorted(set(old["province_code"].drop_nulls()) | set(new_provinces)))
    count = lambda f, *keys: f.group_by("period", *keys).agg(numerator=pl.col("shared").sum().cast(pl.Float64),
                                                             denominator=pl.len().cast(pl.Float64))
    levels = []
    for level, column in (("commune", "old_code"), ("district", "old_district_code"), ("province", "old_province_code")):
        within = cw.group_by("new_code").agg(pl.when(pl.col(column).n_unique() == 1).then(pl.col(column).first())
                                             .alias("area_code"))
        placed = new.join(within, left_on="commune_code", right_on="new_code", how="left")
        blocked = (placed.filter(pl.col("area_code").is_null()).select("period", "commune_code").unique()
                   .join(cw, left_on="commune_code", right_on="new_code").select("period", area_code=column).unique())
        own = {"commune": "commune_code", "district": "district_code", "province": "province_code"}[level]
        both = pl.concat([old.select("period", "shared", area_code=own),
                          placed.filter(pl.col("area_code").is_not_null()).select("period", "shared", "area_code")])
        levels.append(count(both, "area_code").join(blocked, on=["period", "area_code"], how="anti")
                      .with_columns(area_level=pl.lit(level)))
    # The new units: old communes' counts carried by weight, the new units' own counted as they are.
    carried = to_new_communes(count(old, "commune_code"), cw.filter(pl.col("old_code").is_in(
        old["commune_code"].implode())))
    direct = count(new, "commune_code").join(
        cw.select(commune_code="new_code", province_code="new_province_code").unique(), on="commune_code")
    units = (pl.concat([carried, direct.select(carried.columns)]).group_by("period", "commune_code", "province_code")
             .agg(pl.col("numerator", "denominator").sum()))
    # The new province in the months every old province that went into it has positions, old or new.
    whole = merged_months(cw, pl.concat([old.select("period", "province_code"),
                                         levels[2].select("period", province_code="area_code")]))
    province = units.join(whole, on=["period", "province_code"], how="semi").group_by("period", "province_code").agg(
        pl.col("numerator", "denominator").sum())
    return pl.concat([*levels,
                      units.select("period", "numerator", "denominator", area_code="commune_code",
                                   area_level=pl.lit(REFORM_LEVELS["commune"])),
                      province.select("period", "numerator", "denominator", area_code="province_code",
                                      area_level=pl.lit(REFORM_LEVELS["province"]))], how="diagonal_relaxed")
