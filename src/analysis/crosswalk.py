"""The 1 July 2025 reform as a table: which new commune-level unit each old one became (`area_crosswalk`).

From `vietnamadminunits`' own old→new conversion data (NQ 202/2025/QH15 and NQ 1683/NQ-UBTVQH15): most old
communes went whole into one new unit (weight 1); a few were split between two or three. The package gives no
household or population split for those, only each new unit's area, so a split unit's weights are the new units'
shares of their combined area: a stated assumption, to replace with the statistics office's split when published.
Weights of one old unit sum to 1, so totals carried across the reform are preserved exactly.
"""
from __future__ import annotations

import json
from functools import lru_cache

import polars as pl

from analysis.adminunits import data_file, query


@lru_cache(maxsize=1)
def _converter() -> dict:
    return json.loads(data_file("converter_2025.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _province_keys() -> tuple[dict[str, str], dict[str, str]]:
    """(old province code -> its key, new province key -> its code), from the package's two tables."""
    old = {r["provinceCode"]: r["provinceKey"] for r in query("SELECT DISTINCT provinceCode, provinceKey "
                                                               "FROM admin_units_legacy")}
    new = {r["provinceKey"]: r["provinceCode"] for r in query("SELECT DISTINCT provinceCode, provinceKey "
                                                               "FROM admin_units")}
    return old, new


def new_provinces(old_codes: list[str]) -> list[str]:
    """The codes of the provinces from 1 July 2025 that the given old ones went into (old Thái Nguyên and old Bắc
    Kạn both give the new Thái Nguyên, which kept the old one's code)."""
    old_keys, new_codes = _province_keys()
    wanted = {old_keys[c] for c in old_codes if c in old_keys}
    return sorted(new_codes[k] for k, olds in _converter()["DICT_PROVINCE"].items() if wanted & set(olds))



def _legacy_codes(province_keys: list[str]) -> dict[str, tuple[str, str, str]]:
    """'tinhthainguyen_huyenvonhai_xalabhien' -> (ward code, district code, province code), the old units."""
    keys = ", ".join(f"'{k}'" for k in province_keys if k.isalnum())
    rows = query(f"SELECT provinceKey, districtKey, wardKey, wardCode, districtCode, provinceCode "
                 f"FROM admin_units_legacy WHERE provinceKey IN ({keys})")
    return {f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}": (r["wardCode"], r["districtCode"],
                                                                      r["provinceCode"]) for r in rows}


def _new_codes(province_code: str) -> dict[str, str]:
    rows = query(f"SELECT wardKey, wardCode FROM admin_units WHERE provinceCode = '{province_code}'")
    return {r["wardKey"]: r["wardCode"] for r in rows}


def area_crosswalk(provinces: list[str] | str) -> pl.DataFrame:
    """old_code, old_district_code, old_province_code, new_code, new_province_code, weight_households,
    weight_population, split: every old commune of the provinces from 1 July 2025 that the given old provinces
    went into (for old Thái Nguyên: its own 172 communes and Bắc Kạn's 108)."""
    return _crosswalk_of(tuple(new_provinces([provinces] if isinstance(provinces, str) else provinces)))


@lru_cache(maxsize=4)  # cleaning and the indicators ask for the same provinces' crosswalk more than once
def _crosswalk_of(wanted: tuple[str, ...]) -> pl.DataFrame:
    _, new_codes = _province_keys()
    frames = [_crosswalk(key, code) for key, code in new_codes.items() if code in wanted]
    return pl.concat(frames).sort("old_province_code", "old_code", "new_code")


def _crosswalk(new_province_key: str, new_province_code: str) -> pl.DataFrame:
    data = _converter()
    old = _legacy_codes(data["DICT_PROVINCE"][new_province_key])
    new = _new_codes(new_province_code)
    rows = []
    for new_key, old_keys in data["DICT_PROVINCE_WARD_NO_DIVIDED"][new_province_key].items():
        for k in old_keys:
            if k in old and new_key in new:
                rows.append((*old[k], new[new_key], 1.0, False))
    for old_key, parts in data["DICT_PROVINCE_WARD_DIVIDED"].get(new_province_key, {}).items():
        area = sum(p["newWardAreaKm2"] for p in parts)
        for p in parts:
            if old_key in old and p["newWardKey"] in new:
                rows.append((*old[old_key], new[p["newWardKey"]], p["newWardAreaKm2"] / area, True))
    frame = pl.DataFrame(rows, schema={"old_code": pl.String, "old_district_code": pl.String,
                                       "old_province_code": pl.String, "new_code": pl.String, "weight": pl.Float64,
                                       "split": pl.Boolean}, orient="row")
    # A unit listed whole and also split keeps the split: its weights are the ones that sum to 1.
    frame = frame.sort("split", descending=True).unique(["old_code", "new_code"], keep="first")
    split = frame.filter(pl.col("split"))["old_code"].implode()
    frame = frame.filter(pl.col("split") | ~pl.col("old_code").is_in(split))
    return frame.select("old_code", "old_district_code", "old_province_code", "new_code",
                        new_province_code=pl.lit(new_province_code), weight_households=pl.col("weight"),
                        weight_population=pl.col("weight"), split="split")


def merged_months(crosswalk: pl.DataFrame, present: pl.DataFrame) -> pl.DataFrame:
    """period, province_code: the months a new province can be given a figure, those in which every old province
    that went into it is among `present` (period, province_code of old provinces with figures)."""
    parts = crosswalk.select("new_province_code", "old_province_code").unique()
    return (parts.join(present.unique(), left_on="old_province_code", right_on="province_code")
            .group_by("period", "new_province_code").len()
            .join(parts.group_by("new_province_code").len(), on="new_province_code")
            .filter(pl.col("len") == pl.col("len_right"))
            .select("period", province_code="new_province_code"))


def to_new_communes(commune: pl.DataFrame, crosswalk: pl.DataFrame, weight: str = "weight_households",
                    flags: tuple[str, ...] = ()) -> pl.DataFrame:
    """Old-commune numerators and denominators (period, commune_code, numerator, denominator[, flags]) carried onto
    the new communes: each old commune's figures times its weight, summed by new commune (period, commune_code,
    province_code, numerator, denominator[, flags: any of the old communes']). Totals are preserved exactly
    (weights of an old unit sum to 1); a ratio is recomputed from the carried parts, never averaged."""
    unmapped = commune.join(crosswalk.select("old_code"), left_on="commune_code", right_on="old_code", how="anti")
    if unmapped.height:
        codes = ", ".join(sorted(unmapped["commune_code"].unique().to_list())[:5])
        raise ValueError(f"{unmapped['commune_code'].n_unique()} old commune(s) not in the crosswalk, e.g. {codes}")
    moved = (commune.join(crosswalk.select("old_code", "new_code", "new_province_code", weight),
                          left_on="commune_code", right_on="old_code", how="inner")
             .with_columns(pl.col("numerator") * pl.col(weight), pl.col("denominator") * pl.col(weight)))
    # Each new unit's parts are added in the order of their old codes: the join gives its rows in any order, and
    # three or more floats added in another order differ in the last digit (nationally, 3,000-4,000 of 5.9 million
    # indicator values changed from one run to the next, so a run with the same data redid the trajectories).
    return (moved.group_by("period", "new_code", "new_province_code")
            .agg(pl.col("numerator", "denominator").sort_by("commune_code").sum(), *(pl.col(f).any() for f in flags))
            .rename({"new_code": "commune_code", "new_province_code": "province_code"})
            .sort("period", "commune_code"))
