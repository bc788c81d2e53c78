"""A large kind's table written sorted a month at a time (`clean/writing.write_by_month`) is the table a sort of
the whole would write, byte for byte."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from analysis.clean.network import SPEED_ORDER
from analysis.clean.reports import SUBSCRIBER_ORDER
from analysis.clean import writing
from analysis.clean.writing import write_by_month, write_table


def rows(n: int, seed: int) -> pl.DataFrame:
    """`n` rows of 2020-2021 with ties, repeated ids and nulls in every sort key (drawn by numpy: a Python loop
    over 600,000 rows took most of the test)."""
    rng = np.random.default_rng(seed)

    def pick(values: list) -> pl.Series:
        return pl.Series(values)[rng.integers(0, len(values), n)]
    ids = pl.Series([f"IS{i:07d}" for i in range(n // 2)])
    ts = rng.integers(1_577_836_800, 1_640_995_200, n) * 1_000_000   # 2020-2021, microseconds
    return pl.DataFrame({
        "test_id": ids[rng.integers(0, n // 2, n)].scatter(np.flatnonzero(rng.random(n) < 0.01), None),
        "ts": pl.Series(ts, dtype=pl.Int64).cast(pl.Datetime("us")),
        "operator": pick(["VNPT", "Viettel", None]),
        "commune_code": pick(["05431", "05434", None]),
        "service": pick(["ftth", "mobile_broadband"]),
        "segment": pick(["household", None]),
        "value": rng.random(n),
    }).with_columns(period=pl.col("ts").dt.truncate("1mo").cast(pl.Date))


@pytest.mark.parametrize("whole_up_to", [0, 10_000_000], ids=["month by month", "small enough to sort whole"])
@pytest.mark.parametrize("order", [SPEED_ORDER, SUBSCRIBER_ORDER], ids=["speed tests", "subscribers"])
def test_a_table_sorted_a_month_at_a_time_is_the_whole_sort_byte_for_byte(tmp_path, monkeypatch, order,
                                                                          whole_up_to):
    # Both ways `write_by_month` may take: a month at a time (a national table), or one sort (a province's).
    monkeypatch.setattr(writing, "WHOLE_SORT_ROWS", whole_up_to)
    sorts = []
    monkeypatch.setattr(writing.Order, "sort", lambda self, frame, _sort=writing.Order.sort: sorts.append(1) or
                        _sort(self, frame))
    frame = rows(600_000, 3)
    # rows without a period go where the sort puts nulls; ties keep the order the query gave them
    frame = frame.with_columns(period=pl.when(pl.int_range(pl.len()) % 997 == 0).then(None).otherwise("period"))
    if order is SPEED_ORDER:   # the speed tests' period is their timestamp's month
        frame = frame.with_columns(ts=pl.when(pl.col("period").is_null()).then(None).otherwise("ts"))
    source = tmp_path / "parsed.parquet"
    frame.write_parquet(source, row_group_size=50_000)
    query = pl.scan_parquet(source).filter(pl.col("value") > 0.01)   # a query, as a spilled kind's is
    whole, by_month = tmp_path / "whole.parquet", tmp_path / "by-month.parquet"
    n = write_table(order.sort(query), whole)
    sorts.clear()
    assert write_by_month(query, order, by_month) == n > 500_000
    assert by_month.read_bytes() == whole.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] and not list(tmp_path.glob(".*unsorted*"))
    # one sort, or one a month (24 months, 2020-2021) and one of the rows without a period
    assert len(sorts) == (1 if whole_up_to else 25)


def test_the_months_handed_one_at_a_time_honour_what_the_engine_pushes_down(tmp_path):
    """The writer's source (`writing._one_at_a_time`) yields each month sorted; asked for some columns, some rows or
    the first rows only, it gives what the same sort of the whole gives (the engine may push any of them down)."""
    frame = rows(20_000, 5)
    frame.write_parquet(tmp_path / "unsorted.parquet", row_group_size=2_000)
    scan = pl.scan_parquet(tmp_path / "unsorted.parquet")
    months = sorted(frame["period"].unique().to_list())
    source = writing._one_at_a_time(scan, SPEED_ORDER, [pl.col("period") == m for m in months])
    whole = SPEED_ORDER.sort(frame)
    assert source.collect().equals(whole)
    assert source.select("test_id", "value").collect().equals(whole.select("test_id", "value"))
    assert source.filter(pl.col("value") > 0.5).collect().equals(whole.filter(pl.col("value") > 0.5))
    assert source.head(1_234).collect().equals(whole.head(1_234))
    assert source.head(0).collect().height == 0
