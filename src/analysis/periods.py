"""Calendar months as the pipeline uses them: a period is the first day of its month."""
from __future__ import annotations

from datetime import date
from functools import lru_cache

import polars as pl


def parse_month(text: str) -> date:
    """'2024-10' -> date(2024, 10, 1); the form config files and the command line use."""
    try:
        year, month = str(text).split("-")
        return date(int(year), int(month), 1)
    except ValueError as exc:
        raise ValueError(f"expected a month as YYYY-MM, got {text!r}") from exc


def month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


@lru_cache(maxsize=4096)
def from_index(i: int) -> date:
    """The month of a month index (cached: trajectories turn the same few hundred months into dates millions of
    times nationally)."""
    return date(i // 12, i % 12 + 1, 1)


def month_index_of(expr: pl.Expr | pl.Series) -> pl.Expr | pl.Series:
    """`month_index` over a column of dates (or datetimes): year * 12 + month - 1."""
    return expr.dt.year() * 12 + expr.dt.month() - 1


def from_index_of(expr: pl.Expr | pl.Series) -> pl.Expr:
    """`from_index` over a column of month indices: the first day of each month."""
    return pl.date(expr // 12, expr % 12 + 1, 1)


def month_range(first: date, last: date) -> list[date]:
    return [from_index(i) for i in range(month_index(first), month_index(last) + 1)]


def month_end(d: date) -> date:
    nxt = from_index(month_index(d) + 1)
    return date.fromordinal(nxt.toordinal() - 1)


def interpolate_yearly(frame: pl.DataFrame, keys: list[str], value: str, months: list[date]) -> pl.DataFrame:
    """Monthly values from yearly ones, each year's figure standing at July (the year's middle).

    Linear between consecutive years; before the first or after the last year the nearest two years' trend is
    extended, so a month after the latest published year still gets a figure (and the caller can say so).
    With a single year there is no trend to follow: its figure holds for every month.
    """
    yearly = frame.select(*keys, "year", value).sort(*keys, "year")
    years = sorted(yearly["year"].unique().to_list())
    if not years:
        raise ValueError(f"no yearly {value} to interpolate")
    if len(years) == 1:
        return pl.concat([yearly.select(*keys, period=pl.lit(m), **{value: pl.col(value).cast(pl.Float64)})
                          for m in months])
    wide = yearly.pivot(on="year", index=keys, values=value)
    out = []
    for m in months:
        x = m.year + (m.month - 7) / 12  # July of year y sits at x = y
        lo = max([y for y in years if y <= x] or [years[0]])
        if lo == years[-1]:
            lo = years[-2]
        hi = years[years.index(lo) + 1]
        w = (x - lo) / (hi - lo)
        out.append(wide.select(*keys, period=pl.lit(m),
                               **{value: pl.col(str(lo)) + (pl.col(str(hi)) - pl.col(str(lo))) * w}))
    return pl.concat(out)
