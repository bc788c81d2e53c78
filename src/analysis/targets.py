"""Target sets from configuration (config/targets/*.yml): what each indicator must reach, by when.

A target set is data: a new one (national 2030 orientation, a district's own plan) is a new file, no code.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from analysis import metadata, paths, yamlfile
from analysis.errors import AnalysisError
from analysis.periods import parse_month

CONFIG = paths.CONFIG / "targets"
DEFAULT = CONFIG / "plan-171-2025.yml"


def _month(v: object) -> date:
    """YYYY-MM, or a full date (YAML reads 2025-12-31 as one): its month."""
    if isinstance(v, date):
        return v.replace(day=1)
    text = str(v)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return date.fromisoformat(text).replace(day=1)
    return parse_month(text)


class Target(BaseModel):
    """What one indicator must reach, by when. The indicator's own facts (names, unit, ceiling, what its gap
    counts) are its file's in config/indicators/, read through `indicator`."""
    model_config = ConfigDict(extra="forbid")
    id: str
    direction: Literal["higher", "lower"] = "higher"
    target: float
    target_date: date | None = None   # the set's date when absent
    baseline: date | None = None      # the set's baseline when absent
    # How a value meets the target: ">=" or ">" for a higher-is-better indicator ("> 80%" in a plan is strict),
    # "<=" or "<" for a lower one; by default the non-strict one of the direction.
    comparison: Literal[">=", ">", "<=", "<"] | None = None
    # One of the plan's headline targets: printed pages draw a map for each (the interactive map has them all).
    key: bool = False

    _months = field_validator("target_date", "baseline", mode="before")(lambda v: None if v is None else _month(v))

    @model_validator(mode="after")
    def _comparison_agrees(self) -> "Target":
        if self.comparison is not None and (self.comparison[0] == ">") != (self.direction == "higher"):
            raise ValueError(f"comparison {self.comparison!r} does not fit direction {self.direction!r}")
        return self

    @field_validator("id")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in metadata.catalogue():
            raise ValueError(f"unknown indicator {v!r}; known: {', '.join(metadata.catalogue())} "
                             "(one file each in config/indicators/)")
        return v

    @property
    def indicator(self) -> metadata.Indicator:
        return metadata.get(self.id)

    @property
    def unit(self) -> str:
        return self.indicator.unit

    @property
    def ceiling(self) -> float | None:
        return self.indicator.ceiling

    @property
    def name_vi(self) -> str:
        return self.indicator.name_vi

    @property
    def name_en(self) -> str:
        return self.indicator.name_en

    def name(self, lang: str) -> str:
        return self.indicator.name(lang)

    @property
    def strict(self) -> bool:
        return self.comparison in (">", "<")

    @property
    def comparison_sign(self) -> str:
        return self.comparison or (">=" if self.direction == "higher" else "<=")


class Milestone(BaseModel):
    model_config = ConfigDict(extra="forbid")
    match: str      # the start of the milestone's name in the department's register
    name_vi: str
    name_en: str

    def name(self, lang: str) -> str:
        return getattr(self, f"name_{lang}")


class TargetSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name_vi: str
    name_en: str
    source: str
    baseline: date
    target_date: date
    targets: list[Target]
    milestones: list[Milestone] = []
    # The old provinces the set was made for (two-digit codes): their province, districts and communes are judged,
    # not those of a province that joined later (Bắc Kạn, in Thái Nguyên's since July 2025, had its own plan). The
    # units of 1 July 2025 are judged for the provinces these went into. None: every area of the data.
    provinces: list[str] | None = None

    _months = field_validator("baseline", "target_date", mode="before")(lambda v: _month(v))

    def model_post_init(self, _context: object) -> None:
        for t in self.targets:
            t.target_date = t.target_date or self.target_date
            t.baseline = t.baseline or self.baseline
        ids = [t.id for t in self.targets]
        if len(ids) != len(set(ids)):
            raise ValueError(f"an indicator has two targets in one set: {sorted({i for i in ids if ids.count(i) > 1})}")

    def name(self, lang: str) -> str:
        return getattr(self, f"name_{lang}")

    def get(self, indicator_id: str) -> Target | None:
        return next((t for t in self.targets if t.id == indicator_id), None)


def source(path: Path | str | None = None) -> Path:
    """The file of a target set given by path, or by id (a file name under config/targets/)."""
    p = Path(path) if path else DEFAULT
    return CONFIG / f"{p}.yml" if not p.exists() and (CONFIG / f"{p}.yml").exists() else p


def load(path: Path | str | None = None) -> TargetSet:
    """A target set by path, or by id (a file name under config/targets/); errors name the file and the field."""
    p = source(path)
    if not p.exists():
        raise AnalysisError("target file not found", file=str(p))
    try:
        return TargetSet.model_validate(yamlfile.read(p))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise AnalysisError(f"{where}: {first['msg']}", file=str(p)) from None
    except (yaml.YAMLError, ValueError) as exc:
        raise AnalysisError(str(exc).splitlines()[0], file=str(p)) from None
