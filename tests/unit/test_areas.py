import unicodedata

import polars as pl
import pytest

from analysis.areas import reference_areas
from analysis.clean.resolve import AreaResolver
from tests.conftest import PROVINCE


@pytest.fixture(scope="module")
def resolver():
    return AreaResolver(reference_areas(PROVINCE))


def test_reference_areas_match_the_published_counts():
    # real-figures.md C: 9 district-level units and 172 commune-level units (NQ 1240, from 1 Dec 2024).
    a = reference_areas(PROVINCE)
    assert a.filter(a["level"] == "district").height == 9
    assert a.filter(a["level"] == "commune").height == 172
    per_district = a.filter(a["level"] == "commune").group_by("parent_code").len()
    assert dict(per_district.iter_rows()) == {"164": 32, "165": 10, "167": 22, "168": 14, "169": 14, "170": 15,
                                              "171": 27, "172": 18, "173": 20}


def test_the_units_from_the_2025_reform_follow_the_old_ones():
    # real-figures.md D: from 1 July 2025 Thái Nguyên (code 19 kept) has 92 commune-level units (77 xã, 15 phường)
    # and no district level; the old units end on 30 June 2025.
    from datetime import date
    from analysis.areas import units_on
    a = reference_areas(PROVINCE)
    new = a.filter(a["level"] == "commune_2025")
    assert new.height == 92 and set(new["parent_code"]) == {"19"}
    assert new["name_vi"].str.starts_with("Xã ").sum() == 77 and new["name_vi"].str.starts_with("Phường ").sum() == 15
    assert set(units_on(a, date(2025, 6, 30))["level"]) == {"province", "district", "commune"}
    after = units_on(a, date(2025, 7, 1))
    assert set(after["level"]) == {"province_2025", "commune_2025"} and after.height == 93
    # Codes were reused (05503 is an old ward and a new one), so a code is one unit per level, not overall.
    assert a.filter(a["area_code"] == "05503")["level"].sort().to_list() == ["commune", "commune_2025"]


def test_bac_kan_went_into_thai_nguyen():
    # real-figures.md D: NQ 202/2025/QH15 merged Bắc Kạn (06) into Thái Nguyên (19); Cao Bằng (04) stayed alone.
    from analysis.crosswalk import new_provinces
    assert new_provinces(["06"]) == ["19"] and new_provinces(["19", "06"]) == ["19"]
    assert new_provinces(["04"]) == ["04"]


@pytest.mark.parametrize("district, commune", [
    ("Thành phố Thái Nguyên", "Phường Quan Triều"), ("TP. Thái Nguyên", "P. Quan Triều"),
    ("Thai Nguyen city", "Quan Trieu ward"), ("tp thai nguyen", "p quan trieu"), ("164", "05431"),
    (None, "Quan Triều"), (unicodedata.normalize("NFD", "TP. Thái Nguyên"), unicodedata.normalize("NFD", "Quan Triều")),
])
def test_spellings_of_quan_trieu_resolve_to_its_code(resolver, district, commune):
    # 05431 is Phường Quan Triều of TP Thái Nguyên (164) in the statistics office's list.
    code, parent, _ = resolver.commune(district, commune)
    assert (code, parent) == ("05431", "164")


def test_a_name_that_begins_like_a_prefix_keeps_it(resolver):
    # Xã Quân Chu (Đại Từ, 171): "Quân" folds to "quan", which must not be stripped as "Quận".
    assert resolver.commune("Đại Từ", "Quân Chu")[:2] == ("05851", "171")


def test_fuzzy_match_is_recorded_and_a_stranger_is_refused(resolver):
    code, _, how = resolver.commune("Đại Từ", "Quân Chuu")
    assert code == "05851" and how.startswith("fuzzy:")
    code, _, how = resolver.commune("Đại Từ", "Xã Không Có")
    assert code is None and "not recognised" in how


def test_province_boxes_hold_every_commune_centre_of_their_province():
    # The package's own box for Thừa Thiên Huế (46) is Huế city's; the wards' boxes widen it.
    import polars as pl
    from analysis.areas import national_units, province_boxes
    boxes = province_boxes()
    assert boxes.height == 63
    units = national_units().join(boxes, left_on="provinceCode", right_on="province_code")
    outside = units.filter(~pl.col("wardLat").is_between("lat_min", "lat_max")
                           | ~pl.col("wardLon").is_between("lon_min", "lon_max"))
    assert outside.height == 0
    tn = boxes.filter(pl.col("province_code") == "19").row(0, named=True)
    (a, b), (c, d) = [tuple(map(float, p.split(","))) for p in
                      national_units().filter(pl.col("provinceCode") == "19")["provinceBounds"][0].split("–")]
    # Thái Nguyên's own box holds its wards but for one ward edge 0.0002° (about 20 m) further north.
    assert (tn["lat_min"], tn["lon_min"], tn["lon_max"]) == (min(a, c), min(b, d), max(b, d))
    assert max(a, c) < tn["lat_max"] < max(a, c) + 0.001


