"""Writing the cleaned tables: always the same bytes for the same rows, and a large kind sorted a month at a time.

A national table's sort held all of it: sorting 60 million i-Speed tests in one query peaked at 11.7 GB, the same
sort a month at a time at 4.3 GB, with byte-identical output (1 December 2026). A kind whose order begins with its
month (the period, or a timestamp within it) is therefore written a month at a time, each month's rows read,
sorted and written in month order.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
from polars.io.plugins import register_io_source

ROW_GROUP = 262_144   # rows in each row group of a table written (polars' own default for a frame written whole)
# A table up to this size is sorted in one query: a province's 69 months of speed tests read back month by month
# took 1.05 s, 69 scans of the file; a few million rows sorted at once hold a few hundred MB.
WHOLE_SORT_ROWS = 2_000_000


@dataclass(frozen=True)
class Order:
    """A table's sort, which begins with its month: `by` the period itself, or a timestamp of that month."""
    by: tuple[str, ...]
    nulls_last: bool = False

    def sort(self, frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame | pl.LazyFrame:
        return frame.sort(list(self.by), nulls_last=self.nulls_last, maintain_order=True)


def write_table(frame: pl.DataFrame | pl.LazyFrame, path: Path) -> int:
    """A table (a frame, or a query streaming from the parsed batches' files) written; its rows. Categories (a
    streamed kind's labels) become text as it is written, a batch at a time, so the text copy of a 20-million-row
    table is never whole in memory. Row groups have a fixed size: left to the streaming engine they followed its
    morsels, and the same rows came out as other bytes run to run, which made every later stage look stale."""
    frame.lazy().with_columns(pl.col(pl.Categorical).cast(pl.String)).sink_parquet(path, row_group_size=ROW_GROUP)
    return pl.scan_parquet(path).select(pl.len()).collect().item()   # from the file's footer


def write_by_month(query: pl.LazyFrame, order: Order, path: Path) -> int:
    """`order.sort(query)` written as `write_table` would write it, holding one month's rows at a time: the query
    is run once for each month, filtered to it, and each month sorted (rows without a period where the sort puts
    nulls). The filter reaches the files the query reads, whose statistics let each run read its own month's
    row groups: the parsed batches are written with them (`stage.Cleaner._parse_batch`). Until 3 December 2026
    the query first streamed unsorted into a file of its own, read back a month at a time: nationally 9.0 s of the
    speed tests' 27.3 s, and 3.9 of the subscribers' 9.4 s."""
    months = query.group_by("period").len().collect(engine="streaming")
    if months["len"].sum() <= WHOLE_SORT_ROWS:   # the same order, and bytes, as month by month
        return write_table(order.sort(query), path)
    parts = [pl.col("period") == m for m in sorted(months["period"].drop_nulls())]
    undated = pl.col("period").is_null()
    return write_table(_one_at_a_time(query, order, [*parts, undated] if order.nulls_last else [undated, *parts]),
                       path)


def _one_at_a_time(scan: pl.LazyFrame, order: Order, parts: list[pl.Expr]) -> pl.LazyFrame:
    """The rows of each part in turn (`parts`: filters, in the order written), each part sorted, as a query the
    writer pulls from: one part's rows are held at a time. (A concat of the parts' sorted scans held most of the
    table: the national speed tests' write peaked at 3.2 GB and took 29 s; this way 0.5 GB and 23 s, the same bytes.
    polars' IO plugins are marked unstable: polars is pinned, and `tests/unit/test_writing.py` compares the bytes.)"""
    def source(with_columns: list[str] | None, predicate: pl.Expr | None, n_rows: int | None, _batch_size: int | None):
        for part in parts:
            rows = order.sort(scan.filter(part)).collect()
            rows = rows.select(with_columns) if with_columns is not None else rows
            rows = rows.filter(predicate) if predicate is not None else rows
            if n_rows is not None:
                rows, n_rows = rows.head(n_rows), n_rows - min(n_rows, rows.height)
            yield rows
            if n_rows == 0:
                return
    return register_io_source(source, schema=scan.collect_schema())
