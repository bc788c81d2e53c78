"""The month a run judges (`as_of: latest`) is the newest month of the indicators this run computes, not of the
last run's: the monthly run after a month's files arrive judges that month (until 1 December it judged the month
before, because the month was read while the stages' keys were computed, before the indicators ran again)."""
from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from analysis.run import pipeline
from analysis.run.config import RunConfig
from tests.unit.conftest import InlineWorkers


def _indicators(processed, last: date) -> None:
    """An indicators table whose monthly figures end at `last` (with a yearly figure after it, which `latest` must
    not take)."""
    months = [date(2024, m, 1) for m in range(1, last.month + 1)]
    pl.DataFrame({"period": [*months, date(2025, 1, 1)],
                  "frequency": ["monthly"] * len(months) + ["yearly"]}).write_parquet(processed / "indicators.parquet")


def _pipeline(tmp_path, monkeypatch, as_of: str = "latest"):
    """Every stage stale; the indicators stage writes a table one month longer than the last run's (October's)."""
    processed = tmp_path / "processed"
    processed.mkdir()
    _indicators(processed, date(2024, 10, 1))   # what last month's run left
    given: dict[str, dict] = {}

    def execute(notebook, out, parameters, km=None):
        given[notebook] = parameters
        if notebook.startswith("03-"):
            _indicators(processed, date(2024, 11, 1))   # November's files have arrived

    monkeypatch.setattr(pipeline, "execute", execute)
    monkeypatch.setattr(pipeline.Stamps, "key", staticmethod(lambda *a: "key"))
    cfg = RunConfig(raw=tmp_path / "raw", processed=processed, reports=tmp_path / "reports", provinces="all",
                    as_of=as_of)
    p = pipeline.Pipeline(cfg, force=False)
    p.stamps.fresh = lambda name, key, writes: False
    p.stamps.done = lambda name, key: None
    p._jobs = lambda *a: []
    p._unread = lambda: ""
    p._stopped = lambda since=0.0: None
    p._start_early = lambda: None
    p.workers = lambda: InlineWorkers()   # no kernel: the stages run at once, and no page is made here
    p.progress = pipeline.Progress()
    return p, given


def test_the_run_after_a_month_s_files_arrive_judges_that_month(tmp_path, monkeypatch):
    p, given = _pipeline(tmp_path, monkeypatch)
    p.chain()
    assert set(given) == {"01-clean.ipynb", "02-validate.ipynb", "03-indicators.ipynb", "04-trajectories.ipynb"}
    assert given["04-trajectories.ipynb"]["as_of"] == "2024-11"
    assert p.month() == "2024-11"   # and the pages with it


def test_a_month_asked_for_is_judged_as_asked(tmp_path, monkeypatch):
    p, given = _pipeline(tmp_path, monkeypatch, as_of="2024-09")
    p.chain()
    assert given["04-trajectories.ipynb"]["as_of"] == "2024-09" and p.month() == "2024-09"


def test_the_month_is_never_read_before_the_indicators_are_current(tmp_path, monkeypatch):
    p, _ = _pipeline(tmp_path, monkeypatch)
    with pytest.raises(RuntimeError, match="before the indicators were current"):
        p.month()
