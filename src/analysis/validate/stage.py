"""`python -m analysis validate`: the suites over the processed tables; a critical failure stops publication.

Writes data/processed/validation/summary.json (and .parquet): one row per rule with its table, severity,
failing count and a few failing examples: what the report notebooks render offline. GX's own results JSON
go to data/processed/validation/gx-results/, and GX Data Docs for analysts to <reports>/data-docs/.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

import polars as pl

from analysis import io
from analysis.errors import AnalysisError
from analysis.validate import checks
from analysis.validate.gx_run import PROJECT, RuleResult, run_checks

SUMMARY_SCHEMA = {"table": pl.String, "rule": pl.String, "severity": pl.String, "description": pl.String,
                  "column": pl.String, "success": pl.Boolean, "failing": pl.Int64, "rows": pl.Int64,
                  "examples": pl.List(pl.String)}


class PublicationStopped(AnalysisError):
    """Critical rules failed: `lines` has one line per failed rule."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        super().__init__(f"publication stopped: {len(lines)} critical rule(s) failed; "
                         + "; ".join(line.split(" — ")[0] for line in lines))


def line(r: RuleResult) -> str:
    """'critical: subscribers.count_non_negative on subscribers.subscribers: 3 of 228,666 rows, e.g. …'"""
    where = f"{r.table}.{r.column}" if r.column else r.table
    examples = f", e.g. {'; '.join(r.examples[:3])}" if r.examples else ""
    return f"{r.severity}: {r.rule} on {where}: {r.failing:,} of {r.rows:,} rows{examples} — {r.description}"


def summary_frame(results: list[RuleResult]) -> pl.DataFrame:
    return pl.DataFrame([asdict(r) for r in results], schema=SUMMARY_SCHEMA)


WRITES = ("validation/summary.json",)


def publishable(processed: Path) -> bool | None:
    """The verdict of the last validation, from its summary: False when a critical rule failed, None if none ran."""
    path = processed / WRITES[0]
    return json.loads(path.read_text(encoding="utf-8")).get("publishable") if path.exists() else None


def load_summary(processed: Path) -> pl.DataFrame | None:
    path = processed / "validation" / "summary.json"
    if not path.exists():
        return None
    return pl.DataFrame(json.loads(path.read_text(encoding="utf-8"))["rules"], schema=SUMMARY_SCHEMA)


def run(processed: Path, reports: Path | None = None, project: Path = PROJECT, targets: str | Path | None = None
        ) -> dict:
    """Validate every check table; write the summary; raise PublicationStopped when a critical rule fails.
    `targets`: the target set whose milestones the department's milestones sheet is checked against (a file or a
    name under config/targets/; the default set when None)."""
    manifest_path = processed / "manifest.json"
    if not manifest_path.exists():
        raise AnalysisError("no manifest.json: run the clean stage first", file=str(processed))
    started = time.perf_counter()
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    from analysis.targets import load as load_targets
    frames = checks.frames(processed, manifest, load_targets(targets), lazy=True)
    out = processed / "validation"
    results = run_checks(frames, out / "gx-results", reports / "data-docs" if reports else None, project)
    tables = {r.table: r.rows for r in results}   # each check table's rows (every table has rules)
    failed = [r for r in results if not r.success]
    critical = [r for r in failed if r.severity == "critical"]
    # The verdict alone in summary.json (what the pages read): the same data gives the same file, and the pages
    # are not redone for a time; when and how long go to timing.json.
    summary = {
        "stage": "validate", "tables": tables,
        "rules": [asdict(r) for r in results],
        "passed": sum(r.success for r in results), "warnings": sum(r.severity != "critical" for r in failed),
        "critical": len(critical), "publishable": not critical,
        "data_docs": str((reports / "data-docs" / "index.html").resolve()) if reports else None,
    }
    io.write_json(summary, out / "summary.json")
    timing = {"finished": datetime.now(timezone.utc).isoformat(), "seconds": round(time.perf_counter() - started, 2)}
    io.write_json(timing, out / "timing.json")
    summary = {**summary, **timing}
    io.write_parquet(summary_frame(results), out / "summary.parquet")
    if critical:
        raise PublicationStopped([line(r) for r in critical])
    return summary


def stopped_from_summary(processed: Path) -> PublicationStopped:
    """The stop as the validate notebook saw it, rebuilt from its summary (for the runner, in another process)."""
    summary = load_summary(processed)
    failed = [] if summary is None else summary.filter(~pl.col("success") & (pl.col("severity") == "critical"))
    lines = [line(RuleResult(**r)) for r in failed.iter_rows(named=True)] if len(failed) else []
    return PublicationStopped(lines or ["critical rules failed (see data/processed/validation/summary.json)"])
