"""Yes/no marks decided column by column (issue 20, item 4): a sheet may write Có/Không in one column and x/blank
in the others."""
from __future__ import annotations

import polars as pl

from tests.unit.test_bad_input import COV, REG, account, clean

REGISTRY = REG + "\n05431002,Tổ dân phố 2,Phường Quan Triều,Thành phố Thái Nguyên"


def _coverage(tmp_path, rows: list[str]):
    body = "\n".join(f"2024-10,VNPT,Thành phố Thái Nguyên,Phường Quan Triều,{r}" for r in rows)
    m, q = clean(tmp_path, {"reg.csv": REGISTRY, "cov.csv": f"{COV}\n{body}\n"})
    out = pl.read_parquet(tmp_path / "processed" / "hamlet_coverage.parquet").sort("hamlet_code")
    return m, q, out


def test_co_khong_in_one_column_and_x_or_blank_in_the_others(tmp_path):
    m, q, out = _coverage(tmp_path, ["Tổ dân phố 1,Có,x,", "Tổ dân phố 2,Không,,"])
    assert q.height == 0 and account(m, "cov.csv")["kept"] == 2
    assert out.select("ftth", "mbb_4g", "mbb_5g").rows() == [(True, True, False), (False, False, False)]


def test_a_blank_in_a_co_khong_column_is_still_missing(tmp_path):
    """Under Có/Không an empty cell says nothing: the row is quarantined naming the column, whatever the others do."""
    m, q, out = _coverage(tmp_path, ["Tổ dân phố 1,Có,x,", "Tổ dân phố 2,,x,"])
    row = q.row(0, named=True)
    assert q.height == 1 and row["reason"] == "ftth is empty" and row["row_number"] == 3
    assert out["hamlet_code"].to_list() == ["05431001"]


def test_a_column_with_no_mark_at_all_follows_its_table(tmp_path):
    """5G before 5G existed: an all-empty column in an x/blank table means no; in a Có/Không table, missing."""
    _, q, out = _coverage(tmp_path, ["Tổ dân phố 1,x,x,", "Tổ dân phố 2,,x,"])
    assert q.height == 0 and out["mbb_5g"].to_list() == [False, False] and out["ftth"].to_list() == [True, False]
    _, q, _ = _coverage(tmp_path / "b", ["Tổ dân phố 1,Có,Có,", "Tổ dân phố 2,Không,Có,"])
    assert set(q["reason"]) == {"mbb_5g is empty"} and q.height == 2
