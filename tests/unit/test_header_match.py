"""A header row's columns are keyed once and each kind's map of them cached by those keys (`kinds._mappings`), and a
sheet's title lines are read only down to its header (`tables.find_header`): what a header is matched as must not
depend on what was matched before it, nor on lines below it."""
from __future__ import annotations

from analysis.clean.kinds import MIN_COLUMNS, match_header, match_table
from analysis.clean.readers import Sheet, _frame, _separator
from analysis.clean.tables import find_header

HEAD = ["Kỳ báo cáo", "Xã/Phường", "Dịch vụ", "Số thuê bao"]


def test_the_first_cell_naming_a_column_takes_it():
    # 'Tháng' and 'Kỳ báo cáo' both name the period; 'SL thuê bao' after 'Số thuê bao' is not a second count
    kind, columns = match_header(["Tháng", "Kỳ báo cáo", "Doanh nghiệp", "Xã", "Dịch vụ", "Số thuê bao",
                                  "SL thuê bao"])
    assert kind.name == "subscribers"
    assert columns == {0: "period", 2: "operator", 3: "commune", 4: "service", 5: "subscribers"}


def test_a_header_seen_before_takes_the_title_of_its_own_sheet():
    first = match_table(HEAD, [("Doanh nghiệp", "VNPT")])
    again = match_table(list(HEAD), [("Doanh nghiệp", "Viettel")])
    bare = match_table(list(HEAD))
    assert first.kind.name == again.kind.name == "subscribers"
    assert (first.given, again.given) == ({"operator": "VNPT"}, {"operator": "Viettel"})
    assert bare is None   # no operator anywhere: not a subscriber table
    assert first.columns == again.columns == {0: "period", 1: "commune", 2: "service", 3: "subscribers"}


def test_title_lines_count_above_the_header_only():
    lines = [["BÁO CÁO THUÊ BAO"], ["Doanh nghiệp: VNPT"], [], HEAD, ["2024-10", "Xã Yên Đổ", "FTTH", "10"],
             ["Doanh nghiệp: Viettel"]]
    found = find_header("a.xlsx", Sheet("s", _frame(lines, 4)))
    assert found.rows_above == 3 and found.header_rows == [4]
    assert found.match.given == {"operator": "VNPT"}
    assert found.titles == ["BÁO CÁO THUÊ BAO", "Doanh nghiệp: VNPT"]
    # the operator written only below the header is no title: the sheet is no table
    below = [HEAD, ["2024-10", "Xã Yên Đổ", "FTTH", "10"], ["Doanh nghiệp: Viettel"]]
    assert find_header("b.xlsx", Sheet("s", _frame(below, 4))) is None


def test_a_csv_header_is_looked_for_among_rows_of_two_cells_or_more():
    # `readers._separator` skips rows of fewer filled cells than MIN_COLUMNS, the fewest any kind's header has:
    # two today (state apps, milestones; a pivot's two months)
    assert MIN_COLUMNS == 2
    assert match_header(["Tên ứng dụng", "Hình thức lưu trữ"])[0].name == "state_apps"   # two cells are enough
    assert match_header(["Tên ứng dụng"]) is None
    # a ';' file whose data rows carry decimal commas is still told from a ',' one
    head = "Kỳ báo cáo;Doanh nghiệp;Xã/Phường;Dịch vụ;Số thuê bao\n2024-10;VNPT;Xã Yên Đổ;FTTH;1,5\n"
    assert _separator(head, True) == (";", 5)
    assert _separator(head.replace(";", ",").replace(",5", ""), True) == (",", 5)
