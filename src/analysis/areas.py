"""Official administrative units of the provinces a run covers, from the `vietnamadminunits` package (no hand-typed list)."""
from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Sequence

import polars as pl

from analysis import paths, yamlfile
from analysis.adminunits import query
from analysis.names import fold

# The package holds the pre-reform state of 1 Dec 2024 (NQ 1240) and nothing older, so that geography is taken as
# valid from the start of the earliest series (the national set's, 2020-07); the 1 Jul 2025 reform ends it.
LEGACY_VALID_FROM = date(2020, 1, 1)
LEGACY_VALID_TO = date(2025, 6, 30)
# From 1 July 2025 (NQ 202/2025/QH15, NQ 1683/NQ-UBTVQH15): 34 provinces and their commune-level units, no district
# level. The new units reused old codes (all 92 of the new Thái Nguyên's are old ward codes), so their levels carry
# the year: `province_2025`, `commune_2025`; a code is then one unit within a level at any date.
REFORM_VALID_FROM = date(2025, 7, 1)
REFORM_LEVELS = {"province": "province_2025", "commune": "commune_2025"}
PLAN_LEVELS = ("province", "district", "commune")  # the units before the reform: the plan's baselines and targets

_EN_TYPE = {"Thành phố": "City", "Huyện": "District", "Thị xã": "Town", "Quận": "District",
            "Phường": "Ward", "Xã": "Commune", "Thị trấn": "Township"}


_COLUMNS = ("provinceCode, province, provinceShort, provinceLat, provinceLon, provinceBounds, districtCode, district, districtShort, "
            "districtType, districtLat, districtLon, wardCode, ward, wardShort, wardType, wardLat, wardLon, wardBounds")


@lru_cache(maxsize=1)
def national_units() -> pl.DataFrame:
    """Every commune-level unit of the 63 pre-2025 provinces (10,035; the package's five island districts that
    have no commune are left out, as they have nothing to report by commune)."""
    rows = query(f"SELECT {_COLUMNS} FROM admin_units_legacy WHERE wardCode IS NOT NULL AND wardCode != '' "
                 "ORDER BY wardCode")
    return pl.DataFrame(rows)


@lru_cache(maxsize=4)
def legacy_units(province_code: str) -> pl.DataFrame:
    """One row per commune-level unit with its district, as the package has it (codes, names, centroids, bounds)."""
    if not province_code.isdigit():
        raise ValueError(f"province code must be digits, got {province_code!r}")
    return national_units().filter(pl.col("provinceCode") == province_code)


@lru_cache(maxsize=1)
def reformed_units() -> pl.DataFrame:
    """Every commune-level unit from 1 July 2025 (3,321 in 34 provinces), as the package has it."""
    return pl.DataFrame(query("SELECT provinceCode, province, provinceShort, provinceLat, provinceLon, wardCode, ward, "
                              "wardShort, wardType, wardLat, wardLon, wardAreaKm2 FROM admin_units ORDER BY wardCode"))


def units_on(areas: pl.DataFrame, day: date) -> pl.DataFrame:
    """The rows of a `reference_areas` table in force on `day` (a code names one unit per level on any day)."""
    return areas.filter((pl.col("valid_from") <= day) & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= day)))


FORMER_NAMES = paths.CONFIG / "former-names.yml"


@lru_cache(maxsize=1)
def former_province_names() -> dict[str, list[str]]:
    """Province code -> the names it went by before the package's (config/former-names.yml)."""
    return {str(k): list(v) for k, v in
            (yamlfile.read(FORMER_NAMES) or {}).get("provinces", {}).items()}


def areas_of(areas: pl.DataFrame, provinces: Sequence[str]) -> pl.DataFrame:
    """area_level, area_code of the given old provinces, their districts and communes, and of the units of
    1 July 2025 they went into (the new provinces and their communes), from a `reference_areas` table."""
    from analysis.crosswalk import new_provinces  # the converter's old -> new province mapping
    provinces, merged = list(provinces), new_provinces(list(provinces))
    level, parent = pl.col("level"), pl.col("parent_code")
    districts = areas.filter((level == "district") & parent.is_in(provinces))["area_code"]
    return areas.filter(
        ((level == "province") & pl.col("area_code").is_in(provinces))
        | ((level == "district") & parent.is_in(provinces))
        | ((level == "commune") & parent.is_in(districts.implode()))
        | ((level == REFORM_LEVELS["province"]) & pl.col("area_code").is_in(merged))
        | ((level == REFORM_LEVELS["commune"]) & parent.is_in(merged))).select(area_level="level", area_code="area_code")


