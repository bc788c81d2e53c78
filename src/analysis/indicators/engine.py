"""`python -m analysis indicators`: every numeric indicator of TARGETS.md the cleaned tables allow, by province,
district and commune, month by month, into `indicators.parquet`."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import polars as pl

from analysis import io
from analysis.errors import AnalysisError
from analysis.indicators import carry_back, networks, registers, speeds, subscriptions
from analysis.indicators.base import SCHEMA

Tables = dict[str, pl.DataFrame]

# indicator -> (the cleaned tables it needs, how it is computed)
DEFINITIONS: dict[str, tuple[tuple[str, ...], Callable[[Tables, int], pl.DataFrame]]] = {
    "mbb_subs_per_100": (("subscribers", "population"), lambda t, _: subscriptions.per_100_people(
        t["subscribers"], t["population"], ("mobile_broadband",), "mbb_subs_per_100")),
    "smartphone_share": (("subscribers",), lambda t, _: subscriptions.smartphone_share(t["subscribers"])),
    "adults_with_smartphone": (("smartphone_survey",), lambda t, _: registers.adults_with_smartphone(
        t["smartphone_survey"])),
    "mbb_download_mbps": (("speed_tests",), lambda t, m: speeds.download(t["speed_tests"], "mobile",
                                                                           "mbb_download_mbps", m)),
    "hamlets_mbb_coverage": (("hamlet_coverage", "hamlet_registry"), lambda t, _: networks.hamlets_covered(
        t["hamlet_coverage"], t["hamlet_registry"], "mbb", "hamlets_mbb_coverage")),
    "bts_site_sharing": (("bts_sites",), lambda t, _: networks.bts_site_sharing(t["bts_sites"])),
    "fbb_subs_per_100": (("subscribers", "population"), lambda t, _: subscriptions.per_100_people(
        t["subscribers"], t["population"], subscriptions.FIXED, "fbb_subs_per_100")),
    "households_fiber": (("subscribers", "population"), lambda t, _: subscriptions.households_fiber(
        t["subscribers"], t["population"])),
    "fbb_download_mbps": (("speed_tests",), lambda t, m: speeds.download(t["speed_tests"], "fixed",
                                                                           "fbb_download_mbps", m)),
    "hamlets_ftth_coverage": (("hamlet_coverage", "hamlet_registry"), lambda t, _: networks.hamlets_covered(
        t["hamlet_coverage"], t["hamlet_registry"], "ftth", "hamlets_ftth_coverage")),
    "state_apps_on_cloud": (("state_apps",), lambda t, _: registers.state_apps_on_cloud(t["state_apps"])),
}


# The columns an indicator reads of the big tables (a national speed table is 20 million rows of eleven).
COLUMNS = {"speed_tests": ["period", "network", "download_mbps", "commune_code", "district_code"],
           "hamlet_coverage": ["period", "operator", "hamlet_code", "commune_code", "district_code", "ftth", "mbb"]}


def _reported_in_new_units(tables: Tables) -> None:
    """Refuse, with one line, subscribers and speed tests placed in the units of 1 July 2025 (no district) when
    there is no population table to share them back onto the old communes by: leaving them out would lose them
    unseen. (BTS positions are never shared: `carry_back.positions` counts them whole.)"""
    if "population" in tables:
        return
    for name in ("subscribers", "speed_tests"):
        t = tables.get(name)
        if t is not None and {"district_code", "commune_code"} <= set(t.columns):
            n = t.select((pl.col("district_code").is_null() & pl.col("commune_code").is_not_null()).sum()).item()
            if n:
                raise AnalysisError(f"{n:,} {name} rows are reported by the units of 1 July 2025 and there is no "
                                    "population table to share them onto the old communes by")


def compute(tables: Tables, min_tests: int = speeds.MIN_TESTS, only: list[str] | None = None
            ) -> tuple[pl.DataFrame, dict[str, str]]:
    """(indicators, skipped): every indicator whose tables are present; `skipped` says why the others are not."""
    _reported_in_new_units(tables)
    if "population" in tables:  # figures reported by the units of 1 July 2025, shared back onto the old communes
        for name in ("subscribers", "speed_tests"):
            if name in tables:
                tables = {**tables, name: getattr(carry_back, name)(tables[name], tables["population"])}
    frames, skipped = [], {}
    for indicator_id, (needs, build) in DEFINITIONS.items():
        if only and indicator_id not in only:
            continue
        missing = [n for n in needs if n not in tables or tables[n].is_empty()]
        if missing:
            skipped[indicator_id] = f"no cleaned {', '.join(missing)} table"
            continue
        frames.append(build(tables, min_tests))
    out = pl.concat(frames) if frames else pl.DataFrame(schema=SCHEMA)
    return out, skipped


def run(processed: Path, min_tests: int = speeds.MIN_TESTS) -> pl.DataFrame:
    """Compute every indicator the cleaned tables allow; write `indicators.parquet` and `indicators.json`."""
    if min_tests < 1:
        raise AnalysisError(f"min_tests must be at least 1, got {min_tests}")
    started = time.perf_counter()
    names = {n for needs, _ in DEFINITIONS.values() for n in needs}
    tables = {n: pl.read_parquet(processed / f"{n}.parquet", columns=COLUMNS.get(n))
              for n in names if (processed / f"{n}.parquet").exists()}
    if not tables:
        raise AnalysisError("no cleaned tables: run the clean stage first (python -m analysis clean)",
                            file=str(processed))
    out, skipped = compute(tables, min_tests)
    if out.is_empty():
        raise AnalysisError(f"no indicator can be computed: {'; '.join(f'{k}: {v}' for k, v in skipped.items())}",
                            file=str(processed))
    io.write_parquet(out, processed / "indicators.parquet")
    io.write_json({"stage": "indicators", "seconds": round(time.perf_counter() - started, 2),
                   "min_tests": min_tests, "computed": sorted(out["indicator_id"].unique().to_list()),
                   "skipped": skipped, "rows": out.height}, processed / "indicators.json")
    return out
