"""A sheet as the readers hand it on: cells trimmed, an empty cell null, rows numbered as the sender sees them, and
the empty rows above a title neither read nor counted."""
from __future__ import annotations

import polars as pl

from analysis.clean.readers import _first_filled, _frame, _numbered


def test_cells_are_trimmed_and_empty_cells_are_null_with_rows_numbered_from_the_first_given():
    grid = pl.DataFrame({"c0": ["  Xã Yên Đổ ", "", None], "c1": ["12", "   ", "\t7\n"]})
    out = _numbered(grid, 4)
    assert out.columns == ["_row", "c0", "c1"]
    assert out.schema["_row"] == pl.Int64
    assert out.rows() == [(4, "Xã Yên Đổ", "12"), (5, None, None), (6, None, "7")]


def test_a_grid_without_rows_or_columns_stays_empty():
    assert _frame([], 0).height == 0
    assert _numbered(pl.DataFrame({"c0": []}, schema={"c0": pl.String}), 1).rows() == []


def test_the_first_row_with_a_value_is_found_below_empty_rows():
    empty_top = pl.DataFrame({"c0": [None, None, "BÁO CÁO", "STT"], "c1": [None, None, None, "Xã"]})
    assert _first_filled(empty_top) == 2
    # a title in the second column of the first row: nothing is cut
    assert _first_filled(pl.DataFrame({"c0": [None, "STT"], "c1": ["BÁO CÁO", "Xã"]})) == 0
    # a cell of spaces is a value as sent (trimmed to empty only after the cut, so its row is counted)
    assert _first_filled(pl.DataFrame({"c0": [" ", "STT"]})) == 0
    # nothing anywhere: every row is above the first value, so none is read
    assert _first_filled(pl.DataFrame({"c0": [None, None]}, schema={"c0": pl.String})) == 2
    assert _first_filled(pl.DataFrame()) == 0
