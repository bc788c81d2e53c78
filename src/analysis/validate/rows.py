"""The rows a suite needs to see: on a large table (20 million i-Speed tests), every row that could break one of
its rules, found by polars, plus a sample; Great Expectations then judges those rows only.

For the rule types the suites use, a row that passes the polars test cannot fail the rule in GX, so GX's
verdicts and unexpected counts are those of the whole table (the count of rows checked is the whole table's,
reported separately). GX skips nulls in these rules (unless the rule is about nulls), and so do the tests; where
in doubt a row is kept: one too many costs a little time, one missed would hide a failure. A rule type not listed
keeps every row.
"""
from __future__ import annotations

import polars as pl

from analysis.repeated_keys import repeated_hashes

WHOLE_BELOW = 200_000  # smaller tables go to GX whole: the saving is not worth it
SAMPLE = 1_000         # rows every suite sees, so column-level rules (types) have data


def _between(c: str, kw: dict) -> pl.Expr:
    ok = pl.lit(True)
    if kw.get("min_value") is not None:
        ok = ok & ((pl.col(c) > kw["min_value"]) if kw.get("strict_min") else (pl.col(c) >= kw["min_value"]))
    if kw.get("max_value") is not None:
        ok = ok & ((pl.col(c) < kw["max_value"]) if kw.get("strict_max") else (pl.col(c) <= kw["max_value"]))
    return (~ok).fill_null(False)


def suspect(kind: str, kw: dict) -> pl.Expr | None:
    """A polars test true for every row that might break a rule of this type; None when the type is unknown."""
    c = kw.get("column")
    if kind == "expect_column_values_to_be_between":
        return _between(c, kw)
    if kind == "expect_column_values_to_be_in_set":
        return (~pl.col(c).is_in(list(kw["value_set"]))).fill_null(False)
    if kind == "expect_column_values_to_not_be_in_set":
        return pl.col(c).is_in(list(kw["value_set"])).fill_null(False)
    if kind == "expect_column_values_to_match_regex":
        return (~pl.col(c).cast(pl.String).str.contains(kw["regex"])).fill_null(False)
    if kind == "expect_column_values_to_not_be_null":
        return pl.col(c).is_null()
    if kind == "expect_column_values_to_be_null":
        return pl.col(c).is_not_null()
    if kind == "expect_column_values_to_be_unique":
        return pl.col(c).is_duplicated()
    if kind == "expect_compound_columns_to_be_unique":
        # By the rows' hashes: a struct of five text columns is hashed whole anyway, and held as it is compared
        # (2 GB more on 12.6 million subscriber rows); two rows that only share a hash are one suspect too many.
        return pl.struct(kw["column_list"]).hash().is_duplicated()
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = pl.col(kw["column_A"]), pl.col(kw["column_B"])
        return (~((a >= b) if kw.get("or_equal") else (a > b))).fill_null(True)  # one side missing: keep
    if kind == "expect_column_values_to_be_in_type_list":
        return pl.lit(False)  # a property of the column: the sample shows its type
    return None


def needed(frame: pl.DataFrame | pl.LazyFrame, rules: list[tuple[str, dict]], whole_below: int = WHOLE_BELOW
           ) -> pl.DataFrame:
    """The rows of `frame` the rules (type, kwargs) need; the whole frame when it is small or a rule is unknown.
    A query (a large table's scan) is reduced by polars' streaming engine without being held whole."""
    if isinstance(frame, pl.LazyFrame):
        return _needed_streaming(frame, rules, whole_below)
    if frame.height < whole_below:
        return frame
    tests = [suspect(kind, kw) for kind, kw in rules]
    if not tests or any(t is None for t in tests):
        return frame
    try:
        keep = frame.select(pl.any_horizontal(tests) | (pl.int_range(pl.len()) < SAMPLE)).to_series()
    except pl.exceptions.PolarsError:  # a regex polars cannot compile, say: let GX see everything
        return frame
    return frame.filter(keep)


def height(frame: pl.DataFrame | pl.LazyFrame) -> int:
    return frame.height if isinstance(frame, pl.DataFrame) else frame.select(pl.len()).collect().item()


def _needed_streaming(scan: pl.LazyFrame, rules: list[tuple[str, dict]], whole_below: int) -> pl.DataFrame:
    """`needed` over a query: the same rows in the same order. A row test streams; a uniqueness test cannot (a row
    is a repeat only once every row is seen), so the repeated hashes are found first, by a streaming group-by of
    8 bytes a row (`repeated_keys`), and a row is suspect when its hash is among them (a shared hash alone: one
    suspect too many)."""
    rows = height(scan)
    if rows < whole_below:
        return scan.collect()
    tests, repeated = [], []
    for kind, kw in rules:
        if kind == "expect_column_values_to_be_unique":
            repeated.append(pl.col(kw["column"]).hash())
        elif kind == "expect_compound_columns_to_be_unique":
            repeated.append(pl.struct(kw["column_list"]).hash())
        else:
            tests.append(suspect(kind, kw))
    if any(t is None for t in tests):
        return scan.collect()
    for h in repeated:
        seen = repeated_hashes(scan, h, rows)
        tests.append(h.is_in(seen.implode()) if seen.len() else pl.lit(False))
    try:
        return (scan.with_row_index("_i").filter(pl.any_horizontal(tests) | (pl.col("_i") < SAMPLE))
                .collect(engine="streaming").sort("_i").drop("_i"))
    except pl.exceptions.PolarsError:  # a regex polars cannot compile, say: let GX see everything
        return scan.collect()
