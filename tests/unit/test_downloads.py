"""Downloads people can open: an .xlsx in the page's language (numbers as numbers, words for codes, a sheet of
definitions) and a CSV with a BOM; text from operators stays text in both."""
from __future__ import annotations

import base64
import io
import zipfile
from datetime import date

import openpyxl
import polars as pl

from analysis import metadata
from analysis.downloads import links, neutralise, workbook

HOSTILE = ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "Xóm Na Mao", "a\"b<c>"]


def _href(link: str, kind: str) -> str:
    return link.split(f'.{kind}" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")


def test_csv_downloads_neutralise_formulas_and_escape_the_link():
    frame = pl.DataFrame({"hamlet": HOSTILE, "n": [-1, 2, 3, 4, 5, 6]})
    out = neutralise(frame)
    assert out["hamlet"].to_list() == ["'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)", "Xóm Na Mao", "a\"b<c>"]
    assert out["n"].to_list() == [-1, 2, 3, 4, 5, 6]  # numbers stay numbers
    link = links(frame, "x<y", "vi")
    assert 'download="x&lt;y.csv"' in link and 'download="x&lt;y.xlsx"' in link and "<c>" not in link
    text = base64.b64decode(_href(link, "csv").removeprefix("data:text/csv;charset=utf-8;base64,")).decode("utf-8")
    assert text.startswith("\ufeffhamlet,n\n") and "'=HYPERLINK" in text


def test_the_workbook_speaks_the_page_s_language_and_keeps_numbers_and_text_as_they_are():
    frame = pl.DataFrame({"indicator_id": ["households_fiber", "bts_site_sharing"], "status": ["achieved", "missed"],
                          "latest": [89.74, 22.8], "gap_count": [None, 33], "period": [date(2026, 9, 1)] * 2,
                          "name": HOSTILE[:2]})
    data = workbook(frame, "vi")
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["Số liệu"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Chỉ tiêu", "Đánh giá", "Mới nhất", "Còn thiếu (số lượng)", "Tháng", "Đơn vị")
    assert rows[1][:3] == ("Tỷ lệ hộ gia đình có truy nhập Internet băng rộng cáp quang", "Đã đạt", 89.74)
    assert rows[2][1] == "Chưa đạt" and rows[2][3] == 33 and rows[1][3] is None
    assert rows[1][4].year == 2026 and rows[1][4].month == 9            # a date, not text
    assert [sheet.cell(r, 6).value for r in (2, 3)] == HOSTILE[:2]      # written as it was ...
    assert all(sheet.cell(r, 6).data_type == "s" for r in (2, 3))       # ... as text
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml                                              # no formula anywhere
    notes = list(book["Định nghĩa và nguồn"].iter_rows(values_only=True))
    fibre = metadata.get("households_fiber")
    assert (fibre.name("vi"), fibre.definition("vi")) in [r[:2] for r in notes]
    en = openpyxl.load_workbook(io.BytesIO(workbook(frame, "en")))
    assert next(en["Data"].iter_rows(values_only=True))[:2] == ("Indicator", "Status")


def test_the_page_link_carries_the_workbook():
    frame = pl.DataFrame({"area": ["Xã A"], "value": [1.5]})
    href = _href(links(frame, "t", "en"), "xlsx")
    assert href.startswith("data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64,")
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(href.split(",", 1)[1])))
    assert list(book["Data"].iter_rows(values_only=True)) == [("Area", "Value"), ("Xã A", 1.5)]
