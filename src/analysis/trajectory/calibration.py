"""80% intervals calibrated on the back-test's own errors (split conformal prediction with a scale per series:
Lei et al. 2018, "Distribution-free predictive inference for regression", §5.2), not an iid regression formula.

Each back-test error is divided by its series' scale at the origin (mean absolute monthly change) times the
horizon in months (a drift's error grows in proportion to how far ahead it looks), and pooled with the errors of
the same indicator, the same kind of area and a similar horizon. The interval at horizon h is then

    ŷ ± q₈₀ · s · h

with q₈₀ the pool's 80th percentile of absolute scaled errors and s the series' scale now. The horizon factor is
what calibrates it: on the sample, the 2025-12 values of the province and its districts judged as of 2025-06 fall
inside 82% of these intervals, 66% without the factor. Signed 10th and 90th percentiles did no better (83%; 84%
for both as of 2024-12), so the simpler symmetric rule is kept: one percentile, and the interval always
holds the point, widens with the horizon (percentiles made monotone across horizons) and is clipped to the
indicator's bounds; past the longest horizon back-tested the last pool's percentile holds.
(Measured with the four variants of the rule on the full sample, as of 2026-09; README, "the method".)

Pools: provinces and districts together ("area"), communes of either geography together ("commune"); a pool of
fewer than `MIN_POOL` errors takes the indicator's errors of every kind of area at that horizon.
"""
from __future__ import annotations

import numpy as np
import polars as pl

LEVEL = 0.80
BUCKETS = ((1, 3), (4, 6), (7, 12), (13, 18), (19, 24), (25, 36))   # horizons in months, pooled together
MIN_POOL = 20
COMMUNE_LEVELS = ("commune", "commune_2025")


def scaled(actual, forecast, scale, horizon):
    """The error in units of the series' scale and the horizon (numpy arrays or polars expressions alike)."""
    return (actual - forecast) / width(scale, horizon)


def width(scale, horizon):
    """What one unit of scaled error is worth at a horizon."""
    return scale * horizon
QUANTILE_COLUMNS = ("indicator_id", "group", "bucket", "n", "q_lo", "q_hi")


def group_of(level: str) -> str:
    return "commune" if level in COMMUNE_LEVELS else "area"


def bucket_of(h: np.ndarray) -> np.ndarray:
    """The pool index of each horizon; beyond the last bucket, the last one."""
    edges = np.array([hi for _, hi in BUCKETS])
    return np.minimum(np.searchsorted(edges, np.asarray(h, dtype=float), side="left"), len(BUCKETS) - 1)


def _bounds(r: pl.Expr) -> dict[str, pl.Expr]:
    q = r.abs().quantile(LEVEL, "linear")
    return {"q_lo": -q, "q_hi": q}


def _pooled(errors: pl.LazyFrame, keys: list[str]) -> pl.LazyFrame:
    return errors.group_by(keys).agg(n=pl.len(), **_bounds(pl.col("r")))


def quantiles(errors: pl.DataFrame) -> pl.DataFrame:
    """indicator_id, group, bucket, n, q_lo, q_hi from the scaled errors (indicator_id, group, bucket, r)."""
    if errors.is_empty():
        return pl.DataFrame(schema={"indicator_id": pl.String, "group": pl.String, "bucket": pl.Int64,
                                    "n": pl.UInt32, "q_lo": pl.Float64, "q_hi": pl.Float64})
    lazy = errors.lazy()
    own = _pooled(lazy, ["indicator_id", "group", "bucket"])
    wide = _pooled(lazy, ["indicator_id", "bucket"]).rename({"n": "n_all", "q_lo": "lo_all", "q_hi": "hi_all"})
    small = pl.col("n") < MIN_POOL
    out = (own.join(wide, on=["indicator_id", "bucket"], how="left")
           .with_columns(q_lo=pl.when(small).then("lo_all").otherwise("q_lo"),
                         q_hi=pl.when(small).then("hi_all").otherwise("q_hi"),
                         n=pl.when(small).then("n_all").otherwise("n"))
           .sort("indicator_id", "group", "bucket")
           # a longer horizon is never more certain than a shorter one
           .with_columns(q_lo=pl.min_horizontal(pl.col("q_lo").cum_min().over("indicator_id", "group"), 0.0),
                         q_hi=pl.max_horizontal(pl.col("q_hi").cum_max().over("indicator_id", "group"), 0.0))
           .select(QUANTILE_COLUMNS).collect())
    return out.with_columns(pl.col("bucket").cast(pl.Int64))


