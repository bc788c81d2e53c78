"""Place and hamlet names decided once per run and kept (`AreaResolver._communes`, `Context._hamlets_decided`):
a batch gives what a resolver that never saw the batches before gives, rows already decided cost no lookup, and
two threads deciding at once keep each row once."""
from __future__ import annotations

import threading
from datetime import date

import polars as pl
import pytest

from analysis.areas import reference_areas
from analysis.clean import resolve as resolve_module
from analysis.clean.context import Context
from analysis.clean.hamlets import HamletResolver
from analysis.clean.resolve import AreaResolver
from tests.conftest import PROVINCE

SCHEMA = {"p": pl.String, "d": pl.String, "c": pl.String}
# Codes, names in several spellings, a district that is not one, an empty commune, nulls in every column.
FIRST = [("Thái Nguyên", "TP. Thái Nguyên", "P. Quan Triều"), (None, "164", "05431"), (None, None, "Quan Triều"),
         (None, "Huyện Không Có", "Xã Tân Cương"), (None, "Thành phố Thái Nguyên", None), (None, None, None),
         ("Tỉnh Thái Nguyên", "Đại Từ", "xa hung son")]
# Half seen before, half new (a new spelling, a code with its leading zero lost, a name no commune has).
SECOND = [*FIRST[:4], ("Thái Nguyên", "tp thai nguyen", "p quan trieu"), (None, None, "5431"),
          (None, "Đại Từ", "Xã Không Tên")]


def frame(rows):
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def test_a_batch_after_others_is_resolved_as_by_a_fresh_resolver():
    areas = reference_areas(PROVINCE)
    kept = AreaResolver(areas)
    kept.resolve(frame(FIRST))
    for rows in (SECOND, FIRST, SECOND * 3):
        assert kept.resolve(frame(rows)).equals(AreaResolver(areas).resolve(frame(rows)))
    # by hand: 05431 is Phường Quan Triều of TP Thái Nguyên (164), read from a code, a name or a lost zero
    got = kept.resolve(frame(SECOND))
    assert got["code"].to_list()[:3] == ["05431"] * 3 and got["code"][5] == "05431"
    assert got["how"][5] == "code" and got["how"][3] == "upstream" and got["code"][6] is None


def test_rows_decided_before_cost_no_lookup(monkeypatch):
    kept = AreaResolver(reference_areas(PROVINCE))
    kept.resolve(frame(FIRST))
    asked = []
    original = AreaResolver.commune_within
    monkeypatch.setattr(AreaResolver, "commune_within", lambda self, *a: asked.append(a) or original(self, *a))
    kept.resolve(frame(FIRST * 5))
    assert asked == []
    kept.resolve(frame(SECOND))
    # the new rows that need a name looked up: the new spelling and the name no commune has
    assert sorted(a[0] for a in asked) == ["Xã Không Tên", "p quan trieu"]


def test_two_threads_deciding_at_once_keep_each_row_once():
    kept = AreaResolver(reference_areas(PROVINCE))
    rows = frame(SECOND * 200)
    start, results = threading.Barrier(4), []

    def work():
        start.wait()
        results.append(kept.resolve(rows))
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.height == rows.height and r.equals(results[0]) for r in results)
    assert kept._decided.frame.select(resolve_module.COMMUNE_KEYS).is_duplicated().sum() == 0


def registry(name_of_001: str) -> HamletResolver:
    return HamletResolver(pl.DataFrame({"hamlet_code": ["05431001", "05431002"], "hamlet": [name_of_001, "Xóm Mới"],
                                        "commune_code": ["05431", "05431"]}))


@pytest.fixture
def ctx():
    return Context(AreaResolver(reference_areas(PROVINCE)), date(2026, 11, 30), [], hamlets=registry("Tổ dân phố 1"))


def hamlets(ctx, names, communes=None):
    communes = pl.Series(communes or ["05431"] * len(names), dtype=pl.String)
    code, error = ctx.hamlet_codes(communes, pl.Series(names, dtype=pl.String), pl.Series(["164"] * len(names)))
    return code.to_list(), error.to_list()


def test_hamlets_decided_once_and_again_when_the_registry_changes(ctx, monkeypatch):
    names = ["TDP 1", "Tổ dân phố 1", "xom moi", None, "Thôn Lạ"]
    assert hamlets(ctx, names)[0] == ["05431001", "05431001", "05431002", None, None]
    asked = []
    original = HamletResolver.resolve
    monkeypatch.setattr(HamletResolver, "resolve", lambda self, *a: asked.append(a) or original(self, *a))
    code, error = hamlets(ctx, names * 3)
    assert asked == [] and code == ["05431001", "05431001", "05431002", None, None] * 3
    assert error[3] == "hamlet is empty" and "not in the registry" in error[4]
    # Another registry (a run whose registry file changed) is asked afresh: 001 is now Thôn Lạ.
    ctx.hamlets = registry("Thôn Lạ")
    assert hamlets(ctx, names)[0] == [None, None, "05431002", None, "05431001"]