@pytest.fixture(scope="module")
def merged():
    """The department's scope since July 2025: Thái Nguyên (primary) and Bắc Kạn, which joined it."""
    return AreaResolver(reference_areas(["19", "06"]), primary="19")


@pytest.mark.parametrize("district, commune, expected", [
    # Names the two old provinces share (package codes): the unit word or the marks tell them apart...
    (None, "Xã Tân Lập", ("02032", "064")),        # Chợ Đồn, Bắc Kạn; Thái Nguyên's is Phường Tân Lập (05464)
    (None, "Phường Sông Cầu", ("01837", "058")),   # Bắc Kạn city; Thái Nguyên's is Thị trấn Sông Cầu (05656)
    (None, "Văn Lang", ("02140", "066")),          # Na Rì; Thái Nguyên's is Xã Văn Lăng of Đồng Hỷ (05665)
    (None, "Văn Lăng", ("05665", "169")),
    # ...and when nothing does, the primary province's is read, as the department's own files always were.
    (None, "Tân Lập", ("05464", "164")),
    # A name only Bắc Kạn has, with or without its district.
    (None, "Phường Đức Xuân", ("01840", "058")), ("Bắc Kạn", "Đức Xuân", ("01840", "058")),
    ("Huyện Na Rì", "Văn Lang", ("02140", "066")),
])
def test_a_scope_of_two_provinces_reads_the_primary_first(merged, district, commune, expected):
    assert merged.commune(district, commune)[:2] == expected


def test_the_survey_names_either_province_of_the_scope(merged):
    assert merged.area("Tỉnh Thái Nguyên")[:2] == ("19", "province")
    assert merged.area("Tỉnh Bắc Kạn")[:2] == ("06", "province")
    assert merged.area("Thái Nguyên")[0] is None  # the province or its city: still refused
    assert merged.area("Huyện Na Rì")[:2] == ("066", "district")


def test_the_default_scope_is_the_department_and_the_province_that_joined_it():
    from analysis.clean.stage import provinces_in
    assert provinces_in(None) == ["19", "06"]
    assert provinces_in("06,19") == ["06", "19"]  # as given: the first is the primary


def test_a_target_set_judges_the_areas_of_its_own_provinces(tmp_path):
    # Plan 171 was Thái Nguyên's: with Bắc Kạn in the data since July 2025, its old areas are not judged by it; the
    # units of 1 July 2025 (the merged province's, Bắc Kạn's part included) are; Cao Bằng's (04, in a ministry's
    # data) are not, old or new.
    from datetime import date
    from analysis.targets import load
    from analysis.trajectory.engine import _in_scope
    reference_areas(["19", "06", "04"]).write_parquet(tmp_path / "reference_areas.parquet")
    cao_bang = reference_areas("04").filter(pl.col("level") == "commune_2025")["area_code"][0]
    rows = [("province", "19"), ("province", "06"), ("district", "164"), ("district", "066"), ("commune", "05431"),
            ("commune", "02140"), ("commune_2025", "01840"), ("province_2025", "19"), ("province", "04"),
            ("commune_2025", cao_bang), ("province_2025", "04")]
    ind = pl.DataFrame(rows, schema=["area_level", "area_code"], orient="row").with_columns(
        period=pl.lit(date(2025, 8, 1)))
    kept = _in_scope(ind, tmp_path, load("plan-171-2025"))
    assert kept.select("area_level", "area_code").rows() == [
        ("province", "19"), ("district", "164"), ("commune", "05431"), ("commune_2025", "01840"),
        ("province_2025", "19")]
    assert _in_scope(ind, tmp_path, load("national-2025")).height == len(rows)  # every province's orientation


def test_the_units_read_straight_from_the_package_s_file_are_the_package_s_own():
    """`analysis.adminunits` reads the package's SQLite file without importing the package (its parser costs
    0.65 s a process): the rows must be those the package's own `query` gives, and the package must stay unloaded."""
    import subprocess
    import sys

    from vietnamadminunits.database.main import query as theirs

    from analysis.adminunits import query as ours
    for sql in ("SELECT * FROM admin_units_legacy ORDER BY wardCode, districtCode, provinceCode",
                "SELECT * FROM admin_units ORDER BY wardCode"):
        assert ours(sql) == theirs(sql)
    code = ("import sys, analysis.clean.stage, analysis.geography, analysis.crosswalk as c; c._converter(); "
            "print('vietnamadminunits' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
