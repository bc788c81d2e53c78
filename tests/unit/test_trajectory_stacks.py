"""The engine judges the series of areas observed at the same months as one stack (trajectory/series.py): every
row of a stack must be what that series gives judged alone, whatever its neighbours (a model that fails on one
row, a series below zero beside shares, rows of other pools, a counted unit on some rows only)."""
from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from analysis.periods import from_index, month_index
from analysis.targets import Target
from analysis.trajectory import calibration
from analysis.trajectory.series import finish_many, frame, judge, prepare_many


def _stack(rng: np.random.Generator, m: int, n: int) -> np.ndarray:
    """m series of n months of every kind a stack may mix: rising, falling, flat, at the ceiling, reaching it,
    below zero, with a jump."""
    kinds = []
    for i in range(m):
        drift = rng.uniform(-1.0, 2.0)
        y = 40 + rng.uniform(-20, 40) + np.cumsum(rng.normal(drift, rng.uniform(0.0, 2.0), n))
        match i % 7:
            case 0:
                y = np.full(n, round(rng.uniform(0, 100)))   # flat
            case 1:
                y = np.minimum(y, 100.0) if y[-1] < 100 else np.minimum(90 + np.arange(n), 100.0)   # at the ceiling
            case 2:
                y = y - 80                                      # below zero: no floor, no log or logit
            case 3:
                y[n // 2:] += 15                                # a jump
        kinds.append(np.clip(y, -100, 100) if i % 7 != 2 else y)
    return np.array(kinds)


@pytest.mark.parametrize("seed", range(6))
def test_each_row_of_a_stack_is_the_series_judged_alone(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.choice([2, 3, 8, 14, 30, 41]))
    first = month_index(date(2022, 1, 1)) + int(rng.integers(0, 24))
    t = np.arange(first, first + n, dtype=float)
    as_of = from_index(first + n - 1 + int(rng.integers(0, 4)))
    target = Target(id="households_fiber" if seed % 2 else "fbb_subs_per_100",
                    target=float(rng.choice([60.0, 85.0, 100.0])), target_date=date(2025, 12, 1),
                    baseline=date(2023, 9, 1), comparison=">" if seed == 3 else None)
    ys = _stack(rng, 14, n)
    if target.ceiling is not None:   # a share lies in [0, ceiling]
        ys = np.clip(ys, 0, target.ceiling)
    # Two pools, as a stack of districts and communes gets (one pool has no errors at some horizons).
    pools = [{b: (-q, q) for b, q in enumerate(rng.uniform(0.2, 1.5, len(calibration.BUCKETS)))},
             {0: (-0.4, 0.4), 2: (-0.9, 0.9)}]
    pool_of = rng.integers(0, 2, len(ys))
    unit = np.where(rng.random(len(ys)) < 0.5, rng.uniform(0.1, 1.0, len(ys)), np.nan)

    stack = prepare_many(t, ys, target)
    q = [calibration.table_arrays(pools[k]) for k in pool_of]
    rows, _ = finish_many(stack, target, as_of, np.array([lo for lo, _ in q]), np.array([hi for _, hi in q]), unit)
    together = frame([rows])
    for i, y in enumerate(ys):
        alone, _, scores = judge(t, y, target, as_of, table=pools[pool_of[i]],
                                 unit_step=None if np.isnan(unit[i]) else float(unit[i]))
        assert together.row(i, named=True) == alone, f"row {i} of {len(ys)} (seed {seed})"
        assert [s.__dict__ for s in stack.scores(i)] == scores
    # The stack held every kind of outcome the generator meant it to (so the comparison above covered them).
    assert together["model"].null_count() < len(ys)
    if n >= 14:
        assert together["model"].n_unique() >= 2


def test_an_empty_series_and_a_stack_of_one_observation_are_insufficient_data():
    target = Target(id="households_fiber", target=85.0, target_date=date(2025, 12, 1), baseline=date(2023, 9, 1))
    for n in (0, 1):
        stack = prepare_many(np.arange(n, dtype=float) + 24300, np.full((3, n), 50.0), target)
        rows, projections = finish_many(stack, target, date(2025, 6, 1))
        out = frame([rows])
        assert projections is None and out["status"].to_list() == ["insufficient_data"] * 3
        assert out["note"][0] == f"{n} observation(s): at least 2 are needed" and out["n_points"][0] == n
        assert out.schema == pl.Schema(out.schema) and out["latest_value"].null_count() == 3
