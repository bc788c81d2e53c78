"""The explorer: one offline page where a reader picks any area (the province, a district or commune of the old
units, a commune of 1 July 2025) and any indicator, and sees its monthly series, the projection with its 80%
interval, the target, its status and when it is met, and where it ranks among its peers (the other districts; the
communes of its district; the other communes of 1 July 2025).

Everything is one Vega-Lite spec with two selectors. To stay within the page budget each series is embedded once
as a row holding its values (tenths, as integers) and filtered before it is unrolled, so the page carries every
month of every area (about 160,000 values) in about 1 MB; numbers and months are formatted in the page's
language by the runtime (`charts.LOCALES`).
"""
from __future__ import annotations

from datetime import date

import polars as pl

from analysis import palette
from analysis.areas import REFORM_LEVELS
from analysis.charts import BLUE, CONFIG, RED, SCHEMA, Figure, packed
from analysis.geography import Geography
from analysis.targets import TargetSet
from analysis.text import catalogue, eta

ORDER = ("province", "district", "commune", REFORM_LEVELS["province"], REFORM_LEVELS["commune"])
SCALE = 10   # values travel as tenths: one decimal is what the pages show
SHORT = {"value": "v", "projected": "p", "lower": "l", "upper": "h"}   # the series' arrays, named short in the page


def _areas(geo: Geography, lang: str, levels: set[str]) -> list[dict]:
    """Every area that has figures, in the order a reader looks for it: the province, its districts, each
    district's communes, then the units of 1 July 2025; with the label its option shows."""
    c = catalogue(lang)
    a = geo.areas.filter(pl.col("level").is_in(list(levels)))
    a = a.with_columns(rank=pl.col("level").replace_strict({lv: i for i, lv in enumerate(ORDER)}, default=9))
    district = {code: n for code, n in geo.areas.filter(pl.col("level") == "district")
                .select("area_code", f"name_{lang}").iter_rows()}
    rows = []
    for r in a.sort("rank", "parent_code", f"name_{lang}", nulls_last=False).iter_rows(named=True):
        name = r[f"name_{lang}"]
        if r["level"] == "commune":
            label = f"{name} — {district.get(r['parent_code'], r['parent_code'])}"
        else:
            label = f"{name} ({c['explorer_levels'][r['level']]})"
        rows.append({"code": r["area_code"], "level": r["level"], "parent": r["parent_code"] or "", "label": label,
                     "name": name})
    return rows


