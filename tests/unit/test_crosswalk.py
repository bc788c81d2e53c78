"""The 2025 reform's crosswalk on real cases from the package, and the counts the provincial plan published."""
from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest
from vietnamadminunits.database.main import query

from analysis.crosswalk import area_crosswalk, to_new_communes
from tests.conftest import PROVINCE


@pytest.fixture(scope="module")
def cw() -> pl.DataFrame:
    return area_crosswalk(PROVINCE)


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


def test_figures_carried_onto_new_communes_by_hand(cw):
    m = date(2025, 7, 1)
    # Thượng Đình (05932: 100 of 400 households on fibre) is split by area, 44.18/86.21 to Phú Bình and
    # 42.03/86.21 to Điềm Thụy; 05497 and 05530 go whole into 05503 with 05503 itself.
    old = pl.DataFrame({"period": [m] * 4, "commune_code": ["05932", "05497", "05503", "05530"],
                        "numerator": [100.0, 10.0, 20.0, 30.0], "denominator": [400.0, 50.0, 60.0, 70.0]})
    new = to_new_communes(old, cw)
    got = {r["commune_code"]: (r["numerator"], r["denominator"]) for r in new.iter_rows(named=True)}
    phu_binh = cw.filter((pl.col("old_code") == "05932") & (pl.col("weight_households") > 0.5))["new_code"][0]
    assert got["05503"] == (60.0, 180.0)
    assert got[phu_binh] == (pytest.approx(100 * 44.18 / 86.21), pytest.approx(400 * 44.18 / 86.21))
    assert new["numerator"].sum() == pytest.approx(160.0) and new["denominator"].sum() == pytest.approx(580.0)


def test_an_old_commune_missing_from_the_crosswalk_is_named(cw):
    old = pl.DataFrame({"period": [date(2025, 7, 1)], "commune_code": ["99999"], "numerator": [1.0],
                        "denominator": [2.0]})
    with pytest.raises(ValueError, match="1 old commune\\(s\\) not in the crosswalk, e.g. 99999"):
        to_new_communes(old, cw)


def test_a_new_commune_s_parts_are_added_in_one_order_whatever_order_the_rows_come_in(cw):
    """Floats added in another order differ in the last digit: a new unit's parts must be added in one order (their
    old codes'), whatever order the rows and the crosswalk come in. Nationally the join gave its rows in another
    order from one run to the next, and 3,000-4,000 of 5.9 million indicator values changed with the same data;
    here ten years of months of every old commune, figures of every magnitude, in three orders (the code before
    gave 1,662 and 1,124 of the 11,040 rows otherwise)."""
    olds = cw["old_code"].unique().sort().to_list()
    periods = [date(2000 + m // 12, m % 12 + 1, 1) for m in range(120)]
    rng = np.random.default_rng(7)
    n = len(olds) * len(periods)
    rows = pl.DataFrame({"period": np.repeat(periods, len(olds)).tolist(), "commune_code": olds * len(periods),
                         "numerator": rng.random(n) * 10.0 ** rng.integers(0, 9, n),
                         "denominator": rng.random(n) * 1000})
    first = to_new_communes(rows, cw)
    for again in (to_new_communes(rows.sample(fraction=1.0, shuffle=True, seed=3), cw),
                  to_new_communes(rows.reverse(), cw.sample(fraction=1.0, shuffle=True, seed=5))):
        assert again.equals(first)   # the same rows, bit for bit
