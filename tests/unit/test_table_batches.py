"""Sheets laid out alike are classified in one batch (issue 21, item 4): each table must come out exactly as it
would from its sheet alone, whatever the other sheets of the batch hold (wider rows, group rows, pastes)."""
from __future__ import annotations

from pathlib import Path

from analysis.clean.readers import Sheet, _frame
from analysis.clean.scheduling import chunks
from analysis.clean.tables import build, find_header, find_table

HEAD = ["STT", "Kỳ báo cáo", "Doanh nghiệp", "Huyện/TP", "Xã/Phường", "Dịch vụ", "Đối tượng", "Số thuê bao"]


def row(stt, commune, n, district="Thành phố Thái Nguyên", *extra):
    return [str(stt), "2024-10", "VNPT", district, commune, "FTTH", "Hộ gia đình", str(n), *extra]


def sheet(name, rows, title=None):
    lines = ([[title]] if title else []) + [HEAD] + rows
    return Sheet(name, _frame(lines, max(len(r) for r in lines)))


SHEETS = [
    # a group row naming a district, a totals row, a row pasted twice
    sheet("a", [["I", "", "", "", "Huyện Phú Lương"], row(1, "Xã Yên Đổ", 10, ""), row(1, "Xã Yên Đổ", 10, ""),
                ["", "", "", "", "Cộng huyện Phú Lương", "", "", "10"]]),
    # wider than its header (a note in a column no header names), a blank row, a repeated header
    sheet("b", [row(1, "Phường Quan Triều", 20, "Thành phố Thái Nguyên", "ghi chú"), [], HEAD,
                row(2, "Phường Tân Long", 5)]),
    # nothing unusual, under a title line
    sheet("c", [row(1, "Phường Quan Triều", 30), row(2, "Phường Quan Triều", 30)], title="Báo cáo tháng 10/2024"),
    # another layout (no STT column), in the same batch
    Sheet("d", _frame([HEAD[1:], row(1, "Phường Tân Long", 7)[1:]], len(HEAD) - 1)),
    # only a header and totals: no data rows at all
    sheet("e", [["", "", "", "", "Tổng cộng", "", "", "0"]]),
    # the same rows as sheet c (a second part of one report): not a paste, which is within a sheet
    sheet("f", [row(1, "Phường Quan Triều", 30), row(2, "Phường Quan Triều", 30)]),
    # a group that runs to the sheet's end, then a sheet whose first rows come before its own group row
    sheet("g", [["I", "", "", "", "Huyện Đại Từ"], row(1, "Xã Hùng Sơn", 3, "")]),
    sheet("h", [row(1, "Phường Tân Long", 4), ["II", "", "", "", "Huyện Võ Nhai"], row(2, "Xã La Hiên", 5, "")]),
]


def _same(a, b):
    assert a.frame.equals(b.frame), (a.sheet, a.frame, b.frame)
    for f in ("kind", "columns", "headers", "header_rows", "titles", "rows_above", "non_data", "width",
              "header_cells", "pasted", "given", "months", "measure", "figures_per_row", "rows"):
        assert getattr(a, f) == getattr(b, f), (a.sheet, f, getattr(a, f), getattr(b, f))


def test_a_batch_gives_each_sheet_the_table_it_has_alone():
    alone = [find_table("f.csv", s) for s in SHEETS]
    together = build([find_header("f.csv", s) for s in SHEETS])
    for a, b in zip(alone, together):
        _same(a, b)
    # and what the sheets hold is what was written: checked by hand, so that two equal wrong answers fail too
    a, b, c, d, e, f, g, h = together
    assert a.non_data == {"group": 1, "repeated_row": 1, "totals": 1} and a.pasted == [(4, 3)]
    assert a.frame["_group"].to_list() == ["Huyện Phú Lương"] and "_group" not in b.frame.columns
    assert b.non_data == {"blank": 1, "repeated_header": 1} and b.frame["_extra"].to_list() == ["ghi chú", None]
    assert b.width == 9 and c.width == 8 and c.rows_above == 1 and c.frame["_row"].to_list() == [3, 4]
    assert c.non_data == {} and c.pasted == [] and d.rows == 1 and e.rows == 0 and e.non_data == {"totals": 1}
    assert f.non_data == {} and f.rows == 2
    assert g.frame["_group"].to_list() == ["Huyện Đại Từ"] and h.frame["_group"].to_list() == [None, "Huyện Võ Nhai"]


def test_small_files_go_together_in_order_and_a_large_one_alone(tmp_path):
    sizes = {"a": 10, "b": 10, "c": 50, "d": 10, "e": 10, "f": 10}
    files = []
    for name, n in sizes.items():
        (tmp_path / name).write_bytes(b"x" * n)
        files.append(tmp_path / name)
    got = [[p.name for p in ch] for ch in chunks(files, most_bytes=30, most_files=2)]
    assert got == [["a", "b"], ["c"], ["d", "e"], ["f"]]
    assert [p for ch in chunks(files) for p in ch] == files and len(chunks(files)) == 1


def test_a_repeated_header_is_found_by_any_half_of_its_cells_in_any_case():
    # Eight named columns: a row is a repeated header when at least four of its cells are their header's text in
    # any case, whichever four; three are not enough (a data row may hold a header's word or two).
    last_four = ["9", "x", "y", "z", "XÃ/PHƯỜNG", "dịch vụ", "ĐỐI TƯỢNG", "số thuê bao"]
    first_four = ["stt", "KỲ BÁO CÁO", "doanh nghiệp", "huyện/tp", "Xã Hùng Sơn", "FTTH", "Hộ gia đình", "5"]
    three = ["STT", "Kỳ báo cáo", "Doanh nghiệp", "Huyện Đại Từ", "Xã Hùng Sơn", "FTTH", "Hộ gia đình", "5"]
    # each cell as long as its header's (in UTF-8 bytes), none of them the same text: data
    lengths = ["ABC", "Kỳ báo cáX", "Doanh nghiệX", "Huyện/TX", "Xã/PhườnX", "Dịch vXYZ", "Đối tượnX", "Số thuê baX"]
    table = find_table("f.csv", sheet("s", [row(1, "Xã Yên Đổ", 10), last_four, first_four, three, lengths]))
    assert table.non_data == {"repeated_header": 2}
    assert table.frame["_row"].to_list() == [2, 5, 6]   # the header is row 1
