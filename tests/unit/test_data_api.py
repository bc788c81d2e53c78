"""The analyst's reading API on the geography alone: an area by every spelling people write, in the geography it
belongs to, and a wrong name answered in one line with the nearest names. Codes are the statistics office's
(Huyện Định Hóa 167; Xã Định Hóa of 1 July 2025, 05569; Phường Quan Triều 05431)."""
from __future__ import annotations

import pytest

from analysis import data
from analysis.errors import AnalysisError


@pytest.fixture(scope="module")
def d(geo_folder):
    return data.open(geo_folder)


@pytest.mark.parametrize("text", ["dinh hoa", "Định Hóa", "H. Định Hóa", "Huyen Dinh Hoa", "huyện định hoá", "167",
                                  "Dinh Hoa district"])
def test_a_district_by_every_spelling(d, text):
    a = d.area(text)
    assert (a.code, a.level, a.name, a.geography) == ("167", "district", "Huyện Định Hóa", "old")


def test_a_bare_name_found_in_both_geographies_is_the_old_unit_and_says_so(d):
    a = d.area("Định Hóa")
    assert a.also == ("Xã Định Hóa (commune_2025 05569, 2025)",)
    assert "also Xã Định Hóa" in str(a)


@pytest.mark.parametrize("text", ["Xã Định Hóa", "xa dinh hoa"])
def test_a_unit_word_picks_the_unit_it_names(d, text):
    a = d.area(text)
    assert (a.code, a.level, a.geography) == ("05569", "commune_2025", "2025")


def test_a_geography_can_be_asked_for(d):
    assert d.area("Định Hóa", geography="2025").code == "05569"
    assert d.area("Quan Triều", geography="old").code == "05431"


def test_a_wrong_name_is_one_line_naming_the_nearest(d):
    with pytest.raises(data.AreaNotFound) as e:
        d.area("Dinh Hao")
    line = e.value.line()
    assert "\n" not in line and "no area named 'Dinh Hao'" in line and "Huyện Định Hóa (district 167)" in line


def test_a_folder_without_tables_says_what_to_run(tmp_path):
    with pytest.raises(AnalysisError, match="run `make report`"):
        data.open(tmp_path)


def test_a_reused_code_is_named_as_the_unit_in_force_at_the_row_s_month(geo_folder, tmp_path):
    """05611 was Thị trấn Đu (Phú Lương) until 30 June 2025 and is Xã Phú Lương from 1 July 2025; a table by year
    (no month) names the plan's old unit."""
    import shutil
    from datetime import date

    import polars as pl
    folder = tmp_path / "p"
    shutil.copytree(geo_folder, folder)
    pl.DataFrame({"period": [date(2025, 6, 1), date(2025, 7, 1)], "commune_code": ["05611", "05611"]}).write_parquet(
        folder / "subscribers.parquet")
    pl.DataFrame({"year": [2024], "commune_code": ["05611"]}).write_parquet(folder / "population.parquet")
    d = data.open(folder)
    subs = d.table("subscribers").collect()
    assert subs.select("commune_name", "commune_level").rows() == [("Thị trấn Đu", "commune"),
                                                                   ("Xã Phú Lương", "commune_2025")]
    assert d.table("population").collect()["commune_name"].to_list() == ["Thị trấn Đu"]
