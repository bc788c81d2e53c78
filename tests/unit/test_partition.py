"""Which partition a row of a national file belongs to (clean/partition.py): by the place found, else by the
province named; a row that says neither is every partition's."""
from __future__ import annotations

import polars as pl
import pytest

from analysis.areas import reference_areas
from analysis.clean.partition import partition_of
from analysis.clean.resolve import AreaResolver
from analysis.errors import AnalysisError

# Lạng Sơn (20) and Huế (46) each became a province of 1 July 2025 on its own, with its code; Bắc Kạn (06) went
# into Thái Nguyên (19) (Resolution 202/2025/QH15; shared/reference/real-figures.md D).
LANG_SON, HUE = "20", "46"


@pytest.fixture(scope="module")
def areas():
    return AreaResolver(reference_areas([LANG_SON, HUE]))


def district_of(province: str) -> str:
    a = reference_areas(province)
    return a.filter((pl.col("level") == "district") & (pl.col("parent_code") == province))["area_code"][0]


def test_a_partition_is_of_provinces_of_2025_and_keeps_all_their_old_ones():
    p = partition_of("19")
    assert p.codes == ("19",) and p.old == ("06", "19")
    assert partition_of([HUE, LANG_SON]).codes == (LANG_SON, HUE)
    assert partition_of(None) is None
    with pytest.raises(AnalysisError, match=r"unknown partition \['06'\].*19"):
        partition_of("06")   # Bắc Kạn is no province of 2025: its rows are Thái Nguyên's


def test_the_place_found_decides_then_the_province_named(areas):
    rows = pl.DataFrame({"province": ["Lạng Sơn", "Tỉnh Lạng Sơn", "Huế", None, "Nowhere", None],
                         "commune": ["x", "x", "x", "x", "x", "x"]})
    parsed = pl.DataFrame({
        # 1: named Lạng Sơn, found in Lạng Sơn; 2: named Lạng Sơn but its commune code is Huế's (a code wins);
        # 3: named Huế, place not found; 4: nothing named, found in Huế; 5, 6: neither can tell
        "district_code": [district_of(LANG_SON), district_of(HUE), None, district_of(HUE), None, None],
        "commune_code": ["a", "b", None, "c", None, None]})
    away = partition_of(LANG_SON).elsewhere(rows, parsed, areas)
    assert away.to_list() == [False, True, True, True, False, False]
    away = partition_of(HUE).elsewhere(rows, parsed, areas)
    assert away.to_list() == [True, False, False, False, False, False]


def test_before_parsing_only_a_named_province_over_a_commune_name_decides(areas):
    rows = pl.DataFrame({"province": ["Lạng Sơn", "Lạng Sơn", None, "Huế"],
                         "commune": ["Phường Tam Thanh", " 19753 ", "Phường Tam Thanh", "Phường An Cựu"]})
    away = partition_of(HUE).elsewhere(rows, None, areas)
    # the second row's commune is written as a code, which may be another province's: left to the parsed place
    assert away.to_list() == [True, False, False, False]


def test_huế_s_former_name_is_read_as_its_province(areas):
    # Thừa Thiên Huế became Thành phố Huế on 1 January 2025; the package has only the new name, files of 2020-2024
    # the old one (config/former-names.yml). Without it a national file's rows of Huế were quarantined.
    assert areas.province("Thừa Thiên Huế") == HUE
    assert areas.province("Tỉnh Thừa Thiên Huế") == HUE
    assert areas.province("thua thien hue") == HUE
    rows = pl.DataFrame({"province": ["Thừa Thiên Huế"], "commune": ["x"]})
    assert partition_of(LANG_SON).elsewhere(rows, None, areas).to_list() == [True]
