"""Running the committed Great Expectations suites over check tables, read-only on the `expectations/` tree.

GX is imported here and only here (about 4.5 s): the other stages never pay for it.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from analysis import paths
from analysis.errors import AnalysisError
from analysis.validate.checks import with_keys
from analysis.validate.rows import height, needed

PROJECT = paths.EXPECTATIONS


@dataclass
class RuleResult:
    """One expectation's outcome over one check table, in the terms the reports use."""
    table: str
    rule: str
    severity: str
    description: str
    column: str | None
    success: bool
    failing: int
    examples: list[str]
    rows: int


def _column(kwargs: dict) -> str | None:
    return ", ".join(_columns(kwargs)) or None


def _columns(kwargs: dict) -> list[str]:
    return [c for c in [kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B"),
                        *(kwargs.get("column_list") or [])] if c]


def _examples(result: dict) -> list[str]:
    """A few failing rows by their `key` (or the failing values when GX gives no index)."""
    index = result.get("partial_unexpected_index_list") or []
    if index:
        return [str(r.get("key", r)) for r in index[:5]]
    return [str(v) for v in (result.get("partial_unexpected_list") or [])[:5]]


def context(results_dir: Path, docs_dir: Path | None, project: Path = PROJECT):
    """The file context of the committed project; what a run writes goes to `results_dir` and `docs_dir`."""
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    os.environ["GX_RESULTS_DIR"] = str(results_dir.resolve())
    os.environ["GX_DOCS_DIR"] = str((docs_dir or results_dir / "data-docs").resolve())
    import great_expectations as gx  # heavy: imported when a validation actually runs
    if not (project / "gx" / "great_expectations.yml").exists():
        raise AnalysisError("Great Expectations project not found", file=str(project))
    return gx.get_context(mode="file", project_root_dir=str(project))


def run_checks(frames: Mapping[str, pl.DataFrame] | Iterable[tuple[str, pl.DataFrame | pl.LazyFrame]],
               results_dir: Path,
               docs_dir: Path | None = None, project: Path = PROJECT, ctx=None) -> list[RuleResult]:
    """Each check table through the checkpoint of its name; tables without a suite are an error of this code.
    `frames` may be produced one at a time (`checks.frames`): each is let go before the next is read. `ctx`: a
    context already open on `results_dir` (opening one reads the project's YAML: 70 ms, for a test's small frame
    twice its validation)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    ctx = ctx if ctx is not None else context(results_dir, docs_dir, project)
    out: list[RuleResult] = []
    for name, frame in (frames.items() if isinstance(frames, Mapping) else frames):
        try:
            checkpoint = ctx.checkpoints.get(name)
        except Exception as exc:
            raise AnalysisError(f"no checkpoint named {name!r} in the expectations project") from exc
        # Only the columns the suite reads (and `key` for examples) cross into pandas, and of a large table only
        # the rows that could break a rule (analysis.validate.rows): GX judges those, verdicts and counts whole.
        configs = [e.configuration for vd in checkpoint.validation_definitions for e in vd.suite.expectations]
        used = {"key"} | {c for cfg in configs for c in _columns(cfg.kwargs)}
        rows = needed(frame, [(cfg.type, cfg.kwargs) for cfg in configs])   # a large table's query: streamed
        rows = with_keys(name, rows)
        rows = rows.select(c for c in rows.columns if c in used)
        run = checkpoint.run(batch_parameters={"dataframe": rows.to_pandas()})
        n = height(frame)
        for validation in run.run_results.values():
            for r in validation.results:
                cfg = r.expectation_config
                res = r.result or {}
                failing = res.get("unexpected_count")
                if failing is None:
                    failing = 0 if r.success else 1
                out.append(RuleResult(
                    table=name, rule=(cfg.meta or {}).get("rule", cfg.type), severity=str(cfg.severity.value),
                    description=cfg.description or cfg.type, column=_column(cfg.kwargs), success=bool(r.success),
                    failing=int(failing), examples=[] if r.success else _examples(res), rows=n))
                if r.exception_info and r.exception_info.get("raised_exception"):
                    out[-1].success = False
                    out[-1].examples = [str(r.exception_info.get("exception_message"))[:200]]
    if docs_dir is not None:
        ctx.build_data_docs()
    return out
