"""Which of a target set's milestones each entry of the department's milestones sheet names.

The sheet is typed by hand: an entry may carry a typo, lose its diacritics, be shortened ("Nhóm chuyên gia AI,
blockchain, IoT") or numbered ("1. Thành lập nhóm chuyên gia ..."). An entry is matched when it starts with the
milestone's `match` words (score 100, as before), else approximately, on folded text (rapidfuzz): the best
milestone when it scores at least MATCH_AT and MARGIN points clear of the next. Anything else matches none and
is said (a validation warning naming the entry and the nearest milestone), never silently left out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl
from rapidfuzz import fuzz

from analysis.names import header_key
from analysis.targets import Milestone

MATCH_AT = 85
MARGIN = 8
# "1.", "2)", "a)", "Nhiệm vụ 3:", "NV3 -", "-", "•": numbering in front of an entry, not part of its wording
_NUMBERING = re.compile(r"^(?:(?:nhiem vu|nv|muc)\s*\d+\s*|\d+(?:\s\d+)*\s|[a-z]\s)\s*")


@dataclass(frozen=True)
class Matched:
    entry: str
    milestone: Milestone | None   # None: no milestone of the set is named clearly enough
    score: float                  # the best milestone's score (0-100)
    nearest: Milestone | None     # the best milestone, matched or not
    how: str                      # "by its first words", "approximate", "none" or "ambiguous"


def _key(text: str) -> str:
    return _NUMBERING.sub("", header_key(text)).strip()


def _score(entry: str, m: Milestone) -> float:
    e, name, start = _key(entry), _key(m.name_vi), _key(m.match)
    if e.startswith(start):
        return 100.0
    scores = [fuzz.ratio(e, name), fuzz.ratio(e[:len(start)], start)]
    if len(e.split()) >= 3:   # a shortened name: its words among the milestone's (a word or two says too little)
        scores.append(fuzz.token_set_ratio(e, name))
    return float(max(scores))


def match(entry: str, milestones: list[Milestone]) -> Matched:
    ranked = sorted(((_score(entry, m), i) for i, m in enumerate(milestones)), reverse=True)
    if not ranked:
        return Matched(entry, None, 0.0, None, "none")
    (best, i), second = ranked[0], (ranked[1][0] if len(ranked) > 1 else 0.0)
    nearest = milestones[i]
    if best == 100.0 and _key(entry).startswith(_key(nearest.match)):
        return Matched(entry, nearest, best, nearest, "by its first words")
    if best >= MATCH_AT and best - second >= MARGIN:
        return Matched(entry, nearest, round(best, 1), nearest, "approximate")
    return Matched(entry, None, round(best, 1), nearest, "ambiguous" if best >= MATCH_AT else "none")


def match_all(entries: list[str], milestones: list[Milestone]) -> pl.DataFrame:
    """One row per distinct entry: the milestone it names (its Vietnamese name, or null), the score, how, and
    the nearest milestone (to tell the department which one it may have meant)."""
    rows = [match(e, milestones) for e in dict.fromkeys(entries)]
    return pl.DataFrame({"entry": [r.entry for r in rows],
                         "milestone_vi": [r.milestone.name_vi if r.milestone else None for r in rows],
                         "score": [r.score for r in rows], "how": [r.how for r in rows],
                         "nearest_vi": [r.nearest.name_vi if r.nearest else None for r in rows]},
                        schema={"entry": pl.String, "milestone_vi": pl.String, "score": pl.Float64, "how": pl.String,
                                "nearest_vi": pl.String})
