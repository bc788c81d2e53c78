"""The national set (issue 8): a small share of it cleaned at national scope equals its ground truth, the share
keeps whole provinces of one national world, and the national calibration meets the published figures."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis.areas import national_units
from analysis.clean.accounts import balances
from analysis.periods import parse_month
from analysis.sample.national import world
from analysis.sample.national.generate import STREAMS
from analysis.sample.national.settings import load

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def national(national_share):
    return national_share


def read(root, folder: str, name: str) -> pl.DataFrame:
    return pl.read_parquet(root / folder / f"{name}.parquet")


def test_a_share_is_whole_provinces_of_all_five_operators(national):
    root, meta, _ = national
    assert meta["provinces"] >= 2 and meta["months"] == 60
    subs = read(root, "truth", "subscribers")
    assert sorted(subs["operator"].unique()) == ["FPT", "MobiFone", "VNPT", "Vietnamobile", "Viettel"]
    assert subs["province_code"].n_unique() == meta["provinces"]


@pytest.mark.parametrize("name, key, columns", [
    ("subscribers", ["period", "operator", "commune_code", "service", "segment"],
     ["province_code", "district_code", "subscribers"]),
    ("hamlet_coverage", ["period", "operator", "hamlet_code"], ["commune_code", "ftth", "mbb_4g", "mbb_5g"]),
    ("population", ["commune_code", "year"], ["population", "adults", "households"]),
    ("hamlet_registry", ["hamlet_code"], ["hamlet", "commune_code", "district_code"]),
    ("bts_sites", ["period", "operator", "site_id"], ["commune_code", "position_id"]),
])
def test_cleaned_tables_equal_the_truth(national, name, key, columns):
    root, _, _ = national
    got, want = read(root, "processed", name), read(root, "truth", name)
    if name == "bts_sites":  # the cleaner numbers positions its own way: compare which sites share one
        got, want = (f.with_columns(position_id=pl.col("site_id").min().over("period", "position_id"))
                     for f in (got, want))
    assert_frame_equal(got.select(key + columns).sort(key, nulls_last=True),
                       want.select(key + columns).sort(key, nulls_last=True))


def test_speed_tests_equal_the_truth_less_the_impossible_ones(national):
    root, _, _ = national
    defects = pl.read_csv(root / "truth" / "defects.csv", schema_overrides={"row": pl.Int64})
    bad = defects.filter(pl.col("defect").is_in(["impossible_speed", "zero_latency"]))["detail"]
    want = read(root, "truth", "speed_tests").filter(~pl.col("test_id").is_in(bad.implode()))
    got = read(root, "processed", "speed_tests")
    cols = ["test_id", "ts", "operator", "network", "commune_code", "download_mbps", "upload_mbps", "latency_ms"]
    assert_frame_equal(got.select(cols).sort("test_id"), want.select(cols).sort("test_id"), check_dtypes=False)
    assert {"device_id", "ip"}.isdisjoint(got.columns)


def test_quarantine_holds_exactly_the_injected_bad_rows(national):
    root, _, manifest = national
    defects = pl.read_csv(root / "truth" / "defects.csv", schema_overrides={"row": pl.Int64})
    rows = defects.filter(pl.col("defect").is_in(["impossible_speed", "zero_latency", "unknown_hamlet"]))
    injected = set(rows.select("file", "row").unique().iter_rows())
    quarantine = read(root, "processed", "quarantine")
    assert set(quarantine.select("source_file", "row_number").iter_rows()) == injected
    assert all(balances(f) for f in manifest["inputs"])


def test_resubmissions_are_replaced_as_the_truth_lists(national):
    root, _, manifest = national
    files = pl.read_csv(root / "truth" / "files.csv")
    want = sorted(files.filter(pl.col("superseded_by").is_not_null())["file"].to_list())
    assert want and sorted(r["file"] for r in manifest["replaced"]) == want


def test_shares_are_nested_so_a_tenth_is_those_provinces_of_the_whole():
    rng = lambda: np.random.default_rng([7, STREAMS["provinces"]])
    tenth, fifth, whole = (world.provinces_for(s, rng()) for s in (0.1, 0.2, 1.0))
    assert set(tenth) < set(fifth) < set(whole) and len(whole) == 63
    communes = national_units().group_by("provinceCode").len()
    held = communes.filter(pl.col("provinceCode").is_in(tenth))["len"].sum() / communes["len"].sum()
    assert 0.1 <= held < 0.2


def test_national_calibration_meets_the_published_figures():
    # real-figures.md E: households on fibre 75.36% (3/2023) and 85.1% (6/2025); mobile broadband 84.8 per 100
    # people (3/2023) and 91.9 (6/2024). GSO: 100.3 million people in 2023.
    cfg = load()
    rng = {k: np.random.default_rng([7, v]) for k, v in STREAMS.items()}
    ms = world.months(cfg)
    comm = world.communes(cfg, rng["communes"])
    pop = world.population(cfg, comm)
    subs = world.subscribers(cfg, comm, pop, ms, rng["subscribers"])
    people = pop.group_by("year").agg(pl.col("population", "households").sum())
    assert people.filter(pl.col("year") == 2023)["population"].item() == pytest.approx(100.3e6, rel=0.005)

    def share(month: str, service: str, segment: str | None, per: str) -> float:
        d = parse_month(month)
        n = subs.filter((pl.col("period") == d) & (pl.col("service") == service)
                        & (pl.col("segment").is_null() if segment is None else pl.col("segment") == segment))
        return n["subscribers"].sum() / people.filter(pl.col("year") == d.year)[per].item() * 100

    assert share("2023-03", "ftth", "household", "households") == pytest.approx(75.36, abs=0.3)
    assert share("2025-06", "ftth", "household", "households") == pytest.approx(85.1, abs=0.3)
    assert share("2023-03", "mobile_broadband", None, "population") == pytest.approx(84.8, abs=0.5)
    assert share("2024-06", "mobile_broadband", None, "population") == pytest.approx(91.9, abs=0.5)


def test_the_command_line_writes_a_share(tmp_path):
    from analysis.__main__ import main
    assert main(["sample", "--scale", "national", "--share", "0.5", "--from", "2021-01", "--raw",
                 str(tmp_path / "raw"), "--truth", str(tmp_path / "truth")]) == 1  # --from is refused
    assert main(["sample", "--share", "0.5", "--raw", str(tmp_path / "raw"), "--truth", str(tmp_path / "t")]) == 1
    assert not (tmp_path / "raw").exists() or not any((tmp_path / "raw").iterdir())
