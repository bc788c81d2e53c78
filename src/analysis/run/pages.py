"""The pages of a run, as config/reports.yml lists them: which notebook, once or over what, the file name and
the title of each. The runner makes its jobs here and the index groups the pages by the same kinds."""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from analysis import paths, yamlfile
from analysis.errors import AnalysisError
from analysis.geography import Geography
from analysis.targets import TargetSet
from analysis.text import LOCALES, t

LANGUAGES = tuple(LOCALES)   # every language the catalogue has, in the order the pages link them

FILE = paths.CONFIG / "reports.yml"


def reads() -> tuple[str, ...]:
    """What the report notebooks read (report.inputs, the footer, the quality section): a change to any of these
    files re-renders the pages."""
    from analysis.trajectory.engine import OUTPUTS
    from analysis.validate.stage import WRITES as VALIDATION
    return ("manifest.json", "reference_areas.parquet", "indicators.parquet", *VALIDATION,
            *(f"{name}.parquet" for name in OUTPUTS))


class Page(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: str
    notebook: str
    over: Literal["once", "districts", "targets"]
    parameter: str | None = None     # the notebook's parameter that takes the district's or the target's code
    file: str                        # e.g. "district-{code}-{lang}.html"
    title: str | None                # a key of the locale catalogue; None: the target's name
    heading: str                     # the index's heading for the kind (a key of the locale catalogue)
    validation: bool = False         # shows validation's verdict: waits for it (the others need not)


class Reports(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    pages: list[Page]


@lru_cache(maxsize=1)
def catalogue() -> Reports:
    try:
        reports = Reports.model_validate(yamlfile.read(FILE))
    except (ValidationError, yaml.YAMLError) as exc:
        raise AnalysisError(str(exc).splitlines()[0] if isinstance(exc, yaml.YAMLError) else
                            f"{'.'.join(map(str, exc.errors()[0]['loc']))}: {exc.errors()[0]['msg']}",
                            file=str(FILE)) from None
    for p in reports.pages:
        if p.over != "once" and not p.parameter:
            raise AnalysisError(f"page {p.kind!r} runs over {p.over} and names no parameter", file=str(FILE))
        if not (paths.NOTEBOOKS / p.notebook).exists():
            raise AnalysisError(f"page {p.kind!r}: notebook {p.notebook} not found", file=str(FILE))
    return reports


@dataclass(frozen=True)
class Job:
    kind: str
    label: str        # what the progress line shows
    notebook: str
    parameters: dict
    page: str         # the HTML file name in the run folder
    title: str
    lang: str
    key: str          # the page whatever its language: the kind, a district's or a target's code
    alternates: tuple[tuple[str, str], ...] = ()   # (language, file) of the same page in the other languages
    validation: bool = False   # the page shows validation's verdict, so it is made only once validation is done


def districts(geo: Geography, target_set: TargetSet) -> list[str]:
    """The districts the target set judges: those of its provinces, or every district of the run's geography."""
    from analysis.areas import areas_of
    if target_set.provinces is None:
        return geo.codes("district")
    scope = areas_of(geo.areas, target_set.provinces)
    return sorted(scope.filter(scope["area_level"] == "district")["area_code"].to_list())


def jobs(common: dict, languages: list[str], geo: Geography, target_set: TargetSet,
         elsewhere: dict[tuple[str, str], str] | None = None) -> list[Job]:
    """Every page of the run in every language, in the order of config/reports.yml, each knowing its other
    languages' files: this run's, and `elsewhere` ((key, lang) -> file: pages of the month a run in other
    languages published, which stay)."""
    out = []
    for p in catalogue().pages:
        for lang in languages:
            if p.over == "once":
                out.append(Job(p.kind, f"{p.kind} {lang}", p.notebook, {**common, "lang": lang},
                               p.file.format(lang=lang), t(p.title, lang), lang, p.kind, validation=p.validation))
                continue
            items = ([(d, f"{t(p.title, lang)} {geo.name(d, lang, 'district')}")
                      for d in districts(geo, target_set)] if p.over == "districts" else
                     [(tg.id, t(p.title, lang) if p.title else tg.name(lang)) for tg in target_set.targets])
            out += [Job(p.kind, f"{p.kind} {code} {lang}", p.notebook, {**common, "lang": lang, p.parameter: code},
                        p.file.format(code=code, lang=lang), title, lang, f"{p.kind}:{code}", validation=p.validation)
                    for code, title in items]
    files = {(j.key, j.lang): j.page for j in out} | {k: v for k, v in (elsewhere or {}).items()
                                                       if k[1] not in languages}
    return [replace(j, alternates=tuple((lang, files[(j.key, lang)]) for lang in LANGUAGES
                                        if lang != j.lang and (j.key, lang) in files)) for j in out]
