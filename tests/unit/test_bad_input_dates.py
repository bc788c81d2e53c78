"""Dates in every form people write (issue 20, item 1): report months, days, the date a file states in its title
block, and the rule that decides which of two submissions is the later, named in the manifest."""
from __future__ import annotations

import os
from datetime import date, datetime

import polars as pl
import pytest
import xlsxwriter

from analysis.clean import stage
from analysis.clean.parse import ParseError, date_in_title, parse_date, parse_period
from tests.unit.test_bad_input import GOOD, SUBS, TODAY


@pytest.mark.parametrize("text, expected", [
    ("ngày 09 tháng 01 năm 2025", date(2025, 1, 1)), ("Ngày 9 tháng 1 năm 2025", date(2025, 1, 1)),
    ("tháng 12 năm 2024", date(2024, 12, 1)), ("Tháng 12/2024", date(2024, 12, 1)), ("T12/2024", date(2024, 12, 1)),
    ("T12.2024", date(2024, 12, 1)), ("12/2024", date(2024, 12, 1)), ("12-2024", date(2024, 12, 1)),
    ("2024-12", date(2024, 12, 1)), (datetime(2024, 12, 31, 0, 0), date(2024, 12, 1)),
    # 45658 days after 1899-12-30 is 2025-01-01 (Excel's serial for that day).
    (45658, date(2025, 1, 1)), ("THÁNG 12 NĂM 2024", date(2024, 12, 1)), ("tháng 12, năm 2024", date(2024, 12, 1)),
    # spacing typed around a separator, and the month's short prefixes
    ("12/ 2024", date(2024, 12, 1)), ("Tháng 12 / 2024", date(2024, 12, 1)), ("T 12/2024", date(2024, 12, 1)),
    ("Th12/2024", date(2024, 12, 1)), ("Th.12/2024", date(2024, 12, 1)), ("Quý IV / 2024", date(2024, 12, 1)),
    # Excel's display of a date cell, as a CSV export writes it ("mmm-yy" is Excel's month format)
    ("Dec-24", date(2024, 12, 1)), ("Dec-2024", date(2024, 12, 1)), ("December 2024", date(2024, 12, 1)),
    ("Sep 2025", date(2025, 9, 1)),
])
def test_a_report_month_in_every_form(text, expected):
    assert parse_period(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("2025-12", date(2025, 12, 31)), ("12/2025", date(2025, 12, 31)), ("tháng 12 năm 2025", date(2025, 12, 31)),
    ("T12.2025", date(2025, 12, 31)), ("T02/2024", date(2024, 2, 29)), ("Q4/2025", date(2025, 12, 31)),
    ("Quý IV/2025", date(2025, 12, 31)), ("Quý II năm 2025", date(2025, 6, 30)), ("quý 3/2025", date(2025, 9, 30)),
    ("ngày 09 tháng 01 năm 2025", date(2025, 1, 9)), ("09/01/2025", date(2025, 1, 9)),
    ("2025-01-09", date(2025, 1, 9)), (45666, date(2025, 1, 9)),
])
def test_a_day_or_a_month_where_a_date_is_asked(text, expected):
    """A milestone's date may be a month or a quarter: it stands for the period's last day (the contract's rule:
    a status 'as of December' describes the end of December)."""
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["T13/2024", "Th 0/2024", "Dex-2024", "Thái Nguyên", "Tổng", "12/24"])
def test_not_a_month(text):
    with pytest.raises(ParseError):
        parse_period(text)


@pytest.mark.parametrize("text", ["ngày 31 tháng 02 năm 2025", "tháng 13 năm 2024", "2025-13", "sắp tới"])
def test_not_a_date(text):
    with pytest.raises(ParseError):
        parse_date(text)


@pytest.mark.parametrize("line, expected", [
    ("Thái Nguyên, ngày 09 tháng 01 năm 2025", date(2025, 1, 9)),
    ("Hà Nội, ngày 9 tháng 1 năm 2025", date(2025, 1, 9)),
    ("THÁI NGUYÊN, NGÀY 09 THÁNG 01 NĂM 2025", date(2025, 1, 9)),
    ("Ngày 05/11/2024", date(2024, 11, 5)),
    ("ngày 31 tháng 02 năm 2025", None),                 # no such day: as if no date were stated
    ("BÁO CÁO THÁNG 12 NĂM 2024", None),                 # the month reported, not the day it was sent
])
def test_the_date_a_file_states_in_its_title_block(line, expected):
    assert date_in_title(line) == expected


def _workbook(path, title: str, count: int) -> None:
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Thuê bao")
    sheet.write_string(0, 0, "BÁO CÁO THUÊ BAO THÁNG 10 NĂM 2024")
    sheet.write_string(1, 0, title)
    for j, h in enumerate(SUBS.split(",")):
        sheet.write_string(3, j, h)
    for j, v in enumerate(GOOD.replace("120", str(count)).split(",")):
        sheet.write_string(4, j, v)
    book.close()


