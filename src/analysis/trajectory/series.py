"""One indicator in many areas: fit, project and judge each series against its target. Every input of every
formula is returned with the result, so the `status` table can be recomputed by hand.

Two passes, because an interval needs the back-test errors of every area of the indicator: `prepare_many` chooses
and fits the models (and back-tests them); `finish_many` projects with the calibrated interval and judges. Both
take a stack: the series of areas observed at the same months (tens of thousands of communes nationally), as one
matrix, so that the work is array operations a stack, not Python a series (which was most of the national
stage's time: 127,253 series). `judge` does both for one series, for tests and analysts.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from analysis.periods import from_index, from_index_of, month_index
from analysis.targets import Target
from analysis.trajectory import formulas
from analysis.trajectory.backtest import HORIZON, Batch, Score, backtest_many, scales, scores_of, yearly
from analysis.trajectory.calibration import intervals, table_arrays
from analysis.trajectory.models import FALLBACK, MODELS, fit_many, project, scale_of

ETA_MONTHS = HORIZON  # an expected date is published only as far ahead as the back-test has looked
BEYOND_MONTHS = 24    # trajectories run this far past the later of the target date and the as-of month

# The judgement of one series: a row of the `status` table (the engine adds the area and the gap's count).
ROW_SCHEMA = {"target": pl.Float64, "target_date": pl.Date, "direction": pl.String, "comparison": pl.String,
              "ceiling": pl.Float64, "n_points": pl.Int64, "frequency": pl.String, "latest_value": pl.Float64,
              "latest_period": pl.Date, "baseline_value": pl.Float64, "baseline_period": pl.Date,
              "unit_step": pl.Float64, "years_elapsed": pl.Float64, "years_total": pl.Float64,
              "rate_observed": pl.Float64, "rate_required": pl.Float64, "ratio_rule": pl.String,
              "ratio_r": pl.Float64, "ratio_status": pl.String, "value_12m_ago": pl.Float64,
              "current_pace": pl.Float64, "months_remaining": pl.Int64, "required_pace": pl.Float64,
              "model": pl.String, "model_params": pl.String, "scale": pl.Float64, "model_mae": pl.Float64,
              "projected_at_target": pl.Float64, "projected_at_target_basis": pl.String,
              "lower_at_target": pl.Float64, "upper_at_target": pl.Float64, "progress_p": pl.Float64,
              "eta": pl.Date, "eta_basis": pl.String, "deadline_met": pl.Boolean, "value_at_deadline": pl.Float64,
              "shortfall_at_deadline": pl.Float64, "status": pl.String, "ratio_disagrees": pl.Boolean,
              "gap": pl.Float64, "note": pl.String}


@dataclass
class Projection:
    """One series' projection (`judge`)."""
    months: np.ndarray       # month indices (year * 12 + month - 1); `periods`: the same as dates
    projected: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    model: str

    @property
    def periods(self) -> list[date]:
        return [from_index(int(m)) for m in self.months]


@dataclass
class Projections:
    """A stack's projections: the months after its latest observation (shared), and for each series (m, months)
    the point and its interval; `model[i]` None: series i has no projection (its rows are NaN)."""
    months: np.ndarray
    projected: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    model: np.ndarray


@dataclass
class Stack:
    """Series of one indicator observed at the same months `t` (n,), their values `y` (m, n), and what
    `prepare_many` found for each: the model fitted (None: fewer than two observations, or none could describe
    the series), its slope on the model's scale, the floor of its projections (0 for a series never below it),
    its scale now (mean absolute monthly change), and every model's back-test error."""
    t: np.ndarray
    y: np.ndarray
    yearly: bool
    model: np.ndarray
    slope: np.ndarray
    floor: np.ndarray
    scale: np.ndarray
    maes: np.ndarray                 # (len(MODELS), m), NaN: the model could not be used; (0, m): no back-test
    origins: int = 0
    points: int = 0
    batch: Batch | None = None       # the back-test's forecasts and errors, for the calibration pools

    def scores(self, i: int) -> list[Score]:
        """Series i's back-test score of each model (none without a back-test)."""
        return scores_of(self.maes[:, i], self.origins, self.points) if len(self.maes) else []


