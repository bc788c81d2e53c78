"""Bad input, one case a test: each asserts the exact outcome (quarantine reason, row, column, or message)."""
from __future__ import annotations

import codecs
from datetime import date
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from analysis.__main__ import main
from analysis.clean import stage
from analysis.sample.files import encode_cp1258

TODAY = date(2026, 11, 25)
SUBS = "Kỳ báo cáo,Doanh nghiệp,Huyện/TP,Xã/Phường,Dịch vụ,Đối tượng,Số thuê bao"
GOOD = "2024-10,VNPT,Thành phố Thái Nguyên,Phường Quan Triều,FTTH,Hộ gia đình,120"
COV = "Kỳ báo cáo,Doanh nghiệp,Huyện/TP,Xã/Phường,Thôn/Xóm,Có cáp quang,Phủ sóng 4G,Phủ sóng 5G"
REG = "Mã xóm,Tên xóm,Xã/Phường,Huyện/TP\n05431001,Tổ dân phố 1,Phường Quan Triều,Thành phố Thái Nguyên"
SPEED = "Mã phép đo,Thời gian đo,ISP,Loại mạng,Tốc độ tải xuống (Mbps),Tốc độ tải lên (Mbps),Độ trễ (ms),Huyện/TP,Xã/Phường,Mã thiết bị,Địa chỉ IP"
SPEED_ROW = "IS1,05/10/2024 10:00:00,VNPT,Cố định,{down},50.00,{lat},Thành phố Thái Nguyên,Phường Quan Triều,abc123,113.160.1.2"
BTS = "Doanh nghiệp,Mã trạm,Vĩ độ,Kinh độ,Huyện/TP,Xã/Phường,Công nghệ,Ngày cập nhật"
BTS_ROW = "Viettel,TNG_0001,{lat},105.80,Thành phố Thái Nguyên,Phường Quan Triều,{tech},31/10/2024"


def clean(tmp_path: Path, files: dict[str, str | bytes]) -> tuple[dict, pl.DataFrame]:
    raw = tmp_path / "raw"
    for name, content in files.items():
        p = raw / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    manifest = stage.run(raw, tmp_path / "processed", today=TODAY)
    return manifest, pl.read_parquet(tmp_path / "processed" / "quarantine.parquet")


def only(q: pl.DataFrame) -> dict:
    assert q.height == 1, q
    return q.row(0, named=True)


def account(manifest: dict, path: str) -> dict:
    return next(f for f in manifest["inputs"] if f["path"] == path)


def test_empty_file_is_a_file_level_quarantine_row(tmp_path):
    m, q = clean(tmp_path, {"a.csv": b"", "b.csv": f"{SUBS}\n{GOOD}\n"})
    assert only(q)["reason"] == "the file is empty (0 bytes)"
    assert account(m, "a.csv")["rows_read"] == 0 and account(m, "a.csv")["error"] == "the file is empty (0 bytes)"


def test_header_only_file_keeps_nothing_and_quarantines_nothing(tmp_path):
    m, q = clean(tmp_path, {"a.csv": SUBS + "\n"})
    a = account(m, "a.csv")
    assert (a["rows_read"], a["kept"], a["quarantined"], a["non_data"]) == (1, 0, 0, {"title": 0, "header": 1})
    assert q.height == 0


def test_unknown_kind_quarantines_each_row_with_the_reason(tmp_path):
    m, q = clean(tmp_path, {"notes.csv": "Họ tên,Ghi chú\nAn,xin chào\n\nBình,ok\n"})
    assert q["row_number"].to_list() == [1, 2, 4]
    assert set(q["reason"]) == {"no header row of a known kind in the first 30 rows"}
    assert account(m, "notes.csv")["non_data"] == {"blank": 1}


def test_corrupt_xlsx_is_named_not_raised(tmp_path):
    _, q = clean(tmp_path, {"bad.xlsx": b"PK\x03\x04 this is not a workbook"})
    assert only(q)["reason"].startswith("cannot open as a workbook (")


def test_unknown_encoding_is_refused_by_name(tmp_path):
    # UTF-16 with its mark is read now (Excel's "Unicode text", test_bad_input_containers); UTF-32 is not.
    _, q = clean(tmp_path, {"u32.csv": codecs.BOM_UTF32_LE + f"{SUBS}\n{GOOD}\n".encode("utf-32-le")})
    r = only(q)["reason"]
    assert r.startswith("encoding not supported (utf_32") and r.endswith("save it as UTF-8 or Windows-1258 CSV")


