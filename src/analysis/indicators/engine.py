"""`python -m analysis indicators`: every numeric indicator of TARGETS.md the cleaned tables allow, by province,
district and commune, month by month, into `indicators.parquet`."""
from __future__ import annotations

import time
from collections.abc import Mapping
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
# Of the other tables, every column but the row's provenance, which no formula reads: nationally the subscribers'
# source file names were half of their 1.04 GB in memory, held twice while shared back onto the old communes.
PROVENANCE = ("source_file",)


def _reported_in_new_units(name: str, table: pl.DataFrame) -> None:
    """Refuse, with one line, subscribers and speed tests placed in the units of 1 July 2025 (no district) when
    there is no population table to share them back onto the old communes by: leaving them out would lose them
    unseen. (BTS positions are never shared: `carry_back.positions` counts them whole.)"""
    if {"district_code", "commune_code"} <= set(table.columns):
        n = table.select((pl.col("district_code").is_null() & pl.col("commune_code").is_not_null()).sum()).item()
        if n:
            raise AnalysisError(f"{n:,} {name} rows are reported by the units of 1 July 2025 and there is no "
                                "population table to share them onto the old communes by")


class Files(Mapping):
    """A processed folder's tables by name, each read when asked (with only the columns an indicator reads), so
    that `compute` holds a table only while its indicators need it."""

    def __init__(self, processed: Path, names: set[str]) -> None:
        self.paths = {n: processed / f"{n}.parquet" for n in sorted(names) if (processed / f"{n}.parquet").exists()}

    def __getitem__(self, name: str) -> pl.DataFrame:
        return pl.read_parquet(self.paths[name], columns=self.columns(name))

    def scan(self, name: str) -> pl.LazyFrame:
        return pl.scan_parquet(self.paths[name]).select(self.columns(name))

    def columns(self, name: str) -> list[str]:
        return COLUMNS.get(name) or [c for c in pl.read_parquet_schema(self.paths[name]) if c not in PROVENANCE]

    def __contains__(self, name: object) -> bool:   # Mapping's own would read the table to answer
        return name in self.paths

    def __iter__(self):
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)


def _size(tables: Mapping[str, pl.DataFrame], name: str) -> int:
    """A table's bytes, on disk (`Files`, without reading it) or in memory; 0 when it is missing."""
    if name not in tables:
        return 0
    return tables.paths[name].stat().st_size if isinstance(tables, Files) else tables[name].estimated_size()


def compute(tables: Mapping[str, pl.DataFrame], min_tests: int = speeds.MIN_TESTS, only: list[str] | None = None,
            province: str | None = None) -> tuple[pl.DataFrame, dict[str, str]]:
    """(indicators, skipped): every indicator whose tables are present; `skipped` says why the others are not.
    `province` is the department's (its own registers are by province).

    The indicators are computed table by table, and each table is taken from `tables` when first needed and let
    go after the last indicator that reads it: with `Files`, a national run never holds its speed tests (20
    million rows) and its subscribers together. The rows come out in the indicators' own order."""
    selected = [ind for ind in definitions().values() if not only or ind.id in only]
    # The indicators of one table one after another, the biggest table's last: read into memory the others have
    # given back, nationally the speed tests no longer stack on what the subscribers left (peak 3.97 -> 3.73 GB).
    order = sorted(selected, key=lambda ind: (max(_size(tables, n) for n in ind.tables), ind.tables[0]))
    last = {n: i for i, ind in enumerate(order) for n in ind.tables}
    has_population = "population" in tables
    held: dict[str, pl.DataFrame] = {}

    def get(name: str) -> pl.DataFrame | speeds.ByMonth:
        if name not in held:
            def shared_back(table: pl.DataFrame) -> pl.DataFrame:
                # figures reported by the units of 1 July 2025, shared back onto the old communes
                if has_population:
                    return getattr(carry_back, name)(table, get("population"))
                _reported_in_new_units(name, table)
                return table
            if name == "speed_tests" and isinstance(tables, Files):   # never held whole (speeds.ByMonth)
                held[name] = speeds.ByMonth(tables.scan(name), shared_back)
            else:
                held[name] = shared_back(tables[name]) if name in ("subscribers", "speed_tests") else tables[name]
        return held[name]

    done, skipped = {}, {}
    settings = Settings(min_tests=min_tests, province=province)
    for i, ind in enumerate(order):
        missing = [n for n in ind.tables if n not in tables or get(n).is_empty()]
        if missing:
            skipped[ind.id] = f"no cleaned {', '.join(missing)} table"
        elif ind.formula == "state_apps_on_cloud" and province is None:
            skipped[ind.id] = "the register is the department's and the run names no department province"
        else:
            done[ind.id] = finish(FORMULAS[ind.formula]({n: get(n) for n in ind.tables}, ind, settings), ind.id,
                                  ind.unit, ind.scale, ind.frequency)
        for n in ind.tables:
            if last[n] == i and n != "population":   # population is small, and shares every later carry-back
                held.pop(n, None)
    frames = [done[ind.id] for ind in selected if ind.id in done]
    out = pl.concat(frames) if frames else pl.DataFrame(schema=SCHEMA)
    return out, {ind.id: skipped[ind.id] for ind in selected if ind.id in skipped}


def run(processed: Path, min_tests: int = speeds.MIN_TESTS) -> pl.DataFrame:
    """Compute every indicator the cleaned tables allow; write `indicators.parquet` and `indicators.json`."""
    if min_tests < 1:
        raise AnalysisError(f"min_tests must be at least 1, got {min_tests}")
    started = time.perf_counter()
    tables = Files(processed, {n for ind in definitions().values() for n in ind.tables})
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
