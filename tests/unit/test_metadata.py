"""Each indicator's facts live in one file (config/indicators/<id>.yml): the target sets, the indicators stage
and the pages read them from there, and a new indicator computed like an existing one is a new file, no code."""
from __future__ import annotations

import shutil
from datetime import date

import polars as pl
import pytest

from analysis import metadata, targets
from analysis.errors import AnalysisError
from analysis.indicators import compute

M = date(2024, 7, 1)  # July: each yearly population figure stands at July, so nothing is interpolated

# The README's worked example: FTTH subscriptions (household and business) per 100 inhabitants.
NEW = """\
id: ftth_subs_per_100
name_vi: "Số thuê bao cáp quang FTTH / 100 dân"
name_en: "FTTH subscriptions per 100 inhabitants"
short_vi: "TB FTTH/100"
short_en: "FTTH/100"
unit: "per 100 people"
ceiling: null
formula: per_100_people
params: {"services": ["ftth"]}
tables: ["subscribers", "population"]
scale: 100
numerator: "FTTH subscriptions, all operators and segments"
denominator: "population (statistics office, interpolated monthly) / 100"
gap_unit: "subscriptions"
gap_unit_vi: "thuê bao"
gap_unit_en: "subscriptions"
definition_vi: "Thuê bao FTTH mọi đối tượng / dân số × 100."
definition_en: "FTTH subscriptions, all segments / population × 100."
"""


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A copy of config/indicators/ the test may add to; the catalogue is read afresh from it."""
    copy = tmp_path / "indicators"
    shutil.copytree(metadata.FOLDER, copy)
    monkeypatch.setattr(metadata, "FOLDER", copy)
    metadata.catalogue.cache_clear()
    yield copy
    metadata.catalogue.cache_clear()


def test_every_target_of_every_set_names_an_indicator_with_a_file():
    for path in targets.CONFIG.glob("*.yml"):
        for tg in targets.load(path).targets:
            assert tg.indicator.id == tg.id and tg.name("vi") and tg.name("en"), (path.name, tg.id)


def test_a_target_does_not_restate_the_indicator_s_facts(tmp_path):
    bad = tmp_path / "t.yml"
    bad.write_text("id: x\nname_vi: x\nname_en: x\nsource: x\nbaseline: 2024-01\ntarget_date: 2025-12\n"
                   "targets:\n  - {id: households_fiber, target: 80, unit: '%'}\n", encoding="utf-8")
    with pytest.raises(AnalysisError, match=r"targets\.0\.unit"):
        targets.load(bad)


def test_a_new_indicator_is_one_file(folder):
    (folder / "ftth_subs_per_100.yml").write_text(NEW, encoding="utf-8")
    subs = pl.DataFrame({"period": [M] * 4, "district_code": ["170"] * 4, "commune_code": ["A", "A", "A", "B"],
                         "service": ["ftth", "ftth", "xdsl", "ftth"], "segment": ["household", "business", "household",
                                                                                  "household"],
                         "subscribers": [120, 30, 50, 60]})
    pop = pl.DataFrame({"district_code": ["170", "170"], "commune_code": ["A", "B"], "year": [2024, 2024],
                        "population": [1000, 3000], "households": [250, 750]})
    out = compute({"subscribers": subs, "population": pop}, only=["ftth_subs_per_100"])[0]
    get = lambda code: out.filter(pl.col("area_code") == code).row(0, named=True)  # noqa: E731
    # A: (120 + 30) FTTH / 1000 people × 100 = 15; B: 60 / 3000 × 100 = 2; the district: 210 / 4000 × 100 = 5.25.
    assert get("A")["value"] == pytest.approx(15.0) and get("B")["value"] == pytest.approx(2.0)
    assert get("170")["value"] == pytest.approx(5.25) and get("170")["unit"] == "per 100 people"
    # A target set may now judge it, and its gap counts subscriptions in the reader's words.
    t = targets.Target(id="ftth_subs_per_100", target=20)
    assert (t.name("vi"), t.indicator.gap_words("vi"), t.ceiling) == ("Số thuê bao cáp quang FTTH / 100 dân",
                                                                       "thuê bao", None)


def test_a_file_naming_an_unknown_formula_is_named(folder):
    (folder / "ftth_subs_per_100.yml").write_text(NEW.replace("formula: per_100_people", "formula: per_1000"),
                                                  encoding="utf-8")
    with pytest.raises(AnalysisError, match="no formula per_1000 for ftth_subs_per_100"):
        compute({})


def test_a_file_whose_id_is_not_its_name_is_refused(folder):
    (folder / "other.yml").write_text(NEW, encoding="utf-8")
    with pytest.raises(AnalysisError, match="differs from the file's name"):
        metadata.catalogue()


def test_a_gap_unit_needs_its_words_in_both_languages(folder):
    (folder / "ftth_subs_per_100.yml").write_text(NEW.replace('gap_unit_en: "subscriptions"\n', ""), encoding="utf-8")
    with pytest.raises(AnalysisError, match="gap_unit_vi and gap_unit_en"):
        metadata.catalogue()
