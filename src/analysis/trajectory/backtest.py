"""Choosing a model by rolling-origin back-testing: refit on the history up to each origin, forecast what came
next, and keep the model with the smallest mean absolute error (in the indicator's own units).

Origins are every `STEP`th observation of the last `WINDOW` (so a long monthly series costs a handful of refits),
each forecasting up to `HORIZON` months ahead. A tie goes to the simpler model (linear, compound, logistic).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.trajectory.models import MODELS, fit

MIN_TRAIN = 6     # observations an origin needs behind it (3 for yearly series, see `min_train`)
WINDOW = 24       # origins are taken among the last 24 observations
STEP = 3
HORIZON = 12      # months ahead each origin forecasts


@dataclass
class Score:
    model: str
    mae: float | None   # None: the model could not be fitted at any origin
    origins: int
    points: int


def min_train(n: int) -> int:
    """Monthly series train on at least 6 points; short (yearly) ones on at least 3."""
    return MIN_TRAIN if n >= 2 * MIN_TRAIN else 3


def backtest(t: np.ndarray, y: np.ndarray, ceiling: float | None) -> list[Score]:
    n = len(t)
    first = max(min_train(n), n - WINDOW)
    origins = list(range(first, n, STEP))
    scores = []
    for model in MODELS:
        errors, used = [], 0
        for k in origins:
            f = fit(model, t[:k], y[:k], ceiling)
            ahead = (t[k:] > t[k - 1]) & (t[k:] <= t[k - 1] + HORIZON)
            if f is None or not ahead.any():
                continue
            pred = f.point(t[k:][ahead])
            errors.append(np.abs(pred - y[k:][ahead]))
            used += 1
        err = np.concatenate(errors) if errors else np.array([])
        scores.append(Score(model, float(err.mean()) if err.size else None, used, int(err.size)))
    return scores


def choose(scores: list[Score]) -> Score | None:
    """The smallest error; MODELS order breaks ties (the simpler model)."""
    ranked = [s for s in scores if s.mae is not None]
    return min(ranked, key=lambda s: (round(s.mae, 12), MODELS.index(s.model))) if ranked else None
