"""`python -m analysis run`: the notebook chain under papermill, offline HTML, and reports/index.html."""
from __future__ import annotations

import html
import re
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

import polars as pl

from analysis import io
from analysis.errors import AnalysisError
from analysis.periods import parse_month
from analysis.text import t

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
TEMPLATES = Path(__file__).parent / "templates"
KERNEL = "plan171"


def _kernel() -> str:
    from jupyter_client.kernelspec import KernelSpecManager
    return KERNEL if KERNEL in KernelSpecManager().find_kernel_specs() else "python3"


def execute(name: str, out_dir: Path, parameters: dict) -> Path:
    """Run one notebook; a failure names the notebook and the error, and keeps the notebook for inspection."""
    import papermill as pm
    out = out_dir / "notebooks" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        pm.execute_notebook(str(NOTEBOOKS / name), str(out), parameters=parameters, kernel_name=_kernel(),
                            cwd=str(NOTEBOOKS), progress_bar=False, log_output=False)
    except pm.PapermillExecutionError as exc:
        if exc.ename == "PublicationStopped":
            # The validate notebook stopped publication: name every failed critical rule, a line each.
            from analysis.validate.stage import PublicationStopped, line, load_summary
            summary = load_summary(Path(parameters["processed"]))
            if summary is not None:
                from analysis.validate.gx_run import RuleResult
                failed = summary.filter(~pl.col("success") & (pl.col("severity") == "critical"))
                raise PublicationStopped([line(RuleResult(**r)) for r in failed.iter_rows(named=True)]) from None
        raise AnalysisError(f"cell {exc.exec_count} failed: {exc.ename}: {exc.evalue} (kept: {out})",
                            file=name) from None
    return out


def to_html(notebook: Path, target: Path, title: str) -> Path:
    """Readers get no code: inputs and prompts removed, and a template with no external script."""
    import nbformat
    from nbconvert import HTMLExporter
    exporter = HTMLExporter(template_name="offline", extra_template_basedirs=[str(TEMPLATES)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4),
                                          resources={"metadata": {"name": title}})
    io.write_text(body, target)
    return target


def write_index(reports: Path, lang: str) -> Path:
    """reports/index.html: every run's reports, newest first."""
    items = []
    runs = (p for p in reports.iterdir() if p.is_dir() and re.fullmatch(r"\d{4}-\d{2}", p.name))
    for run_dir in sorted(runs, reverse=True):
        for page in sorted(run_dir.glob("*.html")):
            rel = page.relative_to(reports).as_posix()
            items.append(f'<li><a href="{html.escape(rel)}">{html.escape(run_dir.name)} · '
                         f'{html.escape(page.stem)}</a></li>')
    title = html.escape(t("index_title", lang))
    # GX Data Docs are for analysts and load their styling from a CDN: linked, never part of a report.
    docs = (f'<p><a href="data-docs/index.html">{html.escape(t("data_docs", lang))}</a></p>'
            if (reports / "data-docs" / "index.html").exists() else "")
    stamp = html.escape(datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    page = (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>'
            '<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem}'
            'li{margin:.4rem 0}</style></head>'
            f'<body><h1>{title}</h1><ul>{"".join(items)}</ul>{docs}'
            f'<p><small>{html.escape(t("generated", lang))} {stamp}</small></p></body></html>')
    target = reports / "index.html"
    io.write_text(page, target)
    return target


def run(raw: Path, processed: Path, reports: Path, as_of: str = "latest", lang: str = "vi",
        targets: str = "plan-171-2025") -> str:
    if as_of != "latest":
        try:
            parse_month(as_of)  # a bad month stops here, before any notebook starts
        except ValueError as exc:
            raise AnalysisError(f"--as-of: {exc}") from None
    if lang not in ("vi", "en"):
        raise AnalysisError(f"language must be vi or en, got {lang!r}")
    from analysis.targets import load
    load(targets)  # a bad target file stops here, in one line, before any notebook starts
    if Path(targets).exists():
        targets = str(Path(targets).resolve())  # the notebooks run in notebooks/: a relative path would break
    raw, processed, reports = raw.resolve(), processed.resolve(), reports.resolve()
    started = time.perf_counter()
    staging = reports / "_running"
    timings = {}
    # 02-validate raises when a critical rule fails: the chain stops there and no report is written.
    for name, params in (("01-clean.ipynb", {"raw": str(raw), "processed": str(processed)}),
                         ("02-validate.ipynb", {"processed": str(processed), "reports": str(reports)}),
                         ("03-indicators.ipynb", {"processed": str(processed), "as_of": as_of,
                                                  "targets": targets}),
                         ("04-trajectories.ipynb", {"processed": str(processed), "targets": targets,
                                                    "as_of": as_of})):
        t0 = time.perf_counter()
        execute(name, staging, params)
        timings[name] = round(time.perf_counter() - t0, 1)
    # "latest" is the newest month of the monthly series: yearly and dated registers may run ahead of it.
    monthly = pl.read_parquet(processed / "indicators.parquet").filter(pl.col("frequency") == "monthly")
    month_shown = monthly["period"].max().strftime("%Y-%m") if as_of == "latest" else as_of
    run_dir = reports / month_shown
    t0 = time.perf_counter()
    nb = execute("10-province-report.ipynb", staging,
                 {"processed": str(processed), "as_of": month_shown, "lang": lang, "targets": targets})
    timings["10-province-report.ipynb"] = round(time.perf_counter() - t0, 1)
    to_html(nb, staging / f"province-{lang}.html", t("report_title", lang))
    io.write_json({"as_of": month_shown, "lang": lang, "raw": str(raw), "processed": str(processed),
                   "timings_s": timings}, staging / "run.json")
    # The run's folder appears whole or not at all: staged, then swapped in.
    if run_dir.exists():
        old = reports / f"_old_{month_shown}"
        run_dir.rename(old)
        staging.rename(run_dir)
        shutil.rmtree(old)
    else:
        staging.rename(run_dir)
    index = write_index(reports, lang)
    return f"run: {run_dir / f'province-{lang}.html'} and {index} in {time.perf_counter() - started:.0f} s"
