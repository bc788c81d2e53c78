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

from analysis.trajectory.models import FALLBACK, MODELS, back, damped, forward, scale_of, slopes, usable

MIN_TRAIN = 12    # observations an origin needs behind it (3 for yearly series, see `min_train`)
MIN_ORIGINS = 3
STEP = 3
HORIZON = 36      # months ahead each origin forecasts
TIE = 1e-9        # errors this close (relative) are a tie
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
    return float(scales(t, y, np.array([len(t)]))[0])


def scales(t: np.ndarray, y: np.ndarray, ks: np.ndarray) -> np.ndarray:
    """`scale` of each prefix t[:k], y[..., :k] for k in `ks`, all at once (y: one series or a stack of them): the
    sum of the last `SCALE_STEPS` absolute changes over the months they span."""
    zero = np.zeros(y.shape[:-1] + (1,))
    csum = np.concatenate((zero, np.cumsum(np.abs(np.diff(y, axis=-1)), axis=-1)), axis=-1)
    first = np.maximum(ks - 1 - SCALE_STEPS, 0)
    months = t[ks - 1] - t[first]
    step = (csum[..., ks - 1] - csum[..., first]) / np.where(months > 0, months, 1.0) * (months > 0)
    return np.maximum(step, 1e-6 * np.maximum(1.0, np.abs(y[..., ks - 1])))


def origins(t: np.ndarray) -> np.ndarray:
    """Prefix lengths k (fit on t[:k]) that leave at least one observation within the horizon."""
    ks = np.arange(min_train(t), len(t), 1 if yearly(t) else STEP)
    return ks[t[ks] - t[ks - 1] <= HORIZON] if ks.size else ks


def scores_of(maes: np.ndarray, n_origins: int, n_points: int) -> list[Score]:
    """A series' score of each model from its back-test errors (NaN: the model could not be used)."""
    return [Score(model, None, 0, 0) if np.isnan(mae) else Score(model, float(mae), n_origins, n_points)
            for model, mae in zip(MODELS, maes)]


@dataclass
class Batch:
    """The back-test of a stack of series sharing their months: each model's error on each series, the chosen
    model of each, and the chosen models' forecasts at every (origin, later observation within the horizon)
    pair, `pairs` of them."""
    maes: np.ndarray           # (len(MODELS), m): NaN where the model could not be used at every origin
    n_origins: int
    n_points: int
    names: np.ndarray          # (m,) the chosen model's name
    has_errors: np.ndarray     # (m,) the chosen model could be back-tested on this series
    origin_t: np.ndarray       # (pairs,)
    horizon: np.ndarray        # (pairs,)
    forecast: np.ndarray       # (m, pairs)
    actual: np.ndarray         # (m, pairs)
    scale: np.ndarray          # (m, pairs)

    def scores(self, i: int) -> list[Score]:
        return scores_of(self.maes[:, i], self.n_origins, self.n_points)

    def errors(self, i: int) -> Errors:
        if not self.has_errors[i]:
            return Errors()
        return Errors(self.origin_t, self.horizon, self.forecast[i], self.actual[i], self.scale[i])


def backtest_many(t: np.ndarray, ys: np.ndarray, ceiling: float | None) -> Batch:
    """The back-test of every series of `ys` (m, n) observed at the months `t`, all at once."""
    t, ys = np.asarray(t, dtype=float), np.asarray(ys, dtype=float)
    m = ys.shape[0]
    ks = origins(t)
    ahead = t[None, :] - t[ks - 1][:, None]                   # origins × observations, months ahead
    oi, oj = np.nonzero((ahead > 0) & (ahead <= HORIZON))
    h = ahead[oi, oj]
    floor = np.where(ys.min(axis=1) >= 0, 0.0, -np.inf)[:, None]
    top = np.inf if ceiling is None else ceiling
    maes, preds = np.full((len(MODELS), m), np.nan), {}
    actual = ys[:, oj]
    if ks.size:
        hist = ys[:, : int(ks.max())]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for mi, model in enumerate(MODELS):
                sc = scale_of(model, ceiling)
                if sc is None:
                    continue
                ok = usable(model, hist, ceiling)   # on the history every origin fits on
                b = slopes(model, t, forward(sc, ys, ceiling, edge=True), ks)
                ok &= np.isfinite(b).all(axis=1)
                z0 = forward(sc, ys[:, ks - 1], ceiling, edge=False)
                pred = back(sc, z0[:, oi] + b[:, oi] * damped(h, MODELS[model][3])[None, :], ceiling)
                pred = np.clip(pred, floor, top)
                # (each row's errors contiguous, so a series' mean is summed in the same order in a stack of any
                # size as alone: `pred` comes out of the gathers in column order)
                maes[mi] = np.where(ok, np.abs(np.subtract(pred, actual, order="C")).mean(axis=1), np.nan)
                preds[model] = pred
    names_list = list(MODELS)
    # The smallest error, the simpler model on a tie (errors within a billionth of the smallest: float noise must
    # not break one); too few origins for a contest: the recent pace, whose errors still calibrate the intervals.
    idx = np.full(m, names_list.index(FALLBACK))
    if ks.size >= MIN_ORIGINS:
        ranked = np.where(np.isnan(maes), np.inf, maes)
        least = ranked.min(axis=0)
        best = (ranked <= least + TIE * np.maximum(1.0, np.abs(least))).argmax(axis=0)
        idx = np.where(np.isfinite(ranked[best, np.arange(m)]), best, idx)
    chosen = np.array(names_list, dtype=object)[idx]
    tested = np.array([model in preds for model in names_list])
    has = tested[idx] & ~np.isnan(maes[idx, np.arange(m)])
    forecast = np.zeros((m, h.size))
    for model, pred in preds.items():
        rows = idx == names_list.index(model)
        forecast[rows] = pred[rows]
    return Batch(maes, int(ks.size), int(h.size), chosen, has, t[ks - 1][oi], h, forecast, actual,
                 scales(t, ys, ks)[:, oi])


def backtest(t: np.ndarray, y: np.ndarray, ceiling: float | None) -> tuple[list[Score], str, Errors]:
    """One series' scores, chosen model and its errors."""
    batch = backtest_many(t, np.asarray(y, dtype=float)[None, :], ceiling)
    return batch.scores(0), batch.names[0], batch.errors(0)


def choose(scores: list[Score]) -> Score | None:
    """The smallest error; MODELS order breaks ties (the simpler model)."""
    ranked = [s for s in scores if s.mae is not None]
    if not ranked:
        return None
    least = min(s.mae for s in ranked)
    return next(s for s in ranked if s.mae <= least + TIE * max(1.0, abs(least)))
