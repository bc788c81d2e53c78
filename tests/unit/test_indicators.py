from datetime import date

import polars as pl
import pytest

from analysis.indicators import compute


def _one(indicator_id, **tables):
    """One indicator through the engine, as its file in config/indicators/ defines it (formula, unit, scale)."""
    kw = {k: tables.pop(k) for k in ("min_tests", "province") if k in tables}
    return compute(tables, only=[indicator_id], **kw)[0]


def _subs(rows):
    return pl.DataFrame(rows, schema=["period", "district_code", "commune_code", "service", "segment", "subscribers"],
                        orient="row")


def test_households_fiber_by_hand():
    # Two communes of one district. Households stand at July: 100 and 200 in 2024, 120 and 200 in 2025, so at
    # 2025-01 (half way) they are 110 and 200. A has 55 household FTTH (2 operators), B has 250: B is capped
    # at 200 and flagged. Province and district: (55 + 200) / (110 + 200) = 82.258...%.
    pop = pl.DataFrame({"district_code": ["170"] * 4, "commune_code": ["A", "A", "B", "B"],
                        "year": [2024, 2025, 2024, 2025], "households": [100, 120, 200, 200]})
    m = date(2025, 1, 1)
    subs = _subs([(m, "170", "A", "ftth", "household", 30), (m, "170", "A", "ftth", "household", 25),
                  (m, "170", "A", "ftth", "business", 99), (m, "170", "B", "ftth", "household", 250),
                  (m, "170", "B", "xdsl", "household", 7)])
    out = _one("households_fiber", subscribers=subs, population=pop)
    get = lambda area: out.filter(pl.col("area_code") == area).row(0, named=True)
    assert get("A")["value"] == pytest.approx(50.0)
    assert get("B")["value"] == pytest.approx(100.0) and get("B")["capped"]
    assert get("19")["value"] == pytest.approx(255 / 310 * 100)
    assert get("170")["numerator"] == 255 and get("170")["denominator"] == pytest.approx(310)


def test_report_tables_escape_operator_text():
    from analysis.report import table
    html = table(pl.DataFrame({"x": ['<img src=x onerror="alert(1)">']})).data
    assert "<img" not in html and "&lt;img" in html


# -- every indicator on a case worked by hand -------------------------------------------------------------------

M = date(2024, 7, 1)  # July: each yearly figure stands at July, so no interpolation in these cases


def _pop(**kw):
    base = {"district_code": ["170", "170"], "commune_code": ["A", "B"], "year": [2024, 2024],
            "population": [1000, 3000], "households": [250, 750]}
    return pl.DataFrame({**base, **kw})


def _value(out, area):
    return out.filter(pl.col("area_code") == area).row(0, named=True)


def test_per_100_people_counts_every_fixed_technology_and_zero_reporting_communes():
    subs = _subs([(M, "170", "A", "ftth", "household", 100), (M, "170", "A", "xdsl", "household", 20),
                  (M, "170", "A", "ftth", "business", 30), (M, "170", "A", "mobile_broadband", None, 999)])
    out = _one("fbb_subs_per_100", subscribers=subs, population=_pop())
    # A: 150 fixed / 1000 people = 15 per 100; B reports nothing: 0; province 150 / 4000 = 3.75 per 100.
    assert _value(out, "A")["value"] == pytest.approx(15.0)
    assert _value(out, "B")["value"] == pytest.approx(0.0)
    assert (_value(out, "19")["numerator"], _value(out, "19")["denominator"]) == (150, 4000)
    assert _value(out, "19")["value"] == pytest.approx(3.75)


def test_smartphone_share_is_over_all_mobile_phone_subscriptions():
    subs = _subs([(M, "170", "A", "smartphone", None, 80), (M, "170", "A", "mobile_voice", None, 100),
                  (M, "170", "B", "smartphone", None, 10), (M, "170", "B", "mobile_voice", None, 50)])
    out = _one("smartphone_share", subscribers=subs)
    assert _value(out, "A")["value"] == pytest.approx(80.0)
    assert _value(out, "19")["value"] == pytest.approx(90 / 150 * 100)


