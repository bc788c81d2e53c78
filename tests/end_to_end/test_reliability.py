"""Reliability: no personal data anywhere, one writer at a time, crash safety under SIGKILL, parameters checked."""
from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from analysis.clean.accounts import balances

pytestmark = pytest.mark.slow


def test_no_device_id_or_ip_in_any_table_notebook_or_page(short_sample, run_root):
    tests = pl.read_parquet(short_sample / "truth" / "speed_tests.parquet")
    devices, ips = set(tests["device_id"]), set(tests["ip"])
    files = [*run_root.joinpath("processed").rglob("*.parquet"), *run_root.joinpath("processed").rglob("*.json"),
             *run_root.joinpath("reports").rglob("*.ipynb"), *run_root.joinpath("reports").rglob("*.html")]
    assert len(files) > 40
    for f in files:
        text = (pl.read_parquet(f).write_ndjson() if f.suffix == ".parquet" else f.read_text(encoding="utf-8"))
        assert not set(re.findall(r"\b[0-9a-f]{16}\b", text)) & devices, f.name
        assert not set(re.findall(r"\b\d{1,3}(?:\.\d{1,3}){3}\b", text)) & ips, f.name


def _clean(raw, processed, crash_at: str | None = None):
    import os
    env = {**os.environ, **({"ANALYSIS_CRASH_AT": crash_at} if crash_at else {})}
    return subprocess.Popen([sys.executable, "-m", "analysis", "clean", "--raw", str(raw), "--processed",
                             str(processed)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_two_runs_started_together_one_writes_the_other_says_so(short_sample, tmp_path):
    a, b = _clean(short_sample / "raw", tmp_path / "p"), _clean(short_sample / "raw", tmp_path / "p")
    outs = [p.communicate(timeout=300) for p in (a, b)]
    codes = sorted([a.returncode, b.returncode])
    assert codes == [0, 1], outs
    loser = outs[[a.returncode, b.returncode].index(1)][1]
    assert "another run is writing these outputs" in loser and loser.count("\n") == 1
    manifest = json.loads((tmp_path / "p" / "manifest.json").read_text(encoding="utf-8"))
    assert all(balances(f) for f in manifest["inputs"]) and pl.read_parquet(tmp_path / "p" / "subscribers.parquet").height > 0


def _readable(processed) -> None:
    """Every table is a whole Parquet file and the manifest whole JSON: the old version or the new one."""
    for f in processed.glob("*.parquet"):
        pl.read_parquet(f)
    if (processed / "manifest.json").exists():
        json.loads((processed / "manifest.json").read_text(encoding="utf-8"))


# Named points (analysis.faults) instead of a sleep: each test proves the process died where it says, mid-write.
@pytest.mark.parametrize("point", ["clean.staged", "clean.publishing",
                                   "clean.before_manifest", "write:manifest.json"])
def test_a_clean_killed_at_any_moment_leaves_whole_tables_and_the_next_run_works(short_sample, short_processed,
                                                                                  tmp_path, point):
    import shutil
    processed = tmp_path / "p"
    shutil.copytree(short_processed[0], processed)   # a previous clean of the same files, its cache included
    before = {f.name: pl.read_parquet(f) for f in processed.glob("*.parquet")}
    manifest = json.loads((processed / "manifest.json").read_text(encoding="utf-8"))
    victim = _clean(short_sample / "raw", processed, crash_at=point)
    _, err = victim.communicate(timeout=300)
    assert victim.returncode == -signal.SIGKILL and f"crash point {point}" in err, err[-500:]
    _readable(processed)
    for name, frame in before.items():  # same raw files: whatever is there equals the complete version
        assert pl.read_parquet(processed / name).equals(frame), name
    # The manifest is the previous one until the very end: it still lists every table, each balanced.
    left = json.loads((processed / "manifest.json").read_text(encoding="utf-8"))
    assert left["started"] == manifest["started"] and all(balances(f) for f in left["inputs"])
    again = _clean(short_sample / "raw", processed)
    assert again.wait(timeout=300) == 0, again.stderr.read()


def test_a_run_killed_while_writing_reports_keeps_the_previous_reports_whole(run_root, tmp_path):
    """Kill a run in its report phase: reports/<month> is still the previous complete folder. The pages alone are
    made stale (their stamp forgotten), so the run goes straight to them instead of redoing every stage."""
    import os
    import shutil

    from analysis.run.stamps import Stamps
    reports = tmp_path / "reports"
    shutil.copytree(run_root / "reports", reports)
    shutil.copytree(run_root / "processed", tmp_path / "processed")
    Stamps(tmp_path / "processed" / ".stamps.json").forget("reports")
    before = sorted(p.name for p in (reports / "2024-11").glob("*.html"))
    victim = subprocess.run([sys.executable, "-m", "analysis", "run", "--raw", str(run_root / "raw"), "--processed",
                             str(tmp_path / "processed"), "--reports", str(reports)],
                            capture_output=True, text=True, env={**os.environ, "ANALYSIS_CRASH_AT": "run.reports"})
    assert victim.returncode == -signal.SIGKILL and "crash point run.reports" in victim.stderr
    assert list((reports / "_running").glob("*.html"))   # killed with a page written, not before
    assert sorted(p.name for p in (reports / "2024-11").glob("*.html")) == before
    assert json.loads((reports / "2024-11" / "run.json").read_text(encoding="utf-8"))["pages"]


@pytest.mark.parametrize("notebook, params, message", [
    ("11-district-report.ipynb", {"district": "999"}, "'999' is not a district of the run's geography"),
    ("12-target-report.ipynb", {"indicator": "happiness"}, "indicator 'happiness' has no target in plan-171-2025"),
])
def test_report_notebook_parameters_are_checked_first(run_root, tmp_path, notebook, params, message):
    from analysis.run.notebooks import NotebookFailed, execute
    with pytest.raises(NotebookFailed) as e:
        execute(notebook, tmp_path / notebook, {"processed": str(run_root / "processed"), **params})
    assert message in e.value.line()


@pytest.mark.parametrize("args, message", [
    (["trajectories", "--as-of", "2031-01"], "--as-of 2031-01 is outside the data (2024-09 to 2024-11)"),
    (["trajectories", "--targets", "missing.yml"], "target file not found"),
    (["indicators", "--min-tests", "0"], "min_tests"),
])
def test_stage_parameters_are_checked(run_root, tmp_path, args, message):
    import shutil
    shutil.copytree(run_root / "processed", tmp_path / "p")
    r = subprocess.run([sys.executable, "-m", "analysis", *args, "--processed", str(tmp_path / "p")],
                       capture_output=True, text=True)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and message in r.stderr, r.stderr


def test_outputs_inside_the_raw_folder_are_refused(short_sample, tmp_path):
    r = subprocess.run([sys.executable, "-m", "analysis", "run", "--raw", str(short_sample / "raw"), "--processed",
                        str(short_sample / "raw" / "out"), "--reports", str(tmp_path / "r")], capture_output=True,
                       text=True)
    assert r.returncode == 1 and "processed is inside the raw folder" in r.stderr


def _clean_peak_mb(raw: Path, processed: Path, limits: tuple[int, int] | None = None
                   ) -> tuple[subprocess.CompletedProcess, float]:
    """Run clean in a child and return it with its own peak memory (read by a wrapper whose only child it is: this
    test process has had heavier children before, and RUSAGE_CHILDREN keeps the largest of them). `limits`: the
    largest file read whole and the size of a part, in bytes, in place of the shipped ones."""
    wrapper = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024); sys.exit(r.returncode)")
    clean = ["-m", "analysis"]
    if limits:
        clean = ["-c", "import sys; from analysis.clean import readers, stage; "
                       "stage.MAX_FILE_BYTES, readers.PART_BYTES = int(sys.argv[1]), int(sys.argv[2]); "
                       "from analysis.__main__ import main; sys.exit(main(sys.argv[3:]))", *map(str, limits)]
    r = subprocess.run([sys.executable, "-c", wrapper, sys.executable, *clean, "clean", "--raw", str(raw),
                        "--processed", str(processed)], capture_output=True, text=True)
    return r, float(r.stdout.strip().splitlines()[-1])


def test_a_binary_file_of_a_gigabyte_is_refused_from_its_first_part(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    with open(raw / "huge.csv", "wb") as f:
        f.truncate(1 << 30)  # sparse: a gigabyte of zero bytes on paper, nothing on disk
    r, peak_mb = _clean_peak_mb(raw, tmp_path / "p")
    assert r.returncode == 0, r.stderr
    q = pl.read_parquet(tmp_path / "p" / "quarantine.parquet")
    assert q.select("source_file", "reason").rows() == [("huge.csv", "encoding not supported (binary); save it as "
                                                                     "UTF-8 or Windows-1258 CSV")]
    assert peak_mb < 600, peak_mb  # one part read, hashed in 1 MB blocks, never read whole


def test_the_memory_a_csv_takes_does_not_grow_with_its_size(tmp_path):
    """Issue 9: a CSV above the whole-file limit is read a part at a time, so a file four times as large takes no
    more memory. The limits scaled down (whole up to 8 MB, parts of 1 MB, where the shipped ones are 512 MB and
    8 MB): 16 and 64 MB of subscriber lines, every line summed into two figures. Measured 183 and 188 MB; read
    whole, the same files took 450 and 919 MB. A gigabyte under the shipped limits is `make bench`'s (about 400 MB,
    issue 9's budget 600 MB)."""
    from analysis.sample import large
    peaks = {}
    for mb in (16, 64):
        raw = tmp_path / f"raw-{mb}"
        raw.mkdir()
        want = large.write(raw, mb)
        assert want["path"].stat().st_size > mb << 20
        r, peaks[mb] = _clean_peak_mb(raw, tmp_path / f"p-{mb}", limits=(8 << 20, 1 << 20))
        assert r.returncode == 0, r.stderr
        out = pl.read_parquet(tmp_path / f"p-{mb}" / "subscribers.parquet")
        assert sorted(out.select("commune_code", "segment", "subscribers").rows()) == want["sums"]
        acc = json.loads((tmp_path / f"p-{mb}" / "manifest.json").read_text(encoding="utf-8"))["inputs"][0]
        assert (acc["rows_read"], acc["kept"], acc["quarantined"], acc["non_data"]) == (
            want["lines"] + 1, want["lines"], 0, {"header": 1, "title": 0})
    assert peaks[64] - peaks[16] < 40, peaks


# Each stage killed while writing its first output (whole in a temporary file, not yet in place), then, run again
# from what that left, killed while writing its last (the others already new), then run to the end: named points,
# so each kill proves where it died. One stage's two kills share their runs (a run of validate is 7 s of CPU).
@pytest.mark.parametrize("stage, first, last", [
    ("validate", "summary.json", "summary.parquet"),
    ("indicators", "indicators.parquet", "indicators.json"),
    ("trajectories", "status.parquet", "trajectories.json")])
def test_later_stages_killed_leave_whole_outputs_and_rerun(run_root, tmp_path, stage, first, last):
    import os
    import shutil
    processed = tmp_path / "p"
    shutil.copytree(run_root / "processed", processed)
    cmd = [sys.executable, "-m", "analysis", stage, "--processed", str(processed)]
    if stage == "validate":
        cmd += ["--reports", str(tmp_path / "r")]
    started_at = time.time_ns()
    for name in (first, last):
        point = f"write:{name}"
        target = next(processed.rglob(name))
        before = target.read_bytes()
        victim = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "ANALYSIS_CRASH_AT": point})
        assert victim.returncode == -signal.SIGKILL and f"crash point {point}" in victim.stderr, victim.stderr[-500:]
        assert target.read_bytes() == before   # the file it was writing is still the previous one, whole
        _readable(processed)
        for f in processed.rglob("*.json"):
            json.loads(f.read_text(encoding="utf-8"))
    again = subprocess.run(cmd, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    if stage != "validate":   # (validation's record holds the time it ran)
        # The shared run made these tables in a warm kernel, after other notebooks; made here by a process of
        # their own, they are the same bytes.
        tables = sorted(p.relative_to(processed) for p in processed.glob("*.parquet")
                        if p.stat().st_mtime_ns > started_at)
        assert tables and all((processed / t).read_bytes() == (run_root / "processed" / t).read_bytes()
                              for t in tables), tables
