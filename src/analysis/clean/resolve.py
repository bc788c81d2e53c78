"""Resolving typed place names (or codes) to the statistics office's codes, never by guessing."""
from __future__ import annotations

import unicodedata
from collections import defaultdict

import polars as pl
from rapidfuzz import fuzz, process

from analysis.areas import REFORM_LEVELS, former_province_names
from analysis.clean.decided import Decided
from analysis.names import accent_key, fold, name_keys

FUZZY_THRESHOLD = 92  # rapidfuzz ratio on name keys; below it a name goes to quarantine, not to a guess
# With no district to search within, an approximate match must be stronger and stand clear of the next commune:
# a province has a hundred or more names, and "Phú Lương" is one letter from "Phúc Lương".
FUZZY_ALONE, FUZZY_MARGIN = 96, 4
# A name that carries a district-level word is a district (a group or subtotal row), never a commune: folded,
# the words no commune name begins with; "Huyện" and "Quận" only with their marks ("Huyền Tụng", "Quan Triều"
# are communes).
DISTRICT_WORDS = ("thanh pho ", "thi xa ", "tp.", "tp ", "h.", "tx.")
DISTRICT_WORDS_MARKED = ("huyện ", "quận ", "q.")


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
            for former in former_province_names().get(code, ()):   # Thừa Thiên Huế, in files of 2020-2024
                for k in name_keys(former):
                    self.province_by_key[k].add(code)
        self.province_keys = {k for k, codes in self.province_by_key.items() if self.primary in codes}
        districts = areas.filter(pl.col("level") == "district")
        self.district_parent = dict(zip(districts["area_code"], districts["parent_code"]))
        self.district_codes = set(self.district_parent)
        communes = areas.filter(pl.col("level") == "commune")
        self.commune_parent = dict(zip(communes["area_code"], communes["parent_code"]))
        self.names = dict(zip(communes["area_code"], communes["name_vi"])) | dict(
            zip(districts["area_code"], districts["name_vi"]))   # for the candidates a refusal lists
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
        self._within: dict[tuple, tuple[str | None, str | None, str]] = {}
        self._districts: dict[tuple, str | None] = {}
        self._decided = Decided(COMMUNE_KEYS, DECIDED_SCHEMA)   # commune-level rows, decided once (`_communes`)

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
        key = (text, province)
        if key not in self._districts:   # a national month's speed tests: 25,000 spellings, three in four seen before
            self._districts[key] = self._district(text, province)
        return self._districts[key]

    def _district(self, text: str, province: str | None) -> str | None:
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
        """(commune code, district code, how) of one row: how is 'code', 'name', 'fuzzy:<score>' or the reason it
        failed. One row of `resolve`, the resolver every cleaned row goes through."""
        row = self.resolve(pl.DataFrame({"p": [province_text], "d": [district_text], "c": [commune_text]},
                                        schema={"p": pl.String, "d": pl.String, "c": pl.String})).row(0, named=True)
        return row["code"], row["parent"], row["how"] if row["code"] else row["error"]

    def resolve(self, rows: pl.DataFrame) -> pl.DataFrame:
        """code, parent, error, how per row of (p, d, c) texts: province, district and commune as written.
        Resolved a level at a time, each distinct text once: provinces, then districts within their province, then
        communes within their district, so a national table's millions of rows cost a Python call per distinct
        name, not per combination of three spellings. A commune code wins over any name; a province or district
        that is named and not recognised is the row's error."""
        prov = lookup(rows["p"], lambda t: _or_error(self.province(t), t, "province"))
        rows = rows.with_columns(pc=prov["code"], pe=prov["error"])
        dist = rows.select("pc", "d").unique()
        found = [_or_error(self.district(dt, pc) if dt else None, dt, "district") for pc, dt in dist.iter_rows()]
        dist = dist.with_columns(dc=pl.Series([f[0] for f in found], dtype=pl.String),
                                 de=pl.Series([f[1] for f in found], dtype=pl.String))
        rows = rows.join(dist, on=["pc", "d"], how="left", nulls_equal=True, maintain_order="left")
        comm = self._communes(rows.select("pc", "dc", pl.col("c").cast(pl.String), up=pl.coalesce("pe", "de")).unique())
        return rows.with_columns(up=pl.coalesce("pe", "de")).join(
            comm, on=COMMUNE_KEYS, how="left", nulls_equal=True, maintain_order="left").select(
            "p", "d", "c", "code", "parent", "error", "how")

    def _communes(self, comm: pl.DataFrame) -> pl.DataFrame:
        """Distinct (province code, district code, commune text, upstream error) -> code, parent, error, how. Each
        is decided once per resolver and kept (`_decided`): a national month's speed tests hold 50,000 such rows, 96%
        of them seen in the months before, and walking them in Python took 0.45 s of the month's 1.5 s parse."""
        return self._decided.answers(comm, self._decide_communes)

    def _decide_communes(self, new: pl.DataFrame) -> pl.DataFrame:
        out = []
        for pc, dc, ct, up in new.iter_rows():
            code = self.commune_code(ct) if ct else None
            if code:
                out.append((code, self.commune_parent[code], None, "code"))
            elif not ct:
                out.append((None, None, "commune is empty", "empty"))
            elif up:
                out.append((None, None, up, "upstream"))
            else:
                c, parent, how = self.commune_within(ct, dc, pc)
                out.append((c, parent, None if c else how, how))
        return new.with_columns(*(pl.Series(n, [o[i] for o in out], dtype=pl.String)
                                  for i, n in enumerate(("code", "parent", "error", "how"))))

    def commune_code(self, text: str) -> str | None:
        """The text as a commune code (five digits, or four with the leading zero lost), if it is one."""
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
        if fold(t).strip().startswith(DISTRICT_WORDS) or \
                unicodedata.normalize("NFC", t).lower().startswith(DISTRICT_WORDS_MARKED):
            return None, None, f"{t!r} names a district, not a commune"
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
        # Each commune in scope with its best score over the text's keys, best first.
        best: dict[str, float] = {}
        for k in keys:
            for key, score, _ in process.extract(k, list(pool), scorer=fuzz.ratio, limit=8) if pool else []:
                for c in pool[key]:
                    if in_scope(c) and score > best.get(c, -1):
                        best[c] = score
        ranked = sorted(best.items(), key=lambda cs: -cs[1])
        if ranked:
            (code, score), runner_up = ranked[0], (ranked[1][1] if len(ranked) > 1 else 0)
            # Within a district: strong enough and the only one. Without one: stronger, and clear of the next.
            alone = district is None
            if score >= (FUZZY_ALONE if alone else FUZZY_THRESHOLD) and \
                    (runner_up < score if not alone else score - runner_up >= FUZZY_MARGIN):
                return code, self.commune_parent[code], f"fuzzy:{score:.0f}"
        near = "; ".join(f"{self.names[c]} ({self.names.get(self.commune_parent[c], self.commune_parent[c])}) "
                         f"{s:.0f}" for c, s in ranked[:3] if s >= 85)   # the near misses only
        return None, None, f"commune not recognised: {t!r}" + (f"; nearest: {near}" if near else "")

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


