"""A small run (at most `stage.SMALL_RUN_ROWS` rows read) parses its streamed kinds (speed tests, subscribers) in
small batches while files are still read and finishes them on a thread of their own beside the other kinds (issue
21): what that gives must be what a large run's way gives (batches of a million, one kind after another): every
table and the manifest (the order of its replacements too) to the byte, and the cache's entries (its parsed rows
frame by frame: they are in as many files as batches were parsed)."""
from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from analysis.clean import stage
from analysis.clean.accounts import QUARANTINE_SCHEMA, Account

TODAY = date(2026, 11, 25)
TIMES = ("started", "finished", "seconds")


@pytest.fixture()
def threads(monkeypatch) -> dict:
    """The thread each kind was finished on in the newest clean, and under "batches" how many batches of a streamed
    kind were parsed while files were still read (on the parser thread)."""
    seen: dict = {}
    clean_kind, parse_batch = stage.Cleaner.clean_kind, stage.Cleaner._parse_batch

    def recorded(self, kind):
        seen[kind] = threading.current_thread().name
        return clean_kind(self, kind)

    def counted(self, kind, which):   # (the tables left after the last file are parsed by the kind's own thread)
        if threading.current_thread().name.startswith("clean-parser"):
            seen["batches"] = seen.get("batches", 0) + 1
        return parse_batch(self, kind, which)

    monkeypatch.setattr(stage.Cleaner, "clean_kind", recorded)
    monkeypatch.setattr(stage.Cleaner, "_parse_batch", counted)
    return seen


def _clean(raw: Path, out: Path, monkeypatch, threads: dict, rows: int) -> tuple[dict, dict]:
    """The manifest of a clean with `SMALL_RUN_ROWS` set to `rows`, the thread each kind was finished on and the
    batches parsed while reading. A small run's batches hold 2,000 rows, so that the short sample fills several."""
    threads.clear()
    monkeypatch.setattr(stage, "SMALL_RUN_ROWS", rows)
    monkeypatch.setattr(stage, "SMALL_BATCH_ROWS", 2_000)
    manifest = stage.run(raw, out, today=TODAY)
    return manifest, {"batches": 0} | threads


def _files(folder: Path) -> tuple[dict[str, bytes], dict[str, pl.DataFrame]]:
    """Every table's bytes and the cache's segment: its index and its quarantined rows as bytes, and each kind's
    parsed rows as one frame (they are in as many files as batches were parsed: the rows of all of them in order)."""
    files = {p.name: p.read_bytes() for p in folder.glob("*.parquet")}
    segments = list((folder / ".cache" / "clean").iterdir())
    assert len(segments) == 1
    files["cache/index"] = (segments[0] / "entries.json").read_bytes()
    by_kind: dict[str, list[Path]] = {}
    for p in sorted(segments[0].glob("*.parquet")):
        if p.stem == "quarantine":
            files["cache/quarantine"] = p.read_bytes()
        else:
            by_kind.setdefault(p.stem.rpartition("-")[0], []).append(p)
    return files, {kind: pl.concat([pl.read_parquet(p) for p in parts]) for kind, parts in by_kind.items()}


def _same_files(a: Path, b: Path) -> None:
    (files_a, parsed_a), (files_b, parsed_b) = _files(a), _files(b)
    assert files_a == files_b
    assert parsed_a.keys() == parsed_b.keys() and set(stage.STREAMED) <= parsed_a.keys()
    for kind in parsed_a:
        assert parsed_a[kind].equals(parsed_b[kind]), kind


def _without_times(manifest: dict) -> dict:
    return {k: v for k, v in manifest.items() if k not in TIMES and k != "parameters"}


