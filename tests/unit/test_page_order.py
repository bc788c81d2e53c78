"""The pages are handed to the workers longest first, as the last run timed them, and the month's files are made
by a worker beside the last pages."""
from __future__ import annotations

import json
import os

from analysis.run import pages
from analysis.run.config import RunConfig
from analysis.run.pipeline import Pipeline


def _job(label: str, once: bool = False) -> pages.Job:
    """A page made over the targets (its key names it), or once (its key is its kind, as the province's)."""
    kind = label if once else "target"
    return pages.Job(kind, label, "12-target-report.ipynb", {}, f"{label}.html", label, "vi",
                     kind if once else f"target:{label}")


def _pipeline(tmp_path) -> Pipeline:
    cfg = RunConfig(raw=tmp_path / "raw", processed=tmp_path / "processed", reports=tmp_path / "reports",
                    provinces="all")
    return Pipeline(cfg, force=False)


def _record(folder, timings: dict, mtime: float) -> None:
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"timings_s": timings}), encoding="utf-8")
    os.utime(folder / "run.json", (mtime, mtime))


def test_with_no_run_before_the_pages_made_once_come_first_else_the_config_s_order_stands(tmp_path):
    jobs = [_job("a"), _job("b"), _job("explorer", once=True), _job("c")]
    assert [j.label for j in _pipeline(tmp_path)._longest_first(jobs)] == ["explorer", "a", "b", "c"]


def test_longest_first_as_the_newest_run_timed_them_the_untimed_after(tmp_path):
    p = _pipeline(tmp_path)
    # an older month's run timed them the other way round: the newest record is the one read
    _record(p.cfg.reports / "2026-08", {"a": 9.0, "b": 0.1, "c": 0.2, "clean": 20.0}, 1_000_000)
    _record(p.cfg.reports / "2026-09", {"a": 0.4, "b": 1.9, "c": 0.7, "clean": 20.0}, 2_000_000)
    jobs = [_job(x) for x in ("a", "new", "b", "c")]
    assert [j.label for j in p._longest_first(jobs)] == ["b", "c", "a", "new"]


def test_a_damaged_record_orders_nothing(tmp_path):
    p = _pipeline(tmp_path)
    (p.cfg.reports / "2026-09").mkdir(parents=True)
    (p.cfg.reports / "2026-09" / "run.json").write_text("{not json", encoding="utf-8")
    jobs = [_job(x) for x in ("a", "b")]
    assert p._longest_first(jobs) == jobs


def test_the_newest_record_is_read_once_a_run(tmp_path, monkeypatch):
    """The early pages and the rest are ordered from one reading of the record (it was read for each)."""
    import pathlib
    p = _pipeline(tmp_path)
    _record(p.cfg.reports / "2026-09", {"a": 0.4, "b": 1.9}, 2_000_000)
    reads = []
    read_text = pathlib.Path.read_text
    monkeypatch.setattr(pathlib.Path, "read_text", lambda self, *a, **k: reads.append(self.name) or
                        read_text(self, *a, **k))
    jobs = [_job("a"), _job("b")]
    assert [j.label for j in p._longest_first(jobs)] == ["b", "a"]
    assert [j.label for j in p._longest_first(jobs[:1])] == ["a"]
    assert reads == ["run.json"]
