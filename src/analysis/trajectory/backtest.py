"""Choosing a model by a rolling-origin back-test (Tashman 2000; Hyndman & Athanasopoulos, *Forecasting: Principles
and Practice*, §5.10): at each origin, fit on the history up to it, forecast what came next, and compare.

- Origins: every `STEP`th observation from the `min_train`th on (12 for a monthly series; every year from the
  third for a yearly one).
- Horizons: 1 to `HORIZON` months ahead, which spans the decisions made with the projection: the distance to a
  deadline (27 months for Plan 171 from its baseline) and the expected dates published (up to `HORIZON` months).
- Error measure: mean absolute error in the indicator's own units over every (origin, horizon) pair.
- A model is a candidate only if it can describe the history at every origin; at least `MIN_ORIGINS` origins are
  needed, else the anchored recent-pace model is used without a contest. A tie goes to the simpler model.

The chosen model's errors are kept, each divided by the series' own scale at its origin (its mean absolute monthly
change), so errors of areas of different sizes can be pooled to calibrate the intervals (see `calibration`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analysis.trajectory.models import FALLBACK, MODELS, Bounds, back, damped, forward, scale_of, slopes

MIN_TRAIN = 12    # observations an origin needs behind it (3 for yearly series, see `min_train`)
MIN_ORIGINS = 3
STEP = 3
HORIZON = 36      # months ahead each origin forecasts
SCALE_STEPS = 24  # the scale of a series: mean absolute change over its last 24 steps, a month


@dataclass
class Score:
    model: str
    mae: float | None   # None: the model could not be used at every origin
    origins: int
    points: int


@dataclass
class Errors:
    """The chosen model's back-test: one entry per (origin, later observation within the horizon)."""
    origin_t: np.ndarray = field(default_factory=lambda: np.array([]))
    horizon: np.ndarray = field(default_factory=lambda: np.array([]))
    forecast: np.ndarray = field(default_factory=lambda: np.array([]))
    actual: np.ndarray = field(default_factory=lambda: np.array([]))
    scale: np.ndarray = field(default_factory=lambda: np.array([]))


def min_train(t: np.ndarray) -> int:
    """Monthly series train on at least 12 points; yearly ones (steps of 12 months or more) on at least 3."""
    return 3 if yearly(t) else MIN_TRAIN


def yearly(t: np.ndarray) -> bool:
    return len(t) >= 2 and float(np.min(np.diff(t))) >= 12


def scale(t: np.ndarray, y: np.ndarray) -> float:
    """Mean absolute change a month over the last `SCALE_STEPS` steps, floored so a flat series divides safely."""
    t, y = t[-SCALE_STEPS - 1:], y[-SCALE_STEPS - 1:]
    step = float(np.mean(np.abs(np.diff(y))) / np.mean(np.diff(t))) if len(t) >= 2 else 0.0
    return max(step, 1e-6 * max(1.0, abs(float(y[-1]))))


def origins(t: np.ndarray) -> np.ndarray:
    """Prefix lengths k (fit on t[:k]) that leave at least one observation within the horizon."""
    ks = np.arange(min_train(t), len(t), 1 if yearly(t) else STEP)
    return ks[t[ks] - t[ks - 1] <= HORIZON] if ks.size else ks


def backtest(t: np.ndarray, y: np.ndarray, ceiling: float | None) -> tuple[list[Score], str, Errors]:
    """Every model's score, the chosen model's name and its errors."""
    t, y = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
    ks = origins(t)
    scores, per_model = [], {}
    if ks.size:
        ahead = t[None, :] - t[ks - 1][:, None]               # origins × observations, months ahead
        mask = (ahead > 0) & (ahead <= HORIZON)
        bounds_floor = 0.0 if float(np.min(y)) >= 0 else None
        for model in MODELS:
            sc = scale_of(model, ceiling)
            if sc is None or not _usable_everywhere(sc, y, ks, ceiling):
                scores.append(Score(model, None, 0, 0))
                continue
            z = forward(sc, y, ceiling, edge=True)
            b = slopes(model, t, z, ks)
            if not np.isfinite(b).all():
                scores.append(Score(model, None, 0, 0))
                continue
            z0 = forward(sc, y[ks - 1], ceiling, edge=False)
            pred = back(sc, z0[:, None] + b[:, None] * damped(np.where(mask, ahead, 0), MODELS[model][3]), ceiling)
            pred = Bounds(bounds_floor, ceiling).clip(pred)
            err = np.abs(pred - y[None, :])[mask]
            per_model[model] = pred
            scores.append(Score(model, float(err.mean()), int(ks.size), int(err.size)))
    else:
        scores = [Score(m, None, 0, 0) for m in MODELS]
    # Too few origins for a contest: the recent pace, whose errors still calibrate the intervals.
    best = choose(scores) if ks.size >= MIN_ORIGINS else None
    name = best.model if best else FALLBACK
    if name not in per_model:
        return scores, name, Errors()
    oi, oj = np.nonzero(mask)
    scales = np.array([scale(t[:k], y[:k]) for k in ks])
    return scores, name, Errors(origin_t=t[ks - 1][oi], horizon=ahead[oi, oj], forecast=per_model[name][oi, oj],
                                actual=y[oj], scale=scales[oi])


def _usable_everywhere(sc: str, y: np.ndarray, ks: np.ndarray, ceiling: float | None) -> bool:
    """The model's scale describes every prefix the origins fit on (so every model is judged on the same
    origins): the whole series is not needed, only the history up to the last origin."""
    hist = y[: int(ks.max())]
    if sc == "log":
        return bool(np.all(hist > 0))
    if sc in ("logit", "shortfall"):
        return bool(np.all((hist >= 0) & (hist <= ceiling)))
    return True


def choose(scores: list[Score]) -> Score | None:
    """The smallest error; MODELS order breaks ties (the simpler model)."""
    order = list(MODELS)
    ranked = [s for s in scores if s.mae is not None]
    return min(ranked, key=lambda s: (round(s.mae, 12), order.index(s.model))) if ranked else None
