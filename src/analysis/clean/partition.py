"""A clean of one partition of files that cover many provinces: a ministry's national files cut by province.

Operators send the ministry one file per kind and month for the whole country. A partition run reads every file
but keeps only the rows of its provinces; the others are counted in each file's account as `elsewhere`, never
quarantined, so every row is still accounted for and the union of the partitions' tables is the whole run's.

Partitions are provinces of 1 July 2025, never the old ones: a 2025 province's figures need all the old
provinces it was formed from (old Thái Nguyên and old Bắc Kạn for the new Thái Nguyên).

A row belongs to the province its place resolves to (the commune's, read by the same resolver a whole run uses,
which is why a partition run resolves names against every province); a row whose place is not found belongs to
the province its province column names. A row that says neither cannot be placed: every partition keeps it, so
each department sees it in its quarantine (the union lists it once).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import polars as pl

from analysis.areas import district_provinces, national_units, reformed_units
from analysis.clean.resolve import AreaResolver, lookup
from analysis.crosswalk import new_provinces
from analysis.errors import AnalysisError


@lru_cache(maxsize=1)
def _new_of_old() -> dict[str, str]:
    """Each old province's province of 1 July 2025 (provinces were merged whole, never split)."""
    olds = sorted(national_units()["provinceCode"].unique())
    return {old: new_provinces([old])[0] for old in olds}


@dataclass(frozen=True)
class Partition:
    codes: tuple[str, ...]   # provinces of 1 July 2025
    old: tuple[str, ...]     # the old provinces they were formed from: the reference tables a partition writes

    def elsewhere(self, rows: pl.DataFrame, parsed: pl.DataFrame | None, areas: AreaResolver) -> pl.Series:
        """True for each row that belongs to another partition. `rows`: the rows as read (their `province` text);
        `parsed`: the same rows parsed (`district_code`, `commune_code`), or None before parsing, when only the
        province column can tell, and only for rows whose commune is not written as a code (a code wins over any
        name, so such a row may resolve to another province than the one it names)."""
        n = rows.height
        text = rows["province"].cast(pl.String) if "province" in rows.columns else pl.repeat(None, n, dtype=pl.String,
                                                                                             eager=True)
        named = _province_of_text(text, areas)
        if parsed is None:
            coded = (rows["commune"].cast(pl.String).str.strip_chars().str.contains(r"^\d+$").fill_null(False)
                     if "commune" in rows.columns else pl.repeat(False, n, eager=True))
            key = pl.select(pl.when(~coded).then(named)).to_series()
        else:
            key = pl.select(pl.coalesce(_province_of_place(parsed), named)).to_series()
        return key.is_not_null() & ~key.is_in(list(self.codes))


def _province_of_text(text: pl.Series, areas: AreaResolver) -> pl.Series:
    """The 2025 province of each row's province column, read once per distinct text (null: none or unknown)."""
    old = lookup(text, lambda t: (areas.province(t) if t else None, None))["code"]
    return old.replace_strict(_new_of_old(), default=None, return_dtype=pl.String)


def _province_of_place(parsed: pl.DataFrame) -> pl.Series:
    """The 2025 province of each parsed row's place: an old commune's through its district, a unit of 1 July 2025
    (no district) its own (null where the place was not found)."""
    if "commune_code" not in parsed.columns:
        return pl.repeat(None, parsed.height, dtype=pl.String, eager=True)
    old = parsed["district_code"].cast(pl.String).replace_strict(
        _district_to_new(), default=None, return_dtype=pl.String)
    new = parsed["commune_code"].cast(pl.String).replace_strict(_ward_to_province(), default=None,
                                                                return_dtype=pl.String)
    return pl.select(pl.when(parsed["district_code"].is_not_null()).then(old).otherwise(
        pl.when(parsed["commune_code"].is_not_null()).then(new))).to_series()


@lru_cache(maxsize=1)
def _district_to_new() -> dict[str, str]:
    m = _new_of_old()
    return {d: m[p] for d, p in district_provinces().iter_rows()}


@lru_cache(maxsize=1)
def _ward_to_province() -> dict[str, str]:
    return dict(reformed_units().select("wardCode", "provinceCode").iter_rows())


def partition_of(spec: str | list[str] | None) -> Partition | None:
    """The partition of `--partition`: codes of provinces of 1 July 2025, as a list or comma-separated."""
    if spec is None or spec == [] or spec == "":
        return None
    codes = [c.strip().zfill(2) for c in (spec.split(",") if isinstance(spec, str) else spec) if c.strip()]
    known = set(_new_of_old().values())
    unknown = [c for c in codes if c not in known]
    if unknown or not codes:
        raise AnalysisError(f"unknown partition {unknown or spec!r}: use the codes of provinces of 1 July 2025 "
                            f"({', '.join(sorted(known))})")
    codes = sorted(set(codes))
    return Partition(tuple(codes), tuple(o for o, n in sorted(_new_of_old().items()) if n in codes))
