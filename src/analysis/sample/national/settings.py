"""config/sample-national.yml, checked before anything is built."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, field_validator

from analysis.periods import parse_month

DEFAULT_CONFIG = Path(__file__).resolve().parents[4] / "config" / "sample-national.yml"


class NationalConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    first_month: str
    last_month: str
    population: dict[str, float]
    hamlets: dict[str, int]
    fibre: dict[str, Any]
    mobile: dict[str, Any]
    operators: dict[str, Any]
    coverage: dict[str, Any]
    bts: dict[str, float]
    speed: dict[str, Any]
    mess: dict[str, float]

    @field_validator("first_month", "last_month")
    @classmethod
    def _month(cls, v: str) -> str:
        parse_month(v)
        return v

    @field_validator("mess")
    @classmethod
    def _rates(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: r for k, r in v.items() if not 0 <= r <= 1}
        if bad:
            raise ValueError(f"mess rates must lie in [0, 1]: {bad}")
        return v


def load(path: Path | None = None, **overrides: Any) -> NationalConfig:
    data = yaml.safe_load((path or DEFAULT_CONFIG).read_text(encoding="utf-8"))
    for key, value in overrides.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) and isinstance(data.get(key), dict) else value
    return NationalConfig(**data)
