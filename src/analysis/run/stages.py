"""The four stages the runner chains, each declared once: its notebook, what it reads and writes (the names its
own module declares), and the parameters that change its result. The runner takes the skip-if-unchanged keys,
the freshness checks and what reports wait for from here, and knows nothing else of a stage."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from analysis.run.config import RunConfig


@dataclass(frozen=True)
class Stage:
    name: str
    notebook: str
    reads: Callable[[RunConfig], list[Path]]        # files (or folders) whose content the result depends on
    writes: Callable[[RunConfig], list[Path]]       # what must exist for a skipped stage to count as done
    # The notebook's parameters, all of which enter the key, from the run's settings and the month judged (called
    # only by a stage that needs it: it is known once the indicators are current).
    parameters: Callable[[RunConfig, Callable[[], str]], dict]
    # A kernel of its own, ended with the stage, rather than a worker's warm kernel (`run.kernels`): cleaning reads
    # every raw file with threads of its own and holds the most memory of any stage (3.7 GB nationally), which a
    # kernel kept for the stages and pages after it would keep too.
    own_kernel: bool = False
    # Code a kernel of the stage's own runs as soon as the workers start, while clean runs, before the stage asks
    # for it (then it is shut down): validation's import of Great Expectations, 4 s of CPU that in a worker came
    # after clean, while the indicators, the trajectories and every page waited for the workers.
    warm_up: str | None = None


def cleaned(cfg: RunConfig) -> list[Path]:
    """The manifest and every table clean wrote, as its manifest lists them."""
    manifest = cfg.processed / "manifest.json"
    if not manifest.exists():
        return [manifest]
    outputs = json.loads(manifest.read_text(encoding="utf-8"))["outputs"]
    return [manifest, *(cfg.processed / o["path"] for o in outputs)]


def _in(cfg: RunConfig, names: tuple[str, ...]) -> list[Path]:
    return [cfg.processed / n for n in names]


def _clean() -> Stage:
    from analysis.clean import stage
    return Stage(
        "clean", "01-clean.ipynb", lambda c: [c.raw], lambda c: _in(c, stage.WRITES),
        lambda c, _: {"raw": str(c.raw), "processed": str(c.processed), "bts_radius_m": c.bts_radius_m,
                      "provinces": c.provinces if isinstance(c.provinces, str) else ",".join(c.provinces)},
        own_kernel=True)


def _validate() -> Stage:
    from analysis.validate import stage
    from analysis.targets import source
    return Stage("validate", "02-validate.ipynb", lambda c: [*cleaned(c), source(c.targets)],
                 lambda c: _in(c, stage.WRITES),
                 lambda c, _: {"processed": str(c.processed), "reports": str(c.reports), "targets": c.targets},
                 warm_up="import great_expectations\nfrom analysis.validate import gx_run, stage")


def _indicators() -> Stage:
    from analysis.indicators import engine
    return Stage("indicators", "03-indicators.ipynb", lambda c: _in(c, engine.reads()),
                 lambda c: _in(c, engine.WRITES),
                 lambda c, _: {"processed": str(c.processed), "min_tests": c.min_tests})


def _trajectories() -> Stage:
    from analysis.targets import source
    from analysis.trajectory import engine
    return Stage("trajectories", "04-trajectories.ipynb",
                 lambda c: [*_in(c, engine.READS), source(c.targets)], lambda c: _in(c, engine.WRITES),
                 lambda c, month: {"processed": str(c.processed), "targets": c.targets, "as_of": month()})


def stages() -> dict[str, Stage]:
    return {s.name: s for s in (_clean(), _validate(), _indicators(), _trajectories())}
