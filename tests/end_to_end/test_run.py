"""The whole chain through papermill, as `make report` runs it, on a short sample."""
from __future__ import annotations

import re
import subprocess
import sys
from datetime import date

import polars as pl
import pytest

from analysis.periods import interpolate_yearly
from analysis.text import number

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reports(short_sample, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    r = subprocess.run([sys.executable, "-m", "analysis", "run", "--raw", str(short_sample / "raw"),
                        "--processed", str(out / "processed"), "--reports", str(out / "reports")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    return out / "reports"


def test_index_links_the_province_report(reports):
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert 'href="2024-11/province-vi.html"' in index
    assert (reports / "2024-11" / "province-vi.html").exists()


def test_report_needs_no_network(reports):
    page = (reports / "2024-11" / "province-vi.html").read_text(encoding="utf-8")
    external = re.findall(r'(?:src|href)\s*=\s*["\'](?:https?:)?//', page)
    assert external == []
    assert not re.search(r"@import\s+url\(\s*['\"]?(?:https?:)?//", page)
    assert "data:image/svg+xml" in page  # the chart is inline
    assert "<pre" not in page or "import polars" not in page  # no code shown to readers


def test_report_shows_the_province_value_of_the_truth(short_sample, reports):
    # Expected: household FTTH of the truth / households interpolated at 2024-11, formatted the Vietnamese way.
    truth = short_sample / "truth"
    m = date(2024, 11, 1)
    subs = pl.read_parquet(truth / "subscribers.parquet").filter(
        (pl.col("period") == m) & (pl.col("service") == "ftth") & (pl.col("segment") == "household"))
    hh = interpolate_yearly(pl.read_parquet(truth / "population.parquet"), ["commune_code"], "households", [m])
    expected = number(subs["subscribers"].sum() / hh["households"].sum() * 100, "vi")
    page = (reports / "2024-11" / "province-vi.html").read_text(encoding="utf-8")
    assert f"{expected} %" in page


def test_cli_errors_are_one_line(tmp_path):
    r = subprocess.run([sys.executable, "-m", "analysis", "clean", "--raw", str(tmp_path / "none")],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stderr.strip().count("\n") == 0 and "raw folder not found" in r.stderr
    r = subprocess.run([sys.executable, "-m", "analysis", "run", "--as-of", "2024-13"], capture_output=True, text=True)
    assert r.returncode == 1 and "YYYY-MM" in r.stderr and "Traceback" not in r.stderr


def test_report_shows_the_warnings_of_validation(reports):
    page = (reports / "2024-11" / "province-vi.html").read_text(encoding="utf-8")
    assert "Chất lượng số liệu" in page
    assert "Dòng số liệu bị tách riêng khi làm sạch" in page  # quarantined rows of the sample are a warning
    assert (reports / "data-docs" / "index.html").exists()
    assert 'href="data-docs/index.html"' in (reports / "index.html").read_text(encoding="utf-8")


def test_a_critical_failure_stops_the_run_and_writes_no_report(short_sample, tmp_path):
    """VNPT's subscribers for 2024-10 never arrived: every operator-month is a critical rule."""
    raw = tmp_path / "raw"
    for f in (short_sample / "raw").rglob("*"):
        if f.is_file() and not (f.parent.name == "2024" and f.name.startswith("VNPT_TNN_thue-bao_2024-10")):
            (raw / f.relative_to(short_sample / "raw")).parent.mkdir(parents=True, exist_ok=True)
            (raw / f.relative_to(short_sample / "raw")).write_bytes(f.read_bytes())
    assert sum(1 for _ in raw.rglob("*.xlsx")) < sum(1 for _ in (short_sample / "raw").rglob("*.xlsx"))
    r = subprocess.run([sys.executable, "-m", "analysis", "run", "--raw", str(raw), "--processed",
                        str(tmp_path / "processed"), "--reports", str(tmp_path / "reports")],
                       capture_output=True, text=True)
    assert r.returncode == 1
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("error: ")]
    assert errors == [ln for ln in errors if "critical: " in ln] and len(errors) == 1
    assert "submissions.every_operator_every_month on submissions.rows: 1 of " in errors[0]
    assert "subscribers VNPT 2024-10-01" in errors[0]
    assert not (tmp_path / "reports" / "index.html").exists()
    assert not list((tmp_path / "reports").glob("2024-*"))


def test_report_judges_every_target_of_the_plan(reports):
    from analysis.targets import load
    page = (reports / "2024-11" / "province-vi.html").read_text(encoding="utf-8")
    assert "Các chỉ tiêu của Kế hoạch" in page
    for target in load().targets:
        assert target.name_vi.replace("/", "&#x2F;") in page or target.name_vi in page, target.id
