"""Row accounting: for every raw file, rows read = kept + quarantined + non-data + superseded + not cleaned
(+ elsewhere: rows of provinces outside a partition run, clean/partition.py)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import polars as pl

def raw_rows(frame: pl.DataFrame | pl.LazyFrame) -> pl.Expr:
    """The raw rows behind each group of `frame`'s rows: a summed row (`_n`, reports.sum_parts) stands for several."""
    return (pl.col("_n").sum() if "_n" in frame.collect_schema().names() else pl.len()).alias("len")


QUARANTINE_SCHEMA = {"source_file": pl.String, "sheet": pl.String, "row_number": pl.Int64, "kind": pl.String,
                     "column": pl.String, "reason": pl.String, "raw": pl.String}


@dataclass
class Account:
    path: str
    sha256: str
    bytes: int
    kinds: set[str] = field(default_factory=set)
    sheets: int = 0
    rows_read: int = 0
    kept: int = 0
    quarantined: int = 0
    elsewhere: int = 0   # a partition run's rows of other provinces
    non_data: Counter = field(default_factory=Counter)
    superseded: int = 0
    not_cleaned: int = 0
    not_cleaned_reason: str | None = None
    encoding: str | None = None
    error: str | None = None
    submitted: str | None = None
    submitted_rule: str | None = None
    notes: dict = field(default_factory=dict)

    def balanced(self) -> bool:
        return balances(self.record())

    def record(self) -> dict:
        out = {k: v for k, v in vars(self).items() if k not in ("kinds", "non_data", "notes")}
        return {**out, "kinds": sorted(self.kinds), "non_data": dict(self.non_data), **self.notes}


def balances(record: dict) -> bool:
    """A file's account as the manifest records it: every row read is kept, quarantined, not data, superseded
    by a resubmission, not cleaned (its kind needs a table the run does not have) or, in a partition run, another
    province's."""
    return record["rows_read"] == accounted(record)


def accounted(record: dict) -> int:
    return (record["kept"] + record["quarantined"] + sum(record["non_data"].values()) + record["superseded"]
            + record["not_cleaned"] + record.get("elsewhere", 0))


REMOVED = "[personal data removed]"


def raw_text(frame: pl.DataFrame, removed: set[str] = frozenset(), width: int | None = None) -> pl.Series:
    """The row as sent: its cells joined with ' | ', empty cells as nothing, trailing empties dropped, and
    personal data (dropped when the file was read) shown as removed."""
    present = {c for c in frame.columns if c.startswith("c") and c[1:].isdigit()}
    n = width if width is not None else max((int(c[1:]) + 1 for c in present | set(removed)), default=0)
    if n == 0:
        return pl.Series("raw", [""] * frame.height, dtype=pl.String)
    parts = [pl.lit(REMOVED) if f"c{i}" in removed else
             pl.col(f"c{i}").fill_null("") if f"c{i}" in present else pl.lit("") for i in range(n)]
    return frame.select(pl.concat_str(parts, separator=" | ").str.replace(r"(?: \| )+$", "").alias("raw")).to_series()
