"""More containers (issue 20, item 5): Excel's "Unicode text" export, UTF-16 with its byte-order mark and tabs."""
from __future__ import annotations

import polars as pl
import pytest

from tests.unit.test_bad_input import GOOD, SUBS, account, clean, only


@pytest.mark.parametrize("codec, bom, encoding", [("utf-16-le", b"\xff\xfe", "utf-16-le"),
                                                 ("utf-16-be", b"\xfe\xff", "utf-16-be")])
def test_excel_s_unicode_text_export_is_read(tmp_path, codec, bom, encoding):
    text = f"{SUBS}\r\n{GOOD}\r\n".replace(",", "\t")
    m, q = clean(tmp_path, {"vnpt.txt": bom + text.encode(codec)})
    a = account(m, "vnpt.txt")
    assert q.height == 0 and (a["kept"], a["encoding"]) == (1, encoding)
    out = pl.read_parquet(tmp_path / "processed" / "subscribers.parquet")
    assert out.select("commune_code", "subscribers").rows() == [("05431", 120)]   # Phường Quan Triều


def test_utf16_without_its_mark_is_still_refused_in_one_line(tmp_path):
    text = f"{SUBS}\n{GOOD}\n".replace(",", "\t")
    m, _ = clean(tmp_path, {"vnpt.txt": text.encode("utf-16-le")})
    a = account(m, "vnpt.txt")
    assert a["error"] == "encoding not supported (utf_16_le); save it as UTF-8 or Windows-1258 CSV"
    assert (a["rows_read"], a["kept"]) == (0, 0)


