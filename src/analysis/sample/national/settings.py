"""config/sample-national.yml, checked before anything is built (the same checks as the province sample's)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from analysis import paths
from analysis.sample.settings import GeneratorConfig, load_config

DEFAULT_CONFIG = paths.CONFIG / "sample-national.yml"


class NationalConfig(GeneratorConfig):
    population: dict[str, float]
    hamlets: dict[str, int]
    fibre: dict[str, Any]
    mobile: dict[str, Any]
    operators: dict[str, Any]
    coverage: dict[str, Any]
    bts: dict[str, float]
    speed: dict[str, Any]


def load(path: Path | None = None, **overrides: Any) -> NationalConfig:
    return load_config(NationalConfig, path or DEFAULT_CONFIG, overrides)
