"""The province report's section on the units of 1 July 2025: old Thái Nguyên and the merged province side by side
once the merged province has figures, never mixed."""
from __future__ import annotations

from datetime import date

import polars as pl

from analysis import report_blocks as blocks
from analysis.areas import reference_areas
from analysis.geography import Geography
from analysis.targets import load
from tests.conftest import PROVINCE

GEO = Geography(reference_areas(PROVINCE), (PROVINCE,), PROVINCE)


def _status(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"indicator_id": pl.String, "area_code": pl.String, "area_level": pl.String,
                                      "latest_value": pl.Float64, "latest_period": pl.Date, "status": pl.String},
                        orient="row")


def test_old_and_merged_province_side_by_side():
    m = date(2026, 9, 1)
    status = _status([("households_fiber", "19", "province", 89.7, m, "achieved"),
                      ("households_fiber", "19", "province_2025", 84.2, m, "missed"),
                      ("households_fiber", "05482", "commune_2025", 95.1, m, "achieved")])
    html = blocks.new_units(status, load("plan-171-2025"), "vi", GEO, PROVINCE).data
    head = html[html.index("<thead>"):html.index("</thead>")]
    assert "Thái Nguyên cũ" in head and "Thái Nguyên sau sáp nhập" in head
    row = html[html.index("Tỷ lệ hộ gia đình có truy nhập Internet băng rộng cáp quang"):]
    row = row[:row.index("</tr>")]
    # Old Thái Nguyên's 89.7% first, the merged province's 84.2% beside it, each with its month.
    assert row.index("89,7 %") < row.index("84,2 %") and row.count("(09/2026)") == 2


def test_no_merged_province_no_side_by_side():
    status = _status([("households_fiber", "19", "province", 89.7, date(2026, 9, 1), "achieved")])
    html = blocks.new_units(status, load("plan-171-2025"), "vi", GEO, PROVINCE).data
    assert "Thái Nguyên sau sáp nhập" not in html


def test_the_note_says_whether_bac_kan_s_communes_are_in():
    from analysis.areas import REFORM_LEVELS
    codes = GEO.codes(REFORM_LEVELS["commune"])
    m = date(2026, 9, 1)
    some = _status([("households_fiber", c, "commune_2025", 90.0, m, "achieved") for c in codes[-55:]])
    every = _status([("households_fiber", c, "commune_2025", 90.0, m, "achieved") for c in codes])
    assert "sang 55 xã, phường mới hình thành từ tỉnh Thái Nguyên cũ (tỉnh sau sáp nhập có 92" in \
        blocks.new_units(some, load("plan-171-2025"), "vi", GEO, PROVINCE).data
    assert "sang cả 92 xã, phường của tỉnh sau sáp nhập" in blocks.new_units(every, load("plan-171-2025"), "vi", GEO, PROVINCE).data