def test_header_with_a_column_missing_says_which(tmp_path):
    header = SUBS.rsplit(",", 1)[0]
    _, q = clean(tmp_path, {"a.csv": f"{header}\n{GOOD.rsplit(',', 1)[0]}\n"})
    assert set(q["reason"]) == {"header looks like subscribers but has no column for: subscribers"}


def test_not_a_spreadsheet(tmp_path):
    _, q = clean(tmp_path, {"report.pdf": b"%PDF-1.4"})
    assert only(q)["reason"] == ("not a spreadsheet (.pdf); expected a workbook (.xlsx, .xlsm, .xls, .xlsb, .ods) or "
                                 "text (.csv, .txt)")


def _subs_row(tmp_path, **change) -> dict:
    cells = dict(zip(["period", "operator", "district", "commune", "service", "segment", "n"], GOOD.split(",")))
    cells.update(change)
    _, q = clean(tmp_path, {"s.csv": SUBS + "\n" + ",".join(cells.values()) + "\n"})
    return only(q)


@pytest.mark.parametrize("change, column, reason", [
    ({"n": "-5"}, "subscribers", "not a whole non-negative count: '-5'"),
    ({"n": '"12,5"'}, "subscribers", "not a whole non-negative count: '12,5'"),
    ({"n": "mười"}, "subscribers", "not a number: 'mười'"),
    ({"n": ""}, "subscribers", "subscribers is empty"),
    ({"period": "2027-01"}, "period", "period 2027-01 is in the future"),
    ({"period": "13/2024"}, "period", "not a month: '13/2024'"),
    ({"period": ""}, "period", "empty period"),
    ({"operator": "VNPT/Viettel"}, "operator", "two operators named in one cell: 'VNPT/Viettel'"),
    ({"commune": "Xã Không Có"}, "commune", "commune not recognised: 'Xã Không Có'"),
    ({"district": "Huyện Ba Vì"}, "commune", "district not recognised: 'Huyện Ba Vì'"),
    ({"service": "Truyền hình"}, "service", "service not recognised: 'Truyền hình'"),
    ({"segment": ""}, "segment", "segment is empty for a fixed service"),
    ({"segment": "Hộ nghèo"}, "segment", "segment not recognised: 'Hộ nghèo'"),
])
def test_subscriber_cell_errors(tmp_path, change, column, reason):
    row = _subs_row(tmp_path, **change)
    assert (row["column"], row["reason"], row["row_number"], row["kind"]) == (column, reason, 2, "subscribers")


def test_row_wider_than_its_header_is_quarantined_whole(tmp_path):
    row = _subs_row(tmp_path, n="12,5")  # an unquoted decimal comma splits the cell in two
    assert row["reason"] == "more cells than the header has columns (extra: '5')"


def test_hamlet_not_in_the_registry(tmp_path):
    cov = f"{COV}\n2024-10,VNPT,Thành phố Thái Nguyên,Phường Quan Triều,Xóm Ma,x,x,\n"
    _, q = clean(tmp_path, {"reg.csv": REG, "cov.csv": cov})
    assert only(q)["reason"] == "hamlet not in the registry: 'Xóm Ma' (commune 05431)"


def test_yes_no_value_not_recognised(tmp_path):
    cov = f"{COV}\n2024-10,VNPT,Thành phố Thái Nguyên,Phường Quan Triều,Tổ dân phố 1,có lẽ,Có,Không\n"
    _, q = clean(tmp_path, {"reg.csv": REG, "cov.csv": cov})
    assert (only(q)["column"], only(q)["reason"]) == ("ftth", "not a yes/no value: 'có lẽ'")


def test_empty_yes_no_cell_is_missing_unless_the_file_marks_with_x(tmp_path):
    cov = f"{COV}\n2024-10,VNPT,Thành phố Thái Nguyên,Phường Quan Triều,Tổ dân phố 1,Có,,Không\n"
    _, q = clean(tmp_path, {"reg.csv": REG, "cov.csv": cov})
    assert only(q)["reason"] == "mbb_4g is empty"


def test_same_hamlet_twice_with_different_values(tmp_path):
    cov = (f"{COV}\n2024-10,VNPT,Thành phố Thái Nguyên,Phường Quan Triều,Tổ dân phố 1,Có,Có,Không\n"
           "2024-10,VNPT,Thành phố Thái Nguyên,Phường Quan Triều,TDP 1,Không,Có,Không\n")
    _, q = clean(tmp_path, {"reg.csv": REG, "cov.csv": cov})
    assert q["row_number"].to_list() == [2, 3]
    assert set(q["reason"]) == {"period, operator, hamlet_code listed 2 times with different values"}


