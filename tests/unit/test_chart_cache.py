"""The static charts kept by their spec: a kept chart is byte for byte what vl-convert draws afresh, a changed value
or version draws again, unused entries go, and a cache that cannot be written never costs a page."""
from __future__ import annotations

import os
import time
from datetime import date

import polars as pl
import pytest
import vl_convert

from analysis import chart_cache, charts


def _spec(last: float = 84.04) -> dict:
    observed = pl.DataFrame({"period": [date(2025, 1, 1), date(2025, 2, 1)], "value": [83.456, last]})
    return charts.trend(observed, None, 85.0, date(2025, 12, 1), title="Cáp quang", unit="%", lang="vi")


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv(chart_cache.ENV, str(tmp_path / "charts"))
    return tmp_path / "charts"


def test_a_kept_chart_is_what_vl_convert_draws_afresh(folder):
    spec = _spec()
    fresh = vl_convert.vegalite_to_svg(charts.static(spec), vl_version=charts.VL_VERSION)
    first = charts.svg(spec)
    [entry] = list(folder.glob("*/*.svg"))
    assert first == fresh and entry.read_text(encoding="utf-8") == fresh
    # The second time nothing is drawn: the entry is read (an entry edited by hand shows it was the one read).
    entry.write_text(fresh.replace("Cáp quang", "KEPT"), encoding="utf-8")
    assert "KEPT" in charts.svg(spec)


def test_another_value_or_version_is_drawn_again(folder):
    calls = []
    draw = lambda s: calls.append(s) or f"<svg>{len(calls)}</svg>"
    one, other = charts.static(_spec()), charts.static(_spec(84.05))
    assert chart_cache.svg(one, ("1.0", "6.4"), draw) == "<svg>1</svg>"
    assert chart_cache.svg(one, ("1.0", "6.4"), draw) == "<svg>1</svg>"
    assert chart_cache.svg(other, ("1.0", "6.4"), draw) == "<svg>2</svg>"
    assert chart_cache.svg(one, ("1.1", "6.4"), draw) == "<svg>3</svg>"   # a new vl-convert draws again
    assert len(calls) == 3 and len(list(folder.glob("*/*.svg"))) == 3


def test_entries_unused_for_two_months_are_pruned_and_a_hit_keeps_one(folder):
    draw = lambda s: "<svg/>"
    old, used = charts.static(_spec(1.0)), charts.static(_spec(2.0))
    for spec in (old, used):
        chart_cache.svg(spec, ("v",), draw)
    long_ago = time.time() - (chart_cache.KEEP_DAYS + 1) * 86400
    for entry in folder.glob("*/*.svg"):
        os.utime(entry, (long_ago, long_ago))
    chart_cache.svg(used, ("v",), draw)   # read by this run: touched
    assert chart_cache.prune() == 1
    [kept] = list(folder.glob("*/*.svg"))
    assert kept.stem == chart_cache.key(used, ("v",))


def test_off_draws_every_time_and_keeps_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(chart_cache.ENV, "off")
    calls = []
    draw = lambda s: calls.append(s) or "<svg/>"
    for _ in range(2):
        chart_cache.svg({"mark": "point"}, ("v",), draw)
    assert len(calls) == 2 and chart_cache.prune() == 0 and list(tmp_path.iterdir()) == []


def test_a_cache_that_cannot_be_written_still_gives_the_chart(tmp_path, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(chart_cache.ENV, str(blocked / "charts"))   # under a file: every write fails
    assert chart_cache.svg({"mark": "point"}, ("v",), lambda s: "<svg/>") == "<svg/>"
