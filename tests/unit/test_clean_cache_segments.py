"""The clean cache's segments (`clean/cache.py`): a clean's entries written together, each entry's rows taken back
as they were staged, the newest segment holding a key, and a segment that cannot be read as good as none."""
from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest

from analysis.clean.cache import FileCache

TODAY = date(2026, 11, 25)


def _cache(tmp_path, reading=True) -> FileCache:
    return FileCache(tmp_path, "context", TODAY, reading=reading)


def _written(tmp_path, entries: dict[str, list[int]], quarantined: dict[str, int] | None = None,
             also: tuple[str, ...] = ()) -> FileCache:
    """A clean that read the files `entries` names (file -> its parsed rows' values, staged in two batches, the
    second holding more rows of the first file after another file's), committed with the files `also` in the raw
    folder besides them (reused from the cache)."""
    cache = _cache(tmp_path)
    keys = {f: cache.key(f, "sha") for f in entries}
    batch = [(keys[f], v) for f, vs in entries.items() for v in vs]
    half = len(batch) // 2
    for part in (batch[:half], batch[half:] + [(keys[next(iter(entries))], 999)]):
        cache.stage("subscribers", pl.DataFrame(part, schema={"_entry": pl.String, "value": pl.Int64}, orient="row"))
    for f in entries:
        frames = {}
        if quarantined and f in quarantined:
            frames["quarantine"] = pl.DataFrame({"source_file": [f] * quarantined[f], "reason": ["bad"] * quarantined[f]})
        cache.put(f, "sha", {"parsed": ["subscribers"], "quarantined_rows": (quarantined or {}).get(f, 0)}, frames)
    cache.commit(set(keys.values()) | {cache.key(f, "sha") for f in also})
    return cache


def test_each_entry_gets_its_own_rows_back_in_the_order_staged(tmp_path):
    _written(tmp_path, {"a.csv": [1, 2, 3], "b.csv": [4, 5]}, quarantined={"b.csv": 2})
    cache = _cache(tmp_path)
    a, b = cache.get("a.csv", "sha"), cache.get("b.csv", "sha")
    # a's rows: 1, 2 in the first batch; 3, then the 999 staged after b's rows in the second
    assert a.frame("subscribers")["value"].to_list() == [1, 2, 3, 999]
    assert b.frame("subscribers")["value"].to_list() == [4, 5]
    assert "_entry" not in a.frame("subscribers").columns
    assert b.frame("quarantine").height == 2 and "quarantine" not in a.frames
    assert cache.get("a.csv", "other sha") is None and cache.get("c.csv", "sha") is None


def test_a_kind_s_labels_come_back_as_categories_when_asked_and_the_rest_as_staged(tmp_path):
    cache = _cache(tmp_path)
    keys = {f: cache.key(f, "sha") for f in ("a.csv", "b.csv")}
    rows = pl.DataFrame({"_entry": [keys["a.csv"]] * 2 + [keys["b.csv"]],
                         "operator": ["VNPT", "Viettel", "FPT"], "value": [1, 2, 3]})
    cache.stage("subscribers", rows)
    cache.stage("bts_sites", rows)
    for f in keys:
        cache.put(f, "sha", {"parsed": ["subscribers", "bts_sites"], "quarantined_rows": 0}, {})
    cache.commit(set(keys.values()))
    warm = FileCache(tmp_path, "context", TODAY, compact={"subscribers": ("operator", "not a column")})
    a, b = warm.get("a.csv", "sha"), warm.get("b.csv", "sha")
    assert a.frame("subscribers").schema["operator"] == pl.Categorical
    assert a.frame("subscribers")["operator"].cast(pl.String).to_list() == ["VNPT", "Viettel"]
    assert b.frame("subscribers")["operator"].cast(pl.String).to_list() == ["FPT"]
    assert a.frame("bts_sites").schema["operator"] == pl.String


def test_the_newest_segment_holds_a_key_and_a_segment_with_no_entry_left_goes(tmp_path):
    _written(tmp_path, {"a.csv": [1], "b.csv": [2]})
    _written(tmp_path, {"a.csv": [10]}, also=("b.csv",))   # a.csv read again (after a new registry, say); b.csv unchanged
    root = tmp_path / ".cache" / "clean"
    assert len(list(root.iterdir())) == 2
    assert _cache(tmp_path).get("a.csv", "sha").frame("subscribers")["value"].to_list() == [10, 999]
    assert _cache(tmp_path).get("b.csv", "sha").frame("subscribers")["value"].to_list() == [2]
    older = json.loads((sorted(root.iterdir())[0] / "entries.json").read_text(encoding="utf-8"))
    assert list(older) == [_cache(tmp_path).key("b.csv", "sha")]   # a.csv's old entry left its index
    # b.csv removed from the raw folder: the older segment holds nothing of this run's, and goes
    cache = _cache(tmp_path)
    cache.commit({cache.key("a.csv", "sha")})
    assert len(list(root.iterdir())) == 1 and _cache(tmp_path).get("b.csv", "sha") is None


@pytest.mark.parametrize("damage", ["cut short", "bytes changed"])
def test_a_segment_whose_rows_cannot_be_read_is_none(tmp_path, damage):
    _written(tmp_path, {"a.csv": list(range(5000)), "b.csv": [2]})
    (part,) = list((tmp_path / ".cache" / "clean").glob("*/subscribers-00001.parquet"))
    data = bytearray(part.read_bytes())
    if damage == "cut short":
        data = data[:30]
    else:   # the footer whole, the pages within it not what was written
        for i in range(8, len(data) - 400, 7):
            data[i] ^= 0xFF
    part.write_bytes(bytes(data))
    cache = _cache(tmp_path)
    assert cache.get("a.csv", "sha") is None and cache.get("b.csv", "sha") is None


def test_a_run_that_reads_everything_again_finds_nothing(tmp_path):
    _written(tmp_path, {"a.csv": [1]})
    assert _cache(tmp_path, reading=False).get("a.csv", "sha") is None


def test_once_every_file_is_looked_up_what_no_file_took_is_let_go(tmp_path):
    """An entry is taken once (its rows then belong to the clean, freed with its kind); after the look-ups, the
    segment holds nothing for entries of files edited or removed."""
    _written(tmp_path, {"a.csv": [1], "b.csv": [2]})
    cache = _cache(tmp_path)
    assert cache.get("a.csv", "sha") is not None
    assert cache.get("a.csv", "sha") is None   # taken already
    cache.release()
    assert cache.get("b.csv", "sha") is None
    (segment,) = set(cache._found.values())
    assert segment._rows is None
