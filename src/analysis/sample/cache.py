"""The sample written once and reused: `.cache/samples/<key>/{raw,truth}`, the key a hash of the generator's code,
its settings and the arguments. The tests and the benchmark take it from here until the generator changes, so a
session does not spend minutes writing the same 853 files again."""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from pathlib import Path

from analysis import paths

CACHE = paths.ROOT / ".cache" / "samples"
INVENTORY = "inventory.json"   # every file's path, size and time when written: one changed since is written again


def generator_key(**arguments: object) -> str:
    """A hash of the sample generator's code and settings and of the arguments it is called with."""
    h = hashlib.sha256()
    for f in sorted((paths.PACKAGE / "sample").rglob("*.py")) + [paths.CONFIG / "sample.yml"]:
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
    root = CACHE / generator_key(**arguments)
    CACHE.mkdir(parents=True, exist_ok=True)
    # One writer per key: the test workers (and a benchmark beside them) asking for the same sample at once wait
    # for the first to write it instead of each writing it again.
    with open(CACHE / f".{root.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _cached(root, arguments)


def _cached(root: Path, arguments: dict) -> Path:
    from analysis.sample.generate import generate
    listed = root / INVENTORY
    if listed.exists() and json.loads(listed.read_text(encoding="utf-8")) == _inventory(root):
        return root
    shutil.rmtree(root, ignore_errors=True)
    # Written beside, then renamed: a session killed while writing leaves no half sample under the key.
    work = CACHE / f".{root.name}-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    generate(work / "raw", work / "truth", **arguments)
    (work / INVENTORY).write_text(json.dumps(_inventory(work)), encoding="utf-8")
    try:
        work.rename(root)
    except OSError:   # another session wrote it meanwhile (one without the lock: an older checkout)
        shutil.rmtree(work, ignore_errors=True)
    return root
