"""The whole chain as one command: clean → (validate ∥ indicators → trajectories) → every report, in parallel.

A stage whose inputs, parameters and code are unchanged is not run again; one run at a time writes the outputs;
the run's parameters, versions and timings go to reports/<as-of>/run.json; a failed notebook stops the run,
is named with its cell and error, and is kept in reports/_running/ for inspection.
"""
from __future__ import annotations

import json
import platform
import shutil
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

from analysis import chart_cache, faults, io
from analysis.errors import AnalysisError
from analysis.run import lock, pages
from analysis.run.config import RunConfig
from analysis.run.index import write_index
from analysis.run.notebooks import NotebookFailed, execute, to_html
from analysis.run.pages import Job
from analysis.run.stages import Stage, stages
from analysis.run.stamps import Stamps, code_version


class Progress:
    """A bar naming what runs (on a terminal), or one line per start and end (in a log)."""

    def __init__(self, total: int | None = None) -> None:
        self.total, self.done, self.running = total, 0, []
        self.tty = sys.stderr.isatty()
        self._lock = threading.Lock()
        self.bar = None
        if self.tty:
            from tqdm import tqdm
            self.bar = tqdm(total=total, file=sys.stderr, unit="nb", leave=False, dynamic_ncols=True)

    def set_total(self, total: int) -> None:
        """Known once clean has written the geography (a page per district the set judges)."""
        with self._lock:
            self.total = total
            if self.bar:
                self.bar.total = total
                self.bar.refresh()

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
            print(f"[{self.done}/{self.total or '…'}] {event}", file=sys.stderr, flush=True)

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
        self.jobs: list[Job] = []
        self._resolved: dict = {}
        self._workers = None   # workers, each with a warm kernel (`run.kernels`), started once per run
        self._workers_lock = threading.Lock()
        self._prepared: dict = {}   # stage -> a kernel of its own (`Stage.warm_up`), started with the workers
        self._closing: list[threading.Thread] = []   # those kernels being shut down once their stage is done
        self._decided: set[str] = set()   # stages found unchanged or started: no kernel is warmed for them
        self._plan: tuple | None = None   # (month, run folder, pages kept, jobs), once the month is known
        self._early: dict[str, Future] = {}   # page -> its job, for pages started before validation's verdict
        self._month_made: Future | None = None   # the month's files (`_month_files`), made beside the last pages
        self._last_timings: dict | None = None   # the newest run's timings, for the pages' order (`_longest_first`)
        self._validating = threading.Event()   # set once validation is found stale and really runs
        self._indicators_current = threading.Event()   # set once the indicators stage is done or found unchanged

    # -- the stage notebooks -----------------------------------------------------------------------------------
    def stage(self, st: Stage, running: threading.Event | None = None) -> None:
        """Run the stage's notebook unless its inputs, parameters and code are unchanged; `running` is set when it
        is found stale and runs (for those waiting on it: `_validation_runs`)."""
        c = self.cfg
        parameters = st.parameters(c, self.month)
        key = Stamps.key(st.reads(c), _what(parameters), self.code)
        t0 = time.perf_counter()
        if not self.force and self.stamps.fresh(st.name, key, st.writes(c)):
            self.skipped.append(st.name)
            self._close_prepared(st.name)
            self.progress.end(st.name, time.perf_counter() - t0, skipped=True)
            return
        if running is not None:
            running.set()
        self.stamps.forget(st.name)
        started = time.time()
        # The workers' kernels start now, in the background, for the stages and pages after this one: a stage of
        # their own (clean) is time for them to start and import, and the others run in them (a kernel started
        # and ended for each stage cost 1.3-2 s of CPU, most of the indicators stage on a month's files).
        workers = self.workers()
        with self._workers_lock:
            self._decided.add(st.name)
            prepared = self._prepared.pop(st.name, None)
        job = lambda km: self._execute(st, parameters, km)   # noqa: E731
        try:
            if st.own_kernel:
                self._execute(st, parameters)
            elif prepared is not None:
                try:
                    prepared.submit(job).result()
                except NotebookFailed:
                    raise
                except Exception as exc:   # its kernel did not start (a cell's error is NotebookFailed): a worker's
                    print(f"note: {st.name}'s own kernel failed ({exc}); run in a worker's", file=sys.stderr)
                    workers.submit(job).result()
            else:
                workers.submit(job).result()
        except NotebookFailed:
            self._stopped(since=started)
            raise
        finally:
            if prepared is not None:   # its kernel ends with the stage
                self._close_later(st.name, prepared)
        self.stamps.done(st.name, key)
        self.progress.end(st.name, self.timings[st.name])

    def _close_prepared(self, name: str) -> None:
        """A stage found unchanged: a kernel warmed for it (while clean ran) is not needed, and stops now rather
        than importing on into the pages' CPU time."""
        with self._workers_lock:
            self._decided.add(name)
            prepared = self._prepared.pop(name, None)
        if prepared is not None:
            self._close_later(name, prepared)

    def _close_later(self, name: str, prepared) -> None:
        """A stage's own kernel shut down on a thread of its own: nobody waits for it."""
        closing = threading.Thread(target=prepared.close, name=f"close-{name}")
        closing.start()
        self._closing.append(closing)

    def _close_kernels(self) -> None:
        """Every kernel of the run shut down: the workers', a stage's own that its stage, found unchanged, never
        used, and those being shut down after their stage."""
        if self._workers is not None:
            self._workers.close()
        for prepared in self._prepared.values():
            prepared.close()
        self._prepared = {}
        for closing in self._closing:
            closing.join()

    def _execute(self, st: Stage, parameters: dict, km=None) -> None:
        """The stage's notebook, timed from its start (not from the wait for a free kernel)."""
        self.progress.start(st.name)
        t0 = time.perf_counter()
        execute(st.notebook, self.staging / "notebooks" / st.notebook, parameters, km=km)
        self.timings[st.name] = round(time.perf_counter() - t0, 1)

    def _stopped(self, since: float = 0.0) -> None:
        """Validation's verdict, read from its summary: a critical failure stops the run before any page."""
        from analysis.validate.stage import WRITES, publishable, stopped_from_summary
        summary = self.cfg.processed / WRITES[0]
        if summary.exists() and summary.stat().st_mtime >= since and publishable(self.cfg.processed) is False:
            raise stopped_from_summary(self.cfg.processed) from None

    def chain(self) -> None:
        every = stages()
        self.stage(every["clean"])
        if said := self._unread():   # before validation speaks: a month missing for an unreadable file says so
            print(said.strip(), file=sys.stderr, flush=True)
        self.jobs = self._jobs()
        self.progress.set_total(len(every) + len(self.jobs))

        def forward() -> None:
            self.stage(every["indicators"])
            self._indicators_current.set()
            self.stage(every["trajectories"])

        # Validation and the indicators need only the cleaned tables: they run side by side. The pages that do not
        # show validation's verdict start once the trajectories are done, validation or not; a critical failure
        # still stops the run before anything is published.
        with ThreadPoolExecutor(2) as pool:
            checked, judged = pool.submit(self.stage, every["validate"], self._validating), pool.submit(forward)
            wait([checked, judged], return_when=FIRST_COMPLETED)
            if judged.done() and judged.exception() is None and self._validation_runs(checked):
                self._start_early()
            wait([checked, judged], return_when=FIRST_EXCEPTION)
            for f in (checked, judged):
                f.result()
        self._stopped()

    def _validation_runs(self, checked: Future) -> bool:
        """Whether validation is really executing, rather than still hashing its inputs to find them unchanged:
        a skipped validation means unchanged data, and pages started then would redo a run that is current."""
        while not checked.done():
            if self._validating.wait(0.05):
                return True
        return False

    def plan(self) -> tuple[str, Path, list[dict], list[Job]]:
        """The month, its folder, the month's pages in other languages that stay, and this run's jobs."""
        if self._plan is None:
            month = self.month()
            run_dir = self.cfg.reports / month
            # The month's pages in languages this run does not publish stay, and this run's pages link to them.
            kept = kept_pages(run_dir, self.cfg.languages)
            self._plan = (month, run_dir, kept, self._jobs({(p["key"], p["lang"]): p["file"] for p in kept}))
        return self._plan

    def _start_early(self) -> None:
        """Validation is still running: the pages that do not show its verdict are made meanwhile (validation runs
        only when the cleaned data changed, and then every page is made again anyway)."""
        workers = self.workers()
        for j in self._longest_first(self.plan()[3]):
            if not j.validation:
                self._early[j.page] = workers.submit(lambda km, j=j: self.report(j, km))

    def _longest_first(self, jobs: list[Job]) -> list[Job]:
        """The pages in the order to hand them out: longest first, as the last run timed them, so that the workers
        finish together (in the config's order the explorers, the longest pages after the province's, came last
        and one worker made them alone). Pages no run has timed come after the timed ones, a page made once (the
        province's, the explorer: the whole province on one page) before the others, else in the config's order."""
        if self._last_timings is None:   # read once a run: the early pages and the rest are ordered alike
            runs = sorted(self.cfg.reports.glob("*/run.json"), key=lambda f: f.stat().st_mtime)
            try:
                self._last_timings = (json.loads(runs[-1].read_text(encoding="utf-8")).get("timings_s", {})
                                      if runs else {})
            except (OSError, ValueError):   # a damaged record orders nothing
                self._last_timings = {}
        last = self._last_timings
        return sorted(jobs, key=lambda j: (-float(last.get(j.label) or 0.0), j.key != j.kind))

    # -- the report notebooks ----------------------------------------------------------------------------------
    def month(self) -> str:
        """`as_of` resolved once, for the trajectories and every page: `latest` is the newest month of the monthly
        data. Only once this run's indicators are current: resolved from the last run's, a month's new files would
        be judged as of the month before (every monthly run a month late, as it was until 1 December)."""
        if "month" not in self._resolved:
            if not self._indicators_current.is_set():
                raise RuntimeError("the month judged was asked for before the indicators were current")
            from analysis.trajectory.engine import judged_month
            self._resolved["month"] = judged_month(self.cfg.processed, self.cfg.as_of).strftime("%Y-%m")
        return self._resolved["month"]

    def _jobs(self, elsewhere: dict[tuple[str, str], str] | None = None) -> list[Job]:
        from analysis import geography
        from analysis.targets import load
        c = self.cfg
        common = {"processed": str(c.processed), "targets": c.targets}
        if c.boundaries:
            common["boundaries"] = {lv: {"path": str(b.path), "code": b.code} for lv, b in c.boundaries.items()}
        return pages.jobs(common, c.languages, geography.load(c.processed), load(c.targets), elsewhere)

    def workers(self):
        """The workers, started on first use (the first stage found stale): one warm kernel each, started in the
        background; the stages after clean and every page run in them."""
        with self._workers_lock:   # validation and the indicators may ask at once
            if self._workers is None:
                from analysis.run.kernels import Workers
                from analysis.run.notebooks import new_kernel, warm_exporter
                self._workers = Workers(self.cfg.workers, new_kernel, warm=warm_exporter)
                # A stage that imports much (validation) gets a kernel of its own, warmed now, while clean runs;
                # not one already found unchanged (workers first asked for by the pages: the data was current).
                self._prepared = {st.name: Workers(1, new_kernel, warm_up=st.warm_up)
                                  for st in stages().values() if st.warm_up and st.name not in self._decided}
        return self._workers

    def report(self, job: Job, km=None) -> None:
        from analysis.text import t
        self.progress.start(job.label)
        t0 = time.perf_counter()
        stem = job.page.removesuffix(".html")
        nb = execute(job.notebook, self.staging / "notebooks" / f"{stem}.ipynb", self._parameters(job), km=km,
                     each_cell=False)
        to_html(nb, self.staging / job.page, job.title, job.lang,
                [{"lang": lang, "label": t("language_name", lang), "href": file} for lang, file in job.alternates])
        self.timings[job.label] = round(time.perf_counter() - t0, 1)
        self.progress.end(job.label, self.timings[job.label])

    def _parameters(self, job: Job) -> dict:
        return {**job.parameters, "as_of": self.month()}

    def reports(self, jobs: list[Job]) -> None:
        workers = self.workers()
        futures: list[Future] = [self._early.get(j.page) or workers.submit(lambda km, j=j: self.report(j, km))
                                 for j in self._longest_first(jobs)]
        # The month's data checks, bulk workbooks and operators' feedback need the tables only: made by the first
        # worker free once every page is handed out, beside the last pages rather than after them (1.1 s).
        month, run_dir = self.plan()[:2]
        self._month_made = workers.submit(lambda km: self._month_files(month, run_dir))
        futures.append(self._month_made)
        wait(futures[:1])
        faults.point("run.reports")   # a page is in the staging folder, the previous run's folder untouched
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
        self.progress = Progress()
        try:
            self.chain()
            month, run_dir, kept, jobs = self.plan()
            self.jobs = jobs
            shapes = [b.path for b in (c.boundaries or {}).values()]
            key = Stamps.key([c.processed / f for f in pages.reads()] + shapes,
                             {"month": month, "jobs": [{**j.__dict__, "parameters": _what(j.parameters)}
                                                       for j in jobs]}, self.code)
            written = [run_dir / j.page for j in jobs]
            if not self.force and not self._early and self.stamps.fresh("reports", key,
                                                                     written + [run_dir / "run.json"]):
                self.skipped.append("reports")
                for j in jobs:
                    self.progress.end(j.label, 0.0, skipped=True)
                shutil.rmtree(self.staging, ignore_errors=True)
                index = write_index(c.reports, c.languages[0])
                return (f"run: nothing changed since the last run; {run_dir} and {index} are current "
                        f"({time.perf_counter() - t0:.1f} s)" + self._unread())
            self.stamps.forget("reports")
            self.reports(jobs)
        finally:
            for f in self._early.values():   # a stop before the pages: those not started are not made
                f.cancel()
            self.progress.close()
            self._close_kernels()
        self._finish(run_dir, month, jobs, kept, started, t0)
        self.stamps.done("reports", key)
        chart_cache.prune()   # the charts no run has drawn for two months
        index = write_index(c.reports, c.languages[0])
        return (f"run: {len(jobs)} reports in {run_dir} and {index} in {time.perf_counter() - t0:.0f} s"
                + (f" (unchanged, not rerun: {', '.join(self.skipped)})" if self.skipped else "") + self._unread())

    def _unread(self) -> str:
        """A last line naming the raw files cleaning could not read, so that nobody learns it from a gap."""
        from analysis.clean.summary import not_read
        manifest = self.cfg.processed / "manifest.json"
        said = not_read(json.loads(manifest.read_text(encoding="utf-8"))) if manifest.exists() else ""
        return f"\nnote: {said}" if said else ""

    def _month_files(self, month: str, run_dir: Path) -> dict[str, dict[str, str]]:
        """The month's data checks (a page) and its bulk workbook, one per language of the run (kind -> language
        -> file); another language's files of the month's last run stay."""
        from analysis import downloads
        from analysis.periods import parse_month
        from analysis.text import t
        from analysis.validate import page
        out: dict[str, dict[str, str]] = {"validation": {}, "workbook": {}}
        checks = {lang: page.FILE.format(lang=lang) for lang in self.cfg.languages}
        for lang in self.cfg.languages:
            others = [{"lang": o, "label": t("language_name", o), "href": f} for o, f in checks.items() if o != lang]
            if page.write(self.cfg.processed, self.staging / checks[lang], lang, parse_month(month), others):
                out["validation"][lang] = checks[lang]
            data = downloads.month_workbook(self.cfg.processed, lang)
            if data is not None:
                io.write_bytes(data, self.staging / downloads.MONTH_FILE.format(lang=lang))
                out["workbook"][lang] = downloads.MONTH_FILE.format(lang=lang)
        record = run_dir / "run.json"
        before = json.loads(record.read_text(encoding="utf-8")) if record.exists() else {}
        for kind, files in out.items():
            for lang, file in (before.get(kind) or {}).items():
                if lang not in files and (run_dir / file).exists():
                    shutil.copy2(run_dir / file, self.staging / file)
                    files[lang] = file
        # The data team's feedback to each operator (sender -> workbook), in the run's first language.
        from analysis import corrections
        written = corrections.write(self.cfg.processed, self.staging / corrections.FOLDER, parse_month(month),
                                    self.cfg.languages[0])
        out["operators"] = {sender: f"{corrections.FOLDER}/{name}" for sender, name in written.items()}
        return out

    def _finish(self, run_dir: Path, month: str, jobs: list[Job], kept: list[dict], started: datetime,
                t0: float) -> None:
        """run.json, the stage notebooks of stages skipped this time and the pages of other languages, then the
        folder swapped in whole."""
        notebooks = self.staging / "notebooks"
        for p in kept:
            for name in (p["file"], p.get("notebook")):
                if name and (run_dir / name).exists():
                    shutil.copy2(run_dir / name, self.staging / name)
        for st in stages().values():
            previous = run_dir / "notebooks" / st.notebook
            if not (notebooks / st.notebook).exists() and previous.exists():
                shutil.copy2(previous, notebooks / st.notebook)
        files = self._month_made.result() if self._month_made is not None else self._month_files(month, run_dir)
        packages = ("polars", "pandas", "papermill", "nbconvert", "great-expectations", "vl-convert-python",
                    "vietnamadminunits")
        io.write_json({
            "as_of": month, "parameters": self.cfg.model_dump(mode="json"), "code_version": self.code,
            "versions": {"python": platform.python_version(), **{p: version(p) for p in packages}},
            "started": started.isoformat(), "finished": datetime.now(timezone.utc).isoformat(),
            "seconds": round(time.perf_counter() - t0, 1), "timings_s": self.timings, "skipped": self.skipped,
            **files,
            "pages": [{"kind": j.kind, "key": j.key, "lang": j.lang, "file": j.page, "title": j.title,
                       "notebook": f"notebooks/{j.page.removesuffix('.html')}.ipynb"} for j in jobs] + kept,
        }, self.staging / "run.json")
        if run_dir.exists():
            old = self.cfg.reports / f"_old_{month}"
            shutil.rmtree(old, ignore_errors=True)
            run_dir.rename(old)
            self.staging.rename(run_dir)
            shutil.rmtree(old)
        else:
            self.staging.rename(run_dir)


def kept_pages(run_dir: Path, languages: list[str]) -> list[dict]:
    """The pages of the month's last run in languages other than these (run.json's entries): a run in English
    leaves the Vietnamese pages in place. Entries from before run.json named a page's language and key are
    never carried (they cannot be told apart)."""
    import json
    record = run_dir / "run.json"
    if not record.exists():
        return []
    entries = json.loads(record.read_text(encoding="utf-8")).get("pages", [])
    return [p for p in entries if p.get("lang") and p.get("key") and p["lang"] not in languages
            and (run_dir / p["file"]).exists()]


LOCATIONS = ("raw", "processed", "reports")


def _what(parameters: dict) -> dict:
    """The parameters that change a result: where the folders are does not (their contents are hashed), so a
    processed folder copied or moved elsewhere is still current."""
    return {k: v for k, v in parameters.items() if k not in LOCATIONS}


def run(cfg: RunConfig, force: bool = False) -> str:
    if not cfg.raw.is_dir():
        raise AnalysisError("raw folder not found", file=str(cfg.raw))
    with lock.exclusive(cfg.processed):
        return Pipeline(cfg, force).run()
