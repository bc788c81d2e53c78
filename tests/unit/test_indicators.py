from datetime import date

import polars as pl
import pytest

from analysis.indicators import households_fiber


def _subs(rows):
    return pl.DataFrame(rows, schema=["period", "district_code", "commune_code", "service", "segment", "subscribers"],
                        orient="row")


def test_households_fiber_by_hand():
    # Two communes of one district. Households stand at July: 100 and 200 in 2024, 120 and 200 in 2025, so at
    # 2025-01 (half way) they are 110 and 200. A has 55 household FTTH (2 operators), B has 250: B is capped
    # at 200 and flagged. Province and district: (55 + 200) / (110 + 200) = 82.258...%.
    pop = pl.DataFrame({"district_code": ["170"] * 4, "commune_code": ["A", "A", "B", "B"],
                        "year": [2024, 2025, 2024, 2025], "households": [100, 120, 200, 200]})
    m = date(2025, 1, 1)
    subs = _subs([(m, "170", "A", "ftth", "household", 30), (m, "170", "A", "ftth", "household", 25),
                  (m, "170", "A", "ftth", "business", 99), (m, "170", "B", "ftth", "household", 250),
                  (m, "170", "B", "xdsl", "household", 7)])
    out = households_fiber(subs, pop)
    get = lambda area: out.filter(pl.col("area_code") == area).row(0, named=True)
    assert get("A")["value"] == pytest.approx(50.0)
    assert get("B")["value"] == pytest.approx(100.0) and get("B")["capped"]
    assert get("19")["value"] == pytest.approx(255 / 310 * 100)
    assert get("170")["numerator"] == 255 and get("170")["denominator"] == pytest.approx(310)


def test_report_tables_escape_operator_text():
    from analysis.report import table
    html = table(pl.DataFrame({"x": ['<img src=x onerror="alert(1)">']})).to_html()
    assert "<img" not in html and "&lt;img" in html
