"""Each committed suite: a small valid frame passes every rule, and breaking one rule fails exactly that rule,
with the severity its suite states."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from analysis.areas import legacy_units
from polars.testing import assert_frame_equal
from analysis.text import catalogue
from analysis.validate.gx_run import PROJECT, run_checks

SUITES = PROJECT / "gx" / "expectations"
D = date(2024, 10, 1)


def suite_rules() -> dict[str, dict[str, str]]:
    """Suite -> rule -> severity, as the committed JSON states them."""
    out = {}
    for f in sorted(SUITES.glob("*.json")):
        s = json.loads(f.read_text(encoding="utf-8"))
        out[s["name"]] = {e["meta"]["rule"]: e["severity"] for e in s["expectations"]}
    return out


def keyed(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(key=pl.int_range(pl.len()).cast(pl.String))


# A valid frame per suite (two rows, so uniqueness can be broken), and per rule the change that breaks it.
BASE = {
    "subscribers": pl.DataFrame({"period": [D, D], "operator": ["VNPT", "VNPT"], "province_code": ["19", "19"],
                                 "district_code": ["164", "164"], "commune_code": ["05431", "05434"],
                                 "service": ["ftth", "mobile_broadband"], "segment": ["household", None],
                                 "subscribers": [120, 300], "source_file": ["a", "a"]}),
    "hamlet_coverage": pl.DataFrame({"period": [D, D], "operator": ["VNPT", "VNPT"],
                                     "hamlet_code": ["05431001", "05431002"], "commune_code": ["05431", "05431"],
                                     "ftth": [True, False], "mbb": [True, True]}),
    "bts_sites": pl.DataFrame({"period": [D, D], "operator": ["VNPT", "Viettel"], "site_id": ["A", "B"],
                               "lat": [21.6, 21.6001], "lon": [105.8, 105.8], "outside_deg": [0.0, 0.01],
                               "position_id": ["A", "A"],
                               "operators_at_position": [2, 2]}),
    "speed_tests": pl.DataFrame({"test_id": ["1", "2"], "download_mbps": [80.0, 30.0], "upload_mbps": [70.0, 9.0],
                                 "latency_ms": [12.0, 40.0], "network": ["fixed", "mobile"],
                                 "commune_code": ["05431", "05434"]}),
    "population": pl.DataFrame({"commune_code": ["05431", "05434"], "year": [2024, 2024], "population": [100, 200],
                                "adults": [70, 150], "households": [25, 50]}),
    "hamlet_registry": pl.DataFrame({"hamlet_code": ["05431001", "05431002"]}),
    "smartphone_survey": pl.DataFrame({"area_code": ["19", "164"], "year": [2024, 2024],
                                       "adults_surveyed": [100.0, 50.0], "adults_with_smartphone": [90.5, 40.0]}),
    "state_apps": pl.DataFrame({"as_of": [D, D], "app": ["A", "B"], "hosting": ["Đám mây tỉnh", "Nước ngoài"]}),
    "milestones": pl.DataFrame({"as_of": [D, D], "milestone": ["A", "B"], "status_code": ["done", "not_started"]}),
    "milestone_entries": pl.DataFrame({"milestone_vi": ["A", "B"]}),
    "reference_areas": pl.DataFrame({"area_code": ["19", "164"], "level": ["province", "district"]}),
    "quarantine": pl.DataFrame({"reason": [None, None]}, schema={"reason": pl.String}),
    "submissions": pl.DataFrame({"kind": ["subscribers", "subscribers"], "rows": [10, 12]}),
    "subscriber_changes": pl.DataFrame({"change": [0.05, -0.1]}),
    "fibre_households": pl.DataFrame({"excess": [-10, 0]}),
    "coverage_registry": pl.DataFrame({"in_registry": [True, True], "named": [True, True]}),
    "area_validity": pl.DataFrame({"known": [True, True], "in_force": [True, True]}),
    "table_columns": pl.DataFrame({"table": ["speed_tests", "speed_tests"], "column": ["test_id", "ts"]}),
    "raw_files": pl.DataFrame({"balanced": [True, True], "error": [None, None], "recognised": [True, True]},
                              schema={"balanced": pl.Boolean, "error": pl.String, "recognised": pl.Boolean}),
}
first_row = lambda col, value: (lambda f: f.with_columns(
    pl.when(pl.int_range(pl.len()) == 0).then(pl.lit(value)).otherwise(pl.col(col)).alias(col)))
same_as_first = lambda f: pl.concat([f.head(1), f.head(1)])
BREAK = {
    "subscribers.key_unique": same_as_first,
    "subscribers.period_present": first_row("period", None),
    "subscribers.operator_present": first_row("operator", None),
    "subscribers.count_non_negative": first_row("subscribers", -5),
    "subscribers.count_integer": lambda f: f.with_columns(pl.col("subscribers").cast(pl.Float64)),
    "subscribers.service_known": first_row("service", "iptv"),
    "subscribers.segment_known": first_row("segment", "government"),
    "subscribers.commune_code_form": first_row("commune_code", "5431"),
    "hamlet_coverage.key_unique": same_as_first,
    "hamlet_coverage.hamlet_code_form": first_row("hamlet_code", "Xóm Mới"),
    "hamlet_coverage.ftth_present": first_row("ftth", None),
    "hamlet_coverage.mbb_present": first_row("mbb", None),
    "bts_sites.key_unique": same_as_first,
    "bts_sites.inside_province": first_row("outside_deg", 0.5),
    "bts_sites.position_present": first_row("position_id", None),
    "bts_sites.operators_at_position": first_row("operators_at_position", 0),
    "speed_tests.test_unique": first_row("test_id", "2"),
    "speed_tests.download_physical": first_row("download_mbps", 50_000.0),
    "speed_tests.upload_physical": first_row("upload_mbps", -1.0),
    "speed_tests.latency_physical": first_row("latency_ms", 0.0),
    "speed_tests.network_known": first_row("network", "satellite"),
    "speed_tests.commune_code_form": first_row("commune_code", "Quan Triều"),
    "population.key_unique": first_row("commune_code", "05434"),
    "population.population_positive": lambda f: f.with_columns(population=pl.Series([0, 200]), adults=pl.Series([0, 150])),
    "population.households_positive": first_row("households", 0),
    "population.adults_within_population": first_row("adults", 101),
    "hamlet_registry.code_unique": first_row("hamlet_code", "05431002"),
    "hamlet_registry.code_form": first_row("hamlet_code", "0543101"),
    "smartphone_survey.key_unique": first_row("area_code", "164"),
    "smartphone_survey.share_at_most_one": first_row("adults_with_smartphone", 100.5),
    "smartphone_survey.surveyed_positive": lambda f: f.with_columns(adults_surveyed=pl.Series([0.0, 50.0]),
                                                                    adults_with_smartphone=pl.Series([0.0, 40.0])),
    "state_apps.key_unique": first_row("app", "B"),
    "state_apps.hosting_known": first_row("hosting", "AWS"),
    "milestones.key_unique": first_row("milestone", "B"),
    "milestones.status_known": first_row("status_code", "late"),
    "milestone_entries.names_a_milestone": first_row("milestone_vi", None),
    "reference_areas.key_unique": same_as_first,
    "reference_areas.level_known": first_row("level", "hamlet"),
    "quarantine.rows_set_aside": first_row("reason", "not a number: 'x'"),
    "submissions.every_operator_every_month": first_row("rows", 0),
    "subscriber_changes.within_30_percent": first_row("change", 0.45),
    "fibre_households.not_above_households": first_row("excess", 3),
    "coverage_registry.hamlet_in_registry": first_row("in_registry", False),
    "coverage_registry.hamlet_reported": first_row("named", False),
    "area_validity.code_known": first_row("known", False),
    "area_validity.code_in_force": first_row("in_force", False),
    "table_columns.no_personal_data": first_row("column", "device_id"),
    "raw_files.accounting_balances": first_row("balanced", False),
    "raw_files.readable": first_row("error", "the file is empty (0 bytes)"),
    "raw_files.kind_recognised": first_row("recognised", False),
}


@pytest.fixture(scope="module")
def gx_context(tmp_path_factory):
    """One context for the module's many small validations (each test's verdicts are its own run's)."""
    from analysis.validate.gx_run import context
    results = tmp_path_factory.mktemp("gx-results")
    return results, context(results, None, PROJECT)


