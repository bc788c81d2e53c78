"""The run's geography, read from what cleaning wrote: names by level, the department's province, and a one-line
error naming the districts there are."""
from __future__ import annotations


import pytest

from analysis import geography
from analysis.errors import AnalysisError
from tests.conftest import PROVINCE


def test_names_by_level_and_the_plan_s_unit_first(geo):
    # 164 is Thành phố Thái Nguyên; 05431 is Phường Quan Triều before the reform and a new ward's code after it.
    assert geo.name("164", "vi", "district") == "Thành phố Thái Nguyên"
    assert geo.name("164", "en", "district") == "Thai Nguyen City"
    assert geo.name("058", "vi").lower() == "thành phố bắc kạn"   # Bắc Kạn's districts are in the geography too
    assert geo.name("05431", "vi") == geo.name("05431", "vi", "commune") == "Phường Quan Triều"
    assert geo.name("nope", "vi") == "nope"


def test_the_department_s_province_comes_from_the_manifest(geo):
    assert (geo.primary, geo.department, geo.provinces) == (PROVINCE, PROVINCE, (PROVINCE, "06"))
    assert len(geo.codes("district", PROVINCE)) == 9 and len(geo.codes("district", "06")) == 8
    assert geo.count("commune_2025") == 92   # the new Thái Nguyên's communes and wards (NQ 1683/NQ-UBTVQH15)


def test_an_unknown_district_is_one_line_naming_the_districts(geo):
    with pytest.raises(AnalysisError, match=r"'999' is not a district .*164 Thành phố Thái Nguyên"):
        geo.check("999", "district")


def test_a_folder_cleaning_has_not_written_says_so(tmp_path):
    with pytest.raises(AnalysisError, match="run the clean stage first"):
        geography.load(tmp_path)
