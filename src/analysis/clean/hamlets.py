"""Resolving hamlet names (xóm, thôn, tổ dân phố) within a commune to the registry's hamlet codes."""
from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

import polars as pl

from analysis.names import fold

# Words a hamlet name may begin with, which operators keep or drop at will ("Xóm Na Mao", "Na Mao").
_HAMLET_PREFIX = re.compile(r"^(?:to dan pho|tdp|xom|thon|ban|lang|khu|to|ap)(?:\.|\s)\s*")


@lru_cache(maxsize=1 << 18)  # "Thôn 1" or "Tổ dân phố 3" recurs in thousands of communes
def hamlet_keys(text: str) -> tuple[str, ...]:
    """Keys two spellings of one hamlet share: with and without its type word, diacritics and spacing dropped."""
    s = re.sub(r"\s+", " ", fold(text)).strip()
    squash = lambda x: re.sub(r"[^0-9a-z]", "", x)
    return tuple(dict.fromkeys([squash(s), squash(_HAMLET_PREFIX.sub("", s, count=1))]))


class HamletResolver:
    """The registry by commune: each key names one hamlet, or several (then the name is ambiguous)."""

    def __init__(self, registry: pl.DataFrame) -> None:
        self.by_key: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.codes = set(registry["hamlet_code"])
        for code, name, commune in registry.select("hamlet_code", "hamlet", "commune_code").iter_rows():
            for k in hamlet_keys(name):
                self.by_key[(commune, k)].add(code)

    def resolve(self, commune: str, text: str | None) -> tuple[str | None, str]:
        """(hamlet code, how): how is 'code', 'name', or the reason the hamlet was not resolved."""
        if not text:
            return None, "hamlet is empty"
        t = text.strip()
        if t in self.codes and t.startswith(commune):
            return t, "code"
        keys = hamlet_keys(t)
        # The full name first: "Xóm Mới" must not match a registry "Mới" by dropping its type word.
        for k in keys:
            hits = self.by_key.get((commune, k), set())
            if len(hits) == 1:
                return next(iter(hits)), "name"
            if len(hits) > 1:
                return None, f"hamlet name {t!r} matches several hamlets of commune {commune}"
        return None, f"hamlet not in the registry: {t!r} (commune {commune})"

    def resolve_among(self, communes: list[str], unit: str, text: str | None) -> tuple[str | None, str]:
        """A hamlet named under a unit of 1 July 2025: looked up in each old commune the unit was formed from
        (hamlets are registered by the old communes); found in exactly one of them, or not at all."""
        found = {code for code, _ in (self.resolve(c, text) for c in communes) if code}
        if len(found) == 1:
            return found.pop(), "name"
        if not text:
            return None, "hamlet is empty"
        if found:
            return None, f"hamlet name {text.strip()!r} matches hamlets of several communes that formed {unit}"
        return None, f"hamlet not in the registry: {text.strip()!r} (commune {unit}, formed from {', '.join(communes)})"
