"""Official administrative units of Thai Nguyen from the `vietnamadminunits` package (no hand-typed list)."""
from __future__ import annotations

from datetime import date
from functools import lru_cache

import polars as pl
from vietnamadminunits.database.main import query

from analysis.names import fold

PROVINCE_CODE = "19"
# The package holds the pre-reform state of 1 Dec 2024 (NQ 1240) and nothing older, so the sample treats that
# geography as valid from the start of its series; the 1 Jul 2025 reform ends it (issue 10 extends this model).
LEGACY_VALID_FROM = date(2021, 1, 1)
LEGACY_VALID_TO = date(2025, 6, 30)

_EN_TYPE = {"Thành phố": "City", "Huyện": "District", "Thị xã": "Town", "Quận": "District",
            "Phường": "Ward", "Xã": "Commune", "Thị trấn": "Township"}


@lru_cache(maxsize=4)
def legacy_units(province_code: str = PROVINCE_CODE) -> pl.DataFrame:
    """One row per commune-level unit with its district, as the package has it (codes, names, centroids, bounds)."""
    if not province_code.isdigit():
        raise ValueError(f"province code must be digits, got {province_code!r}")
    rows = query(
        "SELECT provinceCode, province, provinceShort, provinceBounds, districtCode, district, districtShort, "
        "districtType, districtLat, districtLon, wardCode, ward, wardShort, wardType, wardLat, wardLon, "
        f"wardBounds FROM admin_units_legacy WHERE provinceCode = '{province_code}' ORDER BY wardCode"
    )
    return pl.DataFrame(rows)


def _title_en(short: str, unit_type: str) -> str:
    return f"{fold(short).title()} {_EN_TYPE.get(unit_type, '')}".strip()


def reference_areas(province_code: str = PROVINCE_CODE) -> pl.DataFrame:
    """The `reference_areas` table: province, districts and communes with validity dates."""
    u = legacy_units(province_code)
    first = u.row(0, named=True)
    province = pl.DataFrame({
        "area_code": [first["provinceCode"]], "level": ["province"], "name_vi": [first["province"]],
        "name_en": [f"{fold(first['provinceShort']).title()} Province"], "parent_code": [None],
    }, schema_overrides={"parent_code": pl.String})
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