COMMUNE_KEYS = ["pc", "dc", "c", "up"]
DECIDED_SCHEMA = {n: pl.String for n in (*COMMUNE_KEYS, "code", "parent", "error", "how")}


def _or_error(code: str | None, text: str | None, what: str) -> tuple[str | None, str | None]:
    return code, (f"{what} not recognised: {text!r}" if text and not code else None)


def lookup(texts: pl.Series, resolve) -> pl.DataFrame:
    """(code, error) per row from `resolve(text) -> (code, error)` called once per distinct text."""
    distinct = texts.unique()
    got = [resolve(t) for t in distinct.to_list()]
    table = pl.DataFrame({"t": distinct, "code": pl.Series([g[0] for g in got], dtype=pl.String),
                          "error": pl.Series([g[1] for g in got], dtype=pl.String)})
    return pl.DataFrame({"t": texts}).join(table, on="t", how="left", nulls_equal=True, maintain_order="left")


def _unique(keys: list[str], by_key: dict[str, set[str]], in_scope) -> str | None:
    """The one code in scope that a key names, trying keys from the most stripped ('kyanh') to the full
    ('thixakyanh'), so Thị xã Kỳ Anh and Huyện Kỳ Anh are told apart by their unit word."""
    for k in keys:
        hits = [c for c in by_key.get(k, ()) if in_scope(c)]
        if len(hits) == 1:
            return hits[0]
    return None