def figure(ind: pl.DataFrame, trajectories: pl.DataFrame, status: pl.DataFrame, target_set: TargetSet, lang: str,
           geo: Geography, as_of: date, start: str | None = None) -> Figure:
    """The explorer's one interactive figure (no static image: it prints the selection on screen)."""
    c = catalogue(lang)
    levels = set(ind["area_level"].unique().to_list())
    areas = _areas(geo, lang, levels)
    index = {(a["level"], a["code"]): i for i, a in enumerate(areas)}
    targets = {tg.id: tg for tg in target_set.targets}
    indicators = [tg.id for tg in target_set.targets] + sorted(set(ind["indicator_id"].unique()) - set(targets))
    from analysis import metadata
    names = [metadata.get(i).name(lang) if i in metadata.catalogue() else i for i in indicators]
    ids = {i: k for k, i in enumerate(indicators)}

    def series(frame: pl.DataFrame, cols: tuple[str, ...]) -> list[dict]:
        """Each (indicator, area)'s months as one row: its first month and its values in tenths, None where a
        month is missing. The months and values of every series gathered in one query (a query a series took
        0.6 s of an explorer page: 4,300 series)."""
        if "value" in cols:
            frame = frame.filter(pl.col("period") <= as_of)
        grouped = (frame.sort("period")
                   .group_by(["indicator_id", "area_level", "area_code"], maintain_order=True)
                   .agg(pl.col("period").dt.year().cast(pl.Int32) * 12 + pl.col("period").dt.month() - 1,
                        *cols))
        out = []
        for i, lv, code, months, *values in grouped.iter_rows():
            at = index.get((lv, code))
            if at is None or i not in ids:
                continue
            first = months[0]
            if months[-1] - first + 1 != len(months):   # gaps: a value per month, None where one is missing
                place = {m - first: k for k, m in enumerate(months)}
                values = [[None if m not in place else v[place[m]] for m in range(months[-1] - first + 1)]
                          for v in values]
            row = {"a": at, "i": ids[i], "m": first}
            for col, v in zip(cols, values):
                row[SHORT[col]] = [None if x is None or x != x else round(x * SCALE) for x in v]
            out.append(row)
        return out

    observed = series(ind.filter(pl.col("value").is_not_null()), ("value",))
    projected = series(trajectories, ("projected", "lower", "upper")) if trajectories.height else []
    judged = [{"a": index[(r["area_level"], r["area_code"])], "i": ids[r["indicator_id"]],
               "v": None if r["latest_value"] is None else round(r["latest_value"] * SCALE),
               "w": palette.label(r["status"], lang),
               "e": eta(r, lang), "s": r["status"]}
              for r in status.iter_rows(named=True)
              if (r["area_level"], r["area_code"]) in index and r["indicator_id"] in ids]
    goals = [{"i": ids[tg.id], "t": tg.target, "d": tg.target_date.isoformat()} for tg in target_set.targets
             if tg.id in ids]
    places = [{"a": k, "l": a["level"], "p": a["parent"], "n": a["name"]} for k, a in enumerate(areas)]
    judged_data, unpack_judged = packed(judged)

    # Shown first: the area asked for, else the department's province (the plan's units before the reform's).
    start = start or geo.department
    first_area = next((k for k, a in enumerate(areas) if a["code"] == start), 0)
    key = next((tg.id for tg in target_set.targets if tg.key), indicators[0])
    params = [
        {"name": "area", "value": first_area,
         "bind": {"input": "select", "options": list(range(len(areas))), "labels": [a["label"] for a in areas],
                  "name": f"{c['explorer_area']} "}},
        {"name": "ind", "value": ids[key],
         "bind": {"input": "select", "options": list(range(len(indicators))), "labels": names,
                  "name": f"{c['explorer_indicator']} "}}]
    mine = "datum.a == area && datum.i == ind"
    # The series of the selection, unrolled: one row per month (the window numbers them in order).
    unroll = lambda fields: [{"filter": mine}, {"flatten": fields},
                             {"window": [{"op": "row_number", "as": "k"}]},
                             {"calculate": "utc(floor((datum.m + datum.k - 1) / 12), (datum.m + datum.k - 1) % 12, 1)",
                              "as": "period"},
                             {"calculate": "utcFormat(datum.period, '%m/%Y')", "as": "when"}]
    x = {"field": "period", "type": "temporal", "title": None, "scale": {"type": "utc"},
         "axis": {"format": "%m/%Y", "tickCount": {"interval": "month", "step": 6}}}
    value = lambda f: {"calculate": f"datum.{f} == null ? null : datum.{f} / {SCALE}", "as": f"{f}_"}
    tip = [{"field": "when", "title": c["month"]},
           {"field": "v_", "type": "quantitative", "format": ",.1f", "title": c["chart_value"]}]
    ptip = [{"field": "when", "title": c["month"]},
            {"field": "p_", "type": "quantitative", "format": ",.1f", "title": c["chart_projected"]},
            {"field": "l_", "type": "quantitative", "format": ",.1f", "title": c["chart_interval"]},
            {"field": "h_", "type": "quantitative", "format": ",.1f", "title": " "}]
    trend = {
        "width": "container", "height": 260,
        "layer": [
            {"data": {"name": "projected"}, "transform": [*unroll(["p", "l", "h"]), value("p"), value("l"), value("h"),
                                                         {"filter": "datum.p_ != null"}],
             "layer": [{"mark": {"type": "area", "opacity": 0.18, "color": BLUE},
                        "encoding": {"x": x, "y": {"field": "l_", "type": "quantitative"}, "y2": {"field": "h_"}}},
                       {"mark": {"type": "line", "strokeDash": [4, 3], "color": BLUE,
                                 "point": {"size": 24, "opacity": 0.35}},
                        "encoding": {"x": x, "y": {"field": "p_", "type": "quantitative"}, "tooltip": ptip}}]},
            {"data": {"name": "observed"}, "transform": [*unroll(["v"]), value("v"), {"filter": "datum.v_ != null"}],
             "mark": {"type": "line", "color": BLUE, "point": {"filled": True, "size": 30}},
             "encoding": {"x": x, "y": {"field": "v_", "type": "quantitative", "title": None,
                                        "scale": {"zero": False}}, "tooltip": tip}},
            {"data": {"name": "goals"}, "transform": [{"filter": "datum.i == ind"}],
             "mark": {"type": "rule", "color": RED, "strokeDash": [6, 4]},
             "encoding": {"y": {"field": "t", "type": "quantitative"},
                          "tooltip": [{"field": "t", "type": "quantitative", "format": ",.1f",
                                       "title": c["chart_target"]}]}}]}
    # The status of the selection, written over the chart (the text a reader looks for first).
    trend["layer"].append({"data": {"name": "judged"},
                           "transform": [*unpack_judged, {"filter": mine},
                                         {"calculate": "datum.w + ' · ' + datum.e", "as": "line"}],
                           "mark": {"type": "text", "align": "left", "baseline": "bottom", "x": 0, "y": -6,
                                    "fontSize": 13, "fontWeight": "bold", "color": "#222",
                                    "limit": {"expr": "width"}},
                           "encoding": {"text": {"field": "line"}}})
    colours = palette.vega_scale(lang)
    peers = {"data": {"name": "judged"}, "width": "container", "height": {"step": 26},
             "title": {"text": c["explorer_peers"], "fontSize": 13},
             "transform": [*unpack_judged, {"filter": "datum.i == ind"},
                           {"lookup": "a", "from": {"data": {"name": "places"}, "key": "a", "fields": ["l", "p", "n"]}},
                           {"calculate": "area", "as": "sel"},
                           {"lookup": "sel", "from": {"data": {"name": "places"}, "key": "a", "fields": ["l", "p"]},
                            "as": ["sl", "sp"]},
                           {"filter": "datum.l == datum.sl && datum.p == datum.sp && datum.v != null"},
                           {"calculate": f"datum.v / {SCALE}", "as": "v_"},
                           {"calculate": "(datum.a == area ? '▶ ' : '') + datum.n + ': ' + format(datum.v_, ',.1f')",
                            "as": "label"}],
             "encoding": {"y": {"field": "n", "type": "nominal", "sort": {"field": "v_", "op": "max", "order": "descending"},
                                "title": None, "axis": None}},
             # Each peer's name over its bar, so the bars take the page's whole width on a phone.
             "layer": [{"mark": {"type": "bar", "height": 9, "yOffset": 6},
                        "encoding": {"x": {"field": "v_", "type": "quantitative", "title": None},
                                     "color": {"field": "w", "type": "nominal", "scale": colours,
                                               "legend": {"title": c["legend_title"], "orient": "bottom",
                                                          "columns": 1, "labelLimit": 240}},
                                     "stroke": {"condition": {"test": "datum.a == area", "value": "#000"},
                                                "value": None},
                                     "strokeWidth": {"value": 2},
                                     "tooltip": [{"field": "n", "title": c["map_area"]},
                                                 {"field": "v_", "type": "quantitative", "format": ",.1f",
                                                  "title": c["col_latest"]},
                                                 {"field": "w", "title": c["col_status"]},
                                                 {"field": "e", "title": c["col_eta"]}]}},
                       {"mark": {"type": "text", "align": "left", "baseline": "middle", "x": 0, "yOffset": -5,
                                 "fontSize": 11},
                        "encoding": {"text": {"field": "label"}}}]}
    spec = {"$schema": SCHEMA, "params": params, "datasets": {
        "observed": observed, "projected": projected, "goals": goals, "places": places,
        "judged": judged_data["values"]}, "vconcat": [trend, peers], "config": CONFIG,
        "usermeta": {"margins": [75, 60]}}
    return Figure(spec, statics=[], cls="explorer")
