"""The run's parameters: config/run.yml, then the command line's flags; checked before any notebook starts."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from analysis import paths, yamlfile
from analysis.errors import AnalysisError
from analysis.periods import parse_month

DEFAULT = paths.CONFIG / "run.yml"
PATHS = ("raw", "processed", "reports")


class Boundary(BaseModel):
    """A boundary file of the department's: GeoJSON or GeoParquet, and the property holding each unit's code."""
    model_config = ConfigDict(extra="forbid")
    path: Path
    code: str


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    raw: Path = Path("data/raw")
    processed: Path = Path("data/processed")
    reports: Path = Path("reports")
    as_of: str = "latest"
    # The pages' languages, published side by side (province-vi.html, province-en.html); the first is the index's.
    languages: list[Literal["vi", "en"]] = ["vi", "en"]
    targets: str = "plan-171-2025"
    # The old provinces whose files are read, the department's first (its page is the province report); "all"
    # for a ministry's run. Written in config/run.yml only: no province code lives in the code.
    provinces: list[str] | Literal["all"]
    workers: int | None = None
    # Maps draw these areas instead of points at the official centres: level (district, commune, commune_2025) ->
    # file and code property. None: points.
    boundaries: dict[Literal["district", "commune", "commune_2025"], Boundary] | None = None
    min_tests: int = 100
    bts_radius_m: float = 50.0

    @field_validator("as_of")
    @classmethod
    def _month(cls, v: str) -> str:
        if v != "latest":
            parse_month(v)  # raises ValueError with the expected form
        return v

    @field_validator("languages", mode="before")
    @classmethod
    def _languages(cls, v: object) -> list[str]:
        items = [x.strip() for x in v.split(",")] if isinstance(v, str) else list(v or [])
        if not items:
            raise ValueError("name at least one language: vi, en")
        if len(set(items)) != len(items):
            raise ValueError("a language is named twice")
        return items

    @field_validator("provinces", mode="before")
    @classmethod
    def _provinces(cls, v: object) -> list[str]:
        from analysis.clean.stage import provinces_in  # checked against the package's 63 provinces
        if v is None or v == [] or v == "":
            raise ValueError("name at least one province code, the department's first, or all")
        if v == "all":
            return v
        try:
            return provinces_in(v if isinstance(v, str) else [str(c) for c in v])
        except AnalysisError as exc:
            raise ValueError(exc.message) from None

    @field_validator("workers")
    @classmethod
    def _workers(cls, v: int | None) -> int:
        if v is None:
            return os.cpu_count() or 1
        if v < 1:
            raise ValueError("must be at least 1")
        return v

    @field_validator("min_tests", "bts_radius_m")
    @classmethod
    def _positive(cls, v: float) -> float:
        if v <= 0:
            raise ValueError("must be positive")
        return v


def default_provinces() -> list[str] | str:
    """The provinces of config/run.yml: what `clean` reads when no --provinces is given."""
    return load(None, {}).provinces


def load(path: Path | None, overrides: dict) -> RunConfig:
    """The file's values, the flags given on top; one line naming the field when something is wrong."""
    source = path or DEFAULT
    try:
        data = yamlfile.read(source) if source.exists() else {}
    except yaml.YAMLError as exc:
        raise AnalysisError(f"not valid YAML: {str(exc).splitlines()[0]}", file=str(source)) from None
    if path and not path.exists():
        raise AnalysisError("run configuration not found", file=str(path))
    data = dict(data or {})
    # Paths written in the file are the project's; paths given on the command line are the caller's.
    for name in PATHS:
        if name in data and data[name] is not None:
            data[name] = paths.project_path(data[name])
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        cfg = RunConfig.model_validate(data)
    except ValidationError as exc:
        e = exc.errors()[0]
        field = ".".join(str(x) for x in e["loc"])
        raise AnalysisError(f"{field}: {e['msg'].removeprefix('Value error, ')} (got {e.get('input')!r})",
                            file=str(source)) from None
    for name in PATHS:  # a flag's relative path is the caller's; the defaults are the project's
        p = getattr(cfg, name)
        setattr(cfg, name, (p if p.is_absolute() else (Path.cwd() / p) if name in overrides and overrides[name]
                            else paths.project_path(p)).resolve())
    for item in (cfg.boundaries or {}).values():
        item.path = paths.project_path(item.path) if not item.path.is_absolute() else item.path
        if not item.path.exists():
            raise AnalysisError("boundary file not found (config: boundaries)", file=str(item.path))
    for name in ("processed", "reports"):
        out = getattr(cfg, name)
        if out == cfg.raw or cfg.raw in out.parents:
            raise AnalysisError(f"{name} is inside the raw folder, which the pipeline never writes to",
                                file=str(out))
        if out in cfg.raw.parents:
            raise AnalysisError(f"the raw folder is inside {name}, which the pipeline rewrites", file=str(cfg.raw))
    from analysis.targets import load as load_targets
    load_targets(cfg.targets)  # a bad target set stops here, in one line
    if Path(cfg.targets).exists():
        cfg.targets = str(Path(cfg.targets).resolve())
    return cfg
