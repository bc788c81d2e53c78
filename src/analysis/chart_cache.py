"""The static SVG of a chart kept by the content of its spec: drawing one costs 45-60 ms in vl-convert (about half of
a page's time), and a run after a corrected file, another language or a stop redraws mostly the same charts.

An entry is `<folder>/<key[:2]>/<key>.svg`, the key a hash of the spec as drawn and of the versions of what draws
it, so an entry can only be what a fresh drawing would give (tested). A hit touches the entry; `prune` removes those
no run has used for `KEEP_DAYS`. `ANALYSIS_CHART_CACHE` names another folder (the benchmark's full runs start
from an empty one); `off` draws every chart afresh.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from pathlib import Path

from analysis import io, paths

ENV = "ANALYSIS_CHART_CACHE"
DEFAULT = paths.CACHE / "charts"
KEEP_DAYS = 60   # two monthly runs: an unchanged chart of last month is still there


def folder() -> Path | None:
    setting = os.environ.get(ENV, "")
    if setting == "off":
        return None
    return Path(setting) if setting else DEFAULT


def key(spec: dict, versions: tuple[str, ...]) -> str:
    text = json.dumps([versions, spec], sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def svg(spec: dict, versions: tuple[str, ...], draw) -> str:
    """`draw(spec)`, or what it gave before for the same spec and versions."""
    where = folder()
    if where is None:
        return draw(spec)
    k = key(spec, versions)
    entry = where / k[:2] / f"{k}.svg"
    # A cache that cannot be read or written (a read-only checkout, a full disk) costs time, never a page.
    try:
        text = entry.read_text(encoding="utf-8")
    except OSError:
        text = None
    if text is not None:
        with contextlib.suppress(OSError):
            os.utime(entry)   # used: kept by `prune`
        return text
    text = draw(spec)
    with contextlib.suppress(OSError):
        io.write_text(text, entry)   # whole or absent: two workers drawing one chart both write the same text
    return text


def prune(keep_days: float = KEEP_DAYS) -> int:
    """Remove the entries not used for `keep_days`; the number removed."""
    where = folder()
    if where is None or not where.exists():
        return 0
    limit, removed = time.time() - keep_days * 86400, 0
    for entry in where.glob("*/*.svg"):
        try:
            if entry.stat().st_mtime < limit:
                entry.unlink()
                removed += 1
        except FileNotFoundError:
            pass   # removed by another run's prune
    return removed
