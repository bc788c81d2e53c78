"""On the sample, every indicator computed from the cleaned tables equals the one computed from the generator's
ground truth (as the operators reported it: hamlets no operator names are absent, impossible tests dropped)."""
from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest

from analysis.indicators import compute, definitions


@pytest.fixture(scope="module")
def both(short_sample, short_processed):
    out = short_processed[0]
    cleaned = {p.stem: pl.read_parquet(p) for p in out.glob("*.parquet")}
    truth_dir = short_sample / "truth"
    truth = {p.stem: pl.read_parquet(p) for p in truth_dir.glob("*.parquet")}
    defects = pl.read_csv(truth_dir / "defects.csv", infer_schema_length=0)
    bad_tests = defects.filter(pl.col("defect").is_in(["impossible_speed", "zero_latency"]))["detail"]
    truth["speed_tests"] = truth["speed_tests"].filter(~pl.col("test_id").is_in(bad_tests.implode()))
    for detail in defects.filter(pl.col("defect") == "unreported_hamlet")["detail"]:
        code, span = detail.split(" ")
        first, last = (date.fromisoformat(f"{m}-01") for m in span.split(".."))
        truth["hamlet_coverage"] = truth["hamlet_coverage"].filter(
            ~((pl.col("hamlet_code") == code) & pl.col("period").is_between(first, last)))
    truth["smartphone_survey"] = truth["smartphone_survey"].with_columns(
        area_level=pl.when(pl.col("area_code") == "19").then(pl.lit("province")).otherwise(pl.lit("district")))
    truth["bts_sites"] = truth["bts_sites"].with_columns(
        pl.col("position_id").cast(pl.String),
        operators_at_position=pl.col("operator").n_unique().over("period", "position_id"))
    # The department's province, as the cleaning stage recorded it (the generator's province).
    province = json.loads((out / "manifest.json").read_text())["primary"]
    return compute(cleaned, province=province)[0], compute(truth, province=province)[0], out, province


BIG = ("subscribers", "speed_tests", "hamlet_coverage", "bts_sites")


def test_read_from_files_a_big_table_is_held_only_while_its_indicators_need_it(both, monkeypatch):
    """What `python -m analysis indicators` does (`engine.Files`): each table read once, when first needed, without
    its provenance column, and no two big tables held at once; the speed tests never whole but a run of whole
    months at a time, of at most `speeds.BATCH_ROWS` tests (`speeds.ByMonth`; made small here, so that the short
    sample's months make several runs); the same indicators as from the tables all in memory."""
    import gc
    import weakref

    from analysis.indicators import engine, speeds
    got, _, out, province = both
    reads, alive, months = [], [], []

    class Watched(engine.Files):
        def __getitem__(self, name):
            gc.collect()
            alive.append([n for n, ref in reads if ref() is not None and n in BIG])
            frame = super().__getitem__(name)
            reads.append((name, weakref.ref(frame)))
            assert "source_file" not in frame.columns, name   # provenance: no formula reads it
            return frame

        def scan(self, name):
            gc.collect()
            alive.append([n for n, ref in reads if ref() is not None and n in BIG])
            reads.append((name, lambda: None))
            return super().scan(name)

    read = speeds.ByMonth.months

    def watched_months(self, first, last, *where):
        frame = read(self, first, last, *where)
        # the run's months as read, and its tests as cleaned (before the carry-back spreads some over communes)
        sent = tests.filter(pl.col("period").is_between(first, last), *where).height
        months.append((sorted(frame["period"].unique()), sent))
        return frame

    monkeypatch.setattr(speeds.ByMonth, "months", watched_months)
    tests = pl.read_parquet(out / "speed_tests.parquet", columns=["period", "network"])
    biggest = tests.group_by("period", "network").len()["len"].max()
    monkeypatch.setattr(speeds, "BATCH_ROWS", int(2.5 * biggest))   # two months a run, or one

    files = Watched(out, {n for ind in engine.definitions().values() for n in ind.tables})
    from polars.testing import assert_frame_equal
    # the same rows; sums may differ in their last bits (a sum over threads comes in any order)
    assert_frame_equal(compute(files, province=province)[0], got, rel_tol=1e-12, abs_tol=1e-9)
    names = [n for n, _ in reads]
    assert sorted(names) == sorted(set(names)) and set(BIG) <= set(names)   # each read once
    whole = sorted(tests["period"].unique())
    # the speed tests a run of consecutive months at a time, each within the budget unless a month alone, every
    # month read once a network
    assert sorted(p for run, _ in months for p in run) == sorted(whole * 2)
    for run, rows in months:
        assert run == whole[whole.index(run[0]):whole.index(run[0]) + len(run)]   # consecutive
        assert rows <= speeds.BATCH_ROWS or len(run) == 1
    assert len(whole) <= len(months) < 2 * len(whole)   # several months a run, several runs
    assert all(len(held) == 0 for name, held in zip(names, alive) if name in BIG), list(zip(names, alive))
    # the big tables are read smallest file first, so the biggest comes last, into memory the others gave back
    big = [n for n in names if n in BIG]
    assert big == sorted(big, key=lambda n: (out / f"{n}.parquet").stat().st_size), big


def test_every_indicator_is_computed(both):
    got, *_ = both
    assert set(got["indicator_id"].unique()) == set(definitions())


@pytest.mark.parametrize("indicator_id", sorted(definitions()))
def test_indicator_equals_the_one_from_the_truth(both, indicator_id):
    got, want = (f.filter(pl.col("indicator_id") == indicator_id) for f in both[:2])
    keys = ["area_code", "area_level", "period"]
    assert got.height == want.height > 0
    j = want.join(got, on=keys, how="full", suffix="_clean", nulls_equal=True)
    assert j.filter(pl.col("area_code").is_null() | pl.col("area_code_clean").is_null()).height == 0
    for c in ("value", "numerator", "denominator", "median"):
        a, b = j[c], j[f"{c}_clean"]
        assert (a.is_null() == b.is_null()).all(), c
        assert ((a - b).abs().fill_null(0) <= 1e-9 * (1 + a.abs().fill_null(0))).all(), c
    assert (j["note"].fill_null("") == j["note_clean"].fill_null("")).all()