def province_boxes() -> pl.DataFrame:
    """province_code, lat_min, lat_max, lon_min, lon_max: the box around each province's own box and its wards'
    boxes ("lat,lon – lat,lon" in the package). The wards are needed: the package gives Thừa Thiên Huế (46) the
    box of Huế city alone, which 80 of its 133 communes' centres lie outside."""
    u = national_units()
    parts = []
    for col in ("provinceBounds", "wardBounds"):
        corners = u.select("provinceCode", pl.col(col).str.split("–").alias("c")).drop_nulls("c").explode("c")
        parts.append(corners.select("provinceCode", xy=pl.col("c").str.strip_chars().str.split(","))
                     .filter(pl.col("xy").list.len() == 2)
                     .select("provinceCode", lat=pl.col("xy").list.get(0).cast(pl.Float64, strict=False),
                             lon=pl.col("xy").list.get(1).cast(pl.Float64, strict=False)))
    return (pl.concat(parts).drop_nulls().group_by("provinceCode")
            .agg(lat_min=pl.col("lat").min(), lat_max=pl.col("lat").max(), lon_min=pl.col("lon").min(),
                 lon_max=pl.col("lon").max())
            .rename({"provinceCode": "province_code"}).sort("province_code"))


def district_provinces() -> pl.DataFrame:
    """district_code -> province_code for every pre-2025 district (codes are unique nationally)."""
    return (national_units().select(district_code="districtCode", province_code="provinceCode")
            .unique("district_code").sort("district_code"))


def _title_en(short: str, unit_type: str) -> str:
    return f"{fold(short).title()} {_EN_TYPE.get(unit_type, '')}".strip()


def reference_areas(province_code: str | Sequence[str]) -> pl.DataFrame:
    """The `reference_areas` table: provinces, districts and communes with validity dates and the package's
    official centre (lat, lon: what the pages' maps draw), of one province, several, or all 63 (a ministry's run)."""
    codes = [province_code] if isinstance(province_code, str) else list(province_code)
    u = pl.concat([legacy_units(c) for c in codes]) if len(codes) < 63 else national_units()
    province = (u.unique("provinceCode", keep="first").sort("provinceCode").select(
        area_code="provinceCode", level=pl.lit("province"), name_vi="province",
        name_en=pl.col("provinceShort").map_elements(lambda s: f"{fold(s).title()} Province", return_dtype=pl.String),
        parent_code=pl.lit(None, pl.String), lat="provinceLat", lon="provinceLon"))
    districts = (u.unique("districtCode", keep="first").sort("districtCode").select(
        area_code="districtCode", level=pl.lit("district"), name_vi="district",
        name_en=pl.struct("districtShort", "districtType").map_elements(
            lambda r: _title_en(r["districtShort"], r["districtType"]), return_dtype=pl.String),
        parent_code="provinceCode", lat="districtLat", lon="districtLon"))
    communes = u.select(
        area_code="wardCode", level=pl.lit("commune"), name_vi="ward",
        name_en=pl.struct("wardShort", "wardType").map_elements(
            lambda r: _title_en(r["wardShort"], r["wardType"]), return_dtype=pl.String),
        parent_code="districtCode", lat="wardLat", lon="wardLon")
    legacy = pl.concat([province, districts, communes]).with_columns(
        valid_from=pl.lit(LEGACY_VALID_FROM), valid_to=pl.lit(LEGACY_VALID_TO))
    return pl.concat([legacy, _reformed_areas(codes)])


def _reformed_areas(old_provinces: list[str]) -> pl.DataFrame:
    """The units from 1 July 2025 of the provinces the old ones went into (Thái Nguyên 19 took in Bắc Kạn 06):
    the new province and its commune-level units, valid from the reform with no end yet."""
    from analysis.crosswalk import new_provinces  # the converter's old -> new province mapping
    u = reformed_units().filter(pl.col("provinceCode").is_in(new_provinces(old_provinces)))
    province = (u.unique("provinceCode", keep="first").sort("provinceCode").select(
        area_code="provinceCode", level=pl.lit(REFORM_LEVELS["province"]), name_vi="province",
        name_en=pl.col("provinceShort").map_elements(lambda s: f"{fold(s).title()} Province", return_dtype=pl.String),
        parent_code=pl.lit(None, pl.String), lat="provinceLat", lon="provinceLon"))
    communes = u.select(
        area_code="wardCode", level=pl.lit(REFORM_LEVELS["commune"]), name_vi="ward",
        name_en=pl.struct("wardShort", "wardType").map_elements(
            lambda r: _title_en(r["wardShort"], r["wardType"]), return_dtype=pl.String),
        parent_code="provinceCode", lat="wardLat", lon="wardLon")
    return pl.concat([province, communes]).with_columns(valid_from=pl.lit(REFORM_VALID_FROM),
                                                        valid_to=pl.lit(None, pl.Date))
