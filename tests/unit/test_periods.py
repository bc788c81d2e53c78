"""Month indices (year * 12 + month - 1) as the pipeline counts months, over one date and over a column."""
from __future__ import annotations

from datetime import date, datetime

import polars as pl

from analysis.periods import from_index, from_index_of, month_index, month_index_of


def test_month_indices_by_hand_one_date_and_a_column_alike():
    # 2024-01: 2024 * 12 + 0 = 24288; 2026-12: 2026 * 12 + 11 = 24323; 2027-01 follows it
    months = [date(2024, 1, 1), date(2026, 12, 1), date(2027, 1, 1)]
    assert [month_index(m) for m in months] == [24288, 24323, 24324]
    frame = pl.DataFrame({"period": months, "ts": [datetime(2024, 1, 31, 23, 59), datetime(2026, 12, 1),
                                                  datetime(2027, 1, 15, 8)]})
    assert frame.select(month_index_of(pl.col("period"))).to_series().to_list() == [24288, 24323, 24324]
    assert month_index_of(frame["ts"]).to_list() == [24288, 24323, 24324]   # a timestamp: its month
    back = pl.select(from_index_of(pl.Series([24288, 24323, 24324]))).to_series()
    assert back.dtype == pl.Date and back.to_list() == months == [from_index(i) for i in (24288, 24323, 24324)]
