"""One indicator in one area: fit, project and judge it against its target. Every input of every formula is
returned with the result, so the `status` table can be recomputed by hand.

Two passes, because an interval needs the back-test errors of every area of the indicator: `prepare` chooses and
fits the model (and returns its back-test errors); `finish` projects with the calibrated interval and judges.
`judge` does both for one series, for tests and analysts.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from analysis.periods import from_index, month_index
from analysis.targets import Target
from analysis.trajectory import formulas
from analysis.trajectory.backtest import HORIZON, Errors, Score, backtest_many, scales, yearly
from analysis.trajectory.calibration import interval
from analysis.trajectory.models import FALLBACK, Model, fit

ETA_MONTHS = HORIZON  # an expected date is published only as far ahead as the back-test has looked
BEYOND_MONTHS = 24    # trajectories run this far past the later of the target date and the as-of month


@dataclass
class Projection:
    months: np.ndarray       # month indices (year * 12 + month - 1); `periods`: the same as dates
    projected: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    model: str

    @property
    def periods(self) -> list[date]:
        return [from_index(int(m)) for m in self.months]


@dataclass
class Prepared:
    t: np.ndarray
    y: np.ndarray
    model: Model | None = None
    scores: list[Score] = field(default_factory=list)
    errors: Errors = field(default_factory=Errors)
    scale: float = float("nan")
    yearly: bool | None = None   # (a stack's series share their months: found once for all of them)


def _value_at(t: np.ndarray, y: np.ndarray, month: int) -> tuple[float | None, int | None]:
    """The observation at `month`, else the latest one before it."""
    before = np.nonzero(t <= month)[0]
    if not before.size:
        return None, None
    i = before[-1]
    return float(y[i]), int(t[i])


def baseline_index(t: np.ndarray, base_m: int, is_yearly: bool | None = None) -> int:
    """Open SDG's rule: the value of the base period, else of the first period after it (for a yearly series, the
    base year is the baseline month's year); a series that ends before the base period takes its latest value."""
    is_yearly = yearly(t) if is_yearly is None else is_yearly
    first = (t // 12 >= base_m // 12) if is_yearly else (t >= base_m)
    after = np.nonzero(first)[0]
    return int(after[0]) if after.size else len(t) - 1


def prepare(t: np.ndarray, y: np.ndarray, target: Target, as_of: date) -> Prepared:
    """The history up to `as_of`, its model chosen by back-test and fitted on it, and the back-test's errors."""
    keep = t <= month_index(as_of)
    return prepare_many(np.asarray(t[keep], dtype=float), np.asarray(y[keep], dtype=float)[None, :], target)[0]


def prepare_many(t: np.ndarray, ys: np.ndarray, target: Target) -> list[Prepared]:
    """`prepare` for a stack of series (m, n) observed at the same months `t` (already cut at the month judged):
    one back-test for all of them (tens of thousands of communes nationally share their months)."""
    every_year = yearly(t)
    out = [Prepared(t, y, yearly=every_year) for y in ys]
    if len(t) < 2:
        return out
    now_scale = scales(t, ys, np.array([len(t)]))[:, 0]
    batch = backtest_many(t, ys, target.ceiling) if len(t) >= 3 else None
    for i, p in enumerate(out):
        p.scale = float(now_scale[i])
        name = FALLBACK
        if batch is not None:
            p.scores, name, p.errors = batch.scores[i], batch.names[i], batch.errors(i)
        p.model = (fit(name, t, p.y, target.ceiling) or fit(FALLBACK, t, p.y, target.ceiling)
                   or fit("linear", t, p.y, target.ceiling))
    return out


def finish(p: Prepared, target: Target, as_of: date, table: dict[int, tuple[float, float]] | None = None,
           unit_step: float | None = None) -> tuple[dict, Projection | None]:
    """(status row, projection). `table`: the calibration quantiles of this series' pool, {bucket: (q_lo, q_hi)};
    `unit_step`: one counted unit (a hamlet, an application) in the indicator's units, which a projection of a
    target equal to its ceiling may fall short by and still count as met."""
    t, y = p.t, p.y
    direction, goal, strict = target.direction, target.target, target.strict
    due, base_m, now = month_index(target.target_date), month_index(target.baseline), month_index(as_of)
    every_year = yearly(t) if p.yearly is None else p.yearly
    row: dict = {"target": goal, "target_date": target.target_date, "direction": direction,
                 "comparison": target.comparison_sign, "ceiling": target.ceiling, "n_points": int(len(t)),
                 "frequency": "yearly" if every_year else "monthly"}
    if len(t) < 2:
        return {**row, "status": "insufficient_data", "note": f"{len(t)} observation(s): at least 2 are needed"}, None
    met = lambda v: formulas.meets(v, goal, direction, strict)   # noqa: E731
    tolerance = unit_step if target.ceiling is not None and goal == target.ceiling and unit_step else 0.0
    met_projected = lambda v: formulas.meets(v, goal, direction, strict, tolerance)   # noqa: E731
    latest, latest_m = float(y[-1]), int(t[-1])
    bi = baseline_index(t, base_m, every_year)
    baseline, baseline_m = float(y[bi]), int(t[bi])
    row.update(latest_value=latest, latest_period=from_index(latest_m), baseline_value=baseline,
               baseline_period=from_index(baseline_m), unit_step=tolerance or None)
    achieved_now = met(latest)

    # Open SDG ratio and UNSD progress, from the baseline to the latest value (to the target date once it passed).
    end_m = min(latest_m, due)
    end_v = _value_at(t, y, end_m)[0]
    years_elapsed, years_total = (end_m - baseline_m) / 12, (due - baseline_m) / 12
    if formulas.baseline_met(baseline, goal, direction):
        r, observed, required, rule = None, None, None, "baseline_met"
    elif end_v is None:
        r, observed, required, rule = None, None, None, "no_value"
    else:
        r, observed, required, rule = formulas.ratio_r(baseline, end_v, goal, years_elapsed, years_total)
    if r is not None and math.isnan(r):
        r = None
    row.update(years_elapsed=years_elapsed, years_total=years_total, rate_observed=observed, rate_required=required,
               ratio_rule=rule, ratio_r=r,
               # R's own verdict on the span it measures (to the deadline once it has passed)
               ratio_status=formulas.category(r, end_v is not None and met(end_v)))

    # Pace: the last twelve months against what is left to do by the target date.
    ago_v, ago_m = _value_at(t, y, latest_m - 12)
    pace = (latest - ago_v) / (latest_m - ago_m) if ago_v is not None and latest_m > ago_m else None
    months_left = due - latest_m
    row.update(value_12m_ago=ago_v, current_pace=pace, months_remaining=months_left,
               required_pace=(goal - latest) / months_left if months_left > 0 and not achieved_now else None)

    # The projection: the chosen model from the latest observation, with the calibrated interval.
    projection, model = None, p.model
    if model is not None:
        future = np.arange(latest_m + 1, max(due, now) + BEYOND_MONTHS + 1)
        point = model.point(future)
        lo, hi = interval(point, future - latest_m, p.scale, table or {})
        lo, hi = model.bounds.clip(np.fmin(lo, point)), model.bounds.clip(np.fmax(hi, point))
        projection = Projection(future, point, lo, hi, model.name)
        row.update(model=model.name, model_params=model.params(), scale=p.scale,
                   model_mae=next((s.mae for s in p.scores if s.model == model.name), None))
    else:
        row.update(model=None, note="fewer than 2 observations: no projection")

    # Value at the target date: observed once data reaches it, else projected, with its interval.
    at_due = lower_due = upper_due = None
    if due <= latest_m:
        at_due = _value_at(t, y, due)[0]
        row.update(projected_at_target=at_due, projected_at_target_basis="observed")
    elif projection is not None:
        i = due - latest_m - 1
        at_due, lower_due, upper_due = (float(projection.projected[i]), float(projection.lower[i]),
                                        float(projection.upper[i]))
        row.update(projected_at_target=at_due, projected_at_target_basis=f"projected ({model.name})",
                   lower_at_target=None if math.isnan(lower_due) else lower_due,
                   upper_at_target=None if math.isnan(upper_due) else upper_due)
    # P, like R, only once a year has passed since the baseline and while the baseline had not met the target.
    p_defined = years_elapsed * 12 >= formulas.MIN_MONTHS_FOR_RATE and not formulas.baseline_met(baseline, goal,
                                                                                               direction)
    row["progress_p"] = formulas.progress_p(baseline, at_due, goal) if p_defined else None

    # ETA: the month it was first met (observed), or the first month from the one judged on that the projection
    # meets it (expected), within the horizon the back-test looked at; yearly series in their own month.
    eta, basis = None, None
    if achieved_now:
        for i in range(len(y) - 1, -1, -1):
            if not met(float(y[i])):
                break
            eta, basis = from_index(int(t[i])), "observed"
    elif projection is not None:
        # (to the deadline at least, so a series on track always has its date)
        scan = np.arange(max(latest_m + 1, now), max(latest_m + ETA_MONTHS, due) + 1)
        if row["frequency"] == "yearly":
            scan = scan[(scan % 12 == latest_m % 12) | (scan == due)]
        hits = np.flatnonzero(formulas.meets_all(model.point(scan), goal, direction, strict, tolerance))
        if hits.size:
            eta, basis = from_index(int(scan[hits[0]])), "projected"
        else:
            row["note"] = f"not reached within {ETA_MONTHS // 12} years at the present trend"
    row.update(eta=eta, eta_basis=basis)

    # The judgement: before the deadline, will it be met (the projection); after it, met or missed at the date.
    if due <= latest_m:
        met_then = met(at_due)
        row.update(deadline_met=met_then, value_at_deadline=at_due)
        if at_due is not None and not met_then:
            row["shortfall_at_deadline"] = goal - at_due if direction == "higher" else at_due - goal
        row["status"] = "achieved" if met_then else ("achieved_late" if achieved_now else "missed")
    elif due <= now:
        row.update(deadline_met=None, status="insufficient_data",
                   note="the deadline has passed but the data have no figure at it yet")
    elif achieved_now:
        row.update(deadline_met=None, status="achieved")
    else:
        optimistic = upper_due if direction == "higher" else lower_due
        row.update(deadline_met=None, status=formulas.headline(
            at_due, None if optimistic is None or math.isnan(optimistic) else optimistic, met_projected))
    # Open SDG's ratio and the projection answer different questions; say so when they disagree.
    row["ratio_disagrees"] = (row["status"] in ("on_track", "at_risk", "off_track") and r is not None
                              and (row["status"] == "on_track") != (row["ratio_status"] == "on_track"))
    row["gap"] = None if achieved_now else (goal - latest if direction == "higher" else latest - goal)
    return row, projection


def judge(t: np.ndarray, y: np.ndarray, target: Target, as_of: date,
          table: dict[int, tuple[float, float]] | None = None, unit_step: float | None = None
          ) -> tuple[dict, Projection | None, list[dict]]:
    """(status row, projection, back-test scores) for one series of (month index, value), sorted by month."""
    p = prepare(np.asarray(t, dtype=float), np.asarray(y, dtype=float), target, as_of)
    row, projection = finish(p, target, as_of, table, unit_step)
    return row, projection, [s.__dict__ for s in p.scores]
