"""The headline a leader reads first, generated from the status table: worked by hand on a small case."""
from __future__ import annotations

from datetime import date

import polars as pl

from analysis import report_blocks as blocks
from analysis.areas import reference_areas
from analysis.geography import Geography
from analysis.targets import load
from tests.conftest import PROVINCE

GEO = Geography(reference_areas(PROVINCE), (PROVINCE,), PROVINCE)
PLAN = load("plan-171-2025")
THREE = PLAN.model_copy(update={"targets": [PLAN.get(i) for i in ("households_fiber", "bts_site_sharing",
                                                                    "hamlets_ftth_coverage")]})


def _status(rows):
    return pl.DataFrame(rows, schema={"indicator_id": pl.String, "area_code": pl.String, "area_level": pl.String,
                                      "status": pl.String, "gap": pl.Float64, "gap_count": pl.Float64,
                                      "gap_unit": pl.String}, orient="row")


STATUS = _status([
    ("households_fiber", PROVINCE, "province", "achieved", None, None, "households"),
    ("bts_site_sharing", PROVINCE, "province", "missed", 2.2, 33.0, "BTS positions"),
    ("hamlets_ftth_coverage", PROVINCE, "province", "missed", 1.5, 12.0, "hamlets"),
    # Thành phố Thái Nguyên (164): two targets short, 5/25 + 2/100 = 0.22 of their targets; Võ Nhai (170): one,
    # 10/85; district 167: none.
    ("bts_site_sharing", "164", "district", "missed", 5.0, 8.0, "BTS positions"),
    ("hamlets_ftth_coverage", "164", "district", "missed", 2.0, 3.0, "hamlets"),
    ("households_fiber", "170", "district", "missed", 10.0, 900.0, "households"),
    ("hamlets_ftth_coverage", "170", "district", "achieved", None, None, "hamlets"),
    ("households_fiber", "167", "district", "achieved", None, None, "households"),
])


def test_counts_then_the_largest_shortfalls_in_their_own_units_then_who_is_furthest_behind():
    html = blocks.headline(STATUS, THREE, "en", GEO, PROVINCE, "district").data
    assert "3 targets: 1 met, 2 missed." in html
    # BTS is 2.2 points short of 25 (8.8% of the target), hamlets 1.5 of 100 (1.5%): BTS first.
    assert ("Largest shortfalls: BTS shared % is 33 BTS positions short of 25.0 %; Hamlets FTTH % is 12 hamlets "
            "short of 100.0 %.") in html
    assert ("Furthest behind: Thai Nguyen City (2 of 2 targets short), Vo Nhai District (1 of 2 targets short)."
            in html)


def test_in_vietnamese_and_with_nothing_short():
    done = STATUS.with_columns(status=pl.lit("achieved"), gap=pl.lit(None, pl.Float64))
    html = blocks.headline(done, THREE, "vi", GEO, PROVINCE, "district").data
    assert "3 chỉ tiêu: 3 đạt." in html and "Thiếu nhiều nhất" not in html
    assert "Không đơn vị nào chưa đạt chỉ tiêu." in html


def test_a_target_with_no_row_counts_as_no_data_and_text_is_escaped():
    hostile = GEO.areas.with_columns(name_en=pl.when(pl.col("area_code") == "164").then(pl.lit("<b>x</b>"))
                                     .otherwise(pl.col("name_en")))
    geo = Geography(hostile, (PROVINCE,), PROVINCE)
    html = blocks.headline(STATUS.filter(pl.col("indicator_id") != "households_fiber"), THREE, "en", geo, PROVINCE,
                           "district").data
    assert "3 targets: 2 missed, 1 with no data." in html
    assert "&lt;b&gt;x&lt;/b&gt; (2 of 2 targets short)" in html and "<b>x</b>" not in html
