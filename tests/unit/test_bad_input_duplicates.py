"""Duplicates (issue 20, item 3): a row pasted twice is counted once and listed; a commune split over rows that
differ is summed; the same commune in two sheets of one file is summed too (one file's figure)."""
from __future__ import annotations

import polars as pl
import xlsxwriter

from tests.unit.test_bad_input import account, clean

HEAD = "STT,Kỳ báo cáo,Doanh nghiệp,Huyện/TP,Xã/Phường,Dịch vụ,Đối tượng,Số thuê bao"
ROW = "{stt},2024-10,VNPT,Thành phố Thái Nguyên,Phường Quan Triều,FTTH,Hộ gia đình,{n}"


def _subs(tmp_path):
    return pl.read_parquet(tmp_path / "processed" / "subscribers.parquet")


def test_a_row_pasted_twice_is_counted_once_and_listed(tmp_path):
    rows = [ROW.format(stt=1, n=120), ROW.format(stt=1, n=120)]
    m, q = clean(tmp_path, {"s.csv": HEAD + "\n" + "\n".join(rows) + "\n"})
    a = account(m, "s.csv")
    assert q.height == 0 and _subs(tmp_path)["subscribers"].to_list() == [120]
    assert a["non_data"]["repeated_row"] == 1 and a["kept"] == 1 and a["rows_read"] == 3
    assert a["pasted_twice"] == [{"sheet": None, "row": 3, "same_as_row": 2}]


def test_a_commune_split_over_two_rows_is_summed(tmp_path):
    """Different STTs (or any other cell): two parts of one commune's figure, as the contract says."""
    rows = [ROW.format(stt=1, n=120), ROW.format(stt=2, n=120), ROW.format(stt=3, n=30)]
    m, q = clean(tmp_path, {"s.csv": HEAD + "\n" + "\n".join(rows) + "\n"})
    a = account(m, "s.csv")
    assert q.height == 0 and _subs(tmp_path)["subscribers"].to_list() == [270]
    assert "repeated_row" not in a["non_data"] and "pasted_twice" not in a and a["kept"] == 3


def test_without_a_row_number_two_identical_rows_are_a_split_in_equal_parts(tmp_path):
    """No STT or label column: nothing tells a paste from a commune split in halves, so the contract's rule holds."""
    head, row = HEAD.removeprefix("STT,"), ROW.removeprefix("{stt},")
    m, q = clean(tmp_path, {"s.csv": f"{head}\n{row.format(n=60)}\n{row.format(n=60)}\n"})
    assert q.height == 0 and _subs(tmp_path)["subscribers"].to_list() == [120]
    assert "pasted_twice" not in account(m, "s.csv")


def test_the_same_commune_in_two_sheets_of_one_file_is_summed(tmp_path):
    """Each sheet a part of the operator's report (a sheet per service team, say): rows repeated across sheets
    are not a paste within a sheet, so they add up."""
    raw = tmp_path / "raw"
    raw.mkdir()
    book = xlsxwriter.Workbook(raw / "vnpt.xlsx")
    for name, n in (("Đợt 1", 100), ("Đợt 2", 100)):
        sheet = book.add_worksheet(name)
        for j, h in enumerate(HEAD.split(",")):
            sheet.write_string(0, j, h)
        for j, v in enumerate(ROW.format(stt=1, n=n).split(",")):
            sheet.write_string(1, j, v)
    book.close()
    from analysis.clean import stage
    from tests.unit.test_bad_input import TODAY
    m = stage.run(raw, tmp_path / "processed", today=TODAY)
    assert _subs(tmp_path)["subscribers"].to_list() == [200]
    assert "pasted_twice" not in account(m, "vnpt.xlsx")
