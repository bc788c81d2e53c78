"""Corrections to operators on a hand-made processed folder: who sent each file, which month it is, the reasons in
plain words, and text that a spreadsheet would run kept as text."""
from __future__ import annotations

import json
from datetime import date

import openpyxl
import polars as pl

from analysis import corrections

Q_SCHEMA = {"source_file": pl.String, "sheet": pl.String, "row_number": pl.Int64, "kind": pl.String,
            "column": pl.String, "reason": pl.String, "raw": pl.String}


def _folder(tmp_path, quarantine: list[tuple]):
    p = tmp_path / "processed"
    p.mkdir()
    pl.DataFrame(quarantine, schema=Q_SCHEMA, orient="row").write_parquet(p / "quarantine.parquet")
    pl.DataFrame({"source_file": ["vnpt-11.xlsx", "vnpt-11.xlsx", "mix.csv", "mix.csv", "vnpt-10.xlsx"],
                  "operator": ["VNPT", "VNPT", "VNPT", "FPT", "VNPT"],
                  "period": [date(2024, 11, 1), date(2024, 11, 1), date(2024, 11, 1), date(2024, 11, 1),
                             date(2024, 10, 1)]}).with_columns(
        province_code=pl.lit("19"), district_code=pl.lit("164"), commune_code=pl.lit("05431"), service=pl.lit("ftth"),
        segment=pl.lit("household"), subscribers=pl.lit(100)).write_parquet(p / "subscribers.parquet")
    (p / "manifest.json").write_text(json.dumps({"inputs": [], "provinces": ["19"], "primary": "19", "replaced": [
        {"kind": "subscribers", "file": "vnpt-11-old.xlsx", "replaced_by": "vnpt-11.xlsx", "operator": "VNPT",
         "period": "2024-11-01", "rows": 2, "rule": "later by file modification time"}]}))
    return p


def test_rows_go_to_the_operator_who_sent_the_file_and_its_month(tmp_path):
    p = _folder(tmp_path, [
        ("vnpt-11.xlsx", "Thuê bao", 7, "subscribers", "subscribers", "not a whole non-negative count: '-5'",
         "2024-11 | VNPT | -5"),
        ("vnpt-10.xlsx", "Thuê bao", 9, "subscribers", "commune", "commune not recognised: 'Xa Moi'", "x"),
        ("mix.csv", None, 3, "subscribers", "period", "empty period", "y"),            # two operators: no one's
        ("all-bad_2024-11.csv", None, 2, "subscribers", "subscribers", "not a number: 'abc'", "z"),  # nothing kept
        ("vnpt-11-old.xlsx", "Thuê bao", 5, "subscribers", "subscribers", "not a number: 'x'", "w"),  # sent again
    ])
    written = corrections.write(p, tmp_path / "out", date(2024, 11, 1))
    assert written == {"VNPT": "vnpt.xlsx", corrections.OTHERS: "other-senders.xlsx"}
    vnpt = openpyxl.load_workbook(tmp_path / "out" / "vnpt.xlsx").worksheets
    assert [(r[0], r[2], r[4], r[5]) for r in vnpt[0].iter_rows(min_row=2, values_only=True)] == [
        ("vnpt-11.xlsx", 7, "-5", "Số thuê bao phải là số nguyên không âm, nhận được '-5'")]
    assert [r[0] for r in vnpt[2].iter_rows(min_row=2, values_only=True)] == ["vnpt-10.xlsx"]   # earlier month
    # VNPT's FTTH households: 100 in October, 300 in November (three rows): the data checks' month-on-month rule
    warned = [(r[0], r[3]) for r in vnpt[1].iter_rows(min_row=2, values_only=True)]
    assert [rule for rule, _ in warned] == ["subscriber_changes.within_30_percent"] and "VNPT" in warned[0][1]
    # the file VNPT sent again is not listed, and the notes say how many of its rows are left out
    assert "1 dòng bị loại trong các tệp đã được gửi lại" in vnpt[3]["A2"].value
    other = openpyxl.load_workbook(tmp_path / "out" / "other-senders.xlsx").worksheets[0]
    # the file with nothing kept is placed in its month by its name
    assert sorted(r[0] for r in other.iter_rows(min_row=2, values_only=True)) == ["all-bad_2024-11.csv", "mix.csv"]


def test_text_a_spreadsheet_would_run_stays_text(tmp_path):
    hostile = '=HYPERLINK("http://evil.example","x")'
    p = _folder(tmp_path, [("vnpt-11.xlsx", "Thuê bao", 4, "subscribers", "commune",
                            f"commune not recognised: '{hostile}'", f"2024-11 | VNPT | {hostile}")])
    corrections.write(p, tmp_path / "out", date(2024, 11, 1))
    sheet = openpyxl.load_workbook(tmp_path / "out" / "vnpt.xlsx").worksheets[0]
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert len(cells) == 4 and all(c.data_type == "s" for c in cells)   # value, reason, as written, the row


def test_reasons_in_plain_words():
    said = corrections.plain(["hamlet not in the registry: 'Xóm Mới 905' (commune 05686)",
                              "download 12087.49 Mbps is impossible (below 0 or above 10 Gbps)",
                              "repeats vnpt.xlsx row 12", "something new"], "vi")
    assert said == ["Thôn/xóm 'Xóm Mới 905' không có trong danh mục thôn, tổ dân phố của xã 05686",
                    "Tốc độ tải xuống 12087.49 Mbps không thể có (dưới 0 hoặc trên 10 Gbps)",
                    "Lặp lại dòng 12 của tệp vnpt.xlsx", "something new"]
    assert corrections.file_name("MobiFone") == "mobifone.xlsx" and corrections.file_name(None) == "other-senders.xlsx"