def _index_at(t: np.ndarray, month: int) -> int | None:
    """The observation at `month`, else the latest one before it (its index in `t`)."""
    before = np.flatnonzero(t <= month)
    return int(before[-1]) if before.size else None


def baseline_index(t: np.ndarray, base_m: int, is_yearly: bool | None = None) -> int:
    """Open SDG's rule: the value of the base period, else of the first period after it (for a yearly series, the
    base year is the baseline month's year); a series that ends before the base period takes its latest value."""
    is_yearly = yearly(t) if is_yearly is None else is_yearly
    first = (t // 12 >= base_m // 12) if is_yearly else (t >= base_m)
    after = np.nonzero(first)[0]
    return int(after[0]) if after.size else len(t) - 1




def prepare_many(t: np.ndarray, ys: np.ndarray, target: Target) -> Stack:
    """The stack of series `ys` (m, n) observed at the months `t` (already cut at the month judged): each one's
    model chosen by one back-test of them all, and fitted on its whole history."""
    t, ys = np.asarray(t, dtype=float), np.asarray(ys, dtype=float)
    m, n = ys.shape
    floor = np.where(ys.min(axis=1) >= 0, 0.0, -np.inf) if n else np.full(m, -np.inf)
    stack = Stack(t, ys, yearly(t), model=np.full(m, None, dtype=object), slope=np.full(m, np.nan), floor=floor,
                  scale=np.full(m, np.nan), maes=np.full((0, m), np.nan))
    if n < 2:
        return stack
    stack.scale = scales(t, ys, np.array([n]))[:, 0]
    asked = np.full(m, FALLBACK, dtype=object)
    if n >= 3:
        stack.batch = backtest_many(t, ys, target.ceiling)
        stack.maes, stack.origins, stack.points = stack.batch.maes, stack.batch.n_origins, stack.batch.n_points
        asked = stack.batch.names
    # The chosen model, else the recent pace, else a straight line (which any two months can give).
    for want in (asked, FALLBACK, "linear"):
        todo = np.flatnonzero(np.equal(stack.model, None))
        if not todo.size:
            break
        names = want[todo] if isinstance(want, np.ndarray) else np.full(todo.size, want, dtype=object)
        stack.model[todo], stack.slope[todo] = fit_many(names, t, ys[todo], target.ceiling)
    return stack


def _null(values: np.ndarray, where: np.ndarray | bool = True) -> list:
    """Python values, None where `where` is false or the value is NaN."""
    where = np.broadcast_to(where, values.shape)
    return [None if not w or v != v else v for v, w in zip(values.tolist(), where.tolist())]


def finish_many(s: Stack, target: Target, as_of: date, q_lo: np.ndarray | None = None,
                q_hi: np.ndarray | None = None, unit_step: np.ndarray | None = None
                ) -> tuple[dict[str, np.ndarray], Projections | None]:
    """(status rows as `columns`, projections) of a stack. `q_lo`, `q_hi` (m, len(BUCKETS)): each series' pool's
    calibration quantiles (NaN: no errors in the pool); `unit_step` (m,): one counted unit (a hamlet, an application) in the
    indicator's units, NaN where none, which a projection of a target equal to its ceiling may fall short by and
    still count as met."""
    t, y = s.t, s.y
    m, n = y.shape
    direction, goal, strict, ceiling = target.direction, target.target, target.strict, target.ceiling
    higher = direction == "higher"
    due, base_m, now = month_index(target.target_date), month_index(target.baseline), month_index(as_of)
    cols: dict = {"target": goal, "target_date": target.target_date, "direction": direction,
                  "comparison": target.comparison_sign, "ceiling": ceiling, "n_points": n,
                  "frequency": "yearly" if s.yearly else "monthly"}
    if n < 2:
        cols.update(status="insufficient_data", note=f"{n} observation(s): at least 2 are needed")
        return columns(cols, m), None
    no_bucket = np.full((m, len(table_arrays({})[0])), np.nan)
    q_lo, q_hi = (no_bucket if q is None else q for q in (q_lo, q_hi))
    unit = np.full(m, np.nan) if unit_step is None else np.asarray(unit_step, dtype=float)
    # A target equal to its ceiling is met within one counted unit: a saturating projection never reaches it.
    tolerance = (np.nan_to_num(unit, nan=0.0) if ceiling is not None and goal == ceiling else np.zeros(m))
    met = lambda v: formulas.meets_all(v, goal, direction, strict)   # noqa: E731
    met_projected = lambda v: formulas.meets_all(v, goal, direction, strict, tolerance)   # noqa: E731
    latest, latest_m = y[:, -1], int(t[-1])
    bi = baseline_index(t, base_m, s.yearly)
    baseline, baseline_m = y[:, bi], int(t[bi])
    achieved_now = met(latest)
    cols.update(latest_value=latest, latest_period=from_index(latest_m), baseline_value=baseline,
                baseline_period=from_index(baseline_m), unit_step=np.where(tolerance > 0, tolerance, np.nan))

    # Open SDG ratio and UNSD progress, from the baseline to the latest value (to the target date once it passed).
    end_m = min(latest_m, due)
    ei = _index_at(t, end_m)
    years_elapsed, years_total = (end_m - baseline_m) / 12, (due - baseline_m) / 12
    base_met = formulas.baseline_met(baseline, goal, direction)
    end_met = met(y[:, ei]) if ei is not None else np.zeros(m, dtype=bool)
    ratios = [(None, None, None, "baseline_met") if already else (None, None, None, "no_value") if ei is None
              else formulas.ratio_r(b, e, goal, years_elapsed, years_total)
              for already, b, e in zip(base_met.tolist(), baseline.tolist(),
                                       (y[:, ei] if ei is not None else baseline).tolist())]
    r = [None if x is None or math.isnan(x) else x for x, _, _, _ in ratios]
    ratio_status = [formulas.category(x, bool(e)) for x, e in zip(r, end_met.tolist())]
    cols.update(years_elapsed=years_elapsed, years_total=years_total, rate_observed=[x[1] for x in ratios],
                rate_required=[x[2] for x in ratios], ratio_rule=[x[3] for x in ratios], ratio_r=r,
                # R's own verdict on the span it measures (to the deadline once it has passed)
                ratio_status=ratio_status)

    # Pace: the last twelve months against what is left to do by the target date.
    ai = _index_at(t, latest_m - 12)
    months_left = due - latest_m
    if ai is not None:
        ago_v, ago_m = y[:, ai], int(t[ai])
        cols.update(value_12m_ago=ago_v,
                    current_pace=(latest - ago_v) / (latest_m - ago_m) if latest_m > ago_m else None)
    cols.update(months_remaining=months_left,
                required_pace=np.where(~achieved_now, (goal - latest) / months_left, np.nan)
                if months_left > 0 else None)

    # The projection: each series' model from its latest observation, with its pool's calibrated interval.
    has_model = ~np.equal(s.model, None)
    future = np.arange(latest_m + 1, max(due, now) + BEYOND_MONTHS + 1)
    ahead = (future - latest_m).astype(float)
    point = project(s.model, s.slope, latest, s.floor, ceiling, ahead)
    lo, hi = intervals(point, ahead, s.scale, q_lo, q_hi)
    top = np.inf if ceiling is None else ceiling
    lo, hi = np.clip(np.fmin(lo, point), s.floor[:, None], top), np.clip(np.fmax(hi, point), s.floor[:, None], top)
    projections = Projections(future, point, lo, hi, s.model) if has_model.any() else None
    mae = np.full(m, np.nan)
    if len(s.maes):
        for k, name in enumerate(MODELS):
            mae = np.where(s.model == name, s.maes[k], mae)
    cols.update(model=s.model, scale=np.where(has_model, s.scale, np.nan),
                model_params=[None if name is None else json.dumps(
                    {"scale": scale_of(name, ceiling), "slope_per_month": b, "damping": MODELS[name][3],
                     "anchor_value": a, "ceiling": ceiling}) for name, b, a in zip(s.model.tolist(), s.slope.tolist(),
                                                                                   latest.tolist())],
                model_mae=mae)
    note = [None if named else "fewer than 2 observations: no projection" for named in has_model.tolist()]

    # Value at the target date: observed once data reaches it, else projected, with its interval.
    if due <= latest_m:
        di = _index_at(t, due)
        at_due = y[:, di] if di is not None else np.full(m, np.nan)
        cols.update(projected_at_target=at_due, projected_at_target_basis="observed")
        optimistic = np.full(m, np.nan)
    else:
        i = due - latest_m - 1
        at_due = point[:, i]
        optimistic = hi[:, i] if higher else lo[:, i]
        cols.update(projected_at_target=at_due, lower_at_target=lo[:, i], upper_at_target=hi[:, i],
                    projected_at_target_basis=[None if name is None else f"projected ({name})"
                                               for name in s.model.tolist()])
    # P, like R, only once a year has passed since the baseline and while the baseline had not met the target.
    p_defined = (years_elapsed * 12 >= formulas.MIN_MONTHS_FOR_RATE) & ~base_met
    cols["progress_p"] = [formulas.progress_p(b, a, goal) if ok else None
                          for ok, b, a in zip(p_defined.tolist(), baseline.tolist(), _null(at_due))]

    # ETA: the month it was first met (observed), or the first month from the one judged on that the projection
    # meets it (expected), within the horizon the back-test looked at; yearly series in their own month.
    eta, basis = np.full(m, np.nan), np.full(m, None, dtype=object)
    trailing = met(y)[:, ::-1]
    run_from = n - np.where((~trailing).any(axis=1), (~trailing).argmax(axis=1), n)   # first of the last run met
    eta[achieved_now] = t[np.minimum(run_from, n - 1)][achieved_now]
    basis[achieved_now] = "observed"
    ahead_rows = np.flatnonzero(~achieved_now & has_model)
    # (to the deadline at least, so a series on track always has its date)
    scan = np.arange(max(latest_m + 1, now), max(latest_m + ETA_MONTHS, due) + 1)
    if s.yearly:
        scan = scan[(scan % 12 == latest_m % 12) | (scan == due)]
    if ahead_rows.size:
        hits = np.zeros((ahead_rows.size, scan.size), dtype=bool)
        if scan.size:
            k = ahead_rows
            hits = formulas.meets_all(project(s.model[k], s.slope[k], latest[k], s.floor[k], ceiling,
                                              (scan - latest_m).astype(float)), goal, direction, strict,
                                      tolerance[k, None])
        found = hits.any(axis=1)
        eta[ahead_rows[found]] = scan[hits.argmax(axis=1)[found]] if scan.size else []
        basis[ahead_rows[found]] = "projected"
        for row in ahead_rows[~found].tolist():
            note[row] = f"not reached within {ETA_MONTHS // 12} years at the present trend"
    cols.update(eta=eta, eta_basis=basis)

    # The judgement: before the deadline, will it be met (the projection); after it, met or missed at the date.
    if due <= latest_m:
        met_then = met(at_due)
        shortfall = (goal - at_due) if higher else (at_due - goal)
        cols.update(deadline_met=met_then, value_at_deadline=at_due,
                    shortfall_at_deadline=np.where(met_then, np.nan, shortfall),
                    status=np.where(met_then, "achieved", np.where(achieved_now, "achieved_late", "missed")))
    elif due <= now:
        cols["status"] = "insufficient_data"
        note = ["the deadline has passed but the data have no figure at it yet"] * m
    else:
        reached, hopeful = met_projected(at_due), met_projected(optimistic)
        cols["status"] = np.where(achieved_now, "achieved", np.where(
            np.isnan(at_due), "insufficient_data",
            np.where(reached, "on_track", np.where(hopeful, "at_risk", "off_track"))))
    cols["note"] = note
    # Open SDG's ratio and the projection answer different questions; say so when they disagree.
    status = np.broadcast_to(np.asarray(cols["status"], dtype=object), (m,))
    cols["ratio_disagrees"] = [st in ("on_track", "at_risk", "off_track") and x is not None
                               and (st == "on_track") != (rs == "on_track")
                               for st, x, rs in zip(status.tolist(), r, ratio_status)]
    cols["gap"] = np.where(achieved_now, np.nan, (goal - latest) if higher else (latest - goal))
    return columns(cols, m), projections


def columns(cols: dict, m: int, schema: dict = ROW_SCHEMA) -> dict[str, np.ndarray]:
    """The `schema`'s columns of m rows as arrays, for `frame` to join with other stacks' (a frame a stack cost
    more than the judgement itself: 2,567 stacks nationally, most of a few series). A scalar is every row's
    value, an array or list one a row; absent is null. Numbers, dates (as month indices) and booleans are floats
    with NaN for null; strings are objects."""
    out = {}
    for name, dtype in schema.items():
        v = cols.get(name)
        if dtype == pl.String:
            out[name] = np.full(m, v, dtype=object) if v is None or isinstance(v, str) else np.asarray(v, object)
            continue
        if isinstance(v, date):
            v = month_index(v)
        if v is None or np.isscalar(v):
            out[name] = np.full(m, np.nan if v is None else float(v))
        else:
            out[name] = np.array([np.nan if x is None else float(x) for x in v]) if isinstance(v, list) \
                else np.asarray(v, dtype=float)
    return out


def frame(parts: list[dict[str, np.ndarray]], schema: dict = ROW_SCHEMA) -> pl.DataFrame:
    """One frame of every stack's `columns`, in their order."""
    out = {}
    for name, dtype in schema.items():
        v = np.concatenate([p[name] for p in parts]) if parts else np.array([])
        if dtype == pl.String:
            out[name] = pl.Series(name, v.tolist(), dtype=pl.String)
            continue
        series = pl.Series(name, v.astype(float), nan_to_null=True)
        out[name] = pl.select(from_index_of(series.cast(pl.Int64))).to_series().alias(name) if dtype == pl.Date \
            else series.cast(dtype)
    return pl.DataFrame(out)


def judge(t: np.ndarray, y: np.ndarray, target: Target, as_of: date,
          table: dict[int, tuple[float, float]] | None = None, unit_step: float | None = None
          ) -> tuple[dict, Projection | None, list[dict]]:
    """(status row, projection, back-test scores) for one series of (month index, value), sorted by month, with
    its pool's calibration quantiles {bucket: (q_lo, q_hi)}."""
    t, y = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
    keep = t <= month_index(as_of)
    stack = prepare_many(t[keep], y[keep][None, :], target)
    q_lo, q_hi = table_arrays(table or {})
    rows, proj = finish_many(stack, target, as_of, q_lo[None, :], q_hi[None, :],
                             np.array([np.nan if unit_step is None else unit_step]))
    projection = None if proj is None or proj.model[0] is None else Projection(
        proj.months, proj.projected[0], proj.lower[0], proj.upper[0], proj.model[0])
    return frame([rows]).row(0, named=True), projection, [sc.__dict__ for sc in stack.scores(0)]
