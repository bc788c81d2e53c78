"""The 2025 reform's crosswalk on real cases from the package, and the counts the provincial plan published."""
from __future__ import annotations

import polars as pl
import pytest
from vietnamadminunits.database.main import query

from analysis.crosswalk import area_crosswalk


@pytest.fixture(scope="module")
def cw() -> pl.DataFrame:
    return area_crosswalk()


def _new_name(code: str) -> str:
    return query(f"SELECT ward FROM admin_units WHERE wardCode = '{code}'")[0]["ward"]


def test_counts_match_the_published_reorganisation(cw):
    # real-figures.md D: the new Thái Nguyên has 92 commune-level units, 55 from old Thái Nguyên's 172 communes
    # and 37 from Bắc Kạn (the provincial Đề án; NQ 1683/NQ-UBTVQH15).
    assert cw["new_code"].n_unique() == 92
    by_old = dict(cw.group_by("old_province_code").agg(pl.col("new_code").n_unique()).iter_rows())
    assert by_old == {"19": 55, "06": 37}
    assert cw.filter(pl.col("old_province_code") == "19")["old_code"].n_unique() == 172


def test_weights_of_every_old_unit_sum_to_one(cw):
    sums = cw.group_by("old_code").agg(pl.col("weight_households").sum(), pl.col("weight_population").sum())
    assert ((sums["weight_households"] - 1).abs() < 1e-12).all() and ((sums["weight_population"] - 1).abs() < 1e-12).all()


def test_a_new_commune_formed_from_communes_of_two_old_districts(cw):
    rows = cw.filter(pl.col("new_code") == "05503")
    assert sorted(rows["old_district_code"].unique()) == ["164", "165"]  # TP Thái Nguyên and TP Sông Công
    assert (rows["weight_households"] == 1.0).all() and not rows["split"].any()


def test_an_old_commune_split_between_two_new_ones(cw):
    # Xã Thượng Đình (Phú Bình, 05932) went partly to Xã Phú Bình (44.18 km²), partly to Xã Điềm Thụy (42.03 km²):
    # weights are the areas' shares, 44.18 / 86.21 and 42.03 / 86.21.
    rows = {_new_name(r["new_code"]): r["weight_households"] for r in cw.filter(pl.col("old_code") == "05932").iter_rows(named=True)}
    assert rows == {"Xã Phú Bình": pytest.approx(44.18 / 86.21), "Xã Điềm Thụy": pytest.approx(42.03 / 86.21)}


def test_totals_are_preserved_across_the_reform(cw):
    old = cw.filter(pl.col("old_province_code") == "19").select("old_code").unique().with_columns(
        households=pl.int_range(pl.len()) * 10 + 100)
    moved = old.join(cw, on="old_code").select("new_code", v=pl.col("households") * pl.col("weight_households"))
    assert moved["v"].sum() == pytest.approx(old["households"].sum())
