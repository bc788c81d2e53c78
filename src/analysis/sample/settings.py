"""The generator's settings: config/sample.yml, checked before any file is written."""
from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, field_validator

from analysis import paths
from analysis.periods import parse_month

DEFAULT_CONFIG = paths.CONFIG / "sample.yml"


class GeneratorConfig(BaseModel):
    """What every generator's settings share: a month range and mess rates that are shares (counts excepted)."""
    model_config = ConfigDict(extra="forbid")
    first_month: str
    last_month: str
    mess: dict[str, float]
    COUNTS: ClassVar[frozenset[str]] = frozenset()  # mess entries that are counts, not rates

    @field_validator("first_month", "last_month")
    @classmethod
    def _month(cls, v: str) -> str:
        parse_month(v)
        return v

    @field_validator("mess")
    @classmethod
    def _rates(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: r for k, r in v.items() if r < 0 or (r > 1 and k not in cls.COUNTS)}
        if bad:
            raise ValueError(f"mess rates must lie in [0, 1]: {bad}")
        return v


def load_config(model: type[GeneratorConfig], path: Path, overrides: dict[str, Any]) -> GeneratorConfig:
    """The YAML file with overrides merged into its sections, checked by `model`."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in overrides.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) and isinstance(data.get(key), dict) else value
    return model(**data)


class SampleConfig(GeneratorConfig):
    COUNTS: ClassVar[frozenset[str]] = frozenset({"unreported_hamlets"})
    province_code: str
    reform_month: str | None = None  # from this month subscribers and i-Speed name the units of 1 July 2025
    population: dict[str, Any]
    district_class: dict[str, list[str]]
    hamlets: dict[str, int]
    fibre: dict[str, Any]
    mobile: dict[str, Any]
    operators: dict[str, Any]
    coverage: dict[str, Any]
    bts: dict[str, Any]
    speed: dict[str, Any]
    survey: dict[str, Any]
    state_apps: dict[str, Any]
    joined: dict[str, Any] | None = None  # an old province that joined this one at reform_month (Bắc Kạn)

    def joined_config(self) -> SampleConfig | None:
        """The settings of the joined province's world: its own units, population, district classes and fibre
        level, with everything else (growth, operators, speeds, mess) as this province's."""
        from analysis.sample.subscribers import split_integers  # that module reads these settings
        if not self.joined or not self.reform_month:
            return None
        j = self.joined
        p = j["population"]
        rest = p["total"] - sum(p["published"].values())
        shares = np.array(list(p["rest_by_2009"].values()), dtype=float)
        split = split_integers(np.array(rest), shares / shares.sum())  # whole people, summing to the rest
        census = {**p["published"], **dict(zip(p["rest_by_2009"], split.tolist()))}
        speed = {**self.speed, "tests_per_month": {**self.speed["tests_per_month"], **{
            k: v * j["speed_tests_share"] for k, v in self.speed["tests_per_month"].items() if k != "growth_per_month"}}}
        return self.model_copy(update={
            "province_code": j["province_code"], "joined": None, "district_class": j["district_class"],
            "population": {**self.population, "census_year": p["census_year"], "census": dict(sorted(census.items()))},
            "fibre": {**self.fibre, "province_share": j["fibre_share"]}, "speed": speed})

    def district_class_of(self, district_code: str) -> str:
        for cls_name, codes in self.district_class.items():
            if district_code in codes:
                return cls_name
        return "lowland"


def load(path: Path | None = None, **overrides: Any) -> SampleConfig:
    return load_config(SampleConfig, path or DEFAULT_CONFIG, overrides)
