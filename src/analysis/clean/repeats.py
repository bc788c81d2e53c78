"""A key listed more than once: identical repeats keep their first row, conflicting ones are all set aside."""
from __future__ import annotations

import polars as pl

from analysis.repeated_keys import repeated_hashes


def split_repeats(good: pl.DataFrame, key: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rows kept, rows for quarantine with `_why`/`_col`). Which of two conflicting rows is right cannot be
    known, so neither is kept; an identical repeat is harmless and only the first is kept."""
    key = [k for k in key if k in good.columns]
    empty = good.clear().with_columns(_why=pl.lit(None, pl.String), _col=pl.lit(None, pl.String))
    if not key or good.height == 0:
        return good, empty
    valued = [c for c in good.columns if not c.startswith("_") and c not in key and c != "source_file"]
    good = good.with_columns(_n=pl.len().over(key), _order=pl.int_range(pl.len()))
    dup = good.filter((pl.col("_n") > 1) & pl.all_horizontal(pl.col(k).is_not_null() for k in key))
    if dup.height == 0:
        return good.drop("_n", "_order"), empty
    dup = dup.with_columns(_variants=pl.struct(valued).n_unique().over(key),
                           _first=pl.col("_order").min().over(key),
                           _first_file=pl.col("source_file").sort_by("_order").first().over(key),
                           _first_row=pl.col("_row").sort_by("_order").first().over(key))
    bad = dup.filter((pl.col("_variants") > 1) | (pl.col("_order") != pl.col("_first"))).with_columns(
        _why=pl.when(pl.col("_variants") > 1)
        .then(pl.format("{} listed {} times with different values", pl.lit(", ".join(key)), pl.col("_n")))
        .otherwise(pl.format("repeats {} row {}", pl.col("_first_file"), pl.col("_first_row"))),
        _col=pl.lit(None, pl.String))
    return good.join(bad.select("_order"), on="_order", how="anti").drop("_n", "_order"), bad


# A raw row, as the parsed rows carry it: its table (a sheet, or a part of a CSV read in parts) and row number.
ROW_ID = ["_t", "_row"]


def split_repeats_on_files(rows: pl.LazyFrame, key: list[str]) -> tuple[pl.LazyFrame, pl.DataFrame]:
    """`split_repeats` for rows waiting in files (a query): the same rows kept and set aside, in the same order.
    Repeats are found on a hash of the key (`repeated_keys`: 8 bytes a row, where grouping 20 million test ids
    as text took 2 GB; a share of the hashes at a time beyond the national set's size), only the rows of a
    repeated hash are read whole, and two keys that merely share a hash are told apart by `split_repeats` on the
    keys themselves. The rows set aside leave the query by their raw row (`ROW_ID`), not by a position in it, so
    that a filter on the kept rows (a month, `writing.write_by_month`) still reaches the files."""
    valued = pl.all_horizontal(pl.col(k).is_not_null() for k in key)
    key_hash = pl.struct(key).hash()
    seen = repeated_hashes(rows.filter(valued), key_hash,
                           rows.select(pl.len()).collect(engine="streaming").item())
    twice = rows.filter(valued & key_hash.is_in(seen.implode())).collect(engine="streaming")
    _, bad = split_repeats(twice, key)
    kept = rows.join(bad.lazy().select(ROW_ID), on=ROW_ID, how="anti", maintain_order="left")
    return kept, bad
