"""One indicator in one area: fit, project, and judge it against its target. Every input of every formula is
returned with the result, so the `status` table can be recomputed by hand."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from analysis.periods import from_index, month_index
from analysis.targets import Target
from analysis.trajectory import formulas
from analysis.trajectory.backtest import backtest, choose
from analysis.trajectory.models import fit

ETA_MONTHS = 120     # an ETA further than ten years at today's pace is reported as "not within 10 years"
BEYOND_MONTHS = 24   # trajectories run this far past the later of the target date and the as-of month


@dataclass
class Projection:
    periods: list[date]
    projected: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    model: str


def _value_at(t: np.ndarray, y: np.ndarray, month: int) -> tuple[float | None, int | None]:
    """The observation at `month`, else the latest one before it."""
    before = np.nonzero(t <= month)[0]
    if not before.size:
        return None, None
    i = before[-1]
    return float(y[i]), int(t[i])


def judge(t: np.ndarray, y: np.ndarray, target: Target, as_of: date) -> tuple[dict, Projection | None, list[dict]]:
    """(status row, projection, back-test scores) for one series of (month index, value), sorted by month."""
    direction, goal = target.direction, target.target
    due, base_m, now = month_index(target.target_date), month_index(target.baseline), month_index(as_of)
    keep = t <= now
    t, y = t[keep], y[keep]
    row: dict = {"target": goal, "target_date": target.target_date, "direction": direction,
                 "ceiling": target.ceiling, "n_points": int(len(t))}
    if len(t) < 2:
        return {**row, "status": "insufficient_data", "note": f"{len(t)} observation(s): at least 2 are needed"}, None, []
    latest, latest_m = float(y[-1]), int(t[-1])
    # The baseline: the value at the plan's start month, else the latest before it (a yearly figure), else the
    # first one after it (a series that starts later).
    before = np.nonzero(t <= base_m)[0]
    bi = before[-1] if before.size else 0
    baseline, baseline_m = float(y[bi]), int(t[bi])
    row.update(latest_value=latest, latest_period=from_index(latest_m), baseline_value=baseline,
               baseline_period=from_index(baseline_m))
    achieved_now = formulas.meets(latest, goal, direction)

    # Open SDG ratio, from the baseline to the latest value (or to the target date once it has passed).
    end_m = min(latest_m, due)
    end_v = _value_at(t, y, end_m)[0]
    years_elapsed, years_total = (end_m - baseline_m) / 12, (due - baseline_m) / 12
    r, observed, required, rule = formulas.ratio_r(baseline, end_v, goal, years_elapsed, years_total)
    row.update(years_elapsed=years_elapsed, years_total=years_total, rate_observed=observed,
               rate_required=required, ratio_rule=rule, ratio_r=r)

    # Pace: the last twelve months against what is left to do by the target date.
    ago_v, ago_m = _value_at(t, y, latest_m - 12)
    pace = (latest - ago_v) / (latest_m - ago_m) if ago_v is not None and latest_m > ago_m else None
    months_left = due - latest_m
    row.update(value_12m_ago=ago_v, current_pace=pace, months_remaining=months_left,
               required_pace=(goal - latest) / months_left if months_left > 0 and not achieved_now else None)

    # Model: chosen by back-test, refitted on the whole history, projected past the target date.
    scores, projection, chosen = [], None, None
    if len(t) >= 3:
        scores = backtest(t.astype(float), y, target.ceiling)
        best = choose(scores)
        name = best.model if best else "linear"
        chosen = fit(name, t.astype(float), y, target.ceiling) or fit("linear", t.astype(float), y)
    if chosen is not None:
        horizon = max(due, now) + BEYOND_MONTHS
        future = np.arange(latest_m + 1, horizon + 1)
        proj, lo, hi = chosen.predict(future.astype(float))
        projection = Projection([from_index(int(m)) for m in future], proj, lo, hi, chosen.model)
        row.update(model=chosen.model, model_params=chosen.params(),
                   model_mae=next((s.mae for s in scores if s.model == chosen.model), None))
    else:
        row.update(model=None, note="fewer than 3 observations: no trend is fitted")

    # Value at the target date: observed once it has passed, else projected.
    if due <= latest_m:
        at_due, at_due_m = _value_at(t, y, due)
        row.update(projected_at_target=at_due, projected_at_target_basis="observed")
    elif chosen is not None:
        row.update(projected_at_target=float(chosen.predict(np.array([float(due)]))[0][0]),
                   projected_at_target_basis=f"projected ({chosen.model})")
    row["progress_p"] = formulas.progress_p(baseline, row.get("projected_at_target"), goal)

    # ETA: when it was first met, or the first projected month that meets it at today's pace.
    eta = None
    if achieved_now:
        # the first month of the latest unbroken run of months meeting the target
        for i in range(len(y) - 1, -1, -1):
            if not formulas.meets(float(y[i]), goal, direction):
                break
            eta = from_index(int(t[i]))
    elif chosen is not None:
        scan = np.arange(latest_m + 1, latest_m + ETA_MONTHS + 1)
        hit = np.nonzero([formulas.meets(v, goal, direction) for v in chosen.predict(scan.astype(float))[0]])[0]
        eta = from_index(int(scan[hit[0]])) if hit.size else None
        if eta is None:
            row["note"] = "not reached within 10 years at the present trend"
    row["eta"] = eta

    # The judgement: before the target date by the Open SDG ratio; after it, met or missed at the date.
    if due > now or due > latest_m:
        row["status"] = formulas.category(r, achieved_now)
        row["deadline_met"] = None
    else:
        at_due = row.get("projected_at_target")
        met_then = formulas.meets(at_due, goal, direction)
        row["deadline_met"] = met_then
        row["value_at_deadline"] = at_due
        if at_due is not None and not met_then:
            row["shortfall_at_deadline"] = goal - at_due if direction == "higher" else at_due - goal
        row["status"] = "achieved" if met_then else ("achieved_late" if achieved_now else "missed")
    row["gap"] = None if achieved_now else (goal - latest if direction == "higher" else latest - goal)
    if row.get("ratio_r") is not None and math.isnan(row["ratio_r"]):
        row["ratio_r"] = None
    return row, projection, [s.__dict__ for s in scores]