def test_hamlets_covered_counts_a_hamlet_no_operator_names_as_not_covered():
    from analysis.indicators.networks import uncovered_hamlets
    registry = pl.DataFrame({"hamlet_code": ["A1", "A2", "A3", "B1"], "hamlet": ["Xóm 1", "Xóm 2", "Xóm 3", "Tổ 1"],
                             "commune_code": ["A", "A", "A", "B"], "district_code": ["170"] * 4})
    cov = pl.DataFrame({"period": [M] * 4, "operator": ["VNPT", "Viettel", "VNPT", "VNPT"],
                        "hamlet_code": ["A1", "A1", "A2", "B1"], "ftth": [False, True, False, True],
                        "mbb": [True, True, True, False]})
    ftth = _one("hamlets_ftth_coverage", hamlet_coverage=cov, hamlet_registry=registry)
    # A1 has FTTH from Viettel only; A2 none; A3 in no report (not covered); B1 yes. A: 1/3, province 2/4.
    assert _value(ftth, "A")["value"] == pytest.approx(100 / 3)
    assert _value(ftth, "19")["value"] == pytest.approx(50.0)
    assert uncovered_hamlets(cov, registry, "ftth", M)["hamlet_code"].to_list() == ["A2", "A3"]


def test_hamlets_covered_gives_every_commune_every_month_and_counts_registry_hamlets_only():
    registry = pl.DataFrame({"hamlet_code": ["A1", "A2", "B1"], "hamlet": ["Xóm 1", "Xóm 2", "Tổ 1"],
                             "commune_code": ["A", "A", "B"], "district_code": ["170"] * 3})
    m2 = date(M.year, M.month + 1, 1)
    # Month 1: A1 covered twice over (two operators), B none; Z9 is in no registry. Month 2: only B1.
    cov = pl.DataFrame({"period": [M, M, M, m2], "operator": ["VNPT", "Viettel", "VNPT", "VNPT"],
                        "hamlet_code": ["A1", "A1", "Z9", "B1"], "ftth": [True, True, True, True],
                        "mbb": [False] * 4})
    ftth = _one("hamlets_ftth_coverage", hamlet_coverage=cov, hamlet_registry=registry)
    got = {(r["area_code"], r["period"]): (r["numerator"], r["denominator"])
           for r in ftth.filter(pl.col("area_code").is_in(["A", "B", "19"])).iter_rows(named=True)}
    assert got == {("A", M): (1, 2), ("B", M): (0, 1), ("19", M): (1, 3),
                   ("A", m2): (0, 2), ("B", m2): (1, 1), ("19", m2): (1, 3)}


def test_bts_sharing_counts_positions_not_sites():
    sites = pl.DataFrame({"period": [M] * 5, "operator": ["VNPT", "Viettel", "MobiFone", "VNPT", "Viettel"],
                          "site_id": ["v1", "t1", "m1", "v2", "t2"], "position_id": ["v1", "v1", "v1", "v2", "t2"],
                          "operators_at_position": [3, 3, 3, 1, 1], "commune_code": ["A"] * 3 + ["B", "B"],
                          "district_code": ["170"] * 5})
    out = _one("bts_site_sharing", bts_sites=sites)
    # Three positions, one shared (by three operators): 1/3, not 3/5 sites.
    assert (_value(out, "19")["numerator"], _value(out, "19")["denominator"]) == (1, 3)
    assert _value(out, "B")["value"] == pytest.approx(0.0)


def test_speed_needs_the_minimum_number_of_measurements():
    tests = pl.DataFrame({"period": [M] * 5, "network": ["mobile"] * 4 + ["fixed"],
                          "commune_code": ["A", "A", "A", "B", "A"], "district_code": ["170"] * 5,
                          "download_mbps": [10.0, 20.0, 60.0, 50.0, 999.0]})
    out = _one("mbb_download_mbps", speed_tests=tests, min_tests=3)
    assert _value(out, "A")["value"] == pytest.approx(30.0) and _value(out, "A")["median"] == pytest.approx(20.0)
    b = _value(out, "B")
    assert b["value"] is None and b["note"] == "insufficient data: 1 measurements (minimum 3)"
    assert _value(out, "19")["value"] == pytest.approx(35.0)  # (10+20+60+50)/4; the fixed test is not counted


