"""Resolving typed place names (or codes) to the statistics office's codes, never by guessing."""
from __future__ import annotations

from collections import defaultdict

import polars as pl
from rapidfuzz import fuzz, process

from analysis.names import fold, name_keys

FUZZY_THRESHOLD = 92  # rapidfuzz ratio on name keys; below it a name goes to quarantine, not to a guess


class AreaResolver:
    """Districts and communes of one period's reference areas, looked up by code or by name key."""

    def __init__(self, areas: pl.DataFrame) -> None:
        province = areas.filter(pl.col("level") == "province").row(0, named=True)
        self.province_code = province["area_code"]
        self.province_keys = set(name_keys(province["name_vi"])) | set(name_keys(province["name_en"]))
        self.district_codes = set(areas.filter(pl.col("level") == "district")["area_code"])
        communes = areas.filter(pl.col("level") == "commune")
        self.commune_parent = dict(zip(communes["area_code"], communes["parent_code"]))
        self.district_by_key: dict[str, set[str]] = defaultdict(set)
        for code, name in areas.filter(pl.col("level") == "district").select("area_code", "name_vi").iter_rows():
            for k in name_keys(name):
                self.district_by_key[k].add(code)
        self.commune_by_key: dict[str, set[str]] = defaultdict(set)
        for code, name in communes.select("area_code", "name_vi").iter_rows():
            for k in name_keys(name):
                self.commune_by_key[k].add(code)
        self._cache: dict[tuple[str | None, str | None], tuple[str | None, str | None, str]] = {}

    def district(self, text: str | None) -> str | None:
        if not text:
            return None
        t = text.strip()
        if t in self.district_codes:
            return t
        for k in name_keys(t):
            hits = self.district_by_key.get(k)
            if hits and len(hits) == 1:
                return next(iter(hits))
        return None

    def commune(self, district_text: str | None, commune_text: str | None) -> tuple[str | None, str | None, str]:
        """(commune code, district code, how): how is 'code', 'name', 'fuzzy:<score>' or the reason it failed."""
        key = (district_text, commune_text)
        if key not in self._cache:
            self._cache[key] = self._commune(district_text, commune_text)
        return self._cache[key]

    def _commune(self, district_text: str | None, commune_text: str | None) -> tuple[str | None, str | None, str]:
        if not commune_text:
            return None, None, "commune is empty"
        t = commune_text.strip()
        digits = t.zfill(5) if t.isdigit() else None
        if digits in self.commune_parent:
            return digits, self.commune_parent[digits], "code"
        district = self.district(district_text)
        if district_text and not district:
            return None, None, f"district not recognised: {district_text!r}"
        for k in name_keys(t):
            hits = {c for c in self.commune_by_key.get(k, ()) if district is None or self.commune_parent[c] == district}
            if len(hits) == 1:
                code = next(iter(hits))
                return code, self.commune_parent[code], "name"
            if len(hits) > 1:
                return None, None, f"commune name {t!r} is ambiguous without its district"
        pool = {k: codes for k, codes in self.commune_by_key.items()
                if any(district is None or self.commune_parent[c] == district for c in codes)}
        scored = [process.extractOne(k, list(pool), scorer=fuzz.ratio) for k in name_keys(t)] if pool else []
        best = max((s for s in scored if s), key=lambda s: s[1], default=None)
        if best and best[1] >= FUZZY_THRESHOLD:
            codes = [c for c in pool[best[0]] if district is None or self.commune_parent[c] == district]
            if len(codes) == 1:
                return codes[0], self.commune_parent[codes[0]], f"fuzzy:{best[1]:.0f}"
        return None, None, f"commune not recognised: {t!r}"

    def area(self, text: str | None) -> tuple[str | None, str | None, str]:
        """Any level, for tables by area (survey): (code, level, how). 'Tỉnh Thái Nguyên' is the province,
        'Thành phố Thái Nguyên' the city; a bare 'Thái Nguyên' names both and is refused as ambiguous."""
        if not text:
            return None, None, "area is empty"
        t = text.strip()
        keys = name_keys(t)
        folded = fold(t).strip()
        said_province = folded.startswith(("tinh ", "province ")) or folded.endswith(" province")
        if t == self.province_code or (said_province and keys[0] in self.province_keys):
            return self.province_code, "province", "name"
        if set(keys) <= self.province_keys:  # the bare name, no unit word
            return None, None, f"area {t!r} could be the province or its city: write Tỉnh or Thành phố"
        district = self.district(t)
        if district:
            return district, "district", "name"
        code, _, how = self.commune(None, t)
        return (code, "commune", how) if code else (None, None, f"area not recognised: {t!r}")
