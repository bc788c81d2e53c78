"""Indicators from the operators' subscriber counts, against population, households or other subscriptions."""
from __future__ import annotations

import polars as pl

from analysis.indicators.base import roll_up, with_province
from analysis.periods import interpolate_yearly

FIXED = ("ftth", "xdsl", "cable")


def _months(subscribers: pl.DataFrame) -> list:
    return sorted(subscribers["period"].unique().to_list())


def _by_commune(subscribers: pl.DataFrame, keep: pl.Expr) -> pl.DataFrame:
    # Only the columns summed and grouped are copied with the rows kept: copied whole, the national subscribers
    # (12.6 million rows) took 1.5 GB more, this 0.87 GB. Eager, not lazy: a lazy filter fused into the group-by
    # (0.2 GB) adds shared-back fractions in a different order each run, and the same data must give the same file.
    keys = ["period", "district_code", "commune_code"]
    return (subscribers.select(*keys, "subscribers", keep.alias("_keep")).filter("_keep")
            .group_by(*keys).agg(numerator=pl.col("subscribers").sum()))


def _against(base: pl.DataFrame, counts: pl.DataFrame, denominator: str, subscribers: pl.DataFrame) -> pl.DataFrame:
    """Every commune of the base (population or households by month), with 0 where no operator reported; but an
    old province no operator reported anything for in a month has no figure then, rather than zeros (Bắc Kạn
    before July 2025, when its operators reported to another province)."""
    reported = with_province(subscribers.lazy().select("period", "district_code").unique().collect()).select(
        "period", "province_code").unique()
    base = with_province(base).join(reported, on=["period", "province_code"], how="semi").drop("province_code")
    return (base.join(counts, on=["period", "district_code", "commune_code"], how="left")
            .with_columns(pl.col("numerator").fill_null(0), denominator=pl.col(denominator)))


def per_100_people(subscribers: pl.DataFrame, population: pl.DataFrame, services: tuple[str, ...]) -> pl.DataFrame:
    """Subscriptions of the services, all operators and segments, per 100 inhabitants (population interpolated
    monthly between the yearly figures, each standing at July)."""
    people = interpolate_yearly(population, ["district_code", "commune_code"], "population", _months(subscribers))
    counts = _by_commune(subscribers, pl.col("service").is_in(list(services)))
    commune = _against(people, counts, "population", subscribers)
    return roll_up(commune, weight="weight_population")


def smartphone_share(subscribers: pl.DataFrame) -> pl.DataFrame:
    """Smartphone subscriptions / all mobile-phone subscriptions, all operators, in %."""
    phones = _by_commune(subscribers, pl.col("service") == "smartphone")
    voice = _by_commune(subscribers, pl.col("service") == "mobile_voice").rename({"numerator": "denominator"})
    commune = voice.join(phones, on=["period", "district_code", "commune_code"], how="left").with_columns(
        pl.col("numerator").fill_null(0))
    return roll_up(commune)


def households_fiber(subscribers: pl.DataFrame, population: pl.DataFrame) -> pl.DataFrame:
    """Household FTTH subscriptions / households, in %, capped at 100% per commune.

    A commune whose subscriptions exceed its households is capped and flagged (`capped`; validation warns of
    it too), and the capped numerator is what district and province sums use, so no area is above 100% because
    of one commune's excess.
    """
    households = interpolate_yearly(population, ["district_code", "commune_code"], "households", _months(subscribers))
    fibre = _by_commune(subscribers, (pl.col("service") == "ftth") & (pl.col("segment") == "household"))
    commune = (_against(households, fibre, "households", subscribers).with_columns(pl.col("numerator").cast(pl.Float64))
               .with_columns(capped=pl.col("numerator") > pl.col("denominator"))
               .with_columns(numerator=pl.min_horizontal("numerator", "denominator")))
    return roll_up(commune, any_flag="capped")