def test_yearly_survey_and_dated_register():
    sv = pl.DataFrame({"area_code": ["19"], "area_level": ["province"], "year": [2025], "adults_surveyed": [200.0],
                       "adults_with_smartphone": [182.0]})
    out = _one("adults_with_smartphone", smartphone_survey=sv)
    assert out.row(0, named=True)["value"] == pytest.approx(91.0)
    assert out.row(0, named=True)["period"] == date(2025, 12, 1) and out.row(0, named=True)["frequency"] == "yearly"
    apps = pl.DataFrame({"as_of": [date(2025, 12, 31)] * 4, "on_cloud": [True, True, True, False]})
    dated = _one("state_apps_on_cloud", state_apps=apps, province="19").row(0, named=True)
    assert (dated["area_code"], dated["value"], dated["frequency"]) == ("19", pytest.approx(75.0), "dated")
    # With no department province (a run over every province) the register has no area: not computed.
    assert _one("state_apps_on_cloud", state_apps=apps).is_empty()


def test_roll_up_carries_old_communes_onto_the_2025_units():
    # Phường Quan Triều (05431) and Phường Quang Vinh (05434) of TP Thái Nguyên both went whole into the new
    # Phường Quan Triều (05482) on 1 July 2025 (the package's conversion): its figures are their sums, 1 + 2 of 2 + 4.
    from analysis.indicators.base import roll_up
    d = date(2024, 10, 1)
    commune = pl.DataFrame({"period": [d, d], "district_code": ["164", "164"], "commune_code": ["05431", "05434"],
                            "numerator": [1, 2], "denominator": [2, 4]})
    out = roll_up(commune)
    new = out.filter(pl.col("area_level") == "commune_2025")
    assert new.select("area_code", "numerator", "denominator").rows() == [("05482", 3.0, 6.0)]
    # The merged province needs Bắc Kạn's figures too, which these rows do not have.
    assert out.filter(pl.col("area_level") == "province_2025").is_empty()


def test_an_unknown_commune_beside_official_ones_stops_the_2025_units():
    from analysis.errors import AnalysisError
    from analysis.indicators.base import roll_up
    d = date(2024, 10, 1)
    commune = pl.DataFrame({"period": [d, d], "district_code": ["164", "164"], "commune_code": ["05431", "99999"],
                            "numerator": [1, 2], "denominator": [2, 4]})
    with pytest.raises(AnalysisError, match=r"1 old commune\(s\) not in the crosswalk, e\.g\. 99999"):
        roll_up(commune)


def test_the_merged_province_appears_when_both_old_provinces_have_figures():
    # Phường Nguyễn Thị Minh Khai (01834) of TP Bắc Kạn went into the new Phường Đức Xuân (01840) of Thái Nguyên:
    # with a commune of each old province, the merged province (19, from 1 July 2025) is their sum, 1 + 5 of 2 + 10;
    # a month with only old Thái Nguyên's figures gives no merged province.
    from analysis.indicators.base import roll_up
    d, e = date(2025, 7, 1), date(2025, 8, 1)
    commune = pl.DataFrame({"period": [d, d, e], "district_code": ["164", "058", "164"],
                            "commune_code": ["05431", "01834", "05431"], "numerator": [1, 5, 1],
                            "denominator": [2, 10, 2]})
    out = roll_up(commune)
    merged = out.filter(pl.col("area_level") == "province_2025")
    assert merged.select("area_code", "period", "numerator", "denominator").rows() == [("19", d, 6.0, 12.0)]
    assert sorted(out.filter((pl.col("area_level") == "commune_2025") & (pl.col("period") == d))["area_code"]) == [
        "01840", "05482"]
    # The old provinces stay apart: old Thái Nguyên and old Bắc Kạn, each its own figures.
    old = out.filter((pl.col("area_level") == "province") & (pl.col("period") == d))
    assert sorted(old.select("area_code", "numerator").rows()) == [("06", 5.0), ("19", 1.0)]


