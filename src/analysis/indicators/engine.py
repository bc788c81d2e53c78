"""`python -m analysis indicators`: every numeric indicator of TARGETS.md the cleaned tables allow, by province,
district and commune, month by month, into `indicators.parquet`."""
from __future__ import annotations

import time
from pathlib import Path
import polars as pl

from analysis import geography, io, metadata
from analysis.errors import AnalysisError
from analysis.indicators import carry_back, speeds
from analysis.indicators.base import SCHEMA, finish
from analysis.indicators.formulas import FORMULAS, Settings

Tables = dict[str, pl.DataFrame]


WRITES = ("indicators.parquet", "indicators.json")
SIGNIFICANT = 12


def reads() -> tuple[str, ...]:
    """The files the indicators depend on: every table an indicator's file names, and the geography."""
    return (geography.FILE, "reference_areas.parquet",
            *sorted({f"{n}.parquet" for ind in definitions().values() for n in ind.tables}))


def definitions() -> dict[str, metadata.Indicator]:
    """Every indicator of config/indicators/ whose formula this code knows (an unknown one is named)."""
    cat = metadata.catalogue()
    unknown = {i.id: i.formula for i in cat.values() if i.formula not in FORMULAS}
    if unknown:
        raise AnalysisError(f"no formula {', '.join(sorted(set(unknown.values())))} for "
                            f"{', '.join(sorted(unknown))}; formulas: {', '.join(FORMULAS)}",
                            file=str(metadata.FOLDER))
    return cat


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


def compute(tables: Tables, min_tests: int = speeds.MIN_TESTS, only: list[str] | None = None,
            province: str | None = None) -> tuple[pl.DataFrame, dict[str, str]]:
    """(indicators, skipped): every indicator whose tables are present; `skipped` says why the others are not.
    `province` is the department's (its own registers are by province)."""
    _reported_in_new_units(tables)
    if "population" in tables:  # figures reported by the units of 1 July 2025, shared back onto the old communes
        for name in ("subscribers", "speed_tests"):
            if name in tables:
                tables = {**tables, name: getattr(carry_back, name)(tables[name], tables["population"])}
    frames, skipped = [], {}
    settings = Settings(min_tests=min_tests, province=province)
    for ind in definitions().values():
        if only and ind.id not in only:
            continue
        missing = [n for n in ind.tables if n not in tables or tables[n].is_empty()]
        if missing:
            skipped[ind.id] = f"no cleaned {', '.join(missing)} table"
            continue
        if ind.formula == "state_apps_on_cloud" and province is None:
            skipped[ind.id] = "the register is the department's and the run names no department province"
            continue
        frames.append(finish(FORMULAS[ind.formula](tables, ind, settings), ind.id, ind.unit, ind.scale,
                             ind.frequency))
    out = pl.concat(frames) if frames else pl.DataFrame(schema=SCHEMA)
    return out, skipped


def run(processed: Path, min_tests: int = speeds.MIN_TESTS) -> pl.DataFrame:
    """Compute every indicator the cleaned tables allow; write `indicators.parquet` and `indicators.json`."""
    if min_tests < 1:
        raise AnalysisError(f"min_tests must be at least 1, got {min_tests}")
    started = time.perf_counter()
    names = {n for ind in definitions().values() for n in ind.tables}
    tables = {n: pl.read_parquet(processed / f"{n}.parquet", columns=COLUMNS.get(n))
              for n in names if (processed / f"{n}.parquet").exists()}
    if not tables:
        raise AnalysisError("no cleaned tables: run the clean stage first (python -m analysis clean)",
                            file=str(processed))
    out, skipped = compute(tables, min_tests, province=geography.load(processed).primary)
    if out.is_empty():
        raise AnalysisError(f"no indicator can be computed: {'; '.join(f'{k}: {v}' for k, v in skipped.items())}",
                            file=str(processed))
    # Sums over threads come in any order and differ in the 16th digit from one run to the next: rounded to 12
    # significant digits, the same data gives the same file, so the trajectories and pages are not redone for it.
    out = out.with_columns(pl.col(c).round_sig_figs(SIGNIFICANT) for c, t in out.schema.items() if t == pl.Float64)
    io.write_parquet(out, processed / "indicators.parquet")
    io.write_json({"stage": "indicators", "seconds": round(time.perf_counter() - started, 2),
                   "min_tests": min_tests, "computed": sorted(out["indicator_id"].unique().to_list()),
                   "skipped": skipped, "rows": out.height}, processed / "indicators.json")
    return out
