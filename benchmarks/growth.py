"""`make bench-growth` (issue 21, item 5): how time and memory grow with the national set, and what a partition
by province costs, toward ten times the set.

Three sizes of one national world, generated once into .cache/bench-national/: a tenth (six provinces), the
whole set, and the whole with three times the i-Speed tests (60 million: the table that grows in practice, as
the app is used more), about twice the rows. Each size's four stages run whole, each in its own process; then
the largest province of 1 July 2025 (Hồ Chí Minh City with Bình Dương and Bà Rịa–Vũng Tàu) as a partition of
the whole and of the larger set. Cost and peak are fitted as a power of the rows over the three sizes and
carried to ten times the whole set, which is written as an extrapolation, never as a measurement.
Lines go to benchmarks/results.md with the machine and date.
"""
from __future__ import annotations

import json
import math
import platform
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import national  # noqa: E402
from bench import READ_ONLY  # noqa: E402

ROOT = national.ROOT
SIZES = {"tenth": (0.1, None), "whole": (1.0, None), "triple-speed": (1.0, 60_000_000)}
PARTITION = "79"   # the largest province of 1 July 2025 by people, so by rows
GB = 2**20 / 1e9   # MiB -> GB (10^9 bytes)


def ensure(name: str, share: float, speed_tests: int | None) -> dict:
    truth = national.CACHE / name / "truth"
    if not (truth / "meta.json").exists():
        print(f"bench-growth: writing the national set {name} once into {national.CACHE / name} ...", flush=True)
        subprocess.run([sys.executable, "-m", "analysis", "sample", "--scale", "national", "--share", str(share),
                        "--raw", str(national.CACHE / name / "raw"), "--truth", str(truth)]
                       + (["--speed-tests", str(speed_tests)] if speed_tests else []), check=True)
    return json.loads((truth / "meta.json").read_text())


def partition(name: str) -> dict:
    """The largest partition of a set: clean, indicators and the trajectories' first pass, each in its process."""
    raw, py = national.CACHE / name / "raw", [sys.executable, "-m", "analysis"]
    with tempfile.TemporaryDirectory(dir=national.CACHE) as tmp:
        out = Path(tmp)
        common = ["--processed", str(out / "processed"), "--reports", str(out / "reports")]
        steps = [("clean", py + ["clean", "--raw", str(raw), "--partition", PARTITION] + common),
                 ("indicators", py + ["indicators"] + common),
                 ("trajectories", py + ["trajectories", "--targets", str(national.every_province(out))] + common)]
        result = {}
        for stage, args in steps:
            wall, cpu, mb, code = national.timed(args)
            result[stage] = {"wall": wall, "cpu": cpu, "mb": mb, "exit": code}
        m = json.loads((out / "processed" / "manifest.json").read_text())
        result["kept"] = sum(f["kept"] for f in m["inputs"])
        result["elsewhere"] = sum(f["elsewhere"] for f in m["inputs"])
    return result


def fit(rows: list[float], values: list[float]) -> tuple[float, float]:
    """(exponent, value at ten times the whole set's rows) of value = a · rows^b, least squares in logs."""
    b, a = np.polyfit(np.log(rows), np.log(values), 1)
    return float(b), float(math.exp(a) * (10 * rows[1]) ** b)


def main() -> int:
    machine = f"{platform.node()} ({platform.machine()}, {__import__('os').cpu_count()} cores)"
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    for name, (share, tests) in SIZES.items():
        ensure(name, share, tests)
    results = [national.measure(name, share, READ_ONLY) for name, (share, _) in SIZES.items()]
    parts = {name: partition(name) for name in ("whole", "triple-speed")}
    rows = [r["rows"] for r in results]
    lines = []
    for r in results:
        total = sum(s["wall"] for s in r["stages"].values())
        peak = max(s["mb"] for s in r["stages"].values()) * GB
        lines.append(f"| {when} | {machine} | growth: national {r['name']}, four stages | {r['rows']:,} rows, "
                     f"{r['bytes'] / 1e9:.2f} GB | {total:.1f} s | {peak:.2f} GB | read only {r['floor'][0]:.1f} s | "
                     + ", ".join(f"{k} {s['wall']:.1f} s {s['mb'] * GB:.2f} GB" for k, s in r["stages"].items())
                     + " | |")
    for name, p in parts.items():
        lines.append(f"| {when} | {machine} | growth: partition {PARTITION} of national {name} | "
                     f"{p['kept']:,} rows kept, {p['elsewhere']:,} elsewhere | "
                     + ", ".join(f"{k} {p[k]['wall']:.1f} s" for k in ("clean", "indicators", "trajectories"))
                     + f" | {max(p[k]['mb'] for k in ('clean', 'indicators', 'trajectories')) * GB:.2f} GB | | "
                     + ", ".join(f"{k} {p[k]['mb'] * GB:.2f} GB" for k in ("clean", "indicators", "trajectories"))
                     + " | |")
    for stage in results[0]["stages"]:
        bt, t10 = fit(rows, [r["stages"][stage]["wall"] for r in results])
        bm, m10 = fit(rows, [r["stages"][stage]["mb"] * GB for r in results])
        lines.append(f"| {when} | {machine} | growth: {stage} against rows | tenth, whole, triple-speed | "
                     f"time exponent {bt:.2f} | memory exponent {bm:.2f} | | extrapolated to ten times the whole "
                     f"set ({10 * rows[1]:,} rows): {t10:.0f} s, {m10:.1f} GB | |")
    path = ROOT / "benchmarks" / "results.md"
    with path.open("a") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
