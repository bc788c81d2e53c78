"""The analyst's workbench on the chain's run over the short sample (2024-09 to 2024-11): the reading API's answers
against the generator's ground truth, DuckDB against the polars helpers, and the corrections workbooks against the
generator's list of defects and its files (who sent each, for which month)."""
from __future__ import annotations

import json
from datetime import date

import openpyxl
import polars as pl
import pytest

from analysis import corrections, data
from analysis.indicators import compute
from tests.end_to_end.conftest import SCRIPT

pytestmark = pytest.mark.slow
DINH_HOA, VO_NHAI = "167", "170"           # the statistics office's district codes
MONTH = date(2024, 11, 1)
QUARANTINED = ("unknown_hamlet", "impossible_speed", "zero_latency")   # defects cleaning sets aside row by row


@pytest.fixture(scope="module")
def d(run_root):
    return data.open(run_root / "processed")


@pytest.fixture(scope="module")
def truth(short_sample, run_root):
    """households_fiber computed from the generator's true tables (subscribers and population are untouched by
    the names the chain's run plants)."""
    tables = {p.stem: pl.read_parquet(p) for p in (short_sample / "truth").glob("*.parquet")}
    # the truth's tables in the cleaned tables' form, as tests/integration/test_indicators_sample.py puts them
    tables["smartphone_survey"] = tables["smartphone_survey"].with_columns(
        area_level=pl.when(pl.col("area_code") == "19").then(pl.lit("province")).otherwise(pl.lit("district")))
    tables["bts_sites"] = tables["bts_sites"].with_columns(
        pl.col("position_id").cast(pl.String),
        operators_at_position=pl.col("operator").n_unique().over("period", "position_id"))
    province = json.loads((run_root / "processed" / "manifest.json").read_text())["primary"]
    ind = compute(tables, province=province)[0]
    return ind.filter(pl.col("indicator_id") == "households_fiber"), tables


def test_series_is_the_truth_month_by_month(d, truth):
    ind, tables = truth
    got = d.series("households_fiber", "dinh hoa").filter(pl.col("value").is_not_null())
    want = ind.filter((pl.col("area_code") == DINH_HOA) & (pl.col("area_level") == "district")).sort("period")
    assert got["period"].to_list() == want["period"].to_list() == [date(2024, 9, 1), date(2024, 10, 1), MONTH]
    assert got["value"].to_list() == pytest.approx(want["value"].to_list(), rel=1e-9)
    assert set(got["target"]) == {85.0} and set(got["target_date"]) == {date(2025, 12, 1)}   # Plan 171
    # the numerator by hand: the households on FTTH the operators reported in Định Hóa's communes in November
    communes = d.geography.codes("commune", DINH_HOA)
    subs = tables["subscribers"].filter((pl.col("period") == MONTH) & (pl.col("service") == "ftth")
                                        & (pl.col("segment") == "household") & pl.col("commune_code").is_in(communes))
    row = d.table("indicators").filter((pl.col("indicator_id") == "households_fiber") & (pl.col("area_code") == DINH_HOA)
                                       & (pl.col("area_level") == "district") & (pl.col("period") == MONTH)).collect()
    assert row["numerator"][0] == subs["subscribers"].sum() > 0
    assert row["area_name"][0] == "Huyện Định Hóa" and row["parent_code"][0] == d.geography.department


def test_projection_follows_the_last_figure(d):
    s = d.series("households_fiber", "Võ Nhai")
    projected = s.filter(pl.col("projected").is_not_null())
    assert projected.height > 0 and projected["period"].min() > MONTH
    assert (projected["lower"] <= projected["projected"]).all() and (projected["projected"] <= projected["upper"]).all()


def test_compare_and_rank_are_the_truth(d, truth):
    ind, _ = truth
    both = d.compare("households_fiber", ["H. Định Hóa", "vo nhai"])
    assert both["area_name"].unique().sort().to_list() == ["Huyện Võ Nhai", "Huyện Định Hóa"]
    want = ind.filter(pl.col("area_code").is_in([DINH_HOA, VO_NHAI]) & (pl.col("area_level") == "district"))
    j = both.join(want, on=["area_code", "period"], suffix="_truth")
    assert j.height == both.height == 6 and ((j["value"] - j["value_truth"]).abs() < 1e-9).all()
    ranked = d.rank("households_fiber", "district")
    truth_order = (ind.filter((pl.col("area_level") == "district") & (pl.col("period") == MONTH))
                   .sort("value", descending=True)["area_code"].to_list())
    assert ranked["area_code"].to_list() == truth_order and ranked["rank"].to_list() == list(range(1, len(truth_order) + 1))
    communes = d.rank("households_fiber", "commune", within="Định Hóa")
    assert set(communes["parent_code"]) == {DINH_HOA} and communes.height == len(d.geography.codes("commune", DINH_HOA))


def test_duckdb_and_the_polars_helper_give_the_same_numbers(d):
    sql = d.sql().sql("""
        select area_code, value from indicators
        where indicator_id = 'households_fiber' and area_level = 'district'
          and period = (select max(period) from indicators where indicator_id = 'households_fiber')
        order by value desc, area_code""").pl()
    helper = d.rank("households_fiber", "district").select("area_code", "value")
    assert sql.equals(helper)


