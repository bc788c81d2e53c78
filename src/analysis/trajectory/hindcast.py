"""A forecast is worth its hindcast: the province and district targets judged as of `LEADS` months before their
deadline, with only the data of then, against what the data showed at the deadline.

For each area-target: the call then (met by the deadline: achieved or on track; not met: at risk or off track),
the outcome (the value observed at the deadline, met or not), whether the call was right, whether the 80% interval
at the deadline held the outcome, and over every later month observed, how many the interval held.
Only deadlines the run's own month has reached are judged: a run as of M uses no data after M.
"""
from __future__ import annotations

from datetime import date
from typing import Callable

import polars as pl

from analysis.periods import from_index, month_index
from analysis.targets import TargetSet
from analysis.trajectory import formulas

LEADS = (6, 12)                      # months before a deadline the method is judged from
LEVELS = ("province", "district")    # the areas a leader decides on
CALLS = {"achieved": True, "on_track": True, "at_risk": False, "off_track": False}
COLUMNS = {"origin": pl.Date, "lead_months": pl.Int64, "indicator_id": pl.String, "area_code": pl.String,
           "area_level": pl.String, "target": pl.Float64, "target_date": pl.Date, "status_then": pl.String,
           "call_met": pl.Boolean, "projected": pl.Float64, "lower": pl.Float64, "upper": pl.Float64,
           "outcome": pl.Float64, "outcome_met": pl.Boolean, "right": pl.Boolean, "inside": pl.Boolean,
           "months_checked": pl.Int64, "months_inside": pl.Int64}


def run(ind: pl.DataFrame, target_set: TargetSet, as_of: date,
        run_frames: Callable[..., dict[str, pl.DataFrame]]) -> pl.DataFrame:
    """The hindcast table; `run_frames` is the trajectory engine's (passed in, so the method judged is the one
    that produced the report)."""
    areas = ind.filter(pl.col("area_level").is_in(LEVELS) & (pl.col("period") <= as_of))
    observed = areas.filter(pl.col("value").is_not_null()).select("indicator_id", "area_code", "area_level",
                                                                  "period", outcome="value")
    parts = []
    for lead in LEADS:
        by_origin: dict[date, list] = {}
        for tg in target_set.targets:
            if tg.target_date <= as_of:
                by_origin.setdefault(from_index(month_index(tg.target_date) - lead), []).append(tg)
        for origin, targets in sorted(by_origin.items()):
            subset = target_set.model_copy(update={"targets": targets})
            out = run_frames(areas.filter(pl.col("period") <= origin), subset, origin)
            parts.append(_score(out, observed, subset, origin, lead))
    parts = [p for p in parts if p.height]
    return pl.concat(parts).select(list(COLUMNS)) if parts else pl.DataFrame(schema=COLUMNS)


def _score(out: dict[str, pl.DataFrame], observed: pl.DataFrame, subset: TargetSet, origin: date, lead: int
           ) -> pl.DataFrame:
    status = out["status"].filter(pl.col("area_level").is_in(LEVELS))
    if status.is_empty():
        return pl.DataFrame(schema=COLUMNS)
    keys = ["indicator_id", "area_code", "area_level"]
    at_due = observed.join(status.select(*keys, "target_date"), on=keys).filter(
        pl.col("period") == pl.col("target_date")).select(*keys, "outcome")
    traj = out["trajectories"]
    if traj.height:
        later = (traj.join(observed, on=[*keys, "period"], how="inner")
                 .group_by(keys).agg(months_checked=pl.len(),
                                     months_inside=pl.col("outcome").is_between("lower", "upper").sum()
                                     .cast(pl.Int64)))
    else:
        later = pl.DataFrame(schema={**{k: pl.String for k in keys}, "months_checked": pl.Int64,
                                     "months_inside": pl.Int64})
    rows = []
    for r in status.join(at_due, on=keys, how="left").join(later, on=keys, how="left").iter_rows(named=True):
        tg = subset.get(r["indicator_id"])
        call = CALLS.get(r["status"])
        outcome_met = None if r["outcome"] is None else formulas.meets(r["outcome"], tg.target, tg.direction,
                                                                       tg.strict)
        lo, hi = r["lower_at_target"], r["upper_at_target"]
        rows.append({"origin": origin, "lead_months": lead, "indicator_id": r["indicator_id"],
                     "area_code": r["area_code"], "area_level": r["area_level"], "target": tg.target,
                     "target_date": tg.target_date, "status_then": r["status"], "call_met": call,
                     "projected": r["projected_at_target"], "lower": lo, "upper": hi, "outcome": r["outcome"],
                     "outcome_met": outcome_met,
                     "right": None if call is None or outcome_met is None else call == outcome_met,
                     "inside": None if lo is None or hi is None or r["outcome"] is None
                     else lo <= r["outcome"] <= hi,
                     "months_checked": r["months_checked"], "months_inside": r["months_inside"]})
    return pl.DataFrame(rows, schema=COLUMNS)


def summary(hindcast: pl.DataFrame, by: tuple[str, ...] = ("origin", "target_date", "area_level")) -> pl.DataFrame:
    """Grouped `by`, latest origin first: area-targets judged, calls made and right (count and share), interval
    coverage at the deadline and over every later month observed. The method section, the bench and the analyst
    notebook all read it from here."""
    if hindcast.is_empty():
        return pl.DataFrame()
    return (hindcast.group_by(by)
            .agg(area_targets=pl.len(), called=pl.col("right").is_not_null().sum(),
                 right=pl.col("right").sum(), calls_right=pl.col("right").mean(),
                 intervals=pl.col("inside").is_not_null().sum(), coverage_at_deadline=pl.col("inside").mean(),
                 coverage_all_months=pl.col("months_inside").sum() / pl.col("months_checked").sum())
            .sort(list(by), descending=[c == "origin" for c in by]))
