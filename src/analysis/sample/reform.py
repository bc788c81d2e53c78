"""The 1 July 2025 reform in the sample: from the reform month operators report subscribers and i-Speed places the
units of that date (no district). The world stays by old communes; what was sent is re-expressed in new units:
an old commune's count goes whole to its new unit, or, where it was split, in whole subscriptions by the
crosswalk's household weights (largest remainders, so every count is kept exactly); a speed test, a point, lies
in one part of a split commune, drawn by the weights. Hamlet and BTS lists keep naming old communes (their
registers are by old communes: an assumption, stated in the README)."""
from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from analysis.areas import REFORM_LEVELS, reference_areas
from analysis.crosswalk import area_crosswalk
from analysis.sample import geography, speed, subscribers as subscriber_model
from analysis.sample.mess import unit_type
from analysis.sample.settings import SampleConfig


def new_unit_names(province_code: str) -> dict[str, tuple[str, str]]:
    """code -> (official name, unit type) of the communes of 1 July 2025 the province's old ones went into."""
    units = reference_areas(province_code).filter(pl.col("level") == REFORM_LEVELS["commune"])
    return {code: (name, unit_type(name)) for code, name in units.select("area_code", "name_vi").iter_rows()}


def joined_world(jc: SampleConfig, months: list[date], since: date, seed: int, stream: int
                 ) -> dict[str, pl.DataFrame]:
    """The province that joined at the reform (Bắc Kạn), built like the department's own by old communes:
    population for every year (its statistics office's figures), subscribers and i-Speed tests from `since`, the
    month its operators' reports reach the department."""
    rng = {k: np.random.default_rng([seed, stream, i]) for i, k in enumerate(("population", "subscribers", "speed"))}
    comm = geography.communes(jc)
    pop = geography.population(jc, comm, rng["population"])
    base = comm.join(pop.filter(pl.col("year") == jc.population["census_year"]), on="commune_code")
    subs = subscriber_model.build(jc, comm, pop, months, rng["subscribers"])
    tests = speed.build(jc, comm, base["population"].to_numpy(), months, rng["speed"], id_prefix=f"IS{jc.province_code}-")
    return {"population": pop, "subscribers": subs.filter(pl.col("period") >= since),
            "speed_tests": tests.filter(pl.col("period") >= since)}


def subscribers(subs: pl.DataFrame, province_code: str, since: date) -> pl.DataFrame:
    """The subscriber truth with every month from `since` in the new units (province_code: the merged
    province's, district_code: none)."""
    after = subs.filter(pl.col("period") >= since).with_row_index("_r")
    cw = area_crosswalk(province_code).select("old_code", "new_code", "new_province_code", w="weight_households")
    parts = (after.join(cw, left_on="commune_code", right_on="old_code", how="inner")
             .with_columns(raw=pl.col("subscribers") * pl.col("w"))
             .with_columns(base=pl.col("raw").floor().cast(pl.Int64))
             .with_columns(left=(pl.col("subscribers") - pl.col("base").sum().over("_r")),
                           rank=(pl.col("raw") - pl.col("base")).rank("ordinal", descending=True).over("_r"))
             .with_columns(subscribers=pl.col("base") + (pl.col("rank") <= pl.col("left")).cast(pl.Int64)))
    moved = (parts.group_by("period", "operator", "new_province_code", "new_code", "service", "segment",
                            maintain_order=True)
             .agg(pl.col("subscribers").sum())
             .select("period", "operator", province_code="new_province_code",
                     district_code=pl.lit(None, pl.String), commune_code="new_code", service="service",
                     segment="segment", subscribers="subscribers"))
    before = subs.filter(pl.col("period") < since)
    return pl.concat([before, moved.cast(before.schema)]).sort("period", "operator", "commune_code", "service",
                                                                "segment", nulls_last=True)


def speed_tests(tests: pl.DataFrame, province_code: str, since: date, rng: np.random.Generator) -> pl.DataFrame:
    """The i-Speed truth with every test from `since` placed in its new unit (no district)."""
    cw = area_crosswalk(province_code)
    parts: dict[str, tuple[list[str], np.ndarray]] = {}
    for old, group in cw.group_by("old_code"):
        parts[old[0]] = (group["new_code"].to_list(), group["weight_population"].to_numpy())
    after = (tests["period"] >= since).to_numpy()
    old = tests["commune_code"].to_list()
    new = [None] * len(old)
    for i in np.flatnonzero(after):
        codes, w = parts[old[i]]
        new[i] = codes[0] if len(codes) == 1 else codes[int(rng.choice(len(codes), p=w / w.sum()))]
    return tests.with_columns(
        commune_code=pl.when(pl.Series(after)).then(pl.Series(new, dtype=pl.String)).otherwise(pl.col("commune_code")),
        district_code=pl.when(pl.Series(after)).then(None).otherwise(pl.col("district_code")))