def failures(gx_context, suite: str, frame: pl.DataFrame) -> dict[str, str]:
    results, ctx = gx_context
    return {r.rule: r.severity for r in run_checks({suite: keyed(frame)}, results, ctx=ctx) if not r.success}


def test_every_rule_has_a_breaking_case_and_a_text_in_both_languages():
    rules = {r for s in suite_rules().values() for r in s}
    assert rules == set(BREAK), rules ^ set(BREAK)
    assert set(BASE) == set(suite_rules())
    for lang in ("vi", "en"):
        assert rules <= set(catalogue(lang)["rules"]), lang


@pytest.mark.parametrize("suite", sorted(BASE))
def test_valid_frame_passes_every_rule(gx_context, suite):
    assert failures(gx_context, suite, BASE[suite]) == {}


@pytest.mark.parametrize("rule", sorted(BREAK))
def test_breaking_one_rule_fails_exactly_that_rule(gx_context, rule):
    suite = rule.split(".")[0]
    severity = suite_rules()[suite][rule]
    assert failures(gx_context, suite, BREAK[rule](BASE[suite])) == {rule: severity}


def test_each_bts_site_is_held_to_its_own_provinces_box():
    from analysis.areas import province_boxes
    from analysis.validate.checks import outside_province
    box = {r["province_code"]: r for r in province_boxes().iter_rows(named=True)}
    hcm_district = legacy_units("79")["districtCode"][0]
    sites = pl.DataFrame({"lat": [21.6, box["19"]["lat_max"] + 0.5, 10.78, 21.6], "lon": [105.8, 105.8, 106.7, 105.8],
                          "district_code": ["164", "164", hcm_district, hcm_district]})
    got = outside_province(sites).to_list()
    assert got[0] == 0.0 and got[1] == pytest.approx(0.5)           # Thái Nguyên: inside, then 0.5° north
    assert got[2] == 0.0                                              # central Ho Chi Minh City, in its own box
    assert got[3] == pytest.approx(21.6 - box["79"]["lat_max"])       # a TN position filed under a HCMC district


