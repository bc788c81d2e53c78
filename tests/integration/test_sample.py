"""The sample: reproducible, calibrated on the published figures, and carrying every kind of mess."""
from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from analysis.periods import interpolate_yearly
from analysis.sample.generate import build_truth, generate
from analysis.sample.settings import load


def _hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow   # the generator run afresh
def test_same_seed_same_bytes(tmp_path, short_sample):
    # Written afresh, never from the cache, and compared with the cached short sample byte for byte.
    generate(tmp_path / "raw", tmp_path / "truth", seed=7, first_month="2024-09", last_month="2024-11",
             mess_rates={"resubmission": 0.2})
    assert _hashes(tmp_path / "raw") == _hashes(short_sample / "raw")
    # Another seed writes other bytes: one month is enough to show it.
    other = tmp_path / "other"
    generate(other / "raw", other / "truth", seed=8, first_month="2024-09", last_month="2024-09",
             mess_rates={"resubmission": 0.2})
    mine = _hashes(tmp_path / "raw")
    theirs = _hashes(other / "raw")
    same_names = set(mine) & set(theirs)
    assert same_names and all(mine[n] != theirs[n] for n in same_names if "2024-09" in n)


def test_refuses_a_folder_that_holds_data(short_sample):
    from analysis.errors import AnalysisError
    with pytest.raises(AnalysisError, match="already holds data"):
        generate(short_sample / "raw", short_sample / "truth2", seed=7)


@pytest.fixture(scope="module")
def truth():
    return build_truth(load(), seed=7)


def _at(frame: pl.DataFrame, month: date) -> pl.DataFrame:
    return frame.filter(pl.col("period") == month)


def test_population_sums_to_the_2019_census(truth):
    # real-figures.md C: district totals of the 2019 census.
    census = {"164": 340403, "165": 69382, "167": 89288, "168": 102292, "169": 92421, "170": 68080,
              "171": 171703, "172": 196378, "173": 156804}
    tn = truth["population"].filter(pl.col("district_code").is_in(list(census)))
    p = tn.filter(pl.col("year") == 2019).group_by("district_code").agg(pl.col("population").sum())
    assert dict(p.iter_rows()) == census
    # GSO average population 2023: 1,350,300 (real-figures.md C), within 1%.
    assert tn.filter(pl.col("year") == 2023)["population"].sum() == pytest.approx(1_350_300, rel=0.01)


def test_bac_kan_population_is_the_published_2022_figure(truth):
    # backan.gov.vn (18/09/2023, from the GSO): Bắc Kạn's official average population of 2022 is 324,353, of which
    # Chợ Đồn (064) 51,203, Ba Bể (061) 49,934 and Pác Nặm (060) 34,551. Its 108 old communes are all there.
    bk = truth["population"].join(_bac_kan_communes(), on="commune_code", how="semi")
    assert bk["commune_code"].n_unique() == 108
    y2022 = bk.filter(pl.col("year") == 2022)
    assert y2022["population"].sum() == 324_353
    by = dict(y2022.group_by("district_code").agg(pl.col("population").sum()).iter_rows())
    assert (by["064"], by["061"], by["060"]) == (51_203, 49_934, 34_551)


def _bac_kan_communes() -> pl.DataFrame:
    from analysis.areas import legacy_units
    return legacy_units("06").select(commune_code="wardCode")


