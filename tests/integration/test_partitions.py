"""Issue 21, item 5: a national run cut by province. Two provinces of the national set, each cleaned, computed and
judged as a partition of files that hold both, give together exactly what the whole run gives."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest
import yaml
from polars.testing import assert_frame_equal

from analysis.clean.accounts import balances
from analysis.clean.stage import run as clean
from analysis.crosswalk import new_provinces
from analysis.indicators.engine import run as indicators
from analysis.trajectory.engine import OUTPUTS, run as trajectories
from tests.conftest import kept_clean_cache

pytestmark = pytest.mark.slow

DATA = ("subscribers", "hamlet_coverage", "bts_sites", "speed_tests", "population", "hamlet_registry")


@pytest.fixture(scope="module")
def runs(national_share, tmp_path_factory):
    """The whole run and one run per province of 2025, each cleaned from all the files, then computed and judged
    against a set whose deadline (December 2024) the data pass, so the hindcast is judged too. Returns (whole,
    [partitions], {partition: its own first-pass tables})."""
    root, meta, _ = national_share
    work = tmp_path_factory.mktemp("partitions")
    olds = sorted(pl.read_parquet(root / "truth" / "reference_areas.parquet")
                  .filter(pl.col("level") == "province")["area_code"])
    assert len(olds) == meta["provinces"] == 2
    targets = work / "targets.yml"
    targets.write_text(yaml.safe_dump({
        "id": "partition-test", "name_vi": "Thử", "name_en": "Test", "source": "test",
        "baseline": "2022-01", "target_date": "2024-12",
        "targets": [{"id": "households_fiber", "direction": "higher", "target": 80},
                    {"id": "fbb_download_mbps", "direction": "higher", "target": 120},
                    {"id": "hamlets_ftth_coverage", "direction": "higher", "target": 100}],
        "milestones": []}), encoding="utf-8")
    whole = work / "whole"   # the share's whole clean (at national scope), judged in a copy
    shutil.copytree(root / "processed", whole)
    parts = []
    for code in sorted({c for old in olds for c in new_provinces([old])}):
        parts.append(work / f"part-{code}")
        # from the clean cache the last session left for this partition (all read again after a code change)
        kept_clean_cache(f"partition-{code}", parts[-1], lambda code=code: clean(root / "raw", parts[-1],
                                                                                 partition=code))
    for folder in [whole, *parts]:
        indicators(folder)
        trajectories(folder, targets)
    alone = {p.name: {n: pl.read_parquet(p / f"{n}.parquet") for n in ("trajectories", "calibration")}
             for p in parts}
    for folder in parts:   # the second pass: every partition's errors in the calibration
        trajectories(folder, targets, pooled_with=parts)
    return whole, parts, alone


def union(parts: list[Path], name: str) -> pl.DataFrame:
    every = [pl.read_parquet(p / f"{name}.parquet") for p in parts]
    frames = [f for f in every if f.height]
    return pl.concat(frames, how="diagonal_relaxed").unique() if frames else every[0]


def same(got: pl.DataFrame, want: pl.DataFrame) -> None:
    """Equal as sets of rows, to the last bit."""
    cols = want.columns
    assert_frame_equal(got.select(cols).sort(cols, nulls_last=True), want.sort(cols, nulls_last=True),
                       check_exact=True)


@pytest.mark.parametrize("name", [*DATA, "quarantine"])
def test_the_partitions_tables_together_are_the_whole_clean(runs, name):
    whole, parts, _ = runs
    want = pl.read_parquet(whole / f"{name}.parquet")
    assert want.height
    same(union(parts, name), want)


def test_each_partition_writes_its_own_provinces_and_nothing_of_the_other(runs):
    whole, parts, _ = runs
    for p in parts:
        code = p.name.removeprefix("part-")
        m = json.loads((p / "manifest.json").read_text(encoding="utf-8"))
        assert m["partition"] == [code] and new_provinces(m["provinces"]) == [code]
        areas = pl.read_parquet(p / "reference_areas.parquet")
        assert set(areas.filter(pl.col("level") == "province")["area_code"]) == set(m["provinces"])
        districts = set(areas.filter(pl.col("level") == "district")["area_code"])
        subs = pl.read_parquet(p / "subscribers.parquet")
        assert set(subs["district_code"].drop_nulls()) <= districts


def test_every_row_is_one_partitions_and_elsewhere_in_the_others(runs):
    whole, parts, _ = runs
    w = {f["path"]: f for f in json.loads((whole / "manifest.json").read_text(encoding="utf-8"))["inputs"]}
    ms = [{f["path"]: f for f in json.loads((p / "manifest.json").read_text(encoding="utf-8"))["inputs"]}
          for p in parts]
    placed = ("kept", "quarantined", "superseded", "not_cleaned")
    assert all(balances(f) for m in ms for f in m.values())
    for path, f in w.items():
        for k in placed:   # each row in exactly one partition
            assert sum(m[path][k] for m in ms) == f[k], (path, k)
        for m in ms:       # and counted as elsewhere in every other
            assert m[path]["elsewhere"] == sum(f[k] for k in placed) - sum(m[path][k] for k in placed), path
    assert sum(m[p]["elsewhere"] for m in ms for p in m) > 0


def test_the_partitions_indicators_together_are_the_whole_runs(runs):
    whole, parts, _ = runs
    same(union(parts, "indicators"), pl.read_parquet(whole / "indicators.parquet"))


@pytest.mark.parametrize("name", OUTPUTS)
def test_judged_with_every_partitions_errors_the_partitions_are_the_whole_judgement(runs, name):
    whole, parts, _ = runs
    want = pl.read_parquet(whole / f"{name}.parquet")
    if name == "calibration":   # one table for the whole set: each partition holds all of it
        for p in parts:
            same(pl.read_parquet(p / f"{name}.parquet"), want)
        return
    if name == "hindcast":
        assert want.height   # the set's deadline is in the data: calls were made and scored
    same(union(parts, name), want)


def test_judged_alone_a_partitions_intervals_are_not_the_whole_runs(runs):
    # What the second pass is for: calibrated on its own errors, a partition's pools are smaller and its
    # intervals other than the whole run's.
    whole, parts, alone = runs
    want = pl.read_parquet(whole / "calibration.parquet")
    for p in parts:
        got = alone[p.name]["calibration"]
        assert (got["n"] < want.join(got.select("indicator_id", "group", "bucket"), how="semi",
                                     on=["indicator_id", "group", "bucket"])["n"]).any()
    lone = pl.concat([a["trajectories"] for a in alone.values()])
    assert not lone.sort(lone.columns).equals(pl.read_parquet(whole / "trajectories.parquet").sort(lone.columns))


def test_a_second_pass_needs_every_partitions_first(runs, tmp_path):
    from analysis.errors import AnalysisError
    _, parts, _ = runs
    with pytest.raises(AnalysisError, match="judge every partition once on its own first"):
        trajectories(parts[0], None, pooled_with=[parts[0], tmp_path])


def test_a_second_pass_judged_as_of_another_month_than_the_first_stops(runs):
    from analysis.errors import AnalysisError
    _, parts, _ = runs
    before = (parts[0] / "status.parquet").read_bytes()
    with pytest.raises(AnalysisError, match=r"judged as of other months \(2025-06-01\) than this one \(2025-03-01\)"):
        trajectories(parts[0], parts[0].parent / "targets.yml", as_of="2025-03", pooled_with=parts)
    assert (parts[0] / "status.parquet").read_bytes() == before
