"""Chart and map specs: what a reader hovers (values, months and intervals written the page's way), time axes that
do not crowd, data that cannot end its script element, and packed data that unpacks to the rows it came from."""
from __future__ import annotations

import json
import logging
import re
from datetime import date

import polars as pl

from analysis import charts


def _series():
    observed = pl.DataFrame({"period": [date(2025, 1, 1), date(2025, 2, 1)], "value": [83.456, 84.04]})
    projected = pl.DataFrame({"period": [date(2025, 3, 1)], "projected": [84.6], "lower": [83.26],
                              "upper": [85.949]})
    return observed, projected


def test_tooltips_carry_values_months_and_intervals_computed_from_the_numbers():
    """Each number travels once; the tooltip's texts are computed by the page's runtime (the values a reader sees
    are checked in chromium, test_browser); dates are UTC so no time zone moves a month."""
    observed, projected = _series()
    spec = charts.trend(observed, projected, 85.0, date(2025, 12, 1), title="Cáp quang", unit="%", lang="vi",
                        baseline=(date(2023, 9, 1), 75.9))
    obs = spec["layer"][0]
    assert obs["data"]["values"] == [{"period": "2025-01-01", "value": 83.456}, {"period": "2025-02-01", "value": 84.04}]
    made = {t["as"]: t["calculate"] for t in obs["transform"]}
    assert made["when"] == "utcFormat(toDate(datum.period), \"%m/%Y\")"
    assert made["shown"].endswith("format(datum.value, ',.1f') + \" %\"")
    assert [t["field"] for t in obs["encoding"]["tooltip"]] == ["when", "shown"]
    assert [t["title"] for t in obs["encoding"]["tooltip"]] == ["Tháng", "Giá trị"]
    line = spec["layer"][2]
    assert {t["as"] for t in line["transform"]} == {"when", "shown", "interval"}
    assert [t["title"] for t in line["encoding"]["tooltip"]] == ["Tháng", "Dự báo", "Khoảng dự báo 80%"]
    assert spec["datasets"]["projection"] == [{"period": "2025-03-01", "projected": 84.6, "lower": 83.26,
                                               "upper": 85.949}]
    assert obs["encoding"]["x"]["scale"] == {"type": "utc"}
    yearly = charts.trend(observed, None, 94, date(2025, 12, 1), title="t", unit="", lang="en", frequency="yearly")
    made = {t["as"]: t["calculate"] for t in yearly["layer"][0]["transform"]}
    assert made["when"] == "utcFormat(toDate(datum.period), \"%Y\")" and made["shown"].endswith('+ ""')


