"""Each indicator's facts, in one file per indicator (config/indicators/<id>.yml), checked by one model.

Names in both languages, short name, unit, ceiling, how it is computed (formula, source tables, numerator and
denominator), what its gap counts and its definition are read from here by the indicators stage, the target sets,
the trajectory stage and every page. A new indicator is a new file, plus a function in
`analysis.indicators.formulas` when its formula is new.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from analysis import paths, yamlfile
from analysis.errors import AnalysisError

FOLDER = paths.CONFIG / "indicators"


class Indicator(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name_vi: str
    name_en: str
    short_vi: str                       # a grid's column head
    short_en: str
    unit: str                           # "%", "per 100 people", "Mbps": the locale's `units` says it to readers
    ceiling: float | None = None        # a natural bound (100 for a share): no projection goes past it
    frequency: Literal["monthly", "yearly", "dated"] = "monthly"
    formula: str                        # a function of analysis.indicators.formulas
    params: dict = {}                   # its arguments beyond the tables (services, network, flag)
    tables: tuple[str, ...]             # the cleaned tables it reads
    scale: float = 1                    # value = numerator / denominator × scale
    numerator: str
    denominator: str
    gap_unit: str | None = None         # what a gap counts (households, hamlets…); None: a gap is in the unit
    gap_unit_vi: str | None = None
    gap_unit_en: str | None = None
    actionable: bool = False            # its gap is work to plan: the districts' "what it takes" lists it
    hamlet_missing_vi: str | None = None  # set: the hamlets still without it are listed by name, lacking this
    hamlet_missing_en: str | None = None
    definition_vi: str
    definition_en: str

    @model_validator(mode="after")
    def _gap_words(self) -> "Indicator":
        if self.gap_unit and not (self.gap_unit_vi and self.gap_unit_en):
            raise ValueError("gap_unit needs gap_unit_vi and gap_unit_en, the words readers see")
        return self

    def name(self, lang: str) -> str:
        return getattr(self, f"name_{lang}")

    def short(self, lang: str) -> str:
        return getattr(self, f"short_{lang}")

    def definition(self, lang: str) -> str:
        return getattr(self, f"definition_{lang}")

    def gap_words(self, lang: str) -> str | None:
        return getattr(self, f"gap_unit_{lang}")

    @property
    def lists_hamlets(self) -> bool:
        return self.hamlet_missing_vi is not None

    def hamlet_missing(self, lang: str) -> str | None:
        return getattr(self, f"hamlet_missing_{lang}")

    @property
    def countable(self) -> bool:
        """A share of something countable: its gap is a count (target share × denominator − numerator)."""
        return self.gap_unit is not None and self.scale == 100


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Indicator]:
    """Every indicator of config/indicators/, by id, in file-name order; a bad file stops here, named."""
    out: dict[str, Indicator] = {}
    for path in sorted(FOLDER.glob("*.yml")):
        try:
            ind = Indicator.model_validate(yamlfile.read(path))
        except ValidationError as exc:
            first = exc.errors()[0]
            raise AnalysisError(f"{'.'.join(str(x) for x in first['loc'])}: {first['msg']}", file=str(path)) from None
        except yaml.YAMLError as exc:
            raise AnalysisError(f"not valid YAML: {str(exc).splitlines()[0]}", file=str(path)) from None
        if ind.id != path.stem:
            raise AnalysisError(f"id {ind.id!r} differs from the file's name", file=str(path))
        out[ind.id] = ind
    return out


def get(indicator_id: str) -> Indicator:
    try:
        return catalogue()[indicator_id]
    except KeyError:
        raise AnalysisError(f"unknown indicator {indicator_id!r}; known: {', '.join(catalogue())} "
                            f"(one file each in {FOLDER})") from None
