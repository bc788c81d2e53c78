"""Projection models a statistician can audit. Each one continues the latest observation at a constant slope on
its own scale, so a projection starts where the data ends (level continuity) and can never cross a bound its
scale does not reach:

    y(t_last + h) = g⁻¹( g(y_last) + b · D(h) )

The scale g:
- linear:    g(y) = y
- log:       g(y) = log y              (a constant growth rate; needs y > 0)
- logit:     g(y) = logit(y / K)       (an S-curve toward the ceiling K)
- shortfall: g(y) = log(K − y)         (the distance to the ceiling shrinks at a constant rate: saturates near K)

The slope b, in scale units a month:
- trend:  least squares over the last 24 months (the classic linear, compound and logistic trend models)
- recent: the change over the last twelve months (the "recent pace", or drift, model)

D(h) = h months, or Σ_{i=1..h} φ^i for a damped slope (Gardner & McKenzie's damped trend), φ = 0.97 a month.

Every projection is clipped to [floor, ceiling]: floor 0 for a series that never went below it, ceiling K where
the target file declares one.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# name: (scale for an unbounded indicator, scale for a bounded one, slope, damping φ a month); the order breaks
# ties in the back-test, simplest first. None: the model does not apply to that kind of indicator.
MODELS: dict[str, tuple[str | None, str | None, str, float]] = {
    "pace": ("linear", "shortfall", "recent", 1.0),
    "damped_pace": ("linear", "shortfall", "recent", 0.97),
    "linear": ("linear", "linear", "trend", 1.0),
    "compound": ("log", "log", "trend", 1.0),
    "logistic": (None, "logit", "trend", 1.0),
}
FALLBACK = "pace"
PACE_WINDOW = 12   # months behind the latest observation that the recent pace is measured over
TREND_WINDOW = 24  # months of history the least-squares trend is fitted on: the plan's own horizon, so that
                   # an old slope does not outlive two years of another pace
EDGE = 1e-3        # a share at 0 or at its ceiling is moved in by this fraction of the ceiling to estimate a slope


@dataclass(frozen=True)
class Bounds:
    floor: float | None
    ceiling: float | None

    @staticmethod
    def of(y: np.ndarray, ceiling: float | None) -> "Bounds":
        return Bounds(0.0 if y.size and float(np.min(y)) >= 0 else None, ceiling)


def scale_of(model: str, ceiling: float | None) -> str | None:
    unbounded, bounded, _, _ = MODELS[model]
    return bounded if ceiling is not None else unbounded


def forward(scale: str, y: np.ndarray, ceiling: float | None, *, edge: bool) -> np.ndarray:
    """g(y). With `edge`, values at a bound are moved in first (to estimate a slope); without it a value at the
    bound maps to ±inf, which g⁻¹ maps back to the bound: a series at its ceiling stays there."""
    y = np.asarray(y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if scale == "linear":
            return y
        if scale == "log":
            return np.log(y)
        k = float(ceiling)
        if scale == "logit":
            p = np.clip(y / k, EDGE, 1 - EDGE) if edge else y / k
            return np.log(p) - np.log1p(-p)
        short = np.maximum(k - y, EDGE * k) if edge else np.maximum(k - y, 0.0)
        return np.log(short)


def back(scale: str, z: np.ndarray, ceiling: float | None) -> np.ndarray:
    """g⁻¹(z)."""
    z = np.asarray(z, dtype=float)
    with np.errstate(over="ignore"):
        if scale == "linear":
            return z
        if scale == "log":
            return np.exp(np.minimum(z, 700.0))
        k = float(ceiling)
        if scale == "logit":
            return k / (1 + np.exp(-z))
        return k - np.exp(np.minimum(z, 700.0))


def usable(model: str, y: np.ndarray, ceiling: float | None) -> np.ndarray:
    """Can this model describe these values at all? (log needs y > 0; logit and shortfall a ceiling above them)
    For one series (n,) a boolean; for a stack (m, n), one a series."""
    scale = scale_of(model, ceiling)
    if scale is None:
        return np.zeros(y.shape[:-1], dtype=bool)
    if scale == "log":
        return np.all(y > 0, axis=-1)
    if scale in ("logit", "shortfall"):
        return np.all((y >= 0) & (y <= ceiling), axis=-1)
    return np.ones(y.shape[:-1], dtype=bool)


def damped(h: np.ndarray, phi: float) -> np.ndarray:
    """D(h): h months of slope, each damped by φ (φ = 1: h)."""
    h = np.asarray(h, dtype=float)
    return h if phi == 1.0 else phi * (1 - phi ** h) / (1 - phi)


def slopes(model: str, t: np.ndarray, z: np.ndarray, ks: np.ndarray) -> np.ndarray:
    """The model's slope fitted on each prefix t[:k], z[..., :k] for k in `ks`, all at once: `z` is one series
    (n,) or a stack of series sharing the months `t` (m, n); the result is (len(ks),) or (m, len(ks))."""
    kind = MODELS[model][2]
    last = ks - 1
    if kind == "recent":
        j = np.clip(np.searchsorted(t, t[last] - PACE_WINDOW, side="right") - 1, 0, None)
        dt = t[last] - t[j]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(dt > 0, (z[..., last] - z[..., j]) / np.where(dt > 0, dt, 1.0), np.nan)
    # least squares over the observations of the last TREND_WINDOW months, by differences of prefix sums
    first = np.searchsorted(t, t[last] - TREND_WINDOW, side="right")
    tc = t - t[0]   # centred for precision: the slope does not depend on the origin of t
    ct = np.concatenate(([0.0], np.cumsum(tc)))
    ctt = np.concatenate(([0.0], np.cumsum(tc * tc)))
    zero = np.zeros(z.shape[:-1] + (1,))
    cz = np.concatenate((zero, np.cumsum(z, axis=-1)), axis=-1)
    ctz = np.concatenate((zero, np.cumsum(tc * z, axis=-1)), axis=-1)
    s1, s2 = ct[ks] - ct[first], ctt[ks] - ctt[first]
    sz, stz = cz[..., ks] - cz[..., first], ctz[..., ks] - ctz[..., first]
    n = (ks - first).astype(float)
    den = n * s2 - s1 * s1
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, (n * stz - s1 * sz) / np.where(den > 0, den, 1.0), np.nan)


@dataclass(frozen=True)
class Model:
    """A chosen model fitted on a whole series: everything a projection needs, and its parameters for a reader."""
    name: str
    slope: float          # on the model's scale, a month
    anchor_t: float       # the latest observation's month index
    anchor_y: float
    bounds: Bounds

    def point(self, t: np.ndarray) -> np.ndarray:
        floor = np.array([-np.inf if self.bounds.floor is None else self.bounds.floor])
        return project(np.array([self.name], dtype=object), np.array([self.slope]), np.array([self.anchor_y]),
                       floor, self.bounds.ceiling, np.asarray(t, dtype=float) - self.anchor_t)[0]

    def params(self) -> dict:
        return {"scale": scale_of(self.name, self.bounds.ceiling), "slope_per_month": self.slope,
                "damping": MODELS[self.name][3], "anchor_value": self.anchor_y, "ceiling": self.bounds.ceiling}


def fit(model: str, t: np.ndarray, y: np.ndarray, ceiling: float | None = None) -> Model | None:
    """The model on the whole series; None when it cannot describe the data or has no slope (n < 2)."""
    t, y = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
    names, b = fit_many(np.array([model], dtype=object), t, y[None, :], ceiling)
    if names[0] is None:
        return None
    return Model(model, float(b[0]), float(t[-1]), float(y[-1]), Bounds.of(y, ceiling))


def fit_many(names: np.ndarray, t: np.ndarray, ys: np.ndarray, ceiling: float | None
             ) -> tuple[np.ndarray, np.ndarray]:
    """`fit` of every series of a stack (m, n) sharing the months `t`, each with the model `names[i]` asked of
    it: (the name, or None where that model cannot describe the series or has no slope; the slope). One set of
    array operations a model, not one a series (tens of thousands of communes nationally)."""
    got, slope = np.full(len(names), None, dtype=object), np.full(len(names), np.nan)
    if len(t) < 2:
        return got, slope
    for model in MODELS:
        rows = np.flatnonzero(names == model)
        scale = scale_of(model, ceiling)
        if not rows.size or scale is None:
            continue
        b = slopes(model, t, forward(scale, ys[rows], ceiling, edge=True), np.array([len(t)]))[:, 0]
        ok = usable(model, ys[rows], ceiling) & np.isfinite(b)
        got[rows[ok]], slope[rows[ok]] = model, b[ok]
    return got, slope


def project(names: np.ndarray, slope: np.ndarray, anchor_y: np.ndarray, floor: np.ndarray, ceiling: float | None,
            h: np.ndarray) -> np.ndarray:
    """y(t_last + h) for every series of a stack at the horizons `h` (months after its latest observation, the
    same for all): (m, len(h)), each series by its model `names[i]` (NaN where it has none) from its latest value
    `anchor_y[i]` at `slope[i]`, clipped to [floor[i], ceiling]."""
    out = np.full((len(names), len(h)), np.nan)
    for model in MODELS:
        rows = np.flatnonzero(names == model)
        if not rows.size:
            continue
        scale = scale_of(model, ceiling)
        z0 = forward(scale, anchor_y[rows], ceiling, edge=False)
        out[rows] = back(scale, z0[:, None] + slope[rows][:, None] * damped(h, MODELS[model][3])[None, :], ceiling)
    return np.clip(out, floor[:, None], np.inf if ceiling is None else ceiling)