def _thai_nguyen(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows of old Thái Nguyên (the sample's calibration is by it; Bắc Kạn joins in July 2025)."""
    return frame.join(_bac_kan_communes(), on="commune_code", how="anti")


def test_fibre_calibration_q1_2023(truth):
    q1 = date(2023, 3, 1)
    subs = _at(truth["subscribers"], q1).filter(pl.col("service") == "ftth")
    households = interpolate_yearly(_thai_nguyen(truth["population"]), ["commune_code"], "households",
                                    [q1])["households"].sum()
    share = subs.filter(pl.col("segment") == "household")["subscribers"].sum() / households
    assert share == pytest.approx(0.72, abs=0.01)  # 72% of households (real-figures.md B)
    assert subs["subscribers"].sum() == pytest.approx(251_000, rel=0.05)  # about 251,000 FTTH subscriptions


def _hamlet_share(cov: pl.DataFrame, registry: pl.DataFrame, month: date, flag: str) -> float:
    covered = _at(cov, month).group_by("hamlet_code").agg(pl.col(flag).any()).filter(pl.col(flag)).height
    return covered / registry.height


def test_hamlet_coverage_calibration(truth):
    cov, reg = truth["hamlet_coverage"], truth["hamlet_registry"]
    assert 2150 <= reg.height <= 2250  # about 2,200 hamlets (2,206 in real-figures.md C)
    assert _hamlet_share(cov, reg, date(2023, 3, 1), "ftth") == pytest.approx(0.997, abs=0.001)
    assert _hamlet_share(cov, reg, date(2024, 12, 1), "ftth") == 1.0
    assert _hamlet_share(cov, reg, date(2024, 12, 1), "mbb") == pytest.approx(0.996, abs=0.001)


def test_bts_sites_about_1800(truth):
    sites = truth["bts_sites"].group_by("period").len()
    mid = sites.filter(pl.col("period").is_between(date(2023, 1, 1), date(2024, 12, 1)))["len"]
    assert 1550 <= mid.min() and mid.max() <= 2000  # "~1,800" (real-figures.md B)


def test_mountain_districts_miss_the_fibre_target(truth):
    dec = date(2025, 12, 1)
    hh = interpolate_yearly(truth["population"], ["district_code", "commune_code"], "households", [dec])
    # The world by old communes (what operators sent from July 2025 names the new units instead).
    f = (_at(truth["subscribers_old_units"], dec).filter((pl.col("service") == "ftth")
                                                         & (pl.col("segment") == "household"))
         .group_by("district_code").agg(pl.col("subscribers").sum())
         .join(hh.group_by("district_code").agg(pl.col("households").sum()), on="district_code")
         .with_columns(share=pl.col("subscribers") / pl.col("households")))
    shares = dict(f.select("district_code", "share").iter_rows())
    assert shares["167"] < 0.85 and shares["170"] < 0.85  # Định Hóa, Võ Nhai lag
    assert shares["164"] > 0.85


REQUIRED_MESS = {
    "name_variant", "number_format", "dash_for_zero", "period_format", "resubmission", "totals_row", "blank_row",
    "repeated_header", "split_row", "speed_unit", "impossible_speed", "zero_latency", "unknown_hamlet",
    "unreported_hamlet", "title_rows", "merged_header", "multi_sheet", "encoding", "separator", "submitted",
    "dms_coordinates", "decimal_comma",
}


@pytest.mark.slow   # the whole 2021-2026 sample (written once, 93 s, where .cache/ has none)
def test_every_mess_kind_occurs(full_sample):
    d = pl.read_csv(full_sample / "truth" / "defects.csv", infer_schema_length=0)
    assert REQUIRED_MESS <= set(d["defect"])
    detail = lambda name: " ".join(d.filter(pl.col("defect") == name)["detail"])
    for fmt in ("iso", "slash", "t", "words", "serial", "quarter"):
        assert fmt in set(d.filter(pl.col("defect") == "period_format")["detail"])
    for enc in ("utf-8", "utf-8-sig", "cp1258"):
        assert enc in set(d.filter(pl.col("defect") == "encoding")["detail"])
    for style in ("short_prefix", "no_diacritics", "english", "code", "nfd"):
        assert style in detail("name_variant")
    assert "kbps" in detail("speed_unit") and "by magnitude" in detail("speed_unit")
    files = pl.read_csv(full_sample / "truth" / "files.csv", infer_schema_length=0)
    assert files["file"].str.ends_with(".xlsx").any() and files["file"].str.ends_with(".csv").any()


@pytest.mark.slow
def test_ground_truth_is_not_under_raw(full_sample):
    assert not list((full_sample / "raw").rglob("*.parquet"))
    assert not list((full_sample / "raw").rglob("defects.csv"))
