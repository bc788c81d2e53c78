"""More of the bad-input corpus, across every raw kind and the file-level failures operators really produce:
each case asserts its exact outcome, and the row accounting balances."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import polars as pl
import xlsxwriter

from analysis.clean.accounts import balances

from tests.unit.test_bad_input import BTS, BTS_ROW, COV, GOOD, REG, SPEED, SPEED_ROW, SUBS, account, clean, only


def xlsx(rows: list[list[object]], formulas: dict[tuple[int, int], tuple[str, object]] | None = None) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("Sheet1")
    for i, row in enumerate(rows):
        ws.write_row(i, 0, row)
    for (r, c), (formula, value) in (formulas or {}).items():
        ws.write_formula(r, c, formula, None, value)
    wb.close()
    return buf.getvalue()


def balanced(m: dict) -> bool:
    return all(balances(f) for f in m["inputs"])


def test_truncated_workbook(tmp_path):
    whole = xlsx([SUBS.split(","), GOOD.split(",")])
    m, q = clean(tmp_path, {"cut.xlsx": whole[: len(whole) // 2]})
    assert only(q)["reason"].startswith("cannot open as a workbook (") and balanced(m)


def test_zip_that_is_not_a_workbook(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    _, q = clean(tmp_path, {"fake.xlsx": buf.getvalue()})
    assert only(q)["reason"].startswith("cannot open as a workbook (")


def test_binary_file_named_csv(tmp_path):
    _, q = clean(tmp_path, {"photo.csv": bytes(range(256)) * 8})
    assert only(q)["reason"].startswith("encoding not supported (")


def test_bom_only_file_is_read_as_empty(tmp_path):
    m, q = clean(tmp_path, {"bom.csv": b"\xef\xbb\xbf"})
    assert q.height == 0 and account(m, "bom.csv")["rows_read"] == 0 and balanced(m)


def test_a_header_naming_a_column_twice(tmp_path):
    m, q = clean(tmp_path, {"twice.csv": f"{SUBS},SL thuê bao\n{GOOD},130\n"})
    assert set(q["reason"]) == {"the header names subscribers more than once: which column to read is not clear"}
    assert q["row_number"].to_list() == [1, 2] and balanced(m)


def test_error_and_formula_cells(tmp_path):
    rows = [SUBS.split(","), GOOD.split(","), GOOD.replace("Quan Triều", "Túc Duyên").split(",")]
    book = xlsx(rows, {(1, 6): ("=#REF!", "#REF!"), (2, 6): ("=40+2", 42)})
    m, q = clean(tmp_path, {"f.xlsx": book})
    assert (only(q)["row_number"], only(q)["reason"]) == (2, "not a number: '#REF!'")
    out = pl.read_parquet(tmp_path / "processed" / "subscribers.parquet")
    assert out["subscribers"].to_list() == [42]  # a formula's computed value is what the sender saw
    assert balanced(m)


def test_number_with_letters(tmp_path):
    _, q = clean(tmp_path, {"s.csv": f"{SUBS}\n{GOOD.replace(',120', ',12a')}\n"})
    assert only(q)["reason"] == "not a number: '12a'"


def test_a_ten_thousand_character_cell_is_quoted_in_part(tmp_path):
    long = "X" * 10_000
    _, q = clean(tmp_path, {"s.csv": f"{SUBS}\n{GOOD.replace('Phường Quan Triều', long)}\n"})
    r = only(q)
    assert r["reason"].startswith("commune not recognised: 'XXXX") and r["reason"].endswith("… (10026 characters)")
    assert long in r["raw"]  # the row as sent stays whole


def test_a_sheet_of_a_million_empty_rows(tmp_path):
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("Sheet1")
    ws.write_row(0, 0, SUBS.split(","))
    ws.write_row(1, 0, GOOD.split(","))
    ws.write(1_000_000, 0, " ")  # a stray space at the bottom: Excel keeps every row above it
    wb.close()
    m, q = clean(tmp_path, {"big.xlsx": buf.getvalue()})
    a = account(m, "big.xlsx")
    assert (a["rows_read"], a["kept"], a["non_data"]["blank"]) == (1_000_001, 1, 999_999) and q.height == 0


def test_a_date_that_does_not_exist(tmp_path):
    row = BTS_ROW.format(lat="21.6", tech="4G").replace("31/10/2024", "31/02/2024")
    _, q = clean(tmp_path, {"bts.csv": f"{BTS}\n{row}\n"})
    assert (only(q)["column"], only(q)["reason"]) == ("as_of", "not a date: '31/02/2024'")


def test_bts_site_without_an_id(tmp_path):
    row = BTS_ROW.format(lat="21.6", tech="4G").replace("TNG_0001", "")
    _, q = clean(tmp_path, {"bts.csv": f"{BTS}\n{row}\n"})
    assert only(q)["reason"] == "site_id is empty"


def test_speeds_in_kbps_under_an_mbps_header(tmp_path):
    """Mixed units: a kbps value under a header that says Mbps reads as an impossible speed, not as a guess."""
    rows = [SPEED_ROW.format(down="80.00", lat="9"), SPEED_ROW.format(down="45000", lat="9").replace("IS1", "IS2")]
    m, q = clean(tmp_path, {"sp.csv": SPEED + "\n" + "\n".join(rows) + "\n"})
    assert only(q)["reason"] == "download 45000.0 Mbps is impossible (below 0 or above 10 Gbps)"
    assert account(m, "sp.csv")["speed_unit"] == {"unit": "Mbps", "rule": "header"}


def test_speed_network_not_recognised(tmp_path):
    row = SPEED_ROW.format(down="80", lat="9").replace("Cố định", "Vệ tinh")
    _, q = clean(tmp_path, {"sp.csv": f"{SPEED}\n{row}\n"})
    assert only(q)["reason"] == "network not recognised: 'Vệ tinh'"


def test_coverage_in_an_unknown_commune(tmp_path):
    cov = f"{COV}\n2024-10,VNPT,Thành phố Thái Nguyên,Phường Không Có,Tổ dân phố 1,Có,Có,Không\n"
    _, q = clean(tmp_path, {"reg.csv": REG, "cov.csv": cov})
    assert only(q)["reason"] == "commune not recognised: 'Phường Không Có'"


def test_registry_code_of_another_commune(tmp_path):
    reg = "Mã xóm,Tên xóm,Xã/Phường,Huyện/TP\n05434001,Tổ dân phố 1,Phường Quan Triều,Thành phố Thái Nguyên\n"
    _, q = clean(tmp_path, {"reg.csv": reg})
    assert only(q)["reason"] == "hamlet code '05434001' does not start with its commune's code 05431"


def test_population_year_not_a_year(tmp_path):
    pop = ("Huyện/TP,Xã/Phường,Năm,Dân số (người),Dân số từ 15 tuổi trở lên,Số hộ\n"
           "Thành phố Thái Nguyên,Phường Quan Triều,năm ngoái,100,70,30\n")
    _, q = clean(tmp_path, {"pop.csv": pop})
    assert only(q)["reason"] == "not a year: 'năm ngoái'"


def test_survey_share_above_one(tmp_path):
    sv = ("Địa bàn;Năm;Số người trưởng thành được khảo sát (gia quyền);Số người có điện thoại thông minh (gia quyền)\n"
          "Tỉnh Thái Nguyên;2024;100,0;120,5\n")
    _, q = clean(tmp_path, {"sv.csv": sv})
    assert only(q)["reason"] == "adults with a smartphone exceed the adults surveyed, or are negative"


def test_state_app_without_hosting(tmp_path):
    apps = "Ngày 31/12/2024\nTên ứng dụng,Cơ quan chủ quản,Hình thức lưu trữ\nCổng dữ liệu mở,Sở Tài chính,\n"
    _, q = clean(tmp_path, {"apps.csv": apps})
    assert only(q)["reason"] == "hosting is empty"


def test_milestone_status_not_recognised(tmp_path):
    ms = "Nhiệm vụ,Tình trạng,Ngày cập nhật\nCổng dữ liệu mở,Gần xong,31/12/2025\n"
    _, q = clean(tmp_path, {"ms.csv": ms})
    assert only(q)["reason"] == "status not recognised: 'Gần xong'"


def test_control_characters_do_not_hide_a_name(tmp_path):
    m, q = clean(tmp_path, {"s.csv": f"{SUBS}\n{GOOD.replace('VNPT', 'VNPT' + chr(7))}\n"})
    out = pl.read_parquet(tmp_path / "processed" / "subscribers.parquet")
    assert q.height == 0 and out["operator"].to_list() == ["VNPT"]


def test_an_old_excel_file_extension_with_other_content(tmp_path):
    _, q = clean(tmp_path, {"old.xls": b"\xd0\xcf\x11\xe0 not really a workbook"})
    assert only(q)["reason"].startswith("cannot open as a workbook (")


def test_every_case_leaves_the_accounting_balanced(tmp_path):
    """A folder holding many bad files at once still balances, file by file."""
    files = {"a.csv": b"", "b.csv": f"{SUBS}\n{GOOD.replace(',120', ',-1')}\n", "c.pdf": b"%PDF",
             "d.csv": "Foo,Bar\n1,2\n", "e.csv": f"{SUBS}\n{GOOD}\n\n{SUBS}\nTổng cộng,,,,,,120\n"}
    m, q = clean(tmp_path, files)
    assert balanced(m)
    assert account(m, "e.csv")["non_data"] == {"title": 0, "header": 1, "blank": 1, "repeated_header": 1, "totals": 1}
    assert Path(tmp_path / "processed" / "manifest.json").exists()


def test_a_speed_test_sent_twice_with_different_values(tmp_path):
    # Speed tests are parsed as their files are read and their text freed (issue 8): a conflicting repeat found
    # afterwards is still quarantined, both rows, with the row as read, and the accounting balances.
    one = "\n".join([SPEED, SPEED_ROW.format(down="80.00", lat="12.0")])
    two = "\n".join([SPEED, SPEED_ROW.format(down="95.00", lat="12.0")])
    m, q = clean(tmp_path, {"ispeed_a.csv": one, "ispeed_b.csv": two})
    assert q.height == 2 and set(q["source_file"]) == {"ispeed_a.csv", "ispeed_b.csv"}
    assert set(q["reason"]) == {"test_id listed 2 times with different values"}
    raw = dict(zip(q["source_file"], q["raw"]))
    assert raw["ispeed_a.csv"].startswith("IS1 | 2024-10-05 10:00:00 | VNPT | fixed | 80.0 | 50.0 | 12.0 | ")
    assert raw["ispeed_b.csv"].startswith("IS1 | 2024-10-05 10:00:00 | VNPT | fixed | 95.0 | 50.0 | 12.0 | ")
    assert "abc123" not in "".join(q["raw"]) and balanced(m)


def test_windows_1258_bytes_after_a_long_ascii_start(tmp_path):
    # Only the start of a file is decoded to find its header; a file that turns out not to be UTF-8 further on
    # is decoded whole as Windows-1258, every row kept with its text right.
    from analysis.sample.files import encode_cp1258
    ascii_rows = [f"2024-10,VNPT,{'164'},0{5431 + 3 * (i % 2)},FTTH,Ho gia dinh,{i}" for i in range(20_000)]
    late = "2024-10,VNPT,Thành phố Thái Nguyên,Phường Quan Triều,xDSL,Hộ gia đình,7"
    data = encode_cp1258("\n".join([SUBS, *ascii_rows, late]) + "\n")
    m, q = clean(tmp_path, {"late.csv": data})
    f = account(m, "late.csv")
    assert f["encoding"] == "cp1258" and f["rows_read"] == 20_002 and f["kept"] == 20_001 and q.height == 0
    subs = pl.read_parquet(tmp_path / "processed" / "subscribers.parquet")
    assert subs.filter(pl.col("service") == "xdsl").select("commune_code", "subscribers").row(0) == ("05431", 7)
    assert subs.filter(pl.col("service") == "ftth")["subscribers"].sum() == sum(range(20_000))
