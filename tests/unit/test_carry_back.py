"""Figures reported by the units of 1 July 2025 shared back onto the old communes, worked by hand. The units are
the package's: the new Phường Quan Triều (05482) was formed whole from Quan Triều (05431), Quang Vinh (05434),
Tân Long (05482) and Sơn Cẩm (05653); the new Xã Phú Bình (05908) from five whole communes and 44.18 of the
86.21 km² of Thượng Đình (05932)."""
from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from analysis.indicators import carry_back, compute

AUG = date(2025, 8, 1)


def _population(households: dict[str, int], people: dict[str, int]) -> pl.DataFrame:
    codes = sorted(households)
    return pl.DataFrame({"commune_code": codes, "district_code": ["164" if c < "05900" else "173" for c in codes],
                         "year": [2025] * len(codes), "households": [households[c] for c in codes],
                         "population": [people[c] for c in codes], "adults": [people[c] * 3 // 4 for c in codes]})


def _subs(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"period": pl.Date, "operator": pl.String, "province_code": pl.String,
                                      "district_code": pl.String, "commune_code": pl.String, "service": pl.String,
                                      "segment": pl.String, "subscribers": pl.Int64}, orient="row")


QT = {"05431": 1000, "05434": 3000, "05482": 500, "05653": 500}  # households; 5,000 in all


def test_fibre_of_a_new_ward_is_shared_by_households():
    subs = _subs([(AUG, "VNPT", "19", None, "05482", "ftth", "household", 100)])
    out = carry_back.subscribers(subs, _population(QT, {c: 4 * n for c, n in QT.items()}))
    # 100 × 1000/5000, × 3000/5000, × 500/5000, × 500/5000
    got = dict(out.select("commune_code", "subscribers").iter_rows())
    assert got == pytest.approx({"05431": 20.0, "05434": 60.0, "05482": 10.0, "05653": 10.0})
    assert set(out["district_code"]) == {"164"}  # all four were communes of TP Thái Nguyên


def test_a_split_commune_takes_its_area_share_of_the_new_unit():
    people = {"05908": 4000, "05929": 2000, "05932": 8621, "05938": 1000, "05944": 1000, "05950": 1000}
    subs = _subs([(AUG, "Viettel", "19", None, "05908", "mobile_broadband", None, 1000)])
    out = carry_back.subscribers(subs, _population({c: n // 4 for c, n in people.items()}, people))
    w = 44.18 / 86.21  # Thượng Đình's part in Phú Bình, by area (the package's figures)
    total = 4000 + 2000 + w * 8621 + 3000
    got = dict(out.select("commune_code", "subscribers").iter_rows())
    assert got["05932"] == pytest.approx(1000 * w * 8621 / total, rel=1e-4)
    assert got["05908"] == pytest.approx(1000 * 4000 / total, rel=1e-4)
    assert sum(got.values()) == pytest.approx(1000)  # nothing gained or lost


def test_indicators_from_a_new_unit_report_fill_the_old_communes_and_come_back_whole():
    # Household fibre of 100 reported by the new Quan Triều: the old communes get 20/60/10/10 of their 1000/3000/
    # 500/500 households (2%, 2%, 2%, 2%), and the new ward is 100 of 5000 households again, exactly.
    subs = _subs([(AUG, "VNPT", "19", None, "05482", "ftth", "household", 100)])
    pop = _population(QT, {c: 4 * n for c, n in QT.items()})
    ind, _ = compute({"subscribers": subs, "population": pop}, only=["households_fiber"])
    old = ind.filter(pl.col("area_level") == "commune")
    assert dict(old.select("area_code", "numerator").iter_rows()) == pytest.approx(
        {"05431": 20.0, "05434": 60.0, "05482": 10.0, "05653": 10.0})
    assert old["value"].to_list() == pytest.approx([2.0] * 4)
    new = ind.filter(pl.col("area_level") == "commune_2025").row(0, named=True)
    assert (new["area_code"], new["numerator"], new["denominator"]) == ("05482", pytest.approx(100.0),
                                                                        pytest.approx(5000.0))


def test_a_speed_test_in_a_new_unit_counts_as_parts_and_leaves_no_median():
    tests = pl.DataFrame({"period": [AUG] * 2, "network": ["fixed"] * 2, "download_mbps": [100.0, 50.0],
                          "commune_code": ["05482", "05431"], "district_code": [None, "164"]},
                         schema_overrides={"district_code": pl.String})
    pop = _population(QT, {c: 4 * n for c, n in QT.items()})  # population in the same shares as households
    ind, _ = compute({"speed_tests": tests, "population": pop}, min_tests=1, only=["fbb_download_mbps"])
    quan_trieu = ind.filter((pl.col("area_level") == "commune") & (pl.col("area_code") == "05431")).row(0, named=True)
    # 05431 has its own test (50) and 0.2 of the new ward's (100): mean (50 + 20) / 1.2, no median.
    assert quan_trieu["value"] == pytest.approx(70 / 1.2) and quan_trieu["median"] is None
    district = ind.filter((pl.col("area_level") == "district") & (pl.col("area_code") == "164")).row(0, named=True)
    assert district["denominator"] == pytest.approx(2.0) and district["value"] == pytest.approx(75.0)


def test_month_over_month_changes_follow_each_old_province():
    # Old Thái Nguyên's FTTH: 1,000 in June (district 164), then 1,020 in July reported by the new Phường Quan Triều
    # (05482, formed from Thái Nguyên's communes). Bắc Kạn's Phường Đức Xuân (01840) adds 500 in July: a new
    # series, not a 52% jump in Thái Nguyên's.
    from analysis.areas import reference_areas
    from analysis.validate.checks import subscriber_changes
    jun, jul = date(2025, 6, 1), date(2025, 7, 1)
    subs = _subs([(jun, "VNPT", "19", "164", "05431", "ftth", "household", 1000),
                  (jul, "VNPT", "19", None, "05482", "ftth", "household", 1020),
                  (jul, "VNPT", "19", None, "01840", "ftth", "household", 500)])
    out = subscriber_changes({"subscribers": subs, "reference_areas": reference_areas(["19", "06"])})
    assert out.select("old_province", "period", "change").rows() == [("19", jul, pytest.approx(0.02))]


def _positions(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"period": pl.Date, "position_id": pl.String, "shared": pl.Boolean,
                                      "district_code": pl.String, "commune_code": pl.String}, orient="row")


def test_bts_positions_in_new_units_count_whole_where_they_lie():
    # The package's units: new Phường Quan Triều (05482) was formed from 05431, 05434, 05482 and 05653, all of TP
    # Thái Nguyên (164); Xã Sảng Mộc (05719) from old Sảng Mộc alone (Võ Nhai, 170); Xã Tân Cương (05503) from
    # 05497 and 05503 of 164 and 05530 of Sông Công (165); Bắc Kạn's Xã Thượng Quan (01957) from its namesake alone
    # (Ngân Sơn, 062).
    sep = date(2025, 9, 1)
    pos = _positions([
        (AUG, "P1", True, None, "05482"), (AUG, "P2", False, None, "05482"), (AUG, "P3", True, "164", "05431"),
        (AUG, "P4", True, None, "05719"),
        (sep, "P5", False, None, "05503"), (sep, "P6", True, "164", "05497"), (sep, "P7", True, None, "01957")])
    got = {(r["area_level"], r["area_code"], r["period"]): (r["numerator"], r["denominator"])
           for r in carry_back.positions(pos).iter_rows(named=True)}
    assert got == {
        # August. Old communes: Sảng Mộc's position is its own; Quan Triều (05431) formed 05482 with three others,
        # which has positions that month, so it has no figure (not 1 of 1 when P1 and P2 may be its own too).
        ("commune", "05719", AUG): (1, 1),
        ("district", "164", AUG): (2, 3), ("district", "170", AUG): (1, 1),  # P1, P2 lie in 164 whatever their commune
        ("province", "19", AUG): (3, 4),
        ("commune_2025", "05482", AUG): (2, 3), ("commune_2025", "05719", AUG): (1, 1),
        # No Bắc Kạn position in August: no merged province.
        # September. Tân Cương spans 164 and 165: neither district, nor 05497, has a figure; old Bắc Kạn does.
        ("commune", "01957", sep): (1, 1), ("district", "062", sep): (1, 1),
        ("province", "19", sep): (1, 2), ("province", "06", sep): (1, 1),
        ("commune_2025", "05503", sep): (1, 2), ("commune_2025", "01957", sep): (1, 1),
        ("province_2025", "19", sep): (2, 3),
    }


def test_bts_sharing_of_sites_reported_by_new_units():
    # Two operators' sites on one position, one naming the new unit and one the old commune: a tie of one site each,
    # so the position is placed by the commune and district of the site it is named after (its earliest), both
    # together, never a mix of the two.
    from analysis.indicators.networks import bts_site_sharing
    sites = pl.DataFrame({"period": [AUG, AUG], "site_id": ["A1", "B1"], "position_id": ["A1", "A1"],
                          "operators_at_position": [2, 2], "district_code": [None, "164"],
                          "commune_code": ["05482", "05431"]}, schema_overrides={"district_code": pl.String})
    # Named after A1, in the new unit 05482 (formed from 05431 and 05434, both of district 164): counted there, in
    # district 164 and province 19, and in neither old commune (the unit lies within neither of them alone).
    got = bts_site_sharing(sites)
    assert sorted(got.select("area_level", "area_code", "numerator", "denominator").rows()) == [
        ("commune_2025", "05482", 1.0, 1.0), ("district", "164", 1.0, 1.0), ("province", "19", 1.0, 1.0)]
    # Named after B1, in the old commune 05431 of district 164: counted there, and carried onto the new unit.
    got = bts_site_sharing(sites.with_columns(position_id=pl.lit("B1")))
    assert sorted(got.select("area_level", "area_code", "numerator", "denominator").rows()) == [
        ("commune", "05431", 1.0, 1.0), ("commune_2025", "05482", 1.0, 1.0), ("district", "164", 1.0, 1.0),
        ("province", "19", 1.0, 1.0)]
