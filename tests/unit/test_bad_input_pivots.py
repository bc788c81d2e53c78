"""Pivoted sheets (issue 20, item 6): communes or hamlets down the side, months across the top, each cell one
figure with its own accounting; and columns a title line states for the whole table ('Doanh nghiệp: VNPT')."""
from __future__ import annotations

from datetime import date, datetime

import polars as pl
import xlsxwriter

from tests.unit.test_bad_input import REG, account, clean

CITY = "Thành phố Thái Nguyên"
QT, TD = "Phường Quan Triều", "Phường Túc Duyên"   # 05431 and 05437 (the statistics office's codes)


def _xlsx(path, rows: list[list]) -> None:
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("Thuê bao")
    when = book.add_format({"num_format": "mm/yyyy"})
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if isinstance(v, datetime):
                ws.write_datetime(r, c, v, when)
            elif v is not None:
                ws.write(r, c, v)
    book.close()


def _subscribers(tmp_path) -> pl.DataFrame:
    return (pl.read_parquet(tmp_path / "processed" / "subscribers.parquet")
            .select("period", "operator", "commune_code", "service", "segment", "subscribers")
            .sort("commune_code", "service", "period"))


def test_months_across_the_top_with_operator_and_service_in_the_title(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _xlsx(raw / "vnpt-ftth-q4.xlsx", [
        ["BÁO CÁO SỐ THUÊ BAO BĂNG RỘNG CỐ ĐỊNH THEO XÃ"],                    # row 1
        ["Doanh nghiệp:", "VNPT"],                                           # row 2: label and value in two cells
        ["Dịch vụ: FTTH"],                                                   # row 3
        ["Đối tượng: Hộ gia đình"],                                          # row 4
        ["STT", "Huyện/TP", "Xã/Phường", "T10/2024", "T11/2024", "T12/2024", "Ghi chú"],   # row 5
        [1, CITY, QT, 120, "125", "1.130", "tăng"],                          # row 6: three figures
        [2, CITY, TD, 80, -5, None],                                         # row 7: one kept, two quarantined
        ["Cộng", None, None, 200, 120, 1130],                                # row 8: totals, not data
    ])
    m, q = clean(tmp_path, {})
    assert _subscribers(tmp_path).rows() == [
        (date(2024, 10, 1), "VNPT", "05431", "ftth", "household", 120),
        (date(2024, 11, 1), "VNPT", "05431", "ftth", "household", 125),
        (date(2024, 12, 1), "VNPT", "05431", "ftth", "household", 1130),
        (date(2024, 10, 1), "VNPT", "05437", "ftth", "household", 80)]
    bad = q.sort("column").select("sheet", "row_number", "column", "reason").rows()
    assert [b[:3] for b in bad] == [("Thuê bao", 7, "subscribers E (T11/2024)"),
                                    ("Thuê bao", 7, "subscribers F (T12/2024)")]
    assert "-5" in bad[0][3]
    a = account(m, "vnpt-ftth-q4.xlsx")
    # 4 title rows + the header + 2 data rows of 3 cells each + the totals row = 12 accounted for
    assert (a["rows_read"], a["kept"], a["quarantined"]) == (12, 4, 2)
    assert a["non_data"] == {"title": 4, "header": 1, "totals": 1}
    assert a["pivoted"] == [{"sheet": "Thuê bao", "months": ["T10/2024", "T11/2024", "T12/2024"],
                             "measure": "subscribers", "rows": 2, "cells": 6}]
    assert a["stated_in_title"] == [{"sheet": "Thuê bao", "operator": "VNPT", "service": "FTTH",
                                     "segment": "Hộ gia đình"}]


def test_a_merged_label_over_months_in_every_form_and_a_year_template_filled_to_march(tmp_path):
    """Two header rows: 'Số thuê bao' merged over the months, written as dates, words, ISO and T-forms; the months
    nobody has reported yet (April to December) are not figures and are counted as such."""
    raw = tmp_path / "raw"
    raw.mkdir()
    months = [datetime(2025, 1, 1), "Tháng 2/2025", "2025-03"] + [f"T{k}/2025" for k in range(4, 13)]
    _xlsx(raw / "viettel-2025.xlsx", [
        ["Doanh nghiệp", "Huyện/TP", "Xã/Phường", "Dịch vụ", "Đối tượng", "Số thuê bao"] + [None] * 11,
        [None] * 5 + months,
        ["Viettel", CITY, QT, "FTTH", "Hộ gia đình", 10, 11, 12] + [None] * 9,
        ["Viettel", CITY, QT, "Di động 4G", None, 50, 55, 60] + [None] * 9,
    ])
    m, q = clean(tmp_path, {})
    assert q.height == 0
    out = _subscribers(tmp_path)
    assert out.filter(pl.col("service") == "ftth")["subscribers"].to_list() == [10, 11, 12]
    assert out.filter(pl.col("service") == "mobile_broadband").select("period", "subscribers").rows() == [
        (date(2025, 1, 1), 50), (date(2025, 2, 1), 55), (date(2025, 3, 1), 60)]
    a = account(m, "viettel-2025.xlsx")
    # the two header rows, then 2 rows of 12 cells: 6 figures kept and 18 cells of months not yet reported
    assert (a["rows_read"], a["kept"], a["quarantined"]) == (26, 6, 0)
    assert {k: n for k, n in a["non_data"].items() if n} == {"header": 2, "month_not_reported": 18}


def test_a_hamlet_fibre_pivot_with_x_marks(tmp_path):
    """Hamlets down the side, an x where fibre reaches them: under the x habit a blank in a reported month is a no."""
    reg = REG + "\n05431002,Tổ dân phố 2,Phường Quan Triều,Thành phố Thái Nguyên"
    cov = "\n".join([
        "DANH SÁCH THÔN, TỔ DÂN PHỐ CÓ CÁP QUANG",
        "Doanh nghiệp: FPT",
        "Huyện/TP,Xã/Phường,Thôn/Xóm,10/2024,11/2024",
        f"{CITY},{QT},Tổ dân phố 1,x,x",
        f"{CITY},{QT},Tổ dân phố 2,,x",
    ])
    m, q = clean(tmp_path, {"reg.csv": reg, "fpt-cov.csv": cov})
    assert q.height == 0
    out = (pl.read_parquet(tmp_path / "processed" / "hamlet_coverage.parquet")
           .select("period", "operator", "hamlet_code", "ftth").sort("hamlet_code", "period"))
    assert out.rows() == [(date(2024, 10, 1), "FPT", "05431001", True), (date(2024, 11, 1), "FPT", "05431001", True),
                          (date(2024, 10, 1), "FPT", "05431002", False), (date(2024, 11, 1), "FPT", "05431002", True)]
    assert account(m, "fpt-cov.csv")["pivoted"][0]["measure"] == "ftth"


def test_a_semicolon_pivot_csv_finds_its_separator(tmp_path):
    csv = "\n".join(["Nhà mạng: MobiFone", "Dịch vụ: Di động 4G",
                     "Quận/Huyện;Xã;Tháng 10/2024;Tháng 11/2024", f"{CITY};{QT};1.200;1.250"])
    m, q = clean(tmp_path, {"mobifone.csv": csv})
    assert q.height == 0
    assert _subscribers(tmp_path).select("period", "operator", "subscribers").rows() == [
        (date(2024, 10, 1), "MobiFone", 1200), (date(2024, 11, 1), "MobiFone", 1250)]


def test_the_period_stated_in_the_title_of_an_ordinary_table(tmp_path):
    csv = "\n".join(["Kỳ báo cáo: Tháng 10/2024",
                     "Doanh nghiệp,Huyện/TP,Xã/Phường,Dịch vụ,Đối tượng,Số thuê bao",
                     f"VNPT,{CITY},{QT},FTTH,Hộ gia đình,120"])
    m, q = clean(tmp_path, {"vnpt.csv": csv})
    assert q.height == 0
    assert _subscribers(tmp_path).select("period", "subscribers").rows() == [(date(2024, 10, 1), 120)]
    assert account(m, "vnpt.csv")["stated_in_title"] == [{"sheet": None, "period": "Tháng 10/2024"}]


def test_a_pivot_naming_no_operator_anywhere_is_not_read_as_one(tmp_path):
    csv = "\n".join(["Huyện/TP,Xã/Phường,Dịch vụ,10/2024,11/2024", f"{CITY},{QT},FTTH,5,6"])
    m, q = clean(tmp_path, {"x.csv": csv})
    a = account(m, "x.csv")
    assert (a["kept"], a["quarantined"]) == (0, 2)
    assert set(q["reason"]) == {"months across the top (a pivoted sheet) but no operator: write it in a column or "
                                "in a title line such as 'Doanh nghiệp: VNPT'"}


def test_a_hamlet_pivot_that_does_not_say_what_it_marks_is_set_aside_with_the_reason(tmp_path):
    """Marks across months for hamlets, titled for 4G: fibre cannot be read from it, and the sender is told why."""
    cov = "\n".join(["DANH SÁCH THÔN CÓ PHỦ SÓNG 4G", "Doanh nghiệp: FPT",
                     "Huyện/TP,Xã/Phường,Thôn/Xóm,10/2024,11/2024", f"{CITY},{QT},Tổ dân phố 1,x,x"])
    m, q = clean(tmp_path, {"reg.csv": REG, "fpt-4g.csv": cov})
    assert q["reason"].to_list() == ["months across the top (a pivoted sheet) of hamlet coverage, but what its cells "
                                     "mark is not named: write 'Có cáp quang' above the months or in the title"] * 4


def test_the_year_merged_above_its_months(tmp_path):
    """'Năm 2024' merged over T11 and T12, 'Năm 2025' over T1: each month takes the year above it."""
    raw = tmp_path / "raw"
    raw.mkdir()
    _xlsx(raw / "vnpt.xlsx", [
        ["Doanh nghiệp: VNPT"], ["Dịch vụ: FTTH"], ["Đối tượng: Hộ gia đình"],
        ["STT", "Xã/Phường", "Năm 2024", None, "Năm 2025"],
        [None, None, "T11", "Tháng 12", "1"],
        [1, QT, 10, 11, 12],
    ])
    m, q = clean(tmp_path, {})
    assert q.height == 0
    assert _subscribers(tmp_path).select("period", "subscribers").rows() == [
        (date(2024, 11, 1), 10), (date(2024, 12, 1), 11), (date(2025, 1, 1), 12)]
