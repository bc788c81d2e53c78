"""`python -m analysis trajectories`: every target of a target set, in every area, fitted, projected and judged.

Writes `trajectories.parquet` (monthly projections with 80% intervals), `status.parquet` (the judgement with every
input of its formulas), `models.parquet` (the back-test error of each model), `gaps.parquet` (what is left to do,
hamlets by name) and `milestones_status.parquet` (each milestone's latest status as the department entered it).
"""
from __future__ import annotations

import json
import math
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from itertools import repeat
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from analysis import io
from analysis.areas import areas_of
from analysis.errors import AnalysisError
from analysis.indicators.networks import uncovered_hamlets
from analysis.periods import month_end, parse_month
from analysis.targets import TargetSet, load
from analysis.trajectory.series import judge

# What the operational gap counts, for indicators that are a share or a rate of something countable.
GAP_UNITS = {"households_fiber": "households", "hamlets_ftth_coverage": "hamlets", "hamlets_mbb_coverage": "hamlets",
             "bts_site_sharing": "BTS positions", "mbb_subs_per_100": "subscriptions",
             "fbb_subs_per_100": "subscriptions", "smartphone_share": "smartphone subscriptions",
             "state_apps_on_cloud": "applications", "adults_with_smartphone": "adults"}
PROJECTION_COLUMNS = ("indicator_id", "area_code", "area_level", "period", "projected", "lower", "upper", "model")
STATUS_COLUMNS = ["indicator_id", "area_code", "area_level", "as_of", "target_set", "latest_value", "latest_period",
                  "target", "target_date", "direction", "ceiling", "baseline_value", "baseline_period",
                  "years_elapsed", "years_total", "rate_observed", "rate_required", "ratio_rule", "ratio_r",
                  "projected_at_target", "projected_at_target_basis", "progress_p", "status", "deadline_met",
                  "value_at_deadline", "shortfall_at_deadline", "gap", "gap_count", "gap_unit", "current_pace", "value_12m_ago",
                  "required_pace", "months_remaining", "eta", "model", "model_mae", "model_params", "n_points", "note"]


def _gap_count(indicator_id: str, target: float, row: dict) -> float | None:
    """How many more of the counted thing the area needs now: target share × denominator − numerator."""
    if indicator_id not in GAP_UNITS or row.get("numerator") is None or row.get("denominator") is None:
        return None
    need = target / 100 * row["denominator"] - row["numerator"]
    return float(max(math.ceil(need - 1e-9), 0))


PARALLEL_FROM = 2_000  # areas of one target: below this a second process costs more than it saves


def _judge_all(target, series: pl.DataFrame, as_of: date) -> tuple[list[dict], dict[str, list], list[dict]]:
    """Every area's series of one target (rows sorted by area then month): status rows, projections, scores.
    One pass over numpy arrays (tens of thousands of areas nationally): no frame per series."""
    status, models = [], []
    proj: dict[str, list] = {k: [] for k in PROJECTION_COLUMNS}
    codes, levels = series["area_code"].to_numpy(), series["area_level"].to_numpy()
    tt, vv = series["_t"].to_numpy(), series["value"].to_numpy().astype(float)
    num, den = series["numerator"].to_numpy(), series["denominator"].to_numpy()
    starts = np.flatnonzero(np.r_[True, (codes[1:] != codes[:-1]) | (levels[1:] != levels[:-1])]) if len(codes) \
        else np.array([], dtype=int)
    for lo, hi in zip(starts, np.r_[starts[1:], len(codes)]):
        keep = ~np.isnan(vv[lo:hi])
        t, y = tt[lo:hi][keep], vv[lo:hi][keep]
        area, level = codes[lo], levels[lo]
        row, projection, scores = judge(t, y, target, as_of)
        last = ({k: None if np.isnan(x) else float(x) for k, x in (("numerator", num[lo:hi][keep][-1]),
                                                                   ("denominator", den[lo:hi][keep][-1]))}
                if keep.any() else {})
        row.update(indicator_id=target.id, area_code=area, area_level=level, gap_unit=GAP_UNITS.get(target.id),
                   gap_count=None if row.get("gap") is None else _gap_count(target.id, target.target, last))
        status.append(row)
        if projection is not None:
            n = len(projection.periods)
            for k, v in (("indicator_id", [target.id] * n), ("area_code", [area] * n), ("area_level", [level] * n),
                         ("period", list(projection.periods)), ("projected", list(projection.projected)),
                         ("lower", list(projection.lower)), ("upper", list(projection.upper)),
                         ("model", [projection.model] * n)):
                proj[k].extend(v)
        for sc in scores:
            models.append({"indicator_id": target.id, "area_code": area, "area_level": level, **sc,
                           "chosen": sc["model"] == row.get("model")})
    return status, proj, models


