"""The published progress methods, as plain functions of numbers a reader can recompute by hand.

- Open SDG / Eurostat: R = CAGR observed / CAGR required, where CAGR observed runs from the baseline to the latest
  value and CAGR required from the baseline to the target at the target date. R ≥ 0.95 on track; 0.6 ≤ R < 0.95
  acceleration needed; 0 ≤ R < 0.6 limited progress; R < 0 deterioration; "achieved" when the target is met.
  A zero or negative base has no growth rate: the same ratio is taken of linear paces instead (and said so).
  R is defined only when the baseline has not already met the target (otherwise the required rate points the wrong
  way and R's sign flips), and only from 12 months after the baseline (a shorter span annualised is noise).
- UN Statistics Division: P = (projected value at the target date − baseline) / (target − baseline); P ≥ 1 means
  the projection reaches the target.
- The headline judgement before a deadline (`headline`): on track when the projection at the deadline meets the
  target, at risk when only the optimistic bound of its 80% interval does, off track when neither does.
"""
from __future__ import annotations

import math

import numpy as np

ON_TRACK, ACCELERATE, LIMITED = 0.95, 0.6, 0.0
MIN_MONTHS_FOR_RATE = 12


def meets(value: float | None, target: float, direction: str, strict: bool = False, tolerance: float = 0.0) -> bool:
    """Whether a value meets the target: ≥ (or > when strict) for a higher-is-better indicator, ≤ (<) for a lower
    one. `tolerance` moves the target toward the value (one counted unit, for a projection of a target that equals
    its ceiling, which a saturating projection approaches but never reaches)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    exclusive = strict or tolerance > 0   # within one unit: less than one unit short
    if direction == "higher":
        return value > target - tolerance if exclusive else value >= target
    return value < target + tolerance if exclusive else value <= target


def meets_all(values: np.ndarray, target: float, direction: str, strict: bool = False,
              tolerance: float | np.ndarray = 0.0) -> np.ndarray:
    """`meets` for an array of values (NaN never meets); `tolerance` may be an array that broadcasts against them
    (one a series of a stack)."""
    tolerance = np.asarray(tolerance, dtype=float)
    exclusive = strict | (tolerance > 0)
    with np.errstate(invalid="ignore"):
        if direction == "higher":
            return np.where(exclusive, values > target - tolerance, values >= target)
        return np.where(exclusive, values < target + tolerance, values <= target)


def cagr(start: float, end: float, years: float) -> float | None:
    """Compound annual growth rate; None when it does not exist (a non-positive value or no time)."""
    if start is None or end is None or start <= 0 or end <= 0 or years <= 0:
        return None
    return (end / start) ** (1 / years) - 1


def ratio_r(baseline: float, latest: float, target: float, years_elapsed: float, years_total: float
            ) -> tuple[float | None, float | None, float | None, str]:
    """(R, observed rate, required rate, rule). The rates are CAGRs ("CAGR"), or linear paces per year on a zero
    base ("linear"); without R, the rule says why: "no_distance" (no time elapsed or none to cover), "too_soon"
    (fewer than 12 months since the baseline)."""
    if years_elapsed <= 0 or years_total <= 0 or target == baseline:
        return None, None, None, "no_distance"
    if years_elapsed * 12 < MIN_MONTHS_FOR_RATE - 1e-9:
        return None, None, None, "too_soon"
    observed, required = cagr(baseline, latest, years_elapsed), cagr(baseline, target, years_total)
    if observed is None or required is None:
        observed = (latest - baseline) / years_elapsed
        required = (target - baseline) / years_total
        rule = "linear"   # a zero or negative value has no growth rate: linear paces a year
    else:
        rule = "CAGR"
    if required == 0:
        return None, observed, required, rule
    return observed / required, observed, required, rule


def baseline_met(baseline: float, target: float, direction: str) -> bool:
    """The target was already met at the baseline: no rate is required, and R is not defined."""
    return baseline >= target if direction == "higher" else baseline <= target


def headline(projected: float | None, optimistic: float | None, met) -> str:
    """Before the deadline: will it be met? `met` tells whether a value meets the target."""
    if projected is None:
        return "insufficient_data"
    if met(projected):
        return "on_track"
    return "at_risk" if optimistic is not None and met(optimistic) else "off_track"


def category(r: float | None, achieved: bool) -> str:
    if achieved:
        return "achieved"
    if r is None:
        return "insufficient_data"
    if r >= ON_TRACK:
        return "on_track"
    if r >= ACCELERATE:
        return "acceleration_needed"
    if r >= LIMITED:
        return "limited_progress"
    return "deterioration"


def progress_p(baseline: float, projected: float | None, target: float) -> float | None:
    """UNSD: the share of the baseline-to-target distance the projection covers by the target date."""
    if projected is None or target == baseline:
        return None
    return (projected - baseline) / (target - baseline)