def test_clean_s_last_line_names_the_files_it_could_not_read(tmp_path, capsys):
    """Issue 20, item 8: three unreadable files among good ones; the summary line names each and why."""
    from analysis.__main__ import main
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "good.csv").write_text(f"{SUBS}\n{GOOD}\n", encoding="utf-8")
    (raw / "a.txt").write_bytes(f"{SUBS}\n".encode("utf-16-le"))     # UTF-16 without its mark
    (raw / "b.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (raw / "c.csv").write_bytes(b"")
    code = main(["clean", "--raw", str(raw), "--processed", str(tmp_path / "p")])
    out = capsys.readouterr().out
    assert code == 0 and out.count("\n") == 1
    assert "3 files could not be read: a.txt (encoding not supported (utf_16_le); save it as UTF-8 or " in out
    assert "b.xlsx (" in out and "c.csv (the file is empty (0 bytes))" in out


# -- workbooks other than .xlsx: OpenDocument (.ods, LibreOffice's default, used across state offices), Excel
# 97-2003 (.xls), and sheets their senders hid. Each is written by the library a sender's tool would use.

def _ods(path, sheets: dict[str, list[list]], hidden=()):
    """An .ods written with odfpy: numbers as float cells, text as string cells, None as an empty cell."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import Style, TableProperties
    from odf.table import Table, TableCell, TableRow
    from odf.text import P
    doc = OpenDocumentSpreadsheet()
    hide = Style(name="hidden", family="table")
    hide.addElement(TableProperties(display="false"))
    doc.automaticstyles.addElement(hide)
    for name, rows in sheets.items():
        table = Table(name=name, **({"stylename": hide} if name in hidden else {}))
        for row in rows:
            tr = TableRow()
            for v in row:
                if v is None:
                    cell = TableCell()
                elif isinstance(v, (int, float)):
                    cell = TableCell(valuetype="float", value=v)
                    cell.addElement(P(text=str(v)))
                else:
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text=v))
                tr.addElement(cell)
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    doc.save(str(path))


def _xls(path, sheets: dict[str, list[list]], hidden=()):
    import xlwt
    book = xlwt.Workbook(encoding="utf-8")
    for name, rows in sheets.items():
        ws = book.add_sheet(name)
        ws.visibility = int(name in hidden)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is not None:
                    ws.write(r, c, v)
    book.save(str(path))


def _xlsx(path, sheets: dict[str, list[list]], hidden=()):
    import xlsxwriter
    book = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        ws = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is not None:
                    ws.write(r, c, v)
    for ws in book.worksheets():
        if ws.name in hidden:
            ws.hide()
    book.close()


def _subscriber_rows(bad_value=-5):
    """Two empty rows, a title on row 3, the header on row 4, a good row (120 as a number) and a bad one (row 6)."""
    good = GOOD.split(",")[:-1] + [120]
    return [[None], [None], ["BÁO CÁO SỐ THUÊ BAO THÁNG 10/2024"], SUBS.split(","), good,
            good[:3] + ["Phường Túc Duyên"] + good[4:-1] + [bad_value]]


WRITERS = {"ods": _ods, "xls": _xls, "xlsx": _xlsx}


@pytest.mark.parametrize("ext", ["ods", "xls"])
def test_opendocument_and_excel_97_workbooks_are_read_with_true_row_numbers(tmp_path, ext):
    raw = tmp_path / "raw"
    raw.mkdir()
    WRITERS[ext](raw / f"vnpt.{ext}", {"Thuê bao": _subscriber_rows()})
    m, q = clean(tmp_path, {})
    a = account(m, f"vnpt.{ext}")
    # rows 3-6 read (the empty rows above the title are not rows of the table): title, header, kept, quarantined
    assert (a["rows_read"], a["kept"], a["quarantined"], a["non_data"]) == (4, 1, 1, {"title": 1, "header": 1})
    bad = only(q)
    assert (bad["sheet"], bad["row_number"], bad["column"]) == ("Thuê bao", 6, "subscribers")
    out = pl.read_parquet(tmp_path / "processed" / "subscribers.parquet")
    assert out.select("commune_code", "subscribers").rows() == [("05431", 120)]   # Phường Quan Triều


@pytest.mark.parametrize("ext", ["ods", "xls", "xlsx"])
def test_a_hidden_sheet_is_not_read_and_the_manifest_says_so(tmp_path, ext):
    """A hidden sheet (a lookup list, last month's figures kept out of sight) is neither data nor quarantined."""
    raw = tmp_path / "raw"
    raw.mkdir()
    lookup = [["Danh mục xã"], ["Xã Phúc Lương"], ["Xã Phấn Mễ"], [None], ["ghi chú"]]
    old = _subscriber_rows(bad_value=99)   # a whole report, hidden: not counted although it reads as one
    WRITERS[ext](raw / f"vnpt.{ext}", {"Thuê bao": _subscriber_rows(), "DM": lookup, "T9": old},
                 hidden=("DM", "T9"))
    m, q = clean(tmp_path, {})
    a = account(m, f"vnpt.{ext}")
    assert a["hidden_sheets"] == ["DM", "T9"]
    # 5 rows of the list (its blank row within) and 4 of the hidden report, beside the visible sheet's 4
    assert (a["rows_read"], a["kept"], a["quarantined"]) == (13, 1, 1)
    assert a["non_data"] == {"title": 1, "header": 1, "hidden_sheet": 9}
    assert q["sheet"].to_list() == ["Thuê bao"]
    out = pl.read_parquet(tmp_path / "processed" / "subscribers.parquet")
    assert out["subscribers"].to_list() == [120]


@pytest.mark.parametrize("path, month", [
    ("vnpt/2026/VNPT_TNN_thue-bao_2026-06_bosung.xlsx", "2026-06"), ("MBF phu-song-xom_2021-03.csv", "2021-03"),
    ("viettel/T10-2024.xlsx", "2024-10"), ("Tháng 10 năm 2024/bao-cao.xlsx", "2024-10"),
    ("bc_thang_3_2025.xlsx", "2025-03"), ("2024.10/a.csv", "2024-10"), ("vnpt/2026/thue-bao.xlsx", None),
    ("thong-ke/danh-muc-xom.xlsx", None)])
def test_the_month_a_raw_file_s_name_states(path, month):
    from analysis.clean.summary import month_in_path
    assert month_in_path(path) == month


def test_a_month_whose_only_files_could_not_be_read_is_named(tmp_path, capsys):
    """Issue 20, item 8: November's only file is a broken workbook; October's is fine."""
    from analysis.__main__ import main
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "vnpt_2024-10.csv").write_text(f"{SUBS}\n{GOOD}\n", encoding="utf-8")
    (raw / "vnpt_2024-11.xlsx").write_bytes(b"PK\x03\x04 cut short")
    assert main(["clean", "--raw", str(raw), "--processed", str(tmp_path / "p")]) == 0
    out = capsys.readouterr().out
    assert "1 file could not be read: vnpt_2024-11.xlsx (cannot open as a workbook (" in out
    assert "; 2024-11 has no readable file (1 sent, none read: vnpt_2024-11.xlsx), so its figures are missing" in out
    assert "2024-10 has no" not in out


def test_a_web_system_s_html_table_named_xls_is_read_as_a_table(tmp_path):
    """Web systems export "Excel" as an HTML table under an .xls name: a title row, a two-row header merged with
    colspan and rowspan, a total; the page's charset is honoured."""
    page = f"""<html><head><meta charset="windows-1258"></head><body>
<table>
<tr><td colspan="8">BÁO CÁO THUÊ BAO THÁNG 10/2024</td></tr>
<tr><th rowspan="2">STT</th><th rowspan="2">Kỳ báo cáo</th><th rowspan="2">Doanh nghiệp</th>
    <th colspan="2">Địa bàn</th><th rowspan="2">Dịch vụ</th><th rowspan="2">Đối tượng</th>
    <th rowspan="2">Số thuê bao</th></tr>
<tr><th>Huyện/TP</th><th>Xã/Phường</th></tr>
<tr><td>1</td><td>2024-10</td><td>VNPT</td><td>Thành phố Thái Nguyên</td><td>Phường Quan Triều</td>
    <td>FTTH</td><td>Hộ gia đình</td><td>1.234</td></tr>
<tr><td>2</td><td>2024-10</td><td>VNPT</td><td>Thành phố Thái Nguyên</td><td>Phường Túc Duyên</td>
    <td>FTTH</td><td>Hộ gia đình</td><td>-7</td></tr>
<tr><td colspan="7">Tổng cộng</td><td>1.227</td></tr>
</table></body></html>"""
    from analysis.sample.files import encode_cp1258
    m, q = clean(tmp_path, {"vnpt-web.xls": encode_cp1258(page)})
    a = account(m, "vnpt-web.xls")
    assert a["read_as"] == "an HTML table named .xls" and a["error"] is None
    assert (a["rows_read"], a["kept"], a["quarantined"]) == (6, 1, 1)
    assert a["non_data"] == {"title": 1, "header": 2, "totals": 1}
    bad = only(q)
    assert (bad["sheet"], bad["row_number"], bad["column"]) == ("table 1", 5, "subscribers")
    out = pl.read_parquet(tmp_path / "processed" / "subscribers.parquet")
    assert out.select("commune_code", "subscribers").rows() == [("05431", 1234)]


def test_a_csv_saved_under_an_xls_name_is_read_as_text(tmp_path):
    m, q = clean(tmp_path, {"vnpt.xls": f"{SUBS}\n{GOOD}\n"})
    a = account(m, "vnpt.xls")
    assert (a["read_as"], a["encoding"], a["kept"], q.height) == ("text (CSV) named .xls", "utf-8", 1, 0)


def test_a_workbook_cut_short_says_so(tmp_path):
    m, q = clean(tmp_path, {"vnpt.ods": b"PK\x03\x04" + b"\x00" * 200})
    reason = only(q)["reason"]
    assert reason.startswith("cannot open as a workbook (Ods error: ") and reason.endswith(
        "(the file looks cut short or damaged: ask for it again)")