def _chunks(series: pl.DataFrame, parts: int) -> list[pl.DataFrame]:
    """The rows split into `parts` runs of whole areas (a series never straddles two)."""
    areas = series.select("area_level", "area_code").unique(maintain_order=True)
    bounds = np.linspace(0, areas.height, parts + 1).astype(int)
    return [series.join(areas[a:b], on=["area_level", "area_code"], how="semi", maintain_order="left")
            for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def run_frames(ind: pl.DataFrame, targets: TargetSet, as_of: date, workers: int = 1) -> dict[str, pl.DataFrame]:
    status, models = [], []
    proj_cols: dict[str, list] = {k: [] for k in PROJECTION_COLUMNS}
    # Rows without a value (too few speed measurements) stay in, so their area is judged "insufficient data".
    ind = (ind.filter(pl.col("period") <= as_of)
           .with_columns(_t=(pl.col("period").dt.year() * 12 + pl.col("period").dt.month() - 1).cast(pl.Float64))
           .sort("indicator_id", "area_level", "area_code", "period"))
    pool = None
    try:
        for target in targets.targets:
            series = ind.filter(pl.col("indicator_id") == target.id)
            if series.is_empty():
                status.append({"indicator_id": target.id, "area_code": None, "area_level": None, "status": "no_data",
                               "target": target.target, "target_date": target.target_date,
                               "note": "no value of this indicator in the data"})
                continue
            n_areas = series.select("area_level", "area_code").n_unique()
            if workers > 1 and n_areas >= PARALLEL_FROM:
                # Spawned, not forked: a forked child of a process running polars' threads can hang.
                pool = pool or ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
                parts = list(pool.map(_judge_all, repeat(target), _chunks(series, workers), repeat(as_of)))
            else:
                parts = [_judge_all(target, series, as_of)]
            for st, proj, mod in parts:
                status += st
                models += mod
                for k in proj_cols:
                    proj_cols[k] += proj[k]
    finally:
        if pool is not None:
            pool.shutdown()
    trajectories = pl.DataFrame(proj_cols) if proj_cols["period"] else pl.DataFrame()
    st = pl.DataFrame(status, infer_schema_length=None).with_columns(
        as_of=pl.lit(as_of), target_set=pl.lit(targets.id),
        model_params=pl.col("model_params").map_elements(json.dumps, return_dtype=pl.String)
        if "model_params" in pl.DataFrame(status, infer_schema_length=None).columns else pl.lit(None, pl.String))
    for c in STATUS_COLUMNS:
        if c not in st.columns:
            st = st.with_columns(pl.lit(None).alias(c))
    return {"status": st.select(STATUS_COLUMNS).sort("indicator_id", "area_level", "area_code"),
            "trajectories": trajectories,
            "models": pl.DataFrame(models, infer_schema_length=None)}


def milestones(processed: Path, target_set: TargetSet, as_of: date) -> pl.DataFrame:
    """Each milestone of the set with the latest status the department entered on or before `as_of`."""
    path = processed / "milestones.parquet"
    rows = []
    entered = pl.read_parquet(path).filter(pl.col("as_of") <= month_end(as_of)) if path.exists() else pl.DataFrame()
    for m in target_set.milestones:
        hits = (entered.filter(pl.col("milestone").str.starts_with(m.match)).sort("as_of")
                if entered.height else entered)
        last = hits.row(-1, named=True) if hits.height else {}
        rows.append({"milestone_vi": m.name_vi, "milestone_en": m.name_en, "status_code": last.get("status_code"),
                     "status": last.get("status"), "as_of": last.get("as_of"), "note": last.get("note")})
    schema = {"milestone_vi": pl.String, "milestone_en": pl.String, "status_code": pl.String, "status": pl.String,
              "as_of": pl.Date, "note": pl.String}
    return pl.DataFrame(rows, schema=schema)


def gaps(processed: Path, as_of: date) -> pl.DataFrame:
    """The hamlets still without FTTH or without mobile broadband at the latest month, by name."""
    cov, reg = processed / "hamlet_coverage.parquet", processed / "hamlet_registry.parquet"
    if not (cov.exists() and reg.exists()):
        return pl.DataFrame()
    coverage, registry = pl.read_parquet(cov), pl.read_parquet(reg)
    coverage = coverage.filter(pl.col("period") <= as_of)
    if coverage.is_empty():
        return pl.DataFrame()
    latest = coverage["period"].max()
    parts = [uncovered_hamlets(coverage, registry, flag, latest).with_columns(
        indicator_id=pl.lit(ind_id), period=pl.lit(latest))
        for flag, ind_id in (("ftth", "hamlets_ftth_coverage"), ("mbb", "hamlets_mbb_coverage"))]
    return pl.concat(parts).select("indicator_id", "period", "hamlet_code", "hamlet", "commune_code", "district_code")


def _in_scope(ind: pl.DataFrame, processed: Path, target_set: TargetSet) -> pl.DataFrame:
    """The indicator rows of the areas the set was made for: its provinces' old units and the units of 1 July 2025
    they went into."""
    ref = processed / "reference_areas.parquet"
    if target_set.provinces is None or not ref.exists():
        return ind
    scope = areas_of(pl.read_parquet(ref), target_set.provinces)
    return ind.join(scope, on=["area_level", "area_code"], how="semi", maintain_order="left")


def run(processed: Path, targets: Path | str | None = None, as_of: str = "latest") -> pl.DataFrame:
    """Fit, project and judge every target of the set; write the four tables; return `status`."""
    started = time.perf_counter()
    path = processed / "indicators.parquet"
    if not path.exists():
        raise AnalysisError("no indicators.parquet: run the indicators stage first", file=str(processed))
    ind = pl.read_parquet(path)
    target_set = load(targets)
    if as_of == "latest":
        month = ind.filter(pl.col("frequency") == "monthly")["period"].max() or ind["period"].max()
    else:
        try:
            month = parse_month(as_of)
        except ValueError as exc:
            raise AnalysisError(f"--as-of: {exc}") from None
    monthly = ind.filter(pl.col("frequency") == "monthly")["period"]
    if monthly.len() and not monthly.min() <= month <= monthly.max():
        raise AnalysisError(f"--as-of {month:%Y-%m} is outside the data ({monthly.min():%Y-%m} to "
                            f"{monthly.max():%Y-%m})")
    out = run_frames(_in_scope(ind, processed, target_set), target_set, month, workers=os.cpu_count() or 1)
    out["gaps"] = gaps(processed, month)
    out["milestones_status"] = milestones(processed, target_set, month)
    for name, frame in out.items():
        io.write_parquet(frame, processed / f"{name}.parquet")
    io.write_json({"stage": "trajectories", "target_set": target_set.id, "as_of": str(month),
                   "seconds": round(time.perf_counter() - started, 2),
                   "rows": {k: v.height for k, v in out.items()}}, processed / "trajectories.json")
    return out["status"]
