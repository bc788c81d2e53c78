"""`make bench`: clean the full province sample and record seconds and peak memory against the budget.

The machines are shared and noisy, so beside absolute figures the run records a ratio measured in the same run:
cleaning time over the time it takes merely to read every raw file (the floor no cleaner can beat).
Results are appended to benchmarks/RESULTS.md with the machine and the date.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "bench-sample"
BUDGET_SECONDS, BUDGET_MB = 15.0, 1024.0

READ_ONLY = """
import sys, pathlib, fastexcel, polars as pl
from analysis.clean.readers import decode
for p in sorted(pathlib.Path(sys.argv[1]).rglob('*')):
    if p.suffix == '.xlsx':
        b = fastexcel.read_excel(str(p))
        for s in b.sheet_names:
            b.load_sheet(s, header_row=None, dtypes='string').to_polars()
    elif p.suffix == '.csv':
        text, _ = decode(p.read_bytes(), p.name)
        pl.read_csv(text.encode(), has_header=False, infer_schema=False, truncate_ragged_lines=True,
                    separator=';' if text[:2000].count(';') > text[:2000].count(',') else ',')
"""


def timed(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of a child process (each child measured on its own)."""
    code = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
            "r = subprocess.run(sys.argv[1:]); s = time.perf_counter() - t; "
            "print(s, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024); sys.exit(r.returncode)")
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True)
    seconds, mb = out.stdout.strip().splitlines()[-1].split()
    return float(seconds), float(mb)


def main() -> int:
    if not (CACHE / "truth" / "meta.json").exists():
        print("bench: writing the full sample (seed 7) once into .cache/bench-sample ...", flush=True)
        subprocess.run([sys.executable, "-m", "analysis", "sample", "--raw", str(CACHE / "raw"),
                        "--truth", str(CACHE / "truth")], check=True)
    meta = json.loads((CACHE / "truth" / "meta.json").read_text())
    floor_s, floor_mb = timed([sys.executable, "-c", READ_ONLY, str(CACHE / "raw")])
    with tempfile.TemporaryDirectory() as out:
        clean_s, clean_mb = timed([sys.executable, "-m", "analysis", "clean", "--raw", str(CACHE / "raw"),
                                   "--processed", out])
        manifest = json.loads((Path(out) / "manifest.json").read_text())
    rows = {o["path"]: o["rows"] for o in manifest["outputs"]}
    ok = clean_s < BUDGET_SECONDS and clean_mb < BUDGET_MB
    line = (f"| {datetime.now(timezone.utc):%Y-%m-%d %H:%M} | {platform.node()} ({os.cpu_count()} cores, "
            f"{platform.python_version()}) | {meta['files']} files, {meta['data_rows']:,} rows | "
            f"{clean_s:.1f} s | {clean_mb:,.0f} MB | {floor_s:.1f} s, {floor_mb:,.0f} MB | {clean_s / floor_s:.1f}x | "
            f"{sum(rows.values()):,} rows out, quarantine {rows.get('quarantine.parquet', 0):,} | "
            f"{'within' if ok else 'OVER'} budget |")
    results = ROOT / "benchmarks" / "RESULTS.md"
    if not results.exists():
        results.write_text("# Benchmark results\n\nBudget for cleaning the whole province sample on a 2-core machine: "
                           f"under {BUDGET_SECONDS:.0f} s and {BUDGET_MB:,.0f} MB peak. `read only` is the same run "
                           "merely reading every file; the ratio is the figure to compare across noisy machines.\n\n"
                           "| date (UTC) | machine | input | clean | clean peak | read only | ratio | output | |\n"
                           "|---|---|---|---|---|---|---|---|---|\n")
    with results.open("a") as f:
        f.write(line + "\n")
    print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