def test_identical_repeat_keeps_the_first_row(tmp_path):
    row = "2024-10,VNPT,Thành phố Thái Nguyên,Phường Quan Triều,Tổ dân phố 1,Có,Có,Không"
    m, q = clean(tmp_path, {"reg.csv": REG, "cov.csv": f"{COV}\n{row}\n{row}\n"})
    assert (only(q)["reason"], only(q)["row_number"]) == ("repeats cov.csv row 2", 3)
    assert account(m, "cov.csv")["kept"] == 1


@pytest.mark.parametrize("down, latency, column, reason", [
    ("50000", "12.0", "download", "download 50000.0 Mbps is impossible (below 0 or above 10 Gbps)"),
    ("-3.5", "12.0", "download", "download -3.5 Mbps is impossible (below 0 or above 10 Gbps)"),
    ("80.00", "0.0", "latency_ms", "latency 0.0 ms is impossible (0 or below)"),
])
def test_impossible_speed_tests(tmp_path, down, latency, column, reason):
    _, q = clean(tmp_path, {"sp.csv": f"{SPEED}\n{SPEED_ROW.format(down=down, lat=latency)}\n"})
    assert (only(q)["column"], only(q)["reason"]) == (column, reason)


def test_quarantined_speed_test_carries_no_personal_data(tmp_path):
    _, q = clean(tmp_path, {"sp.csv": f"{SPEED}\n{SPEED_ROW.format(down='50000', lat='9')}\n"})
    raw = only(q)["raw"]
    assert "abc123" not in raw and "113.160.1.2" not in raw and raw.count("[personal data removed]") == 2


def test_unreadable_measurement_time(tmp_path):
    row = SPEED_ROW.format(down="80", lat="9").replace("05/10/2024 10:00:00", "hôm qua")
    _, q = clean(tmp_path, {"sp.csv": f"{SPEED}\n{row}\n"})
    assert (only(q)["column"], only(q)["reason"]) == ("ts", "not a date-time: 'hôm qua'")


def test_latitude_outside_the_province(tmp_path):
    _, q = clean(tmp_path, {"bts.csv": f"{BTS}\n{BTS_ROW.format(lat='25.0', tech='4G')}\n"})
    assert only(q)["column"] == "lat" and only(q)["reason"].startswith("latitude 25.0 is outside the province (21.")


def test_impossible_dms_coordinate(tmp_path):
    _, q = clean(tmp_path, {"bts.csv": f"{BTS}\n{BTS_ROW.format(lat=chr(34) + '21°75' + chr(39) + '0.0' + chr(34) * 2 + 'N' + chr(34), tech='4G')}\n"})
    assert only(q)["reason"] == "not a coordinate: '21°75\\'0.0\"N'"


def test_unknown_technology(tmp_path):
    _, q = clean(tmp_path, {"bts.csv": f"{BTS}\n{BTS_ROW.format(lat='21.6', tech='6G')}\n"})
    assert only(q)["reason"] == "technology not recognised: '6G'"


def test_adults_exceeding_population(tmp_path):
    pop = ("Huyện/TP,Xã/Phường,Năm,Dân số (người),Dân số từ 15 tuổi trở lên,Số hộ\n"
           "Thành phố Thái Nguyên,Phường Quan Triều,2024,100,150,30\n")
    _, q = clean(tmp_path, {"pop.csv": pop})
    assert (only(q)["column"], only(q)["reason"]) == ("adults", "adults (15+) exceed the population")


def test_survey_area_that_could_be_province_or_city(tmp_path):
    sv = ("Địa bàn;Năm;Số người trưởng thành được khảo sát (gia quyền);Số người có điện thoại thông minh (gia quyền)\n"
          "Thái Nguyên;2024;100,0;80,5\n")
    _, q = clean(tmp_path, {"sv.csv": sv})
    assert only(q)["reason"] == "area 'Thái Nguyên' could be the province or its city: write Tỉnh or Thành phố"


def test_state_app_hosting_not_in_the_list(tmp_path):
    apps = "Ngày 31/12/2024\nTên ứng dụng,Cơ quan chủ quản,Hình thức lưu trữ\nCổng dữ liệu mở,Sở Tài chính,Đám mây AWS\n"
    _, q = clean(tmp_path, {"apps.csv": apps})
    assert (only(q)["row_number"], only(q)["reason"]) == (3, "hosting not recognised: 'Đám mây AWS'")


def test_milestones_without_any_date(tmp_path):
    _, q = clean(tmp_path, {"ms.csv": "Nhiệm vụ,Tình trạng\nCổng dữ liệu mở,Đã hoàn thành\n"})
    assert only(q)["reason"] == "no as-of date: neither an as_of column nor a 'Ngày dd/mm/yyyy' title line"


