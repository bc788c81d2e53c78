"""The published progress methods, as plain functions of numbers a reader can recompute by hand.

- Open SDG / Eurostat: R = CAGR observed / CAGR required, where CAGR observed runs from the baseline to the latest
  value and CAGR required from the baseline to the target at the target date. R ≥ 0.95 on track; 0.6 ≤ R < 0.95
  acceleration needed; 0 ≤ R < 0.6 limited progress; R < 0 deterioration; "achieved" when the target is met.
  A zero or negative base has no growth rate: the same ratio is taken of linear paces instead (and said so).
- UN Statistics Division: P = (projected value at the target date − baseline) / (target − baseline); P ≥ 1 means
  the projection reaches the target.
"""
from __future__ import annotations

import math

ON_TRACK, ACCELERATE, LIMITED = 0.95, 0.6, 0.0


def meets(value: float | None, target: float, direction: str) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return value >= target if direction == "higher" else value <= target


def cagr(start: float, end: float, years: float) -> float | None:
    """Compound annual growth rate; None when it does not exist (a non-positive value or no time)."""
    if start is None or end is None or start <= 0 or end <= 0 or years <= 0:
        return None
    return (end / start) ** (1 / years) - 1


def ratio_r(baseline: float, latest: float, target: float, years_elapsed: float, years_total: float
            ) -> tuple[float | None, float | None, float | None, str]:
    """(R, observed rate, required rate, rule). The rates are CAGRs, or linear paces per year on a zero base."""
    if years_elapsed <= 0 or years_total <= 0 or target == baseline:
        return None, None, None, "no elapsed time or no distance to cover"
    observed, required = cagr(baseline, latest, years_elapsed), cagr(baseline, target, years_total)
    if observed is None or required is None:
        observed = (latest - baseline) / years_elapsed
        required = (target - baseline) / years_total
        rule = "linear paces (a zero or negative value has no growth rate)"
    else:
        rule = "CAGR"
    if required == 0:
        return None, observed, required, rule
    return observed / required, observed, required, rule


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
