"""Cleaning the sample recovers the generator's ground truth for the kinds it cleans."""
from __future__ import annotations

import json

import polars as pl
import pytest

from analysis.clean import stage


@pytest.fixture(scope="module")
def cleaned(short_sample, tmp_path_factory):
    out = tmp_path_factory.mktemp("processed")
    manifest = stage.run(short_sample / "raw", out)
    return out, manifest


def test_subscribers_equal_the_truth(short_sample, cleaned):
    out, _ = cleaned
    got = pl.read_parquet(out / "subscribers.parquet")
    want = pl.read_parquet(short_sample / "truth" / "subscribers.parquet")
    keys = ["period", "operator", "district_code", "commune_code", "service", "segment"]
    joined = want.join(got, on=keys, how="full", nulls_equal=True, suffix="_clean")
    assert joined.filter(pl.col("subscribers").is_null() | pl.col("subscribers_clean").is_null()).height == 0
    assert (joined["subscribers"] == joined["subscribers_clean"]).all()


def test_population_equals_the_truth(short_sample, cleaned):
    out, _ = cleaned
    got = pl.read_parquet(out / "population.parquet").sort("commune_code", "year")
    want = pl.read_parquet(short_sample / "truth" / "population.parquet").sort("commune_code", "year")
    cols = ["commune_code", "district_code", "year", "population", "adults", "households"]
    assert got.select(cols).equals(want.select(cols))


def test_every_row_is_accounted_for(cleaned):
    out, manifest = cleaned
    assert manifest["unbalanced"] == []
    for f in manifest["inputs"]:
        parts = f["kept"] + f["quarantined"] + sum(f["non_data"].values()) + f["superseded"] + f["not_cleaned"]
        assert f["rows_read"] == parts, f["path"]
    assert json.loads((out / "manifest.json").read_text())["outputs"]


def test_resubmissions_replaced_as_the_truth_lists(short_sample, cleaned):
    _, manifest = cleaned
    files = pl.read_csv(short_sample / "truth" / "files.csv", infer_schema_length=0)
    expected = {(r["file"], r["superseded_by"]) for r in files.filter(
        (pl.col("kind") == "subscribers") & pl.col("superseded_by").is_not_null()).iter_rows(named=True)}
    assert expected, "the short sample should hold at least one resubmission"
    assert {(r["file"], r["replaced_by"]) for r in manifest["replaced"]} == expected


def test_non_data_rows_match_the_injected_ones(short_sample, cleaned):
    _, manifest = cleaned
    d = pl.read_csv(short_sample / "truth" / "defects.csv", infer_schema_length=0)
    subs_files = {f["path"] for f in manifest["inputs"] if f["kinds"] == ["subscribers"]}
    injected = d.filter(pl.col("file").is_in(list(subs_files)))
    counted = {k: sum(f["non_data"].get(k, 0) for f in manifest["inputs"] if f["path"] in subs_files)
               for k in ("blank", "totals", "repeated_header")}
    assert counted == {"blank": (injected["defect"] == "blank_row").sum(),
                       "totals": (injected["defect"] == "totals_row").sum(),
                       "repeated_header": (injected["defect"] == "repeated_header").sum()}