def test_sheet_with_empty_rows_above_reports_true_row_numbers(tmp_path):
    path = tmp_path / "raw" / "x.xlsx"
    path.parent.mkdir(parents=True)
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Sheet1")
    ws.write(3, 0, "BÁO CÁO THUÊ BAO")        # rows 1-3 empty, title on row 4
    ws.write_row(4, 0, SUBS.split(","))       # header on row 5
    ws.write_row(5, 0, GOOD.split(","))
    ws.write_row(6, 0, GOOD.replace("120", "-1").split(","))  # the bad row is row 7 in Excel
    wb.close()
    m = stage.run(tmp_path / "raw", tmp_path / "processed", today=TODAY)
    q = pl.read_parquet(tmp_path / "processed" / "quarantine.parquet")
    assert only(q)["row_number"] == 7
    assert account(m, "x.xlsx")["rows_read"] == 4  # what fastexcel returns: from the title down


def test_resubmission_replaced_by_the_stated_later_date(tmp_path):
    head = SUBS + ",Ngày gửi"
    m, _ = clean(tmp_path, {"a.csv": f"{head}\n{GOOD},05/11/2024\n",
                            "b.csv": f"{head}\n{GOOD.replace('120', '125')},20/11/2024\n"})
    assert m["replaced"] == [{"kind": "subscribers", "file": "a.csv", "replaced_by": "b.csv", "operator": "VNPT",
                              "period": "2024-10-01", "rows": 1,
                              "rule": "later by submitted column (2024-11-20 after 2024-11-05)"}]
    out = pl.read_parquet(tmp_path / "processed" / "subscribers.parquet")
    assert out["subscribers"].to_list() == [125]


def test_missing_raw_folder_is_one_line_exit_1(tmp_path, capsys):
    code = main(["clean", "--raw", str(tmp_path / "nope"), "--processed", str(tmp_path / "p")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "raw folder not found" in err and "Traceback" not in err


def test_fuzzy_match_accepted_and_listed_in_the_manifest(tmp_path):
    m, q = clean(tmp_path, {"s.csv": f"{SUBS}\n{GOOD.replace('Phường Quan Triều', 'Phường Quan Triềuu')}\n"})
    assert q.height == 0
    # Best key pair 'phuongquantrieuu' / 'phuongquantrieu': ratio 2*15/(16+15) = 96.8 -> 97, above 92.
    assert m["fuzzy_matches"] == [{"text": "Thành phố Thái Nguyên / Phường Quan Triềuu", "code": "05431",
                                   "how": "fuzzy:97", "rows": 1}]


def test_a_later_stage_needing_a_missing_kind_says_so_in_one_line(tmp_path, capsys):
    clean(tmp_path, {"s.csv": f"{SUBS}\n{GOOD}\n"})
    code = main(["indicators", "--processed", str(tmp_path / "processed")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "population" in err


def test_bom_cp1258_and_semicolons_read_alike(tmp_path):
    text = f"{SUBS}\n{GOOD}\n".replace(",", ";")
    m, q = clean(tmp_path, {"bom.csv": b"\xef\xbb\xbf" + text.encode("utf-8"), "win.csv": encode_cp1258(text)})
    assert q.height == 0 and {f["encoding"] for f in m["inputs"]} == {"utf-8-sig", "cp1258"}
    assert m["replaced"][0]["rows"] == 1  # the same operator-month twice: one replaced the other


def test_coverage_without_a_hamlet_registry_is_counted_not_guessed(tmp_path):
    cov = f"{COV}\n2024-10,VNPT,Thành phố Thái Nguyên,Phường Quan Triều,Tổ dân phố 1,Có,Có,Không\n"
    m, q = clean(tmp_path, {"cov.csv": cov})
    a = account(m, "cov.csv")
    assert (a["not_cleaned"], a["not_cleaned_reason"], q.height) == (1, "no hamlet registry among the raw files", 0)
    assert "hamlet_coverage" not in m["kinds_cleaned"]


def test_names_typed_decomposed_are_kept_composed():
    import unicodedata
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        reg = unicodedata.normalize("NFD", REG)
        _, q = clean(Path(d), {"reg.csv": reg})
        out = pl.read_parquet(Path(d) / "processed" / "hamlet_registry.parquet")
    assert q.height == 0 and out["hamlet"].to_list() == ["Tổ dân phố 1"]
    assert unicodedata.is_normalized("NFC", out["hamlet"][0])