def test_kinds_side_by_side_give_what_one_after_another_gives(short_sample, tmp_path, monkeypatch, threads):
    raw = short_sample / "raw"   # only read
    after, one_thread = _clean(raw, tmp_path / "after", monkeypatch, threads, rows=0)
    beside, two_threads = _clean(raw, tmp_path / "beside", monkeypatch, threads, rows=10 ** 9)
    # Each run took the way it was set to (else the comparison below compares a way with itself).
    assert one_thread.pop("batches") == 0 and len(set(one_thread.values())) == 1
    assert two_threads.pop("batches") >= 4
    assert {two_threads[k] for k in stage.STREAMED} != {two_threads["hamlet_coverage"]}
    assert beside["kinds_cleaned"] == list(stage.RECIPES)   # every kind, so every kind took part
    # resubmissions replaced by kinds of both threads, whose order in the manifest is the kinds' order
    assert {"subscribers", "hamlet_coverage"} <= {r["kind"] for r in beside["replaced"]}
    # and rows quarantined by both
    assert {"speed_tests", "hamlet_coverage"} <= set(pl.read_parquet(tmp_path / "beside" / "quarantine.parquet")["kind"])
    assert _without_times(beside) == _without_times(after)
    _same_files(tmp_path / "beside", tmp_path / "after")


def test_merge_takes_the_kinds_in_their_order_whichever_finished_first(tmp_path):
    """What each kind set aside joins the run's in the kinds' order, not in the order the threads finished: the
    quarantine's rows, the replacements, and a file holding two monthly kinds takes the later kind's submission."""
    c = stage.Cleaner(tmp_path, TODAY, stage.BTS_RADIUS_M, ["19"], "19")
    c.accounts["a.xlsx"] = Account("a.xlsx", "0" * 64, 1)

    def rows(reason: str) -> pl.DataFrame:
        return pl.DataFrame([{"source_file": "a.xlsx", "reason": reason}]).cast(
            {"source_file": pl.String, "reason": pl.String}).select(
            *(pl.col(c) if c in ("source_file", "reason") else pl.lit(None).alias(c) for c in QUARANTINE_SCHEMA)
        ).cast(QUARANTINE_SCHEMA)

    def done(kind: str, when: str) -> stage.Cleaned:
        return stage.Cleaned(None, own=[rows(f"{kind} own")], across=[rows(f"{kind} across")],
                             replaced=[{"kind": kind}], submitted={"a.xlsx": (when, f"{kind}'s rule")})

    # speed_tests and subscribers came back first (their thread finished first), coverage after them
    c.merge({"speed_tests": done("speed_tests", "2024-11-02 00:00:00"),
             "subscribers": done("subscribers", "2024-11-03 00:00:00"),
             "hamlet_coverage": done("hamlet_coverage", "2024-11-04 00:00:00")})
    order = ["subscribers", "hamlet_coverage", "speed_tests"]   # their places in stage.RECIPES
    assert [k for k in stage.RECIPES if k in order] == order
    assert [f["reason"][0] for f in c.quarantine] == [f"{k} own" for k in order]
    assert [f["reason"][0] for f in c._global_quarantine] == [f"{k} across" for k in order]
    assert [r["kind"] for r in c.replaced] == order
    account = c.accounts["a.xlsx"]
    assert (account.submitted, account.submitted_rule) == ("2024-11-02 00:00:00", "speed_tests's rule")


@pytest.mark.parametrize("more, beside", [(0, True), (-1, False)])
def test_the_threshold_is_the_rows_read(short_sample, short_processed, tmp_path, monkeypatch, threads, more, beside):
    """A run that read as many rows as the threshold finishes the streamed kinds beside the others; with one row more
    than the threshold, one kind after another. (Its batches were small until then: `test_stream_batches.py`.)"""
    read = sum(f["rows_read"] for f in short_processed[1]["inputs"])
    manifest, seen = _clean(short_sample / "raw", tmp_path / "out", monkeypatch, threads, read + more)
    assert sum(f["rows_read"] for f in manifest["inputs"]) == read
    seen.pop("batches")
    assert (len(set(seen.values())) == 2) == beside
