"""Warm kernels for the stage and report notebooks: each worker keeps one kernel, with the analysis code imported,
for the whole run (started while clean runs in a kernel of its own; validation, the indicators, the trajectories
and every page run in them). Papermill stays the executor (a papermill engine, `warm`, takes the worker's kernel
manager instead of starting a kernel), so every notebook still leaves its executed copy for analysts.

Measured before (issue 21): of a page's 5.2 s, kernel start 0.7 s, imports 1.5 s, first chart 0.7 s and shutdown
0.6 s were paid again for every notebook. Here a kernel starts once per worker, while the stages still run, and
between notebooks only its namespace is reset (`%reset -f`, the execution counter back to 1, the working folder
back to notebooks/), so a notebook sees what a fresh kernel would show it: no name of the notebook before.
"""
from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from typing import Callable

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.iorw import write_ipynb
from papermill.utils import merge_kwargs, remove_args

from analysis import paths

log = logging.getLogger(__name__)
ENGINE = "warm"
# What every report notebook imports, and a first chart (vl-convert's engine starts on its first conversion):
# paid once per kernel while the stages run, not once per page.
WARM_UP = """
import polars, IPython.display
from analysis import charts, explorer, maps, report, report_blocks, downloads, templating
from analysis.trajectory import engine
# What a page reads or compiles once per process: block templates, each language's words (YAML, 40-90 ms) and
# number formats (Babel's locale data), the indicators' metadata.
templating.warm()
from analysis import metadata as _metadata, text as _text
for _lang in _text.LOCALES:
    _text.catalogue(_lang), _text.number(1.5, _lang)
_metadata.catalogue()
del _metadata, _text, _lang
from analysis.text import month, t
from analysis.validate.stage import load_summary
import vl_convert
vl_convert.vegalite_to_svg({"mark": "point", "data": {"values": [{"a": 1}]},
                            "encoding": {"x": {"field": "a", "type": "quantitative"}}}, vl_version=charts.VL_VERSION)
"""
# Between notebooks: nothing of the last one stays in the namespace, cells count from 1 again in a new history
# session (IPython's own reset, as a new kernel starts; setting the counter alone clashes with the history's
# line numbers), the working folder is the notebooks' (where papermill starts a kernel). The last notebook's
# cycles are collected, then what survives (modules, their caches) is frozen out of the collector's sight: in a
# kernel that has validated, Great Expectations' 200,000 objects made every collection, this one and those a
# page triggers, 0.2 s.
RESET = f"""
get_ipython().reset(new_session=True)
import gc as _gc, os as _os
_os.chdir({str(paths.NOTEBOOKS)!r})
_gc.collect()
_gc.freeze()
del _gc, _os
"""


# Before any warm-up: `analysis` marks rfc3987-syntax absent (see analysis/__init__.py), which only holds if it is
# imported before jsonschema is; validation's warm-up began with `import great_expectations`, and its kernel paid
# the grammar's compilation (1.5-1.8 s of CPU, measured side by side, 4 December).
PRELUDE = "import analysis\n"
# After it: what the warm-up loaded is kept for the kernel's life, so it is frozen out of the collector's sight
# before the reset's two collections, which otherwise walk it twice (Great Expectations' 250,000 objects: 0.13 s
# each).
FREEZE = "\nimport gc as _gc\n_gc.freeze()\ndel _gc\n"


