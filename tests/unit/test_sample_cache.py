"""The sample cache (`analysis.sample.cache`): a sample is written once per generator and arguments, and the cache
does not grow without end (60-120 MB an entry): an older generator's entry with the same arguments goes once the new
one is written, and any entry unused for KEEP_DAYS goes; one another session holds is left."""
from __future__ import annotations

import fcntl
import os
import time

import pytest

from analysis.sample import cache


@pytest.fixture()
def cached(tmp_path, monkeypatch):
    """The cache in a temporary folder, with a generator that writes one small file and counts its calls."""
    calls = []

    def write(generator, work, arguments):
        calls.append(arguments)
        (work / "raw").mkdir(parents=True)
        (work / "raw" / "a.csv").write_text(repr(sorted(arguments.items())), encoding="utf-8")

    monkeypatch.setattr(cache, "CACHE", tmp_path / "samples")
    monkeypatch.setattr(cache, "_write", write)
    return calls


def _entry(key: str, arguments: dict | None, age_days: float = 0) -> os.PathLike:
    """An entry as an earlier session left it."""
    import json
    root = cache.CACHE / key
    (root / "raw").mkdir(parents=True)
    if arguments is not None:
        (root / cache.ARGUMENTS).write_text(json.dumps(arguments, sort_keys=True), encoding="utf-8")
    (root / cache.INVENTORY).write_text(json.dumps(cache._inventory(root)), encoding="utf-8")
    then = time.time() - age_days * 86400
    os.utime(root, (then, then))
    return root


def test_written_once_then_reused(cached):
    first = cache.sample(seed=7, last_month="2024-11")
    again = cache.sample(seed=7, last_month="2024-11")
    assert first == again and len(cached) == 1
    cache.sample(seed=8, last_month="2024-11")
    assert len(cached) == 2


def test_an_older_generator_s_entry_goes_when_the_new_one_is_written(cached):
    cache.CACHE.mkdir(parents=True)
    older = _entry("0ld0ld0ld0ld0ld0", {"generator": "province", "seed": 7})
    other = _entry("07he707he707he70", {"generator": "province", "seed": 8})   # other arguments, used lately
    unknown = _entry("n0n0n0n0n0n0n0n0", None)   # written before entries said their arguments
    kept = cache.sample(seed=7)
    assert kept.exists() and not older.exists()
    assert other.exists() and unknown.exists()
    assert not (cache.CACHE / f".{older.name}.lock").exists()


def test_an_entry_unused_for_a_month_goes_and_one_asked_for_is_touched(cached):
    cache.CACHE.mkdir(parents=True)
    old = _entry("01d01d01d01d01d0", {"generator": "province", "seed": 9}, age_days=cache.KEEP_DAYS + 1)
    recent = _entry("rece7rece7rece7r", {"generator": "province", "seed": 10}, age_days=cache.KEEP_DAYS - 1)
    used = cache.sample(seed=7)
    os.utime(used, (0, 0))
    assert cache.sample(seed=7) == used and len(cached) == 1   # a hit, not written again
    assert time.time() - used.stat().st_mtime < 60             # and marked as used now
    assert not old.exists() and recent.exists()


def test_an_entry_another_session_holds_is_left(cached):
    cache.CACHE.mkdir(parents=True)
    held = _entry("he1dhe1dhe1dhe1d", {"generator": "province", "seed": 7})
    with open(cache.CACHE / f".{held.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        cache.sample(seed=7)
        assert held.exists()
    cache.sample(seed=7)   # let go: the next session's call removes it
    assert not held.exists()


def test_the_key_follows_the_generator_not_the_cache_s_own_code(tmp_path, monkeypatch):
    """Editing this module or the gigabyte writer leaves every sample cached; editing the generator does not."""
    package = tmp_path / "src" / "analysis"
    (package / "sample").mkdir(parents=True)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "sample.yml").write_text("seed: 7\n", encoding="utf-8")
    for name in ("generate.py", "cache.py", "large.py"):
        (package / "sample" / name).write_text("# v1\n", encoding="utf-8")
    monkeypatch.setattr(cache.paths, "ROOT", tmp_path)
    monkeypatch.setattr(cache.paths, "PACKAGE", package)
    monkeypatch.setattr(cache.paths, "CONFIG", tmp_path / "config")
    before = cache.generator_key(generator="province", seed=7)
    for name in ("cache.py", "large.py"):
        (package / "sample" / name).write_text("# v2\n", encoding="utf-8")
    assert cache.generator_key(generator="province", seed=7) == before
    (package / "sample" / "generate.py").write_text("# v2\n", encoding="utf-8")
    assert cache.generator_key(generator="province", seed=7) != before
