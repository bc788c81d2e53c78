"""`python -m analysis trajectories`: every target of a target set, in every area, fitted, projected and judged.

Writes `trajectories.parquet` (monthly projections with calibrated 80% intervals), `status.parquet` (the judgement
with every input of its formulas), `models.parquet` (the back-test error of each model), `backtest.parquet` (the
chosen model's forecasts at every origin and horizon, provinces and districts), `calibration.parquet` (the interval
quantiles by pool and horizon), `hindcast.parquet` (the method judged as of earlier months against what the data
showed at the deadline), `gaps.parquet` (what is left to do, hamlets by name) and `milestones_status.parquet`.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

import numpy as np
import polars as pl

from analysis import geography, io, metadata, milestone_match
from analysis.areas import areas_of
from analysis.errors import AnalysisError
from analysis.indicators.networks import uncovered_hamlets
from analysis.periods import from_index_of, month_end, month_index_of, parse_month
from analysis.targets import Target, TargetSet, load
from analysis.trajectory import calibration, hindcast as hindcasts
from analysis.trajectory.pooling import Pools
from analysis.trajectory.models import MODELS
from analysis.trajectory.series import ROW_SCHEMA, finish_many, frame, prepare_many
from analysis.trajectory.workers import Workers

# The tables this stage writes (the run's cache and the report inputs take their names from here).
OUTPUTS = ("status", "trajectories", "models", "backtest", "calibration", "hindcast", "gaps", "milestones_status")
WRITES = (*(f"{name}.parquet" for name in OUTPUTS), "trajectories.json")
# What the stage reads besides the target set: the indicators, the geography, the hamlets listed by name, the
# department's milestone register.
READS = ("indicators.parquet", "reference_areas.parquet", "hamlet_coverage.parquet", "hamlet_registry.parquet",
         "milestones.parquet")
STORED_LEVELS = ("province", "district", "province_2025")   # back-test rows kept (communes: pooled, not stored)
# What judging an indicator reads of its table; the rest (unit, capped, n, median, note) is the indicators' own
# record, and was a third of the table's 0.9 GB in memory nationally, held twice (as read, then sorted).
JUDGED = ("indicator_id", "area_code", "area_level", "period", "value", "numerator", "denominator", "frequency")
PROJECTION_SCHEMA = {"indicator_id": pl.String, "area_code": pl.String, "area_level": pl.String, "period": pl.Date,
                     "projected": pl.Float64, "lower": pl.Float64, "upper": pl.Float64, "model": pl.String}
# Each model's back-test score in each area: 514,125 rows nationally, which as Python dicts in the main process
# added 0.15-0.3 GB to the stage's 3.9 GB peak.
MODEL_SCHEMA = {"indicator_id": pl.String, "area_code": pl.String, "area_level": pl.String, "model": pl.String,
                "mae": pl.Float64, "origins": pl.Int64, "points": pl.Int64, "chosen": pl.Boolean}
STATUS_COLUMNS = ["indicator_id", "area_code", "area_level", "as_of", "target_set", "frequency", "latest_value",
                  "latest_period", "target", "target_date", "direction", "comparison", "ceiling", "unit_step",
                  "baseline_value", "baseline_period", "years_elapsed", "years_total", "rate_observed",
                  "rate_required", "ratio_rule", "ratio_r", "ratio_status", "projected_at_target",
                  "projected_at_target_basis", "lower_at_target", "upper_at_target", "progress_p", "status",
                  "ratio_disagrees", "deadline_met", "value_at_deadline", "shortfall_at_deadline", "gap", "gap_count",
                  "gap_unit", "current_pace", "value_12m_ago", "required_pace", "months_remaining", "eta",
                  "eta_basis", "model", "model_mae", "model_params", "scale", "n_points", "note"]
# The judgement's columns (trajectory/series.py) with the area, the month judged, the target set and the gap's count.
AREA_SCHEMA = {"indicator_id": pl.String, "area_code": pl.String, "area_level": pl.String, "gap_count": pl.Float64,
               "gap_unit": pl.String}
STATUS_SCHEMA = {c: (ROW_SCHEMA | AREA_SCHEMA | {"as_of": pl.Date, "target_set": pl.String})[c] for c in STATUS_COLUMNS}
BACKTEST_SCHEMA = {"indicator_id": pl.String, "area_code": pl.String, "area_level": pl.String, "origin": pl.Date,
                   "horizon": pl.Int64, "model": pl.String, "forecast": pl.Float64, "actual": pl.Float64,
                   "lower": pl.Float64, "upper": pl.Float64, "inside": pl.Boolean}


def _gap_counts(target: Target, numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """How many more of the counted thing each area needs now: target share × denominator − numerator (for an
    indicator whose file names what its gap counts); NaN where it has none."""
    if not target.indicator.countable:
        return np.full(len(numerator), np.nan)
    need = target.target / target.indicator.scale * denominator - numerator
    return np.maximum(np.ceil(need - 1e-9), 0.0)


def _unit_steps(target: Target, denominator: np.ndarray) -> np.ndarray | None:
    """One counted unit (a hamlet, an application) in the indicator's units: ceiling / denominator (NaN: none)."""
    if target.ceiling is None or not target.indicator.countable:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.nan_to_num(denominator) != 0, target.ceiling / denominator, np.nan)


