"""Pages that do not show validation's verdict start while validation runs, and only then: a validation that is
merely checking its inputs (and will find them unchanged) must not start pages, or a run with nothing changed
redoes every page (the race CI met on 30 November: trajectories skipped before validation finished hashing)."""
from __future__ import annotations

import time
from concurrent.futures import Future

import pytest

from analysis.run import pipeline
from analysis.run.config import RunConfig
from tests.unit.conftest import WARM, InlineWorkers


def _pipeline(tmp_path, monkeypatch, validation_stale: bool, slow: str, stale: tuple[str, ...] = ()):
    """A pipeline whose stages do nothing but take time: validation's notebook takes 0.4 s, and so does its
    freshness check when `slow` is "check"."""
    executed: list[str] = []
    kernels: dict[str, str] = {}

    def execute(notebook, out, parameters, km=None):
        executed.append(notebook)
        kernels[notebook] = "warm" if km is WARM else "own" if km is None else km
        if notebook.startswith("02-"):
            time.sleep(0.4)

    monkeypatch.setattr(pipeline, "execute", execute)
    monkeypatch.setattr(pipeline.Stamps, "key", staticmethod(lambda *a: "key"))
    cfg = RunConfig(raw=tmp_path / "raw", processed=tmp_path / "processed", reports=tmp_path / "reports",
                    provinces="all")
    p = pipeline.Pipeline(cfg, force=False)

    def fresh(name, key, writes):
        if name == "validate":
            if slow == "check":
                time.sleep(0.4)
            return not validation_stale
        return name not in stale

    p.stamps.fresh = fresh
    started_workers: list[int] = []

    def workers():
        started_workers.append(len(executed))   # how many notebooks had run when the workers were asked for
        return InlineWorkers()

    p.workers = workers
    p.kernels, p.started_workers = kernels, started_workers
    p._resolved = {"month": "2024-11"}
    p._jobs = lambda *a: []
    p._unread = lambda: ""
    p._stopped = lambda since=0.0: None
    started: list[bool] = []
    p._start_early = lambda: started.append(True)
    p.progress = pipeline.Progress()
    return p, executed, started


def test_a_validation_slow_to_find_its_inputs_unchanged_starts_no_page(tmp_path, monkeypatch):
    p, executed, started = _pipeline(tmp_path, monkeypatch, validation_stale=False, slow="check")
    p.chain()
    assert executed == [] and started == []
    assert set(p.skipped) == {"clean", "validate", "indicators", "trajectories"}


@pytest.mark.parametrize("slow", ["check", "nothing else"])
def test_pages_start_while_a_stale_validation_runs(tmp_path, monkeypatch, slow):
    p, executed, started = _pipeline(tmp_path, monkeypatch, validation_stale=True, slow=slow)
    p.chain()
    assert executed == ["02-validate.ipynb"] and started == [True]


def test_clean_runs_in_a_kernel_of_its_own_and_the_workers_start_with_it(tmp_path, monkeypatch):
    """Issue 21: the workers' kernels start as the first stale stage does, so they import while clean runs; clean
    has a kernel of its own (its memory goes with it), every later stage runs in a worker's warm kernel."""
    p, executed, started = _pipeline(tmp_path, monkeypatch, validation_stale=True, slow="nothing else",
                                     stale=("clean", "indicators", "trajectories"))
    p.chain()
    assert executed[0] == "01-clean.ipynb" and sorted(executed[1:]) == ["02-validate.ipynb", "03-indicators.ipynb",
                                                                       "04-trajectories.ipynb"]
    assert p.kernels == {"01-clean.ipynb": "own", "02-validate.ipynb": "warm", "03-indicators.ipynb": "warm",
                         "04-trajectories.ipynb": "warm"}
    assert p.started_workers[0] == 0   # asked for before clean's notebook ran


def test_nothing_stale_starts_no_kernel(tmp_path, monkeypatch):
    p, executed, started = _pipeline(tmp_path, monkeypatch, validation_stale=False, slow="nothing else")
    p.chain()
    assert executed == [] and p.started_workers == []