def test_suites_load_in_a_fresh_process_from_the_committed_files(tmp_path):
    # `import analysis` first, as every process of the project does (it spares jsonschema a grammar: 2.6 s)
    code = ("import os, analysis, great_expectations as gx; "
            "os.environ['GX_RESULTS_DIR'] = os.environ['GX_DOCS_DIR'] = "
            f"{str(tmp_path)!r}; c = gx.get_context(mode='file', project_root_dir={str(PROJECT)!r}); "
            "print(sorted((s.name, len(s.expectations)) for s in c.suites.all())); "
            "print(sorted(cp.name for cp in c.checkpoints.all()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    suites, checkpoints = out.stdout.strip().splitlines()[-2:]
    want = sorted((name, len(rules)) for name, rules in suite_rules().items())
    assert suites == str(want) and checkpoints == str(sorted(suite_rules()))


def test_validate_cli_prints_a_line_per_failed_critical_rule(tmp_path, capsys):
    from analysis.__main__ import main
    from analysis.clean import stage as clean
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "s.csv").write_text("Kỳ báo cáo,Doanh nghiệp,Huyện/TP,Xã/Phường,Dịch vụ,Đối tượng,Số thuê bao\n"
                               "2024-10,VNPT,Thành phố Thái Nguyên,Phường Quan Triều,FTTH,Hộ gia đình,120\n"
                               "2024-10,VNPT,Thành phố Thái Nguyên,Phường Túc Duyên,FTTH,Hộ gia đình,80\n",
                               encoding="utf-8")
    processed = tmp_path / "processed"
    clean.run(raw, processed, today=date(2026, 11, 25))
    subs = pl.read_parquet(processed / "subscribers.parquet")
    subs.with_columns(subscribers=pl.Series([-3, 80]), commune_code=pl.Series(["5431", "05440"])).write_parquet(
        processed / "subscribers.parquet")
    code = main(["validate", "--processed", str(processed), "--reports", str(tmp_path / "reports")])
    err = capsys.readouterr().err.strip().splitlines()
    # The malformed code breaks two rules: its form, and (as no official unit has it) area validity.
    assert code == 1 and len(err) == 3
    assert err[0].startswith("error: critical: subscribers.count_non_negative on subscribers.subscribers: 1 of 2 rows")
    assert err[1].startswith("error: critical: subscribers.commune_code_form on subscribers.commune_code: 1 of 2 rows")
    assert err[2].startswith("error: critical: area_validity.code_known on area_validity.known: 1 of 2 rows, "
                             "e.g. subscribers 5431 2024-10-01")
    summary = json.loads((processed / "validation" / "summary.json").read_text(encoding="utf-8"))
    assert summary["publishable"] is False and summary["critical"] == 3