def test_numbers_in_the_browser_use_the_language_s_separators():
    assert charts.number_locale("vi") == {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", ""]}
    assert charts.number_locale("en")["decimal"] == "."


def test_time_axes_by_frequency_and_text_at_least_11_px():
    observed, _ = _series()
    yearly = charts.trend(observed, None, 94, date(2025, 12, 1), title="t", unit="%", lang="vi", frequency="yearly")
    axis = yearly["layer"][0]["encoding"]["x"]["axis"]
    assert axis["format"] == "%Y" and axis["tickCount"] == {"interval": "year", "step": 1}
    monthly = charts.trend(observed, None, 94, date(2025, 12, 1), title="t", unit="%", lang="vi")
    assert monthly["layer"][0]["encoding"]["x"]["axis"]["tickCount"] == {"interval": "month", "step": 6}
    assert monthly["config"]["axis"]["labelOverlap"] == "parity"
    assert min(monthly["config"]["axis"]["labelFontSize"], monthly["config"]["axis"]["titleFontSize"]) >= 11


def test_the_static_image_has_a_fixed_width_and_no_hover_points():
    observed, projected = _series()
    spec = charts.trend(observed, projected, 85.0, date(2025, 12, 1), title="t", unit="%", lang="vi")
    still = charts.static(spec)
    assert spec["width"] == "container" and still["width"] == charts.STATIC_WIDTH
    assert not any(isinstance(l["mark"], dict) and "point" in l["mark"] for l in still["layer"])
    svg = charts.svg(spec)
    assert svg.startswith("<svg") and "<script" not in svg


def test_text_in_the_data_cannot_end_the_script_element():
    hostile = {"title": "</script><script>alert(1)</script> & <!--", "n": "\u2028"}
    text = charts.script_json(hostile)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == hostile


def test_packed_data_unpacks_to_its_rows():
    rows = [{"p": i, "l": ["district", "commune"][i % 2], "s": "missed" if i % 3 else "achieved", "v": f"{i},0 %"}
            for i in range(40)]
    data, transforms = charts.packed(rows)
    columns = data["values"][0]
    assert transforms[0] == {"flatten": ["p", "l", "s", "v"]}
    # Few distinct words are written once and indexed; the rest stay as they are.
    coded = {t["as"]: json.loads(t["calculate"].split("[datum")[0]) for t in transforms[1:]}
    assert set(coded) == {"l", "s"} and coded["l"] == ["district", "commune"]
    unpacked = [{k: (coded[k][columns[k][i]] if k in coded else columns[k][i]) for k in columns}
                for i in range(len(rows))]
    assert unpacked == rows
    assert len(json.dumps(data)) < len(json.dumps(rows)) / 2


def test_an_area_with_no_figure_gets_a_sentence_not_an_empty_chart():
    """The applications' register is the province's only: a district page says so instead of drawing an empty
    frame (which Vega drew with an 'Infinite extent' warning)."""
    from analysis import report
    from analysis.targets import load
    target = load().get("state_apps_on_cloud")
    ind = pl.DataFrame({"indicator_id": ["state_apps_on_cloud"], "area_code": ["19"], "area_level": ["province"],
                        "period": [date(2024, 12, 31)], "value": [40.0]})
    none = report.indicator_chart(ind, pl.DataFrame(), target, "164", date(2024, 12, 1), "en")
    assert not isinstance(none, charts.Figure)
    assert none.data == ('<p>Shared state applications on domestic cloud: no figure for this area (the indicator is '
                         'measured for the province as a whole, or not reported yet), so no chart.</p>')
    drawn = report.indicator_chart(ind, pl.DataFrame(), target, "19", date(2025, 1, 1), "vi")
    assert isinstance(drawn, charts.Figure)


def test_the_page_runtime_is_built_without_a_word_on_the_terminal(capfd, caplog):
    """vl-convert 2's bundler logs its passes at ERROR ("tree-shaker; pass=1"), which Python prints on stderr when
    no handler is set: the bundle is built without a record of that level, still holding Vega-Embed under the name
    the page's script calls."""
    with caplog.at_level(logging.WARNING):
        bundle = charts._bundle().decode()
    assert [r.getMessage() for r in caplog.records] == []
    assert capfd.readouterr() == ("", "")
    assert re.search(r"window\.vegaEmbed\s*=", bundle) and len(bundle) > 500_000   # (minified: `=pr4;`)


def test_a_chart_s_title_is_the_figure_s_caption_wrapped_by_the_browser_and_escaped(monkeypatch):
    """Vega draws a title on one line, so at 390 px a long indicator name was cut at the chart's edge; on a page
    the title is the figure's caption (text the browser wraps, escaped like every operator-supplied word), and
    neither the chart the browser draws nor its static image carries it a second time."""
    monkeypatch.setenv("ANALYSIS_CHART_CACHE", "off")
    observed, projected = _series()
    title = "Tỷ lệ hộ gia đình có truy nhập Internet băng rộng cáp quang <b>&</b>"
    spec = charts.trend(observed, projected, 85.0, date(2025, 12, 1), title=title, unit="%", lang="vi")
    html = charts.Figure(spec).html()
    caption = re.search(r'<figcaption class="chart-title">(.*?)</figcaption>', html).group(1)
    assert caption == ("Tỷ lệ hộ gia đình có truy nhập Internet băng rộng cáp quang "
                       "&lt;b&gt;&amp;&lt;/b&gt;")
    spec_json = re.search(r'<script type="application/json" class="chart-spec">(.*?)</script>', html).group(1)
    drawn = json.loads(spec_json)
    assert "title" not in drawn and drawn["layer"] == json.loads(json.dumps(spec["layer"]))
    static = html[html.index('class="chart-static"'):html.index('class="chart-spec"')]
    assert "Tỷ lệ hộ" not in static and "<svg" in static
    assert spec["title"] == title   # the spec itself (JupyterLab's) keeps its title
    # a title that is not plain text (a view's own, with its style) stays in the chart
    styled = {**spec, "title": {"text": "t", "fontSize": 13}}
    assert charts.captioned(styled) == (None, styled)


def test_a_series_that_barely_moves_is_drawn_on_an_axis_of_at_least_one_per_cent():
    """A district's hamlet coverage at 99.998-100% was drawn on an axis from 99,9975 to 100,0000: the axis now
    spans at least 1% of its largest value (at least 1), ending at that value; a series that moves keeps Vega's."""
    assert charts.y_scale([99.998, 100.0, 100.0]) == {"zero": False, "domain": [99.0, 100.0]}
    assert charts.y_scale([210.0, 210.5, None]) == {"zero": False, "domain": [210.5 - 2.105, 210.5]}
    assert charts.y_scale([0.2, 0.3]) == {"zero": False, "domain": [0, 1.0]}   # not below zero for a share
    assert charts.y_scale([70.0, 95.0]) == {"zero": False}
    flat = pl.DataFrame({"period": [date(2025, 1, 1), date(2025, 2, 1)], "value": [100.0, 100.0]})
    spec = charts.trend(flat, None, 100.0, date(2025, 12, 1), title="t", unit="%", lang="vi")
    assert spec["layer"][0]["encoding"]["y"]["scale"] == {"zero": False, "domain": [99.0, 100.0]}