class _Prepared(InlineWorkers):
    """A stage's own warmed kernel (`Stage.warm_up`), without a kernel: records that it was used and shut down."""

    def __init__(self) -> None:
        self.closed = False

    def submit(self, fn):
        return super().submit(lambda _km: fn("prepared"))

    def close(self) -> None:
        self.closed = True


def test_validation_runs_in_its_own_warmed_kernel_which_ends_with_it(tmp_path, monkeypatch):
    """Issue 21: validation's kernel imports Great Expectations while clean runs; validation runs there, not in a
    worker (which the indicators and the pages have to themselves), and the kernel is shut down after it."""
    p, executed, started = _pipeline(tmp_path, monkeypatch, validation_stale=True, slow="nothing else",
                                     stale=("clean", "indicators", "trajectories"))
    p._prepared = {"validate": (own := _Prepared())}
    p.chain()
    for closing in p._closing:
        closing.join()
    assert p.kernels["02-validate.ipynb"] == "prepared" and own.closed
    assert p.kernels["03-indicators.ipynb"] == "warm" and p.kernels["01-clean.ipynb"] == "own"
    assert p._prepared == {}


class _Broken(_Prepared):
    """A stage's own kernel that did not start: every job it takes fails with why."""

    def submit(self, fn):
        future = Future()
        future.set_exception(RuntimeError("kernel died before replying"))
        return future


def test_validation_whose_own_kernel_did_not_start_runs_in_a_worker(tmp_path, monkeypatch, capsys):
    p, executed, started = _pipeline(tmp_path, monkeypatch, validation_stale=True, slow="nothing else")
    p._prepared = {"validate": (own := _Broken())}
    p.chain()
    p._close_kernels()
    assert p.kernels["02-validate.ipynb"] == "warm" and own.closed
    assert "validate's own kernel failed (kernel died before replying)" in capsys.readouterr().err


def test_a_stage_s_own_kernel_it_never_used_is_shut_down_when_it_is_found_unchanged(tmp_path, monkeypatch):
    """Validation found unchanged after clean ran: its warmed kernel is shut down then (it would import on, into
    the pages' CPU time), not at the end of the run; the run's end waits for it."""
    p, executed, started = _pipeline(tmp_path, monkeypatch, validation_stale=False, slow="nothing else",
                                     stale=("clean",))
    p._prepared = {"validate": (own := _Prepared())}
    p.chain()
    assert "02-validate.ipynb" not in p.kernels and p._prepared == {}
    p._close_kernels()
    assert own.closed


class _Recorded:
    """`kernels.Workers` without kernels: records what each pool was asked to warm up."""
    made: list = []

    def __init__(self, n, new_kernel, warm=None, warm_up=None) -> None:
        _Recorded.made.append(warm_up)

    def close(self) -> None:
        pass


@pytest.mark.parametrize("validation_stale", [False, True])
def test_workers_first_asked_for_by_the_pages_warm_no_kernel_for_a_stage_found_unchanged(
        tmp_path, monkeypatch, validation_stale):
    """Data current, pages to make (a new language, a template changed): the pages ask for the workers first, and
    no kernel imports Great Expectations for a validation that will not run (5-6 s of CPU taken from the pages).
    A validation still to run gets its kernel as before."""
    from analysis.run import kernels, notebooks
    from analysis.run.stages import stages
    p, executed, started = _pipeline(tmp_path, monkeypatch, validation_stale=validation_stale,
                                     slow="nothing else")
    p.workers = lambda: pipeline.Pipeline.workers(p)   # the real one, on pools without kernels
    monkeypatch.setattr(kernels, "Workers", _Recorded)
    monkeypatch.setattr(notebooks, "new_kernel", lambda: None)
    _Recorded.made = []
    if not validation_stale:
        p.chain()   # every stage found unchanged: no kernel asked for
        assert _Recorded.made == []
    else:
        p._decided |= {"clean", "indicators", "trajectories"}
    p.workers()
    warmed = [w for w in _Recorded.made if w is not None and w != kernels.WARM_UP]
    assert warmed == ([stages()["validate"].warm_up] if validation_stale else [])
