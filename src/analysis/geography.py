"""The run's geography, as cleaning wrote it: every area's name, level and parent from `reference_areas.parquet`,
the reform's crosswalk, and the provinces the run covers (the department's first) from `manifest.json`.

Reports, notebooks, indicators and the runner ask this, not the `vietnamadminunits` package and not a province
code written in the code: a run over other provinces (`provinces` in config/run.yml) needs no change anywhere.
Names are looked up in dictionaries built once per table (the package's query took 8 ms a name).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import polars as pl

from analysis.areas import PLAN_LEVELS, REFORM_LEVELS
from analysis.errors import AnalysisError


@dataclass(frozen=True)
class Geography:
    areas: pl.DataFrame              # reference_areas: area_code, level, name_vi, name_en, parent_code, valid_*
    provinces: tuple[str, ...]       # the old provinces the run covers, the department's first
    primary: str | None              # the department's province; None for a run over every province
    crosswalk: pl.DataFrame = field(default_factory=pl.DataFrame)  # old commune -> unit of 1 July 2025
    partition: tuple[str, ...] | None = None   # a partition run's provinces of 1 July 2025 (clean/partition.py)
    _names: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for lang in ("vi", "en"):
            col = f"name_{lang}"
            by_level = {(lv, c): n for lv, c, n in self.areas.select("level", "area_code", col).iter_rows()}
            # Without a level, a code names the unit of the plan's geography (the 2025 units reused old codes).
            first: dict[str, str] = {}
            for level in (*PLAN_LEVELS, *REFORM_LEVELS.values()):
                for (lv, c), n in by_level.items():
                    if lv == level:
                        first.setdefault(c, n)
            self._names[lang] = (by_level, first)

    # -- names -------------------------------------------------------------------------------------------------
    def name(self, code: str, lang: str, level: str | None = None) -> str:
        """The unit's name in the language; without a level, the pre-reform unit's; the code when unknown."""
        by_level, first = self._names[lang]
        return (by_level.get((level, code)) if level else first.get(code)) or code

    def names(self, lang: str) -> pl.DataFrame:
        """level, area_code, parent_code, name: for joining names onto a table (a code names one unit a level)."""
        return self.areas.select("level", "area_code", "parent_code",
                                 name=pl.col(f"name_{lang}"))

    # -- units -------------------------------------------------------------------------------------------------
    @property
    def department(self) -> str:
        """The province whose reports these are: the department's, or the first read."""
        return self.primary or self.provinces[0]

    def codes(self, level: str, parent: str | None = None) -> list[str]:
        """The codes of a level, in code order; of one parent's units when given."""
        rows = self.areas.filter(pl.col("level") == level)
        if parent is not None:
            rows = rows.filter(pl.col("parent_code") == parent)
        return sorted(rows["area_code"].to_list())

    def count(self, level: str) -> int:
        return self.areas.filter(pl.col("level") == level).height

    def parent(self, code: str, level: str) -> str | None:
        row = self.areas.filter((pl.col("level") == level) & (pl.col("area_code") == code))
        return row["parent_code"][0] if row.height else None

    def check(self, code: str, level: str) -> str:
        """`code` if it is a unit of the level in this geography; else one line listing the codes there are."""
        known = self.codes(level)
        if code not in known:
            shown = ", ".join(f"{c} {self.name(c, 'vi', level)}" for c in known[:40])
            raise AnalysisError(f"{code!r} is not a {level} of the run's geography; {level}s: {shown}"
                                + (" …" if len(known) > 40 else ""))
        return code


FILE = "geography.json"   # the provinces cleaned and the department's own, as clean last wrote them


def _scope(folder: Path) -> dict:
    # A folder cleaned before geography.json existed has the scope in its manifest (at the top, or in the
    # parameters for the oldest).
    scope = folder / FILE if (folder / FILE).exists() else folder / "manifest.json"
    return json.loads(scope.read_text(encoding="utf-8")) if scope.exists() else {}


def partition(processed: Path) -> tuple[str, ...] | None:
    """A partition run's provinces of 1 July 2025 (None for a whole run), without reading the areas."""
    part = _scope(Path(processed)).get("partition")
    return tuple(part) if part else None


@lru_cache(maxsize=8)
def _load(processed: str, stamp: tuple) -> Geography:
    folder = Path(processed)
    manifest = _scope(folder)
    provinces = manifest.get("provinces") or manifest.get("parameters", {}).get("provinces") or []
    primary = manifest.get("primary", provinces[0] if provinces else None)
    crosswalk = folder / "area_crosswalk.parquet"
    return Geography(pl.read_parquet(folder / "reference_areas.parquet"), tuple(provinces), primary,
                     pl.read_parquet(crosswalk) if crosswalk.exists() else pl.DataFrame(), partition(folder))


def load(processed: str | Path) -> Geography:
    """The geography of a processed folder (read once per content of its files)."""
    folder = Path(processed)
    files = [folder / "reference_areas.parquet", folder / (FILE if (folder / FILE).exists() else "manifest.json")]
    missing = [f.name for f in files if not f.exists()]
    if missing:
        raise AnalysisError(f"no {' or '.join(missing)}: run the clean stage first", file=str(folder))
    return _load(str(folder.resolve()), tuple(f.stat().st_mtime_ns for f in files))
