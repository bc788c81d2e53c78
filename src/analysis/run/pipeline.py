"""The whole chain as one command: clean → (validate ∥ indicators → trajectories) → every report, in parallel.

A stage whose inputs, parameters and code are unchanged is not run again; one run at a time writes the outputs;
the run's parameters, versions and timings go to reports/<as-of>/run.json; a failed notebook stops the run,
is named with its cell and error, and is kept in reports/_running/ for inspection.
"""
from __future__ import annotations

import platform
import shutil
import sys
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

import polars as pl

from analysis import io
from analysis.errors import AnalysisError
from analysis.run import lock
from analysis.run.config import RunConfig
from analysis.run.index import write_index
from analysis.run.notebooks import NotebookFailed, execute, to_html
from analysis.run.stamps import Stamps, code_version
from analysis.text import t
from analysis.trajectory.engine import OUTPUTS as TRAJECTORY_OUTPUTS

REPORT_INPUTS = ("indicators.parquet", *(f"{name}.parquet" for name in TRAJECTORY_OUTPUTS), "validation/summary.json")


@dataclass
class Job:
    label: str        # what the progress line shows
    notebook: str
    parameters: dict
    page: str         # the HTML file name in the run folder
    title: str


class Progress:
    """A bar naming what runs (on a terminal), or one line per start and end (in a log)."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.running = total, 0, []
        self.tty = sys.stderr.isatty()
        self._lock = threading.Lock()
        self.bar = None
        if self.tty:
            from tqdm import tqdm
            self.bar = tqdm(total=total, file=sys.stderr, unit="nb", leave=False, dynamic_ncols=True)

    def start(self, label: str) -> None:
        with self._lock:
            self.running.append(label)
            self._show(f"started {label}")

    def end(self, label: str, seconds: float, skipped: bool = False) -> None:
        with self._lock:
            if label in self.running:
                self.running.remove(label)
            self.done += 1
            if self.bar:
                self.bar.update(1)
            self._show(f"{'unchanged, skipped' if skipped else 'done'} {label} ({seconds:.1f} s)")

    def _show(self, event: str) -> None:
        if self.bar:
            self.bar.set_description_str(f"running: {', '.join(self.running) or '—'}")
        else:
            print(f"[{self.done}/{self.total}] {event}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar:
            self.bar.close()


class Pipeline:
    def __init__(self, cfg: RunConfig, force: bool) -> None:
        self.cfg, self.force = cfg, force
        self.code = code_version()
        self.stamps = Stamps(cfg.processed / ".stamps.json")
        self.staging = cfg.reports / "_running"
        self.timings: dict[str, float] = {}
        self.skipped: list[str] = []
        self.progress: Progress | None = None

    # -- the stage notebooks -----------------------------------------------------------------------------------
    def stage(self, name: str, notebook: str, parameters: dict, inputs: list[Path], outputs: list[Path]) -> None:
        key = Stamps.key(inputs, parameters, self.code)
        t0 = time.perf_counter()
        if not self.force and self.stamps.fresh(name, key, outputs):
            self.skipped.append(name)
            self.progress.end(name, time.perf_counter() - t0, skipped=True)
            return
        self.progress.start(name)
        self.stamps.forget(name)
        try:
            execute(notebook, self.staging / "notebooks" / notebook, parameters)
        except NotebookFailed as exc:
            if exc.ename == "PublicationStopped":
                from analysis.validate.stage import stopped_from_summary
                raise stopped_from_summary(self.cfg.processed) from None
            raise
        self.stamps.done(name, key)
        self.timings[name] = round(time.perf_counter() - t0, 1)
        self.progress.end(name, self.timings[name])

    def chain(self) -> None:
        c, p = self.cfg, self.cfg.processed
        self.stage("clean", "01-clean.ipynb",
                   {"raw": str(c.raw), "processed": str(p), "bts_radius_m": c.bts_radius_m},
                   [c.raw], [p / "manifest.json"])
        cleaned = [p / "manifest.json"] + sorted(p.glob("*.parquet"))
        derived = {"indicators.parquet", *(f"{name}.parquet" for name in TRAJECTORY_OUTPUTS)}
        cleaned = [f for f in cleaned if f.name not in derived]

        def validate() -> None:
            self.stage("validate", "02-validate.ipynb", {"processed": str(p), "reports": str(c.reports)},
                       cleaned, [p / "validation" / "summary.json"])

        def forward() -> None:
            self.stage("indicators", "03-indicators.ipynb",
                       {"processed": str(p), "min_tests": c.min_tests, "as_of": c.as_of, "targets": c.targets},
                       cleaned, [p / "indicators.parquet"])
            targets = [Path(c.targets)] if Path(c.targets).exists() else []
            self.stage("trajectories", "04-trajectories.ipynb",
                       {"processed": str(p), "targets": c.targets, "as_of": c.as_of},
                       [p / "indicators.parquet", *targets], [p / "status.parquet"])

        # Validation and the indicators need only the cleaned tables: they run side by side; a critical failure
        # still stops the run before any report.
        with ThreadPoolExecutor(2) as pool:
            futures = [pool.submit(validate), pool.submit(forward)]
            wait(futures, return_when=FIRST_EXCEPTION)
            for f in futures:
                f.result()

    # -- the report notebooks ----------------------------------------------------------------------------------
    def jobs(self, month: str) -> list[Job]:
        from analysis.report import area_name
        from analysis.targets import load
        c = self.cfg
        common = {"processed": str(c.processed), "as_of": month, "lang": c.lang, "targets": c.targets}
        status = pl.read_parquet(c.processed / "status.parquet")
        districts = sorted(status.filter(pl.col("area_level") == "district")["area_code"].unique().to_list())
        jobs = [Job("province", "10-province-report.ipynb", common, f"province-{c.lang}.html", t("report_title", c.lang))]
        jobs += [Job(f"district {d}", "11-district-report.ipynb", {**common, "district": d},
                     f"district-{d}-{c.lang}.html", f"{t('district_report_title', c.lang)} {area_name(d, c.lang)}")
                 for d in districts]
        jobs += [Job(f"target {tg.id}", "12-target-report.ipynb", {**common, "indicator": tg.id},
                     f"target-{tg.id}-{c.lang}.html", tg.name_vi if c.lang == "vi" else tg.name_en)
                 for tg in load(c.targets).targets]
        return jobs

    def report(self, job: Job) -> None:
        self.progress.start(job.label)
        t0 = time.perf_counter()
        stem = job.page.removesuffix(".html")
        nb = execute(job.notebook, self.staging / "notebooks" / f"{stem}.ipynb", job.parameters)
        to_html(nb, self.staging / job.page, job.title)
        self.timings[job.label] = round(time.perf_counter() - t0, 1)
        self.progress.end(job.label, self.timings[job.label])

    def reports(self, jobs: list[Job]) -> None:
        with ThreadPoolExecutor(self.cfg.workers) as pool:
            futures: list[Future] = [pool.submit(self.report, j) for j in jobs]
            done, pending = wait(futures, return_when=FIRST_EXCEPTION)
            failed = [f for f in done if f.exception()]
            if failed:
                for f in pending:
                    f.cancel()
                raise failed[0].exception()

    # -- the run -----------------------------------------------------------------------------------------------
    def run(self) -> str:
        started, t0 = datetime.now(timezone.utc), time.perf_counter()
        c = self.cfg
        shutil.rmtree(self.staging, ignore_errors=True)
        self.staging.mkdir(parents=True)
        self.progress = Progress(total=4)
        try:
            self.chain()
            month = pl.read_parquet(c.processed / "status.parquet")["as_of"][0].strftime("%Y-%m")
            run_dir = c.reports / month
            jobs = self.jobs(month)
            self.progress.total += len(jobs)
            if self.progress.bar:
                self.progress.bar.total = self.progress.total
            key = Stamps.key([c.processed / f for f in REPORT_INPUTS], {"jobs": [j.__dict__ for j in jobs]}, self.code)
            pages = [run_dir / j.page for j in jobs]
            if not self.force and self.stamps.fresh("reports", key, pages + [run_dir / "run.json"]):
                self.skipped.append("reports")
                for j in jobs:
                    self.progress.end(j.label, 0.0, skipped=True)
                shutil.rmtree(self.staging, ignore_errors=True)
                index = write_index(c.reports, c.lang)
                return (f"run: nothing changed since the last run; {run_dir} and {index} are current "
                        f"({time.perf_counter() - t0:.1f} s)")
            self.stamps.forget("reports")
            self.reports(jobs)
        finally:
            self.progress.close()
        self._finish(run_dir, month, jobs, started, t0)
        self.stamps.done("reports", key)
        index = write_index(c.reports, c.lang)
        return (f"run: {len(jobs)} reports in {run_dir} and {index} in {time.perf_counter() - t0:.0f} s"
                + (f" (unchanged, not rerun: {', '.join(self.skipped)})" if self.skipped else ""))

    def _finish(self, run_dir: Path, month: str, jobs: list[Job], started: datetime, t0: float) -> None:
        """run.json, the stage notebooks of stages skipped this time, then the folder swapped in whole."""
        notebooks = self.staging / "notebooks"
        for name in ("01-clean", "02-validate", "03-indicators", "04-trajectories"):
            previous = run_dir / "notebooks" / f"{name}.ipynb"
            if not (notebooks / f"{name}.ipynb").exists() and previous.exists():
                shutil.copy2(previous, notebooks / f"{name}.ipynb")
        packages = ("polars", "pandas", "papermill", "nbconvert", "great-expectations", "vl-convert-python",
                    "vietnamadminunits")
        io.write_json({
            "as_of": month, "parameters": self.cfg.model_dump(mode="json"), "code_version": self.code,
            "versions": {"python": platform.python_version(), **{p: version(p) for p in packages}},
            "started": started.isoformat(), "finished": datetime.now(timezone.utc).isoformat(),
            "seconds": round(time.perf_counter() - t0, 1), "timings_s": self.timings, "skipped": self.skipped,
            "pages": [{"file": j.page, "title": j.title, "notebook": f"notebooks/{j.page.removesuffix('.html')}.ipynb"}
                      for j in jobs],
        }, self.staging / "run.json")
        if run_dir.exists():
            old = self.cfg.reports / f"_old_{month}"
            shutil.rmtree(old, ignore_errors=True)
            run_dir.rename(old)
            self.staging.rename(run_dir)
            shutil.rmtree(old)
        else:
            self.staging.rename(run_dir)


def run(cfg: RunConfig, force: bool = False) -> str:
    if not cfg.raw.is_dir():
        raise AnalysisError("raw folder not found", file=str(cfg.raw))
    with lock.exclusive(cfg.processed):
        return Pipeline(cfg, force).run()
