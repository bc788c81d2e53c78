"""The speed tests read a run of whole months at a time (`speeds.ByMonth.runs`): consecutive months while they
hold at most `BATCH_ROWS` tests together, a month holding more read alone."""
from __future__ import annotations

from datetime import date

import polars as pl

from analysis.indicators import speeds


def test_runs_of_whole_months_within_the_budget(monkeypatch):
    months = [date(2025, m, 1) for m in (1, 2, 3, 4, 5)]
    counts = [3, 3, 3, 10, 1]   # tests a month; a row with no month is never read
    frame = pl.DataFrame({"period": [m for m, n in zip(months, counts) for _ in range(n)] + [None],
                          "network": ["fixed"] * (sum(counts) + 1)})
    by = speeds.ByMonth(frame.lazy(), lambda f: f)
    monkeypatch.setattr(speeds, "BATCH_ROWS", 6)
    # by hand: 3+3 fit; 3 more would make 9; 10 is over on its own; 10+1 is over
    assert by.runs() == [(months[0], months[1]), (months[2], months[2]), (months[3], months[3]),
                         (months[4], months[4])]
    assert by.months(months[0], months[1]).height == 6
    assert by.runs(pl.col("network") == "mobile") == []
    monkeypatch.setattr(speeds, "BATCH_ROWS", 100)
    assert by.runs() == [(months[0], months[4])]
