"""Download speed from i-Speed measurements: the mean of the period's tests (the i-Speed convention), the
median beside it, and no value where an area has fewer than the minimum number of measurements."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from analysis.indicators.base import reformed, with_province

MIN_TESTS = 100
# A run of whole months read together holds at most this many tests (a month holding more is read alone): the
# province's 69 months are one run a network, not 138 reads (3 s of the indicators' 4); nationally (150,000 to
# 180,000 tests a month a network) two or three months a run, the peak a run's tests, never the table's.
BATCH_ROWS = 500_000


@dataclass(frozen=True)
class ByMonth:
    """A table too big to hold at once (a national i-Speed table grows with the app's use, not with the areas),
    read a run of whole months at a time; `prepare` makes a run's rows what the formula reads (the carry-back onto
    the old communes). Every speed figure is of one month, so the runs' figures together are the table's."""
    scan: pl.LazyFrame
    prepare: Callable[[pl.DataFrame], pl.DataFrame]

    def is_empty(self) -> bool:
        return self.scan.head(1).collect().is_empty()

    def runs(self, *where: pl.Expr) -> list[tuple]:
        """(first, last) month of each run: consecutive months of at most `BATCH_ROWS` tests together."""
        counts = self.scan.filter(*where).group_by("period").len().drop_nulls("period").sort("period").collect()
        runs: list[tuple] = []
        held = 0
        for period, n in counts.iter_rows():
            if runs and held + n <= BATCH_ROWS:
                runs[-1], held = (runs[-1][0], period), held + n
            else:
                runs.append((period, period))
                held = n
        return runs

    def months(self, first, last, *where: pl.Expr) -> pl.DataFrame:
        # The table is written in time order, so a run of months is a few row groups found by their statistics.
        return self.prepare(self.scan.filter(pl.col("period").is_between(first, last), *where).collect())


def download(tests: pl.DataFrame | ByMonth, network: str, min_tests: int = MIN_TESTS) -> pl.DataFrame:
    if isinstance(tests, ByMonth):   # held a run of months at a time: the peak is a run's tests, not all of them
        mine = pl.col("network") == network
        parts = [_download(tests.months(first, last, mine), network, min_tests)
                 for first, last in tests.runs(mine)]
        return pl.concat(parts, how="diagonal_relaxed") if parts else _download(
            tests.prepare(tests.scan.head(0).collect()), network, min_tests)
    return _download(tests, network, min_tests)


def _download(tests: pl.DataFrame, network: str, min_tests: int) -> pl.DataFrame:
    t = with_province(tests.filter(pl.col("network") == network))
    if "_w" not in t.columns:
        t = t.with_columns(_w=pl.lit(1.0))
    # `_w` < 1: part of a test reported by a unit of 1 July 2025, shared back onto an old commune (carry_back); a
    # median of such parts would weigh them as whole tests, so an area with any has no median.
    agg = [(pl.col("download_mbps") * pl.col("_w")).sum().alias("numerator"), pl.col("_w").sum().alias("denominator"),
           pl.when((pl.col("_w") == 1).all()).then(pl.col("download_mbps").median()).alias("median")]
    levels = [
        t.group_by("period", "commune_code").agg(agg).with_columns(area_level=pl.lit("commune"))
        .rename({"commune_code": "area_code"}),
        t.group_by("period", "district_code").agg(agg).with_columns(area_level=pl.lit("district"))
        .rename({"district_code": "area_code"}),
        t.group_by("period", "province_code").agg(agg).with_columns(area_level=pl.lit("province"))
        .rename({"province_code": "area_code"}),
    ]
    # On the units of 1 July 2025 the tests of an old commune split between two new ones are carried by population
    # share (a fraction of a test, so n is rounded); a median cannot be carried, so there is none.
    by_commune = t.group_by("period", "province_code", "commune_code").agg(agg[:2])
    levels += [r.with_columns(median=pl.lit(None, pl.Float64)) for r in reformed(by_commune, "weight_population")]
    out = pl.concat(levels, how="diagonal_relaxed").with_columns(n=pl.col("denominator").round(0).cast(pl.Int64))
    enough = pl.col("n") >= min_tests
    out = out.with_columns(
        value=pl.when(enough).then(pl.col("numerator") / pl.col("denominator")),
        median=pl.when(enough).then(pl.col("median")),
        note=pl.when(~enough).then(pl.format(f"insufficient data: {{}} measurements (minimum {min_tests})",
                                             pl.col("n"))))
    return out
