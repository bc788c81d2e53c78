"""Trajectories and status on the short sample: every target judged in every area, intervals around every
projection, another target set, the gaps, and the same tables from one process or two. (The status recomputed
from its own columns, the back-test and the hindcast are checked on the full sample: test_hindcast_sample.py.)"""
from __future__ import annotations

import shutil
from datetime import date

import polars as pl
import pytest

from analysis.indicators import run as indicators
from analysis.targets import load
from analysis.trajectory import engine


@pytest.fixture(scope="module")
def processed(short_processed, tmp_path_factory):
    out = tmp_path_factory.mktemp("processed")
    shutil.copytree(short_processed[0], out, dirs_exist_ok=True)   # the session's clean, judged here
    indicators(out)
    engine.run(out)
    return out


def test_every_target_is_judged_in_every_area(processed):
    status = pl.read_parquet(processed / "status.parquet")
    ind = pl.read_parquet(processed / "indicators.parquet")
    want = ind.select("indicator_id", "area_code").unique()
    have = status.select("indicator_id", "area_code").unique()
    assert want.join(have, on=["indicator_id", "area_code"], how="anti").height == 0
    assert set(status.columns) == set(engine.STATUS_COLUMNS)
    assert status["as_of"].unique().to_list() == [date(2024, 11, 1)]


def test_projections_carry_an_interval_around_them(processed):
    tr = pl.read_parquet(processed / "trajectories.parquet")
    assert tr.height > 0 and (tr["lower"] <= tr["projected"] + 1e-9).all() and (tr["projected"] <= tr["upper"] + 1e-9).all()
    models = pl.read_parquet(processed / "models.parquet")
    chosen = models.filter(pl.col("chosen")).group_by("indicator_id", "area_level", "area_code").len()
    assert (chosen["len"] == 1).all()


def test_another_target_set_needs_no_code(processed):
    national = load("national-2025")
    out = engine.run_frames(pl.read_parquet(processed / "indicators.parquet"), national, date(2024, 11, 1))
    province = out["status"].filter(pl.col("area_level") == "province")
    assert sorted(province["indicator_id"]) == sorted(t.id for t in national.targets)
    fibre = province.filter(pl.col("indicator_id") == "households_fiber").row(0, named=True)
    assert fibre["target"] == 80 and fibre["target_set"] == "national-2025"


def test_gaps_name_the_hamlets_still_uncovered(processed):
    gaps = pl.read_parquet(processed / "gaps.parquet")
    status = pl.read_parquet(processed / "status.parquet").filter(
        (pl.col("area_level") == "province") & (pl.col("indicator_id") == "hamlets_mbb_coverage")).row(0, named=True)
    listed = gaps.filter(pl.col("indicator_id") == "hamlets_mbb_coverage")
    assert listed.height == status["gap_count"] and listed["hamlet"].null_count() == 0


def test_judging_in_two_processes_gives_the_same_tables(processed, monkeypatch):
    # Nationally a target has ten thousand areas and is judged in two processes, each a run of whole areas.
    ind = pl.read_parquet(processed / "indicators.parquet")
    from analysis.targets import load
    serial = engine.run_frames(ind, load(None), date(2024, 11, 1), workers=1)
    monkeypatch.setattr(engine, "PARALLEL_FROM", 1)
    parallel = engine.run_frames(ind, load(None), date(2024, 11, 1), workers=2)
    order = {"status": ["indicator_id", "area_level", "area_code"],
             "trajectories": ["indicator_id", "area_level", "area_code", "period"],
             "models": ["indicator_id", "area_level", "area_code", "model"]}
    for name, keys in order.items():
        assert serial[name].height > 0
        assert serial[name].sort(keys).equals(parallel[name].sort(keys)), name