PARALLEL_FROM = 2_000  # areas of one target: below this a second process costs more than it saves
# Series a stack holds at most: a back-test of 20,000 series at once took 2-7 s against 0.4-0.8 s in blocks of
# 1,024 (the same numbers: every operation is row by row), its arrays of hundreds of megabytes allocated and
# faulted in afresh each time.
STACK_ROWS = 1_024


@dataclass
class Areas:
    """One stack's areas: code and level of each series, and the numerator and denominator of its latest value
    (NaN: none), for the gap's count."""
    codes: np.ndarray
    levels: np.ndarray
    numerator: np.ndarray
    denominator: np.ndarray


def _stacks(series: pl.DataFrame) -> list[tuple[Areas, np.ndarray, np.ndarray]]:
    """Every area's series of one target (rows sorted by area then month), as stacks of the areas observed at the
    same months, at most `STACK_ROWS` each: (areas, months, values (m, n)). Rows without a value are dropped from
    their series (an area with none is a series of no months, judged "insufficient data")."""
    codes, levels = series["area_code"].to_numpy(), series["area_level"].to_numpy()
    tt, vv = series["_t"].to_numpy(), series["value"].to_numpy().astype(float)
    num = series["numerator"].cast(pl.Float64).to_numpy()
    den = series["denominator"].cast(pl.Float64).to_numpy()
    starts = np.flatnonzero(np.r_[True, (codes[1:] != codes[:-1]) | (levels[1:] != levels[:-1])]) if len(codes) \
        else np.array([], dtype=int)
    by_months: dict[bytes, list[tuple]] = {}
    for lo, hi in zip(starts.tolist(), np.r_[starts[1:], len(codes)].tolist()):
        kept = lo + np.flatnonzero(~np.isnan(vv[lo:hi]))
        by_months.setdefault(tt[kept].tobytes(), []).append((lo, kept))
    out = []
    blocks = [group[i:i + STACK_ROWS] for group in by_months.values() for i in range(0, len(group), STACK_ROWS)]
    for group in blocks:
        first = np.array([lo for lo, _ in group])
        rows = np.stack([kept for _, kept in group])            # (m, n) row numbers of the values
        last = rows[:, -1] if rows.shape[1] else None
        areas = Areas(codes[first], levels[first],
                      num[last] if last is not None else np.full(len(group), np.nan),
                      den[last] if last is not None else np.full(len(group), np.nan))
        out.append((areas, tt[rows[0]] if rows.shape[1] else np.array([], dtype=float), vv[rows]))
    return out