@pytest.mark.slow
def test_the_sample_passes_every_critical_rule_and_warns_of_what_cleaning_cannot_repair(full_sample, full_processed,
                                                                                      tmp_path):
    from analysis.validate import stage
    processed, manifest = full_processed
    summary = stage.run(processed, tmp_path / "reports")
    failed = {r["rule"]: r for r in summary["rules"] if not r["success"]}
    assert summary["publishable"] and summary["critical"] == 0
    defects = pl.read_csv(full_sample / "truth" / "defects.csv", infer_schema_length=0)
    # Hamlets no operator names: one warning row per hamlet and month it is missing (spans from the generator).
    missing = 0
    for detail in defects.filter(pl.col("defect") == "unreported_hamlet")["detail"]:
        first, last = (date.fromisoformat(f"{m}-01") for m in detail.split(" ")[1].split(".."))
        missing += (last.year - first.year) * 12 + last.month - first.month + 1
    # Rows cleaning set aside: impossible speeds, zero latencies (a row with both counted once), unknown hamlets.
    bad_rows = defects.filter(pl.col("defect").is_in(["impossible_speed", "zero_latency", "unknown_hamlet"])
                              ).unique(["file", "row"]).height
    # Old communes used after the 1 Jul 2025 reform (the sample's hamlet and BTS lists keep them; subscribers and
    # i-Speed name the new units): one row per table, commune and month from 2025-07 to 2026-09.
    assert set(failed) == {"coverage_registry.hamlet_reported", "quarantine.rows_set_aside",
                           "area_validity.code_in_force"}
    assert failed["coverage_registry.hamlet_reported"]["failing"] == missing > 0
    assert failed["quarantine.rows_set_aside"]["failing"] == bad_rows > 0
    old_units = sum(pl.read_parquet(processed / f"{name}.parquet").filter(pl.col("period") >= date(2025, 7, 1))
                    .select("commune_code", "period").unique().height for name in ("hamlet_coverage", "bts_sites"))
    assert failed["area_validity.code_in_force"]["failing"] == old_units > 0


def _rule_configs() -> dict[str, tuple[str, dict]]:
    out = {}
    for f in sorted(SUITES.glob("*.json")):
        for e in json.loads(f.read_text(encoding="utf-8"))["expectations"]:
            out[e["meta"]["rule"]] = (e["type"], e["kwargs"])
    return out


