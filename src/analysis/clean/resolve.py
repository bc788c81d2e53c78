"""Resolving typed place names (or codes) to the statistics office's codes, never by guessing."""
from __future__ import annotations

from collections import defaultdict

import polars as pl
from rapidfuzz import fuzz, process

from analysis.areas import REFORM_LEVELS
from analysis.names import accent_key, fold, name_keys

FUZZY_THRESHOLD = 92  # rapidfuzz ratio on name keys; below it a name goes to quarantine, not to a guess


class AreaResolver:
    """Provinces, districts and communes of the reference areas, looked up by code or by name key. One province
    (the department's run) or many (a ministry's): a row's province column, when the file has one, narrows the
    search, which many provinces need (dozens of districts share a commune's name).

    `primary` is the department's own province when the scope holds others: since July 2025 Thái Nguyên's
    department also answers for Bắc Kạn's old units. A row that names no province is read in the primary
    province first and in the others only when the primary has no such name; the survey's 'Tỉnh Thái Nguyên'
    is the primary province."""

    def __init__(self, areas: pl.DataFrame, primary: str | None = None) -> None:
        provinces = areas.filter(pl.col("level") == "province")
        self.province_codes = set(provinces["area_code"])
        if primary is not None and primary not in self.province_codes:
            raise ValueError(f"primary province {primary!r} is not among the areas' provinces")
        # One province: rows need not name it. Several: a row that names none is looked up in all of them, the
        # primary first (`_prefer`), so `province_code` stays unset and a named province still narrows the search.
        self.province_code = provinces["area_code"][0] if provinces.height == 1 else None
        self.primary = primary or self.province_code
        self.province_by_key: dict[str, set[str]] = defaultdict(set)
        for code, vi, en in provinces.select("area_code", "name_vi", "name_en").iter_rows():
            for k in {*name_keys(vi), *name_keys(en)}:
                self.province_by_key[k].add(code)
        self.province_keys = {k for k, codes in self.province_by_key.items() if self.primary in codes}
        districts = areas.filter(pl.col("level") == "district")
        self.district_parent = dict(zip(districts["area_code"], districts["parent_code"]))
        self.district_codes = set(self.district_parent)
        communes = areas.filter(pl.col("level") == "commune")
        self.commune_parent = dict(zip(communes["area_code"], communes["parent_code"]))
        self.district_by_key: dict[str, set[str]] = defaultdict(set)
        for code, name in districts.select("area_code", "name_vi").iter_rows():
            for k in name_keys(name):
                self.district_by_key[k].add(code)
        self.commune_by_key: dict[str, set[str]] = defaultdict(set)
        self.commune_accent: dict[str, str] = {}
        for code, name in communes.select("area_code", "name_vi").iter_rows():
            self.commune_accent[code] = accent_key(name)
            for k in name_keys(name):
                self.commune_by_key[k].add(code)
        self._cache: dict[tuple, tuple[str | None, str | None, str]] = {}
        self._within: dict[tuple, tuple[str | None, str | None, str]] = {}

    @classmethod
    def reformed(cls, areas: pl.DataFrame) -> AreaResolver | None:
        """A resolver over the units of 1 July 2025 in `areas` (None when there are none): provinces and their
        communes, with no district level. Each province stands in as its communes' only district, so a commune
        is found within its province by the same rules; callers report no district for these units."""
        provinces = areas.filter(pl.col("level") == REFORM_LEVELS["province"])
        if provinces.is_empty():
            return None
        return cls(pl.concat([
            provinces.with_columns(level=pl.lit("province")),
            provinces.select("area_code", level=pl.lit("district"), name_vi=pl.lit(""), name_en=pl.lit(""),
                             parent_code="area_code", valid_from="valid_from", valid_to="valid_to"),
            areas.filter(pl.col("level") == REFORM_LEVELS["commune"]).with_columns(level=pl.lit("commune")),
        ], how="diagonal_relaxed"))

    def province_of(self, districts: pl.Series) -> pl.Series:
        """Each district code's province code (null stays null)."""
        return districts.replace_strict(self.district_parent, default=None, return_dtype=pl.String)

    def province(self, text: str | None) -> str | None:
        if not text:
            return self.province_code
        t = text.strip()
        if t.isdigit() and t.zfill(2) in self.province_codes:
            return t.zfill(2)
        return _unique(name_keys(t), self.province_by_key, lambda c: True)

    def district(self, text: str | None, province: str | None = None) -> str | None:
        if not text:
            return None
        t = text.strip()
        if t in self.district_codes:
            return t if province is None or self.district_parent[t] == province else None
        found = _unique(name_keys(t), self.district_by_key,
                        lambda c: province is None or self.district_parent[c] == province)
        if found is None and province is None and self._prefer():  # a name two provinces share: the primary's
            return self.district(t, self.primary)
        return found

    def _prefer(self) -> bool:
        """Whether a row naming no province is read in the primary province first (a scope of several)."""
        return self.primary is not None and self.province_code is None

    def commune(self, district_text: str | None, commune_text: str | None, province_text: str | None = None
                ) -> tuple[str | None, str | None, str]:
        """(commune code, district code, how): how is 'code', 'name', 'fuzzy:<score>' or the reason it failed."""
        key = (province_text, district_text, commune_text)
        if key not in self._cache:
            self._cache[key] = self._commune(district_text, commune_text, province_text)
        return self._cache[key]

    def _commune(self, district_text: str | None, commune_text: str | None, province_text: str | None
                 ) -> tuple[str | None, str | None, str]:
        if not commune_text:
            return None, None, "commune is empty"
        code = self.commune_code(commune_text)
        if code:
            return code, self.commune_parent[code], "code"
        province = self.province(province_text)
        if province_text and not province:
            return None, None, f"province not recognised: {province_text!r}"
        district = self.district(district_text, province)
        if district_text and not district:
            return None, None, f"district not recognised: {district_text!r}"
        return self.commune_within(commune_text, district, province)

    def commune_code(self, text: str) -> str | None:
        """The text as a commune code ('5461' or '05461'), if it is one."""
        t = text.strip()
        return t.zfill(5) if t.isdigit() and t.zfill(5) in self.commune_parent else None

    def commune_within(self, commune_text: str, district: str | None, province: str | None
                       ) -> tuple[str | None, str | None, str]:
        """A commune name within an already resolved district (or province, or anywhere): (code, district, how)."""
        key = (province, district, commune_text)
        if key not in self._within:
            self._within[key] = self._commune_within(commune_text, district, province)
        return self._within[key]

    def _commune_within(self, commune_text: str, district: str | None, province: str | None
                        ) -> tuple[str | None, str | None, str]:
        t = commune_text.strip()
        in_scope = (lambda c: self.commune_parent[c] == district) if district else \
            (lambda c: province is None or self.district_parent[self.commune_parent[c]] == province)
        keys = name_keys(t)
        code = _unique(keys, self.commune_by_key, in_scope)
        if code:
            return code, self.commune_parent[code], "name"
        named = {c for k in keys for c in self.commune_by_key.get(k, ()) if in_scope(c)}
        if len(named) > 1:
            exact = [c for c in named if self.commune_accent[c] == accent_key(t)]
            if len(exact) == 1:  # the marks tell them apart
                return exact[0], self.commune_parent[exact[0]], "name"
        if not district and province is None and self._prefer():
            # Neither the unit word nor the marks tell the scope's communes apart: the primary province's, if it
            # has one by this name (Phường Tân Lập of Thái Nguyên city before Xã Tân Lập of Chợ Đồn, Bắc Kạn).
            found = self.commune_within(t, None, self.primary)
            if found[0]:
                return found
        if len(named) > 1:
            return None, None, (f"commune name {t!r} is ambiguous without its district" if not district else
                                f"commune name {t!r} names several communes of district {district}")
        pool = {k: codes for k, codes in self.commune_by_key.items() if any(map(in_scope, codes))}
        scored = [process.extractOne(k, list(pool), scorer=fuzz.ratio) for k in keys] if pool else []
        best = max((s for s in scored if s), key=lambda s: s[1], default=None)
        if best and best[1] >= FUZZY_THRESHOLD:
            codes = [c for c in pool[best[0]] if in_scope(c)]
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
        if t == self.primary or (said_province and keys[0] in self.province_keys):
            return self.primary, "province", "name"
        if said_province and self.province(t):  # 'Tỉnh Bắc Kạn' in a scope of several provinces
            return self.province(t), "province", "name"
        if set(keys) <= self.province_keys:  # the bare name, no unit word
            return None, None, f"area {t!r} could be the province or its city: write Tỉnh or Thành phố"
        district = self.district(t)
        if district:
            return district, "district", "name"
        code, _, how = self.commune(None, t)
        return (code, "commune", how) if code else (None, None, f"area not recognised: {t!r}")


def _unique(keys: list[str], by_key: dict[str, set[str]], in_scope) -> str | None:
    """The one code in scope that a key names, trying keys from the most stripped ('kyanh') to the full
    ('thixakyanh'), so Thị xã Kỳ Anh and Huyện Kỳ Anh are told apart by their unit word."""
    for k in keys:
        hits = [c for c in by_key.get(k, ()) if in_scope(c)]
        if len(hits) == 1:
            return hits[0]
    return None