class WarmEngine(NBClientEngine):
    """Papermill's nbclient engine on a kernel it is given (`km`), left running for the next notebook; only the
    client's channels opened for this notebook are closed."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                 start_timeout=60, execution_timeout=None, **kwargs):
        kept = kwargs.pop("kept", None)   # where the notebook goes if its kernel dies under it
        kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
        final = merge_kwargs(kwargs, timeout=execution_timeout, startup_timeout=start_timeout,
                             kernel_name=kernel_name, log=log, log_output=log_output, stdout_file=stdout_file,
                             stderr_file=stderr_file)
        client = PapermillNotebookClient(nb_man, **final)
        # The kernel's client is kept from notebook to notebook: a new one waits for its IOPub channel to join
        # (0.2 s a notebook). Messages left from an earlier notebook are not this one's: nbclient takes only
        # those whose parent is the cell it sent.
        km = final.get("km")
        client.kc = getattr(km, CLIENT, None)
        try:
            return client.execute(cleanup_kc=False)
        except BaseException:
            # A cell's error is not raised here (papermill writes the notebook with it, then raises); a kernel
            # that died or a cell past its timeout is, and the notebook as far as it went is kept to be read.
            if kept:
                write_ipynb(nb_man.nb, kept)
            raise
        finally:
            if km is not None and client.kc is not None:
                setattr(km, CLIENT, client.kc)   # closed by the worker with its kernel (`Workers._retire`)


papermill_engines.register(ENGINE, WarmEngine)


CLIENT = "_analysis_page_client"   # the attribute of a kernel manager holding the notebooks' client


def _run(kc, code: str, timeout: float = 120) -> None:
    """Run `code` in the kernel through its worker's own client, outside the notebook's history; raise when it
    fails."""
    reply = kc.execute_interactive(code, store_history=False, timeout=timeout, output_hook=lambda msg: None)
    if reply["content"]["status"] != "ok":
        c = reply["content"]
        raise RuntimeError(f"{c.get('ename')}: {c.get('evalue')}")


class Workers:
    """`n` threads, each owning one warm kernel (started as soon as the workers are, in the background), taking
    jobs one at a time: `submit(fn)` runs `fn(km)` on a free worker and returns its Future. A kernel that died
    (a notebook that exhausted memory) is replaced before the next job."""

    def __init__(self, n: int, new_kernel: Callable[[], object], warm: Callable[[], None] | None = None,
                 warm_up: str = WARM_UP) -> None:
        self._jobs: queue.Queue = queue.Queue()
        self._new_kernel = new_kernel
        self._warm = warm   # run on each worker's thread once its kernel is warm (the page exporter, per thread)
        self._warm_up = warm_up   # run in each kernel as it starts (then its namespace is reset)
        self._threads = [threading.Thread(target=self._work, name=f"kernel-{i}", daemon=True) for i in range(n)]
        for t in self._threads:
            t.start()

    def submit(self, fn: Callable[[object], object]) -> Future:
        future: Future = Future()
        self._jobs.put((future, fn))
        return future

    def close(self) -> None:
        """Finish the jobs given, then stop each worker and its kernel."""
        for _ in self._threads:
            self._jobs.put(None)
        for t in self._threads:
            t.join()

    def _start(self):
        """A kernel and the worker's client for it (warm-up and resets), its channels open until it retires."""
        from jupyter_core.utils import run_sync
        km = self._new_kernel()
        # History in memory, as nbclient starts its kernels: kernels side by side never share a history file.
        run_sync(km.start_kernel)(cwd=str(paths.NOTEBOOKS), extra_arguments=["--HistoryManager.hist_file=:memory:"])
        kc = km.blocking_client()
        try:
            kc.start_channels()
            kc.wait_for_ready(timeout=120)
        except BaseException:
            self._retire(km, kc)
            raise
        try:
            _run(kc, PRELUDE + self._warm_up + FREEZE)
            _run(kc, RESET)   # the first notebook too finds no name but its own (the warm-up's modules stay loaded)
        except Exception as exc:   # a warm-up that fails costs nothing but time: the notebook imports again
            log.warning("kernel warm-up failed: %s", exc)
        return km, kc

    @staticmethod
    def _retire(km, kc) -> None:
        """Close the kernel's clients (the worker's and the notebooks') and shut the kernel down."""
        from jupyter_core.utils import run_sync
        for client in (kc, getattr(km, CLIENT, None)):
            if client is not None:
                try:
                    client.stop_channels()
                except Exception as exc:
                    log.warning("kernel client: %s", exc)
        run_sync(km.shutdown_kernel)(now=True)

    def _work(self) -> None:
        from jupyter_core.utils import run_sync
        km, kc, used = None, None, False
        try:
            km, kc = self._start()
            if self._warm is not None:
                try:
                    self._warm()
                except Exception as exc:   # as a failed warm-up: the first page pays what it would have saved
                    log.warning("worker warm-up failed: %s", exc)
            while (item := self._jobs.get()) is not None:
                future, fn = item
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    if not run_sync(km.is_alive)():
                        self._retire(km, kc)
                        km, kc, used = None, None, False
                        km, kc = self._start()
                    if used:
                        _run(kc, RESET)
                    used = True
                    future.set_result(fn(km))
                except BaseException as exc:   # the caller sees it through the future
                    future.set_exception(exc)
        except BaseException as exc:  # the kernel did not start: every job this worker would take fails with why
            while (item := self._jobs.get()) is not None:
                if item[0].set_running_or_notify_cancel():
                    item[0].set_exception(exc)
        finally:
            if km is not None:
                try:
                    self._retire(km, kc)
                except Exception as exc:
                    log.warning("kernel shutdown: %s", exc)