def interval(point: np.ndarray, h: np.ndarray, s: float, table: dict[int, tuple[float, float]]
             ) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) around the points at horizons h (months) for a series of scale s, from its pool's
    {bucket: (q_lo, q_hi)}; NaN where the pool has no errors. Bounds are clipped by the caller."""
    q_lo, q_hi = table_arrays(table)
    lo, hi = intervals(np.asarray(point, dtype=float)[None, :], h, np.array([s]), q_lo[None, :], q_hi[None, :])
    return lo[0], hi[0]


def table_arrays(table: dict[int, tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """A pool's {bucket: (q_lo, q_hi)} as two arrays by bucket, NaN where the pool has no errors."""
    return (np.array([table.get(k, (np.nan, np.nan))[0] for k in range(len(BUCKETS))]),
            np.array([table.get(k, (np.nan, np.nan))[1] for k in range(len(BUCKETS))]))


def intervals(point: np.ndarray, h: np.ndarray, s: np.ndarray, q_lo: np.ndarray, q_hi: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """`interval` for a stack of series (m, len(h)) at the same horizons: scales s (m,), and each series' pool
    quantiles by bucket q_lo, q_hi (m, len(BUCKETS))."""
    h = np.asarray(h, dtype=float)
    b = bucket_of(h)
    w = width(s[:, None], h[None, :])
    return point + q_lo[:, b] * w, point + q_hi[:, b] * w


def coverage(backtest: pl.DataFrame, levels: tuple[str, ...] = ("province", "district")) -> pl.DataFrame:
    """The back-test's out-of-sample coverage by level: points judged and the share inside their interval (the
    method section, the bench and the analyst notebook all read it from here)."""
    judged = backtest.filter(pl.col("inside").is_not_null() & pl.col("area_level").is_in(levels))
    out = judged.group_by("area_level").agg(points=pl.len(), coverage=pl.col("inside").mean())
    return pl.DataFrame({"area_level": list(levels)}).join(out, on="area_level", how="left", maintain_order="left")


def honest_inside(rows: pl.DataFrame) -> pl.DataFrame:
    """The stored back-test rows with the interval each would have had, calibrated only from the errors (of the
    same rows' pool) already known at its origin, i.e. whose forecast month had been observed by then, and whether
    the actual value fell in it: an out-of-sample coverage. Null where that pool held fewer than `MIN_POOL` errors.

    `rows`: indicator_id, group, bucket, origin_t, horizon, forecast, actual, scale."""
    empty = {"lower": pl.Float64, "upper": pl.Float64, "inside": pl.Boolean}
    if rows.is_empty():
        return rows.with_columns(pl.lit(None, d).alias(c) for c, d in empty.items())
    keys = ["indicator_id", "group", "bucket"]
    r = scaled(pl.col("actual"), pl.col("forecast"), pl.col("scale"), pl.col("horizon"))
    known = rows.select(*keys, r=r, known_t=pl.col("origin_t") + pl.col("horizon"))
    asks = rows.select(*keys, "origin_t").unique()
    q = (asks.lazy().join(known.lazy(), on=keys, how="inner").filter(pl.col("known_t") <= pl.col("origin_t"))
         .group_by(*keys, "origin_t").agg(n=pl.len(), **_bounds(pl.col("r")))
         .collect())
    out = rows.join(q, on=[*keys, "origin_t"], how="left", maintain_order="left")
    enough = pl.col("n").is_not_null() & (pl.col("n") >= MIN_POOL)
    w = width(pl.col("scale"), pl.col("horizon"))
    out = out.with_columns(
        lower=pl.when(enough).then(pl.col("forecast") + pl.min_horizontal("q_lo", 0.0) * w),
        upper=pl.when(enough).then(pl.col("forecast") + pl.max_horizontal("q_hi", 0.0) * w))
    return out.with_columns(inside=pl.when(enough).then(pl.col("actual").is_between("lower", "upper"))).drop(
        "n", "q_lo", "q_hi")