def _run(tmp_path):
    manifest = stage.run(tmp_path / "raw", tmp_path / "processed", today=TODAY)
    return manifest, pl.read_parquet(tmp_path / "processed" / "subscribers.parquet")


def test_a_date_written_in_words_beats_the_file_s_modification_time(tmp_path):
    """The corrected file states a later date in words; it was copied first, so its modification time is the
    older one. The stated date decides, and the manifest says so."""
    raw = tmp_path / "raw"
    raw.mkdir()
    _workbook(raw / "vnpt-sua.xlsx", "Thái Nguyên, ngày 09 tháng 01 năm 2025", 125)
    _workbook(raw / "vnpt.xlsx", "Thái Nguyên, ngày 20 tháng 12 năm 2024", 120)
    os.utime(raw / "vnpt-sua.xlsx", (datetime(2025, 1, 1).timestamp(),) * 2)
    os.utime(raw / "vnpt.xlsx", (datetime(2025, 2, 1).timestamp(),) * 2)
    m, out = _run(tmp_path)
    assert out["subscribers"].to_list() == [125]
    assert m["replaced"] == [{"kind": "subscribers", "file": "vnpt.xlsx", "replaced_by": "vnpt-sua.xlsx",
                              "operator": "VNPT", "period": "2024-10-01", "rows": 1,
                              "rule": "later by date in title line (2025-01-09 after 2024-12-20)"}]


@pytest.mark.parametrize("original, correction", [("vnpt_a.xlsx", "vnpt_bosung.xlsx"), ("vnpt.xlsx", "vnpt-sua.xlsx"),
                                                  ("vnpt.xlsx", "vnpt_v2.xlsx")])
def test_when_the_dates_are_the_same_the_later_file_name_wins_and_the_manifest_says_so(tmp_path, original,
                                                                                       correction):
    """A correction named after the original wins a tie, whatever character joins the suffix ("-" sorts before
    the extension's ".")."""
    raw = tmp_path / "raw"
    raw.mkdir()
    _workbook(raw / original, "ngày 09 tháng 01 năm 2025", 120)
    _workbook(raw / correction, "ngày 09 tháng 01 năm 2025", 125)
    m, out = _run(tmp_path)
    assert out["subscribers"].to_list() == [125]
    assert m["replaced"][0]["rule"] == (f"same date in title line (2025-01-09): the later file name "
                                        f"({correction} after {original})")


@pytest.mark.parametrize("written, expected", [("2025-12", date(2025, 12, 31)), ("tháng 12 năm 2025", date(2025, 12, 31)),
                                               ("Quý IV/2025", date(2025, 12, 31)),
                                               ("ngày 31 tháng 12 năm 2025", date(2025, 12, 31))])
def test_a_milestone_dated_by_its_month_is_kept(tmp_path, written, expected):
    from tests.unit.test_bad_input import clean
    ms = f"Nhiệm vụ,Tình trạng,Ngày cập nhật\nCổng dữ liệu mở,Đã hoàn thành,{written}\n"
    _, q = clean(tmp_path, {"ms.csv": ms})
    out = pl.read_parquet(tmp_path / "processed" / "milestones.parquet")
    assert q.height == 0 and out["as_of"].to_list() == [expected]


def test_months_as_excel_displays_them_in_a_column_and_across_the_top(tmp_path):
    """A CSV saved from Excel writes a date cell as it shows it ('Oct-24'); a typed month may carry spaces
    ('T 11 / 2024'). Both in a period column, and as a pivoted sheet's month headers."""
    from tests.unit.test_bad_input import account, clean
    column = (f"{SUBS}\nOct-24,VNPT,Thành phố Thái Nguyên,Phường Quan Triều,FTTH,Hộ gia đình,120\n"
              "T 11 / 2024,VNPT,Thành phố Thái Nguyên,Phường Quan Triều,FTTH,Hộ gia đình,130\n")
    across = ("STT,Doanh nghiệp,Huyện/TP,Xã/Phường,Dịch vụ,Đối tượng,Oct-24,Nov-24,Dec-24\n"
              "1,FPT,Thành phố Thái Nguyên,Phường Túc Duyên,FTTH,Hộ gia đình,10,11,12\n")
    m, q = clean(tmp_path, {"vnpt.csv": column, "fpt.csv": across})
    assert q.height == 0
    got = (pl.read_parquet(tmp_path / "processed" / "subscribers.parquet")
           .select("period", "operator", "commune_code", "subscribers").sort("operator", "period").rows())
    assert got == [(date(2024, 10, 1), "FPT", "05437", 10), (date(2024, 11, 1), "FPT", "05437", 11),
                   (date(2024, 12, 1), "FPT", "05437", 12), (date(2024, 10, 1), "VNPT", "05431", 120),
                   (date(2024, 11, 1), "VNPT", "05431", 130)]
    # the manifest names the months as the sender wrote them
    assert [p["months"] for p in account(m, "fpt.csv")["pivoted"]] == [["Oct-24", "Nov-24", "Dec-24"]]
