"""A streamed kind's batches (clean/scheduling.Batches, stage.batch_rows): small while the run is small, a million
rows once it has read more than `stage.SMALL_RUN_ROWS` (issue 21)."""
from __future__ import annotations

from types import SimpleNamespace

import polars as pl

from analysis.clean import stage
from analysis.clean.scheduling import Batches


def test_the_batch_size_follows_the_rows_read(monkeypatch):
    monkeypatch.setattr(stage, "SMALL_RUN_ROWS", 2_000_000)
    monkeypatch.setattr(stage, "SMALL_BATCH_ROWS", 250_000)
    monkeypatch.setattr(stage, "STREAM_BATCH_ROWS", 1_000_000)
    assert [stage.batch_rows(n) for n in (0, 2_000_000, 2_000_001)] == [250_000, 250_000, 1_000_000]
    # a test that makes every batch small (2,000 rows) gets small batches in a run of any size
    monkeypatch.setattr(stage, "STREAM_BATCH_ROWS", 2_000)
    assert [stage.batch_rows(n) for n in (0, 2_000_001)] == [2_000, 2_000]


def test_batches_grow_once_the_run_is_large():
    """Tables of 10 rows, one a file; batches of 20 rows while at most 60 rows are read, then of 50: the sizes sent
    are counted by hand."""
    tables: list = []
    read = [0]
    sent: list[int] = []

    def parse(kind, which):
        sent.append(len(which) * 10)
        return None, []

    batches = Batches(tables, ("speed_tests",), parse, lambda: 20 if read[0] <= 60 else 50)
    for _ in range(15):
        tables.append(SimpleNamespace(kind=SimpleNamespace(name="speed_tests"), file=f"f{len(tables)}",
                                      frame=pl.DataFrame({"x": range(10)})))
        read[0] += 10
        batches.stream()
    batches.results("speed_tests")   # the rest, parsed by the caller
    batches.close()
    # 20 rows sent at 20, 40 and 60 rows read; from 70 rows read a batch is 50: sent at 110; 40 left after the last
    assert sent == [20, 20, 20, 50, 40]