def test_names_are_joined_by_the_unit_in_force_at_the_row_s_month(d):
    subs = d.table("subscribers").select("commune_code", "commune_name", "commune_level", "district_name").collect()
    assert subs["commune_name"].null_count() == 0 and set(subs["commune_level"]) == {"commune"}   # all before 2025-07
    quan_trieu = subs.filter(pl.col("commune_code") == "05431")
    assert set(quan_trieu["commune_name"]) == {"Phường Quan Triều"} and set(quan_trieu["district_name"]) == {
        "Thành phố Thái Nguyên"}
    assert isinstance(d.table("status", pandas=True).iloc[0]["area_name"], str)


def test_a_wrong_indicator_names_the_nearest(d):
    with pytest.raises(Exception, match="nearest: households_fiber"):
        d.series("household_fibre", "Định Hóa")


def _sheet_rows(path, index: int) -> list[tuple]:
    sheet = openpyxl.load_workbook(path).worksheets[index]
    return [r for r in sheet.iter_rows(min_row=2, values_only=True)]


def _expected(short_sample, month: date) -> dict[str | None, set[tuple[str, int]]]:
    """sender -> (file, row) of the defects cleaning sets aside, in files of that month still in force (a sender
    other than the four operators is one of the other senders: None)."""
    truth = short_sample / "truth"
    files = pl.read_csv(truth / "files.csv", infer_schema_length=0).filter(pl.col("superseded_by").is_null())
    defects = pl.read_csv(truth / "defects.csv", infer_schema_length=0).filter(pl.col("defect").is_in(QUARANTINED))
    rows = defects.join(files, on="file").filter(pl.col("period") == month.isoformat())
    out: dict[str | None, set] = {}
    for f, r, sender in rows.select("file", "row", "sender").unique().iter_rows():
        out.setdefault(sender if sender in ("VNPT", "Viettel", "FPT", "MobiFone") else None, set()).add((f, int(r)))
    return out


@pytest.fixture(scope="module")
def cleaned(short_sample, tmp_path_factory):
    """The short sample cleaned as sent (the chain's run plants names that set more rows aside)."""
    from analysis.clean import stage
    out = tmp_path_factory.mktemp("cleaned")
    stage.run(short_sample / "raw", out, today=date(2026, 11, 25))
    return out


@pytest.mark.parametrize("month", [date(2024, 10, 1), MONTH])
def test_each_operator_s_workbook_lists_exactly_its_rows_set_aside_that_month(cleaned, short_sample, tmp_path,
                                                                               month):
    written = corrections.write(cleaned, tmp_path, month)
    assert set(written) == {"VNPT", "Viettel", "FPT", "MobiFone", corrections.OTHERS}
    expected = _expected(short_sample, month)
    for sender, name in written.items():
        got = {(r[0], r[2]) for r in _sheet_rows(tmp_path / name, 0)}
        assert got == expected.get(None if sender == corrections.OTHERS else sender, set()), sender
    if month == date(2024, 10, 1):
        assert len(expected["MobiFone"]) == 1          # not vacuous: its hamlet not in the registry (in its resent file)
    # and against the quarantine table: the month's sheets together hold every row set aside from the month's files
    # still in force (by the generator's files.csv), each once
    files = pl.read_csv(short_sample / "truth" / "files.csv", infer_schema_length=0)
    in_force = files.filter((pl.col("period") == month.isoformat()) & pl.col("superseded_by").is_null())["file"]
    quarantined = pl.read_parquet(cleaned / "quarantine.parquet").filter(pl.col("source_file").is_in(in_force.implode()))
    listed = [(r[0], r[2]) for name in written.values() for r in _sheet_rows(tmp_path / name, 0)]
    assert sorted(listed) == sorted(quarantined.select("source_file", "row_number").rows())
    # every reason in plain Vietnamese, the row as sent beside it
    other = _sheet_rows(tmp_path / written[corrections.OTHERS], 0)
    assert other and all(r[5] != r[6] and r[7] for r in other)


def test_the_run_writes_the_month_s_workbooks_and_the_index_links_them(run_root):
    month = run_root / "reports" / "2024-11"
    record = json.loads((month / "run.json").read_text(encoding="utf-8"))
    assert set(record["operators"]) == {"VNPT", "Viettel", "FPT", "MobiFone", corrections.OTHERS}
    assert all((month / f).exists() for f in record["operators"].values())
    index = (run_root / "reports" / "index.html").read_text(encoding="utf-8")
    assert 'href="2024-11/operators/vnpt.xlsx"' in index and "các nguồn khác" in index


def test_a_hostile_name_in_a_row_set_aside_stays_text(run_root, tmp_path):
    """The commune named as a script in FPT's first coverage report (planted by the chain's run) is set aside:
    FPT's workbook lists it, under its earlier month, as text."""
    written = corrections.write(run_root / "processed", tmp_path, MONTH)
    earlier = openpyxl.load_workbook(tmp_path / written["FPT"]).worksheets[2]
    cells = [c for row in earlier.iter_rows(min_row=2) for c in row if isinstance(c.value, str) and SCRIPT in c.value]
    assert cells and all(c.data_type == "s" for c in cells)