@pytest.mark.parametrize("rule", sorted(BREAK))
def test_the_rows_kept_for_gx_hold_every_row_that_breaks_a_rule(rule):
    # On a large table GX sees only the rows polars marks as suspect (analysis.validate.rows): the broken row of
    # every rule must be marked, and the valid frame's rows not (else the filter saves nothing).
    from analysis.validate.rows import suspect
    kind, kw = _rule_configs()[rule]
    test = suspect(kind, kw)
    assert test is not None, f"{kind} has no polars test: GX would see every row"
    suite = rule.split(".")[0]
    if kind == "expect_column_values_to_be_in_type_list":
        return  # a property of the column, which the sample of rows carries
    valid, broken = BASE[suite], BREAK[rule](BASE[suite])
    assert not valid.select(test.alias("s"))["s"].any()
    assert broken.select(test.alias("s"))["s"].any()


def test_a_large_table_is_judged_whole_from_the_rows_gx_needs(tmp_path):
    from analysis.validate.rows import SAMPLE, needed
    n = 300_000
    frame = pl.DataFrame({"test_id": [str(i) for i in range(n)], "download_mbps": [50.0] * n,
                          "upload_mbps": [20.0] * n, "latency_ms": [10.0] * n, "network": ["fixed"] * n,
                          "commune_code": ["05431"] * n})
    frame = frame.with_columns(download_mbps=pl.when(pl.int_range(n).is_in([150_000, 250_000])).then(-1.0)
                               .otherwise(pl.col("download_mbps")))
    kept = needed(keyed(frame), [(k, kw) for r, (k, kw) in _rule_configs().items() if r.startswith("speed_tests.")])
    assert kept.height == SAMPLE + 2
    results = {r.rule: r for r in run_checks({"speed_tests": keyed(frame)}, tmp_path / "results")}
    bad = results["speed_tests.download_physical"]
    assert not bad.success and bad.failing == 2 and bad.rows == n
    assert sorted(bad.examples) == ["150000", "250000"]
    assert [r for r, x in results.items() if not x.success] == ["speed_tests.download_physical"]


@pytest.mark.parametrize("suite", ["speed_tests", "subscribers"])
def test_a_large_table_streamed_gives_gx_the_rows_it_gives_held_whole(tmp_path, suite, monkeypatch):
    # Validation passes a large table as a query (`checks.read(lazy=True)`), which `needed` reduces with polars'
    # streaming engine, repeats found by a streaming group-by of hashes (here in three passes, as a table three
    # times the national set's would be): the same rows, in the same order, as from the table held whole, every
    # rule's broken rows among them; and the same verdicts and counts.
    from analysis import repeated_keys
    from analysis.validate.rows import height, needed
    monkeypatch.setattr(repeated_keys, "BUCKET_ROWS", 100_000)
    rules = {r: kw for r, kw in _rule_configs().items() if r.startswith(f"{suite}.")}
    n, key = 250_000, {"speed_tests": "test_id", "subscribers": "commune_code"}[suite]   # above WHOLE_BELOW
    filler = BASE[suite].head(1).select(pl.all().repeat_by(n).explode()).with_columns(
        pl.format("{}", pl.int_range(n) + 10_000).alias(key))   # rows of their own key that break nothing
    broken = [BREAK[r](BASE[suite]) for r in sorted(rules) if r in BREAK]
    big = pl.concat([filler.head(n // 2), *broken, filler.tail(n // 2)], how="vertical_relaxed")
    path = tmp_path / f"{suite}.parquet"
    big.write_parquet(path, row_group_size=50_000)
    held, streamed = needed(big, list(rules.values())), needed(pl.scan_parquet(path), list(rules.values()))
    assert_frame_equal(streamed, held)
    assert held.height < big.height and height(pl.scan_parquet(path)) == big.height
    if suite == "speed_tests":   # and through GX, once (it is the slow part)
        whole = {r.rule: (r.success, r.failing, r.rows) for r in run_checks({suite: keyed(big)}, tmp_path / "a")}
        lazy = {r.rule: (r.success, r.failing, r.rows)
                for r in run_checks([(suite, pl.scan_parquet(path))], tmp_path / "b")}
        assert lazy == whole and not any(ok for ok, _, _ in whole.values())