def _prepare_all(target: Target, series: pl.DataFrame) -> tuple[list[tuple], dict]:
    """Pass 1 over every area's series of one target: each stack's models chosen and fitted, and the back-test
    errors, scaled (for the pools) and whole (for the stored levels)."""
    items, stored = [], []
    pooled: dict[str, dict[str, list]] = {}   # kind of area -> buckets and scaled errors
    for areas, t, ys in _stacks(series):
        stack = prepare_many(t, ys, target)
        b = stack.batch
        if b is not None and b.horizon.size:
            kinds = np.array([calibration.group_of(level) for level in areas.levels.tolist()])
            bucket = calibration.bucket_of(b.horizon)
            for kind in dict.fromkeys(kinds.tolist()):
                rows = np.flatnonzero(b.has_errors & (kinds == kind))
                if not rows.size:
                    continue
                pool = pooled.setdefault(kind, {"bucket": [], "r": []})
                pool["bucket"].append(np.tile(bucket, rows.size))
                pool["r"].append(calibration.scaled(b.actual[rows], b.forecast[rows], b.scale[rows],
                                                    b.horizon[None, :]).ravel())
            stored_level = np.array([level in STORED_LEVELS for level in areas.levels.tolist()], dtype=bool)
            keep = np.flatnonzero(b.has_errors & stored_level)
            if keep.size:
                pairs = b.horizon.size
                stored.append({"area_code": np.repeat(areas.codes[keep], pairs),
                               "area_level": np.repeat(areas.levels[keep], pairs),
                               "model": np.repeat(stack.model[keep], pairs),
                               "origin_t": np.tile(b.origin_t, keep.size), "horizon": np.tile(b.horizon, keep.size),
                               "forecast": b.forecast[keep].ravel(), "actual": b.actual[keep].ravel(),
                               "scale": b.scale[keep].ravel()})
        stack.batch = None   # not kept for the second pass: the pools hold what is needed
        items.append((areas, stack))
    pools = {kind: {k: np.concatenate(v) for k, v in pool.items()} for kind, pool in pooled.items()}
    return items, {"pools": pools, "stored": stored}


