"""Official administrative units of Thai Nguyen from the `vietnamadminunits` package (no hand-typed list)."""
from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Sequence

import polars as pl
from vietnamadminunits.database.main import query

from analysis.names import fold

PROVINCE_CODE = "19"
# The package holds the pre-reform state of 1 Dec 2024 (NQ 1240) and nothing older, so that geography is taken as
# valid from the start of the earliest series (the national set's, 2020-07); the 1 Jul 2025 reform ends it.
LEGACY_VALID_FROM = date(2020, 1, 1)
LEGACY_VALID_TO = date(2025, 6, 30)

_EN_TYPE = {"Thành phố": "City", "Huyện": "District", "Thị xã": "Town", "Quận": "District",
            "Phường": "Ward", "Xã": "Commune", "Thị trấn": "Township"}


_COLUMNS = ("provinceCode, province, provinceShort, provinceBounds, districtCode, district, districtShort, "
            "districtType, districtLat, districtLon, wardCode, ward, wardShort, wardType, wardLat, wardLon, wardBounds")


@lru_cache(maxsize=1)
def national_units() -> pl.DataFrame:
    """Every commune-level unit of the 63 pre-2025 provinces (10,035; the package's five island districts that
    have no commune are left out, as they have nothing to report by commune)."""
    rows = query(f"SELECT {_COLUMNS} FROM admin_units_legacy WHERE wardCode IS NOT NULL AND wardCode != '' "
                 "ORDER BY wardCode")
    return pl.DataFrame(rows)


@lru_cache(maxsize=4)
def legacy_units(province_code: str = PROVINCE_CODE) -> pl.DataFrame:
    """One row per commune-level unit with its district, as the package has it (codes, names, centroids, bounds)."""
    if not province_code.isdigit():
        raise ValueError(f"province code must be digits, got {province_code!r}")
    return national_units().filter(pl.col("provinceCode") == province_code)


def province_boxes() -> pl.DataFrame:
    """province_code, lat_min, lat_max, lon_min, lon_max: each province's bounding box as the package gives it
    ("lat,lon – lat,lon")."""
    rows = []
    for code, text in national_units().select("provinceCode", "provinceBounds").unique("provinceCode").iter_rows():
        (a, b), (c, d) = [tuple(map(float, part.split(","))) for part in text.split("–")]
        rows.append((code, min(a, c), max(a, c), min(b, d), max(b, d)))
    return pl.DataFrame(rows, schema=["province_code", "lat_min", "lat_max", "lon_min", "lon_max"],
                        orient="row").sort("province_code")


def district_provinces() -> pl.DataFrame:
    """district_code -> province_code for every pre-2025 district (codes are unique nationally)."""
    return (national_units().select(district_code="districtCode", province_code="provinceCode")
            .unique("district_code").sort("district_code"))


def _title_en(short: str, unit_type: str) -> str:
    return f"{fold(short).title()} {_EN_TYPE.get(unit_type, '')}".strip()


def reference_areas(province_code: str | Sequence[str] = PROVINCE_CODE) -> pl.DataFrame:
    """The `reference_areas` table: provinces, districts and communes with validity dates (one province by
    default; several, or all 63, for a ministry-level run)."""
    codes = [province_code] if isinstance(province_code, str) else list(province_code)
    u = pl.concat([legacy_units(c) for c in codes]) if len(codes) < 63 else national_units()
    province = (u.unique("provinceCode", keep="first").sort("provinceCode").select(
        area_code="provinceCode", level=pl.lit("province"), name_vi="province",
        name_en=pl.col("provinceShort").map_elements(lambda s: f"{fold(s).title()} Province", return_dtype=pl.String),
        parent_code=pl.lit(None, pl.String)))
    districts = (u.unique("districtCode", keep="first").sort("districtCode").select(
        area_code="districtCode", level=pl.lit("district"), name_vi="district",
        name_en=pl.struct("districtShort", "districtType").map_elements(
            lambda r: _title_en(r["districtShort"], r["districtType"]), return_dtype=pl.String),
        parent_code="provinceCode"))
    communes = u.select(
        area_code="wardCode", level=pl.lit("commune"), name_vi="ward",
        name_en=pl.struct("wardShort", "wardType").map_elements(
            lambda r: _title_en(r["wardShort"], r["wardType"]), return_dtype=pl.String),
        parent_code="districtCode")
    return pl.concat([province, districts, communes]).with_columns(
        valid_from=pl.lit(LEGACY_VALID_FROM), valid_to=pl.lit(LEGACY_VALID_TO))
