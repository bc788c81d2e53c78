"""The sample written once and reused: `.cache/samples/<key>/{raw,truth}`, the key a hash of the generator's code,
its settings and the arguments. The tests and the benchmark take it from here until the generator changes, so a
session does not spend minutes writing the same 853 files again (93 s for the full province sample, 27 s for the
tests' share of the national set, on the 2-core machine of benchmarks/results.md)."""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from pathlib import Path

from analysis import paths

CACHE = paths.CACHE / "samples"
INVENTORY = "inventory.json"   # every file's path, size and time when written: one changed since is written again
SUMMARY = "summary.json"       # what generate_national returns, kept beside its files
ARGUMENTS = "arguments.json"   # what it was written with: another entry with the same is an older generator's
KEEP_DAYS = 30                 # an entry no session has asked for in this long is removed


def generator_key(**arguments: object) -> str:
    """A hash of the sample generator's code and settings and of the arguments it is called with."""
    h = hashlib.sha256()
    settings = ["sample.yml", *(["sample-national.yml"] if arguments.get("generator") == "national" else [])]
    # Not this module, nor `large` (the bench's gigabyte CSV): neither changes what the generator writes.
    code = [f for f in sorted((paths.PACKAGE / "sample").rglob("*.py")) if f.name not in ("cache.py", "large.py")]
    for f in code + [paths.CONFIG / name for name in settings]:
        h.update(str(f.relative_to(paths.ROOT)).encode())
        h.update(f.read_bytes())
    h.update(json.dumps(arguments, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def _inventory(root: Path) -> dict[str, list[int]]:
    return {p.relative_to(root).as_posix(): [p.stat().st_size, p.stat().st_mtime_ns]
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != INVENTORY}


def sample(**arguments: object) -> Path:
    """The folder holding `raw/` and `truth/` of `generate(raw, truth, **arguments)`, written now if it is not
    cached, or if a file in it was changed, added or removed since (a test must copy before it writes)."""
    return _sample("province", arguments)


def national_sample(**arguments: object) -> tuple[Path, dict]:
    """As `sample`, of `generate_national(raw, truth, **arguments)`: the folder and the generator's summary."""
    root = _sample("national", arguments)
    return root, json.loads((root / SUMMARY).read_text(encoding="utf-8"))


def _write(generator: str, work: Path, arguments: dict) -> None:
    if generator == "national":
        from analysis.sample.national.generate import generate_national
        summary = generate_national(work / "raw", work / "truth", **arguments)
        (work / SUMMARY).write_text(json.dumps(summary, default=str), encoding="utf-8")
    else:
        from analysis.sample.generate import generate
        generate(work / "raw", work / "truth", **arguments)


def _sample(generator: str, arguments: dict) -> Path:
    root = CACHE / generator_key(generator=generator, **arguments)
    CACHE.mkdir(parents=True, exist_ok=True)
    # One writer per key: the test workers (and a benchmark beside them) asking for the same sample at once wait
    # for the first to write it instead of each writing it again.
    with open(CACHE / f".{root.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = _cached(root, generator, arguments)
    _prune(root)
    return found


def _prune(used: Path) -> list[str]:
    """Remove the entries an older generator wrote with the same arguments as `used` (the generator changed: they
    will not be asked for again) and those unused for KEEP_DAYS (60-120 MB each); the keys removed. An entry
    another session holds the lock of is left."""
    os.utime(used)   # asked for now
    mine = (used / ARGUMENTS).read_text(encoding="utf-8") if (used / ARGUMENTS).exists() else None
    removed = []
    for entry in CACHE.iterdir():
        if entry == used or not entry.is_dir() or entry.name.startswith("."):
            continue
        listed = entry / ARGUMENTS
        stale = time.time() - entry.stat().st_mtime > KEEP_DAYS * 86400
        superseded = mine is not None and listed.exists() and listed.read_text(encoding="utf-8") == mine
        if not (stale or superseded):
            continue
        with open(CACHE / f".{entry.name}.lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue
            shutil.rmtree(entry, ignore_errors=True)
        (CACHE / f".{entry.name}.lock").unlink(missing_ok=True)
        removed.append(entry.name)
    return removed


def _cached(root: Path, generator: str, arguments: dict) -> Path:
    listed = root / INVENTORY
    if listed.exists() and json.loads(listed.read_text(encoding="utf-8")) == _inventory(root):
        return root
    shutil.rmtree(root, ignore_errors=True)
    # Written beside, then renamed: a session killed while writing leaves no half sample under the key.
    work = CACHE / f".{root.name}-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    _write(generator, work, arguments)
    (work / ARGUMENTS).write_text(json.dumps({"generator": generator, **arguments}, sort_keys=True, default=str),
                                  encoding="utf-8")
    (work / INVENTORY).write_text(json.dumps(_inventory(work)), encoding="utf-8")
    try:
        work.rename(root)
    except OSError:   # another session wrote it meanwhile (one without the lock: an older checkout)
        shutil.rmtree(work, ignore_errors=True)
    return root