def _finish_all(target: Target, items: list[tuple], as_of: date, tables: dict[str, dict]
                ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Pass 2: each stack projected with its pools' calibrated intervals, and judged: (status, projections,
    models' scores)."""
    quantiles = {group: calibration.table_arrays(tables.get(group, {})) for group in ("area", "commune")}
    status, projected, models = [], [], []
    for areas, stack in items:
        groups = [calibration.group_of(level) for level in areas.levels.tolist()]
        q_lo = np.array([quantiles[g][0] for g in groups]).reshape(len(groups), -1)
        q_hi = np.array([quantiles[g][1] for g in groups]).reshape(len(groups), -1)
        rows, projection = finish_many(stack, target, as_of, q_lo, q_hi, _unit_steps(target, areas.denominator))
        m = len(areas.codes)
        rows.update(indicator_id=np.full(m, target.id, dtype=object), area_code=areas.codes, area_level=areas.levels,
                    gap_unit=np.full(m, target.indicator.gap_unit, dtype=object),
                    gap_count=np.where(np.isnan(rows["gap"]), np.nan,
                                       _gap_counts(target, areas.numerator, areas.denominator)))
        status.append(rows)
        if projection is not None:
            projected.append((areas, projection))
        if len(stack.maes):
            models.append(_model_scores(target.id, areas, stack))
    return (frame(status, ROW_SCHEMA | AREA_SCHEMA), _projection_frame(target.id, projected),
            frame(models, MODEL_SCHEMA))


def _model_scores(indicator_id: str, areas: Areas, stack) -> dict[str, np.ndarray]:
    """Each model's back-test score on each series of a stack, area by area (models in `MODELS` order), as
    columns of `MODEL_SCHEMA`."""
    names = np.array(list(MODELS), dtype=object)
    k, m = len(names), len(areas.codes)
    mae = stack.maes.T.ravel()                  # area-major: every model of the first area, then the next
    used = ~np.isnan(mae)
    model = np.tile(names, m)
    return {"indicator_id": np.full(k * m, indicator_id, dtype=object), "area_code": np.repeat(areas.codes, k),
            "area_level": np.repeat(areas.levels, k), "model": model, "mae": mae,
            "origins": np.where(used, stack.origins, 0), "points": np.where(used, stack.points, 0),
            "chosen": model == np.repeat(stack.model, k)}


def _projection_frame(indicator_id: str, projected: list[tuple]) -> pl.DataFrame:
    """The projected months of every area of a target, from each stack's arrays: (areas, Projections) pairs;
    series without a model have no rows."""
    parts = []
    for areas, p in projected:
        keep = np.flatnonzero(~np.equal(p.model, None))
        if not keep.size:
            continue
        h = len(p.months)
        parts.append(pl.DataFrame({
            "area_code": pl.Series(np.repeat(areas.codes[keep], h), dtype=pl.String),
            "area_level": pl.Series(np.repeat(areas.levels[keep], h), dtype=pl.String),
            "month": np.tile(p.months.astype(np.int64), keep.size),
            "projected": p.projected[keep].ravel(), "lower": p.lower[keep].ravel(), "upper": p.upper[keep].ravel(),
            "model": pl.Series(np.repeat(p.model[keep], h), dtype=pl.String)}))
    if not parts:
        return pl.DataFrame(schema=PROJECTION_SCHEMA)
    return pl.concat(parts).select(indicator_id=pl.lit(indicator_id), area_code="area_code",
                                   area_level="area_level", period=from_index_of(pl.col("month")),
                                   projected="projected", lower="lower", upper="upper", model="model"
                                   ).cast(PROJECTION_SCHEMA)


def _chunks(series: pl.DataFrame, parts: int) -> list[pl.DataFrame]:
    """The rows split into `parts` runs of whole areas (a series never straddles two)."""
    areas = series.select("area_level", "area_code").unique(maintain_order=True)
    bounds = np.linspace(0, areas.height, parts + 1).astype(int)
    return [series.join(areas[a:b], on=["area_level", "area_code"], how="semi", maintain_order="left")
            for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def _pool_frame(target: Target, pools: list[dict]) -> pl.DataFrame:
    """indicator_id, group, bucket, r: every scaled back-test error of the target, from every worker."""
    parts = [pl.DataFrame({"bucket": kind_pool["bucket"].astype(np.int64), "r": kind_pool["r"].astype(float)})
             .with_columns(indicator_id=pl.lit(target.id), group=pl.lit(kind))
             for p in pools for kind, kind_pool in p["pools"].items()]
    schema = {"indicator_id": pl.String, "group": pl.String, "bucket": pl.Int64, "r": pl.Float64}
    return pl.concat(parts).select(list(schema)) if parts else pl.DataFrame(schema=schema)


def _stored_frame(target: Target, pools: list[dict]) -> pl.DataFrame:
    """The chosen models' back-test forecasts of the stored levels, every worker's, one row a (series, origin,
    horizon)."""
    stored = [s for p in pools for s in p["stored"]]
    if not stored:
        return pl.DataFrame()
    columns = {k: np.concatenate([s[k] for s in stored]) for k in stored[0]}
    rows = pl.DataFrame({k: pl.Series(v, dtype=pl.String) if v.dtype == object or v.dtype.kind == "U" else v
                         for k, v in columns.items()})
    return rows.with_columns(
        indicator_id=pl.lit(target.id),
        group=pl.col("area_level").replace_strict(
            {level: calibration.group_of(level) for level in rows["area_level"].unique().to_list()}),
        bucket=pl.Series(calibration.bucket_of(columns["horizon"])).cast(pl.Int64))


def run_frames(ind: pl.DataFrame, targets: TargetSet, as_of: date, workers: int = 1, pools: Pools | None = None
               ) -> dict[str, pl.DataFrame]:
    """The judgement of every target as of a month. `pools`: a partition's, whose calibration also takes the other
    partitions' errors (trajectory/pooling.py)."""
    status, models, quantiles, backtests, judged, projected = [], [], [], [], [], []
    call = pools.begin() if pools is not None else 0
    # Rows without a value (too few speed measurements) stay in, so their area is judged "insufficient data".
    ind = (ind.filter(pl.col("period") <= as_of)
           .with_columns(_t=month_index_of(pl.col("period")).cast(pl.Float64))
           .sort("indicator_id", "area_level", "area_code", "period"))
    pool = None
    try:
        for target in targets.targets:
            series = ind.filter(pl.col("indicator_id") == target.id)
            if series.is_empty():
                status.append(pl.DataFrame({"indicator_id": [target.id], "status": ["no_data"],
                                            "target": [target.target], "target_date": [target.target_date],
                                            "note": ["no value of this indicator in the data"]}))
                continue
            n_areas = series.select("area_level", "area_code").n_unique()
            parallel = workers > 1 and n_areas >= PARALLEL_FROM
            if parallel:   # each run of areas prepared and finished in the same process (trajectory/workers.py)
                pool = pool or Workers(workers - 1, _prepare_all, _finish_all)
                chunks = _chunks(series, pool.parts)
                made = pool.prepare(target, chunks)
            else:
                items, made = _prepare_all(target, series)
                made = [made]
            errors, stored = _pool_frame(target, made), _stored_frame(target, made)
            if pools is not None:
                errors, stored = pools.join(call, as_of, target.id, errors, stored)
            q = calibration.quantiles(errors)
            quantiles.append(q)
            tables = {g: {b: (lo, hi) for _, _, b, _, lo, hi in rows.iter_rows()}
                      for (g,), rows in q.group_by("group")}
            if stored.height:
                inside = calibration.honest_inside(stored.drop("_own", strict=False))
                judged.append(inside)   # every partition's, for the calibration's coverage; the table: its own
                backtests.append(inside.filter(stored["_own"]) if "_own" in stored.columns else inside)
            if parallel:
                parts = pool.finish(target, as_of, tables, len(chunks))
            else:
                parts = [_finish_all(target, items, as_of, tables)]
            for st, proj, mod in parts:
                status.append(st)
                models.append(mod)
                projected.append(proj)
    finally:
        if pool is not None:
            pool.close()
    trajectories = pl.concat(projected) if any(p.height for p in projected) else pl.DataFrame()
    st = pl.concat(status, how="diagonal_relaxed").with_columns(as_of=pl.lit(as_of), target_set=pl.lit(targets.id))
    st = st.with_columns(pl.lit(None, d).alias(c) for c, d in STATUS_SCHEMA.items() if c not in st.columns)
    return {"status": st.select(pl.col(c).cast(d) for c, d in STATUS_SCHEMA.items())
            .sort("indicator_id", "area_level", "area_code"),
            "trajectories": trajectories,
            "models": pl.concat(models) if any(m.height for m in models) else pl.DataFrame(),
            "backtest": _backtest_table(backtests),
            "calibration": _calibration_table(quantiles, judged)}


def _backtest_table(parts: list[pl.DataFrame]) -> pl.DataFrame:
    if not parts:   # no series long enough for an origin (a sample of a few months)
        return pl.DataFrame(schema=BACKTEST_SCHEMA)
    bt = pl.concat(parts, how="diagonal_relaxed")
    origin = pl.col("origin_t").cast(pl.Int64)
    return bt.with_columns(origin=from_index_of(origin)).select(
        pl.col(c).cast(d) for c, d in BACKTEST_SCHEMA.items())


def _calibration_table(quantiles: list[pl.DataFrame], backtests: list[pl.DataFrame]) -> pl.DataFrame:
    """The interval quantiles of each pool and horizon bucket, and (for provinces and districts) the share of the
    back-test's actual values its out-of-sample interval held."""
    if not quantiles:
        return pl.DataFrame()
    q = pl.concat(quantiles).with_columns(
        horizon_from=pl.col("bucket").map_elements(lambda b: calibration.BUCKETS[b][0], return_dtype=pl.Int64),
        horizon_to=pl.col("bucket").map_elements(lambda b: calibration.BUCKETS[b][1], return_dtype=pl.Int64))
    if backtests:
        cov = (pl.concat(backtests, how="diagonal_relaxed").filter(pl.col("inside").is_not_null())
               .group_by("indicator_id", "group", "bucket")
               .agg(checked=pl.len(), coverage=pl.col("inside").mean()))
        q = q.join(cov, on=["indicator_id", "group", "bucket"], how="left")
    return q


def milestones(processed: Path, target_set: TargetSet, as_of: date) -> pl.DataFrame:
    """Each milestone of the set with the latest status the department entered on or before `as_of`, its entries
    matched by their wording (`milestone_match`: typos, missing marks, a shortened or numbered name)."""
    path = processed / "milestones.parquet"
    rows = []
    entered = pl.read_parquet(path).filter(pl.col("as_of") <= month_end(as_of)) if path.exists() else pl.DataFrame()
    if entered.height:
        names = milestone_match.match_all(entered["milestone"].to_list(), target_set.milestones)
        entered = entered.join(names.select(pl.col("entry").alias("milestone"), pl.col("milestone_vi").alias("_m")),
                               on="milestone", how="left")
    for m in target_set.milestones:
        hits = entered.filter(pl.col("_m") == m.name_vi).sort("as_of") if entered.height else entered
        last = hits.row(-1, named=True) if hits.height else {}
        rows.append({"milestone_vi": m.name_vi, "milestone_en": m.name_en, "status_code": last.get("status_code"),
                     "status": last.get("status"), "as_of": last.get("as_of"), "note": last.get("note")})
    schema = {"milestone_vi": pl.String, "milestone_en": pl.String, "status_code": pl.String, "status": pl.String,
              "as_of": pl.Date, "note": pl.String}
    return pl.DataFrame(rows, schema=schema)


def milestone_matches(processed: Path, target_set: TargetSet) -> list[dict]:
    """Every entry of the department's milestones sheet, the milestone it was matched to, the score and how (for
    the stage's record: an entry matched approximately can be checked, one matched to none is warned of)."""
    path = processed / "milestones.parquet"
    if not path.exists():
        return []
    entries = pl.read_parquet(path, columns=["milestone"])["milestone"].to_list()
    return milestone_match.match_all(entries, target_set.milestones).to_dicts()


def gaps(processed: Path, as_of: date) -> pl.DataFrame:
    """The hamlets still without FTTH or without mobile broadband at the latest month, by name (each indicator
    whose file asks for the list)."""
    cov, reg = processed / "hamlet_coverage.parquet", processed / "hamlet_registry.parquet"
    if not (cov.exists() and reg.exists()):
        return pl.DataFrame()
    # Only the latest month's rows are read (a national inventory is 6 million rows over five years).
    scan = pl.scan_parquet(cov).filter(pl.col("period") <= as_of)
    latest = scan.select(pl.col("period").max()).collect().item()
    if latest is None:
        return pl.DataFrame()
    coverage = scan.filter(pl.col("period") == latest).collect()
    registry = pl.read_parquet(reg)
    parts = [uncovered_hamlets(coverage, registry, flag, latest).with_columns(
        indicator_id=pl.lit(ind_id), period=pl.lit(latest))
        for ind_id, flag in _hamlet_lists().items()]
    return pl.concat(parts).select("indicator_id", "period", "hamlet_code", "hamlet", "commune_code", "district_code")


def _hamlet_lists() -> dict[str, str]:
    """indicator id -> the coverage flag it counts, for the indicators whose hamlets are listed by name."""
    return {i.id: i.params["flag"] for i in metadata.catalogue().values() if i.lists_hamlets}


def _in_scope(ind: pl.DataFrame, processed: Path, target_set: TargetSet) -> pl.DataFrame:
    """The indicator rows of the areas the set was made for: its provinces' old units and the units of 1 July 2025
    they went into."""
    ref = processed / "reference_areas.parquet"
    if target_set.provinces is None or not ref.exists():
        return ind
    scope = areas_of(pl.read_parquet(ref), target_set.provinces)
    return ind.join(scope, on=["area_level", "area_code"], how="semi", maintain_order="left")


def month_of(ind: pl.DataFrame, as_of: str | date) -> date:
    """The month judged: `latest` is the newest month of the monthly data; a month outside the data is refused."""
    monthly = ind.filter(pl.col("frequency") == "monthly")["period"]
    if as_of == "latest":
        return monthly.max() or ind["period"].max()
    if isinstance(as_of, date):
        month = as_of.replace(day=1)
    else:
        try:
            month = parse_month(as_of)
        except ValueError as exc:
            raise AnalysisError(f"--as-of: {exc}") from None
    if monthly.len() and not monthly.min() <= month <= monthly.max():
        raise AnalysisError(f"--as-of {month:%Y-%m} is outside the data ({monthly.min():%Y-%m} to "
                            f"{monthly.max():%Y-%m})")
    return month


def frames(processed: Path, target_set: TargetSet, month: date, workers: int = 1, pools: Pools | None = None
           ) -> dict[str, pl.DataFrame]:
    """Every table of `OUTPUTS`, judged as of `month` with no data after it (the stage writes them; a report
    notebook asked for another month than the stage's computes them in memory)."""
    ind = _in_scope(read_indicators(processed, JUDGED, until=month), processed, target_set)
    out = run_frames(ind, target_set, month, workers=workers, pools=pools)
    out["hindcast"] = hindcasts.run(ind, target_set, month, partial(run_frames, pools=pools))
    out["gaps"] = gaps(processed, month)
    out["milestones_status"] = milestones(processed, target_set, month)
    return {name: out[name] for name in OUTPUTS}


def read_indicators(processed: Path, columns: list[str] | tuple[str, ...] | None = None,
                    until: date | None = None) -> pl.DataFrame:
    """The indicators table, or its `columns` of the months up to `until`, filtered as it is read (one copy in
    memory, not the whole table and then its part)."""
    path = processed / "indicators.parquet"
    if not path.exists():
        raise AnalysisError("no indicators.parquet: run the indicators stage first", file=str(processed))
    scan = pl.scan_parquet(path)
    if columns is not None:
        scan = scan.select(columns)
    if until is not None:
        scan = scan.filter(pl.col("period") <= until)
    return scan.collect()


def judged_month(processed: Path, as_of: str | date) -> date:
    """`month_of` over the processed indicators, reading only the two columns it needs (the national table whole
    is 0.9 GB in memory)."""
    return month_of(read_indicators(processed, ["period", "frequency"]), as_of)


def workers() -> int:
    """Processes the stage judges in: one a core beyond the second. Judged a stack at a time (array operations,
    polars on every core between them), the national stage took 18.7-20.5 s in one process and 18.9-20.6 s in two
    on two cores (three alternating pairs, 3 December 2026), the second costing 4-5 s of CPU; more cores are not
    measured here."""
    return max(1, (os.cpu_count() or 1) - 1)


def run(processed: Path, targets: Path | str | None = None, as_of: str = "latest",
        pooled_with: list[Path] | None = None) -> pl.DataFrame:
    """Fit, project and judge every target of the set as of a month; write `OUTPUTS`; return `status`.
    A partition's folder (clean --partition) also gets its calibration errors (trajectory/pooling.py);
    `pooled_with`: the partitions' folders, whose errors then calibrate this one's intervals with its own."""
    started = time.perf_counter()
    target_set = load(targets)
    month = judged_month(processed, as_of)
    others = [f for f in pooled_with or [] if f.resolve() != processed.resolve()]
    partitioned = bool(pooled_with) or geography.partition(processed) is not None
    pools = Pools(others) if partitioned else None
    out = frames(processed, target_set, month, workers=workers(), pools=pools)
    if pools is not None and not others:   # the errors of this partition alone, for the others' second pass
        pools.write(processed)
    for name, table in out.items():
        io.write_parquet(table, processed / f"{name}.parquet")
    io.write_json({"stage": "trajectories", "target_set": target_set.id, "as_of": str(month),
                   "seconds": round(time.perf_counter() - started, 2),
                   "rows": {k: v.height for k, v in out.items()},
                   "milestone_matches": milestone_matches(processed, target_set)}, processed / "trajectories.json")
    return out["status"]
