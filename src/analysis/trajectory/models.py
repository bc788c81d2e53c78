"""Three trend models a statistician can audit, each a straight line on its own scale, fitted by least squares:

- linear:      y = a + b·t
- compound:    log y = a + b·t            (constant growth rate g = e^b − 1 a month; y > 0)
- logistic:    logit(y / K) = a + b·t     (an S-curve toward the ceiling K; 0 < y < K; `ceiling` needed)

`t` is in months. The 80% prediction interval is the OLS one on the model's scale, mapped back, so it is
asymmetric where the scale is: ŷ ± t(0.90, n−2) · s · √(1 + 1/n + (t − t̄)² / Sxx).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import stats

MODELS = ("linear", "compound", "logistic")
EDGE = 1e-3  # a share at 0 or at its ceiling is moved in by this fraction of the ceiling before the logit


@dataclass(frozen=True)
class Fit:
    model: str
    a: float
    b: float
    n: int
    t_mean: float
    sxx: float
    s: float          # residual standard deviation on the model's scale
    ceiling: float | None

    def _to_scale(self, y: np.ndarray) -> np.ndarray:
        return _forward(self.model, y, self.ceiling)

    def predict(self, t: np.ndarray, level: float = 0.80) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(projection, lower, upper) at months `t`; the interval is `level` two-sided."""
        t = np.asarray(t, dtype=float)
        z = self.a + self.b * t
        q = _t_quantile(0.5 + level / 2, self.n - 2) if self.n > 2 else np.nan
        half = q * self.s * np.sqrt(1 + 1 / self.n + (t - self.t_mean) ** 2 / self.sxx)
        return (_back(self.model, z, self.ceiling), _back(self.model, z - half, self.ceiling),
                _back(self.model, z + half, self.ceiling))

    def point(self, t: np.ndarray) -> np.ndarray:
        """The projection alone (the back-test needs no interval)."""
        return _back(self.model, self.a + self.b * np.asarray(t, dtype=float), self.ceiling)

    def params(self) -> dict:
        """The fitted parameters in the terms a reader knows."""
        if self.model == "linear":
            return {"intercept": self.a, "slope_per_month": self.b}
        if self.model == "compound":
            return {"level_at_t0": float(np.exp(self.a)), "growth_per_month": float(np.expm1(self.b))}
        return {"ceiling": self.ceiling, "rate_per_month": self.b,
                "midpoint_month": -self.a / self.b if self.b else float("nan")}


@lru_cache(maxsize=1024)
def _t_quantile(p: float, df: int) -> float:
    """Student's t quantile: the same few degrees of freedom recur across thousands of series, so it is kept."""
    return float(stats.t.ppf(p, df))


def _forward(model: str, y: np.ndarray, ceiling: float | None) -> np.ndarray:
    if model == "linear":
        return y
    if model == "compound":
        return np.log(y)
    k = float(ceiling)
    p = np.clip(y / k, EDGE, 1 - EDGE)
    return np.log(p / (1 - p))


def _back(model: str, z: np.ndarray, ceiling: float | None) -> np.ndarray:
    if model == "linear":
        return z if ceiling is None else np.minimum(z, ceiling)
    if model == "compound":
        return np.exp(np.minimum(z, 700.0))
    return float(ceiling) / (1 + np.exp(-z))


def usable(model: str, y: np.ndarray, ceiling: float | None) -> bool:
    """Can this model describe these values at all? (compound needs y > 0; logistic needs a ceiling above them)"""
    if model == "compound":
        return bool(np.all(y > 0))
    if model == "logistic":
        return ceiling is not None and bool(np.all((y >= 0) & (y <= ceiling)))
    return True


def fit(model: str, t: np.ndarray, y: np.ndarray, ceiling: float | None = None) -> Fit | None:
    """Least squares on the model's scale; None when the model cannot describe the data or n < 3."""
    t, y = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
    if len(t) < 3 or not usable(model, y, ceiling):
        return None
    z = _forward(model, y, ceiling)
    t_mean = t.mean()
    dt = t - t_mean
    sxx = float(dt @ dt)
    if sxx == 0:
        return None
    b = float(dt @ (z - z.mean())) / sxx
    a = float(z.mean() - b * t_mean)
    resid = z - (a + b * t)
    s = float(np.sqrt(resid @ resid / (len(t) - 2)))
    return Fit(model, a, b, len(t), float(t_mean), sxx, s, ceiling)