def test_an_old_province_nobody_reported_for_has_no_figure_that_month():
    # Quan Triều (05431, Thái Nguyên) is reported in June and July 2025; Nguyễn Thị Minh Khai (01834, Bắc Kạn) only
    # from July, when Bắc Kạn joined. In June Bắc Kạn has no figure at all, not 0%; in July it has its own.
    jun, jul = date(2025, 6, 1), date(2025, 7, 1)
    subs = pl.DataFrame({"period": [jun, jul, jul], "operator": ["VNPT"] * 3, "district_code": ["164", "164", "058"],
                         "commune_code": ["05431", "05431", "01834"], "service": ["ftth"] * 3,
                         "segment": ["household"] * 3, "subscribers": [50, 60, 30]})
    pop = pl.DataFrame({"commune_code": ["05431", "01834"], "district_code": ["164", "058"], "year": [2025, 2025],
                        "population": [400, 200], "adults": [300, 150], "households": [100, 50]})
    out = _one("households_fiber", subscribers=subs, population=pop)
    prov = out.filter(pl.col("area_level") == "province").sort("area_code", "period")
    assert prov.select("area_code", "period", "value").rows() == [("06", jul, 60.0), ("19", jun, 50.0),
                                                                   ("19", jul, 60.0)]


def test_rows_in_area_order_are_the_order_a_sort_on_the_text_gives():
    # Areas are numbered and sorted as one integer with the month (indicators.base.in_area_order); the order must
    # be the text sort's: "10" before "9", a missing code or month first, a month before 1970 before one after.
    from analysis.indicators.base import in_area_order
    rows = [("district", "9", date(2024, 1, 1)), ("district", "10", date(2024, 2, 1)),
            ("district", "10", date(1969, 12, 1)), ("commune", None, date(2024, 1, 1)),
            ("commune", "00007", None), ("commune", "00007", date(2025, 7, 1)), ("province", "19", date(2020, 1, 1)),
            (None, "19", date(2020, 1, 1)), ("commune", "00007", date(2023, 3, 1))]
    frame = pl.DataFrame(rows, schema={"area_level": pl.String, "area_code": pl.String, "period": pl.Date},
                         orient="row").with_row_index("row")
    out = in_area_order(frame.reverse())
    assert out.columns == frame.columns
    assert out["row"].to_list() == [7, 3, 4, 8, 5, 2, 1, 0, 6]   # worked out by hand from the rows above
    # and on many areas and months in a shuffled order, the same rows as the sort on the text itself
    many = pl.DataFrame({"area_level": ["commune", "district", "province"] * 400,
                         "area_code": [str(i % 37) for i in range(1200)],
                         "period": [date(2020 + i % 5, 1 + i % 12, 1) for i in range(1200)]}).unique()
    shuffled = many.sample(fraction=1.0, shuffle=True, seed=3)
    assert in_area_order(shuffled).equals(shuffled.sort("area_level", "area_code", "period"))
    assert in_area_order(shuffled.head(0)).is_empty()


def test_a_bts_position_belongs_to_the_commune_of_most_of_its_sites_and_on_a_tie_to_its_earliest_sites():
    # Position "p2" (named after its earliest site, clean.network.positions) has two sites in commune B and two in
    # A: a tie, so it is B's, where p2 itself stands. Position "q9" has two sites in A and one in B, its earliest
    # in B: A's, by most sites. Both shared (two operators or more); C has a position of its own, not shared.
    sites = pl.DataFrame({"period": [M] * 8,
                          "site_id": ["p2", "a1", "a3", "b4", "q9", "x1", "x2", "c1"],
                          "position_id": ["p2"] * 4 + ["q9"] * 3 + ["c1"],
                          "operators_at_position": [2] * 7 + [1],
                          "commune_code": ["B", "A", "A", "B", "B", "A", "A", "C"],
                          "district_code": ["170"] * 8})
    out = _one("bts_site_sharing", bts_sites=sites)
    # by hand: A holds q9 (shared), B holds p2 (shared), C holds c1 (not shared)
    assert (_value(out, "A")["numerator"], _value(out, "A")["denominator"]) == (1, 1)
    assert (_value(out, "B")["numerator"], _value(out, "B")["denominator"]) == (1, 1)
    assert (_value(out, "C")["numerator"], _value(out, "C")["denominator"]) == (0, 1)
    assert (_value(out, "170")["numerator"], _value(out, "170")["denominator"]) == (2, 3)
