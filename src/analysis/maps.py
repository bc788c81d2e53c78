"""Where the targets are met and missed: maps of the status table, drawn offline from the official centres of the
units (`reference_areas`' lat, lon, from `vietnamadminunits`) as points, coloured by status with the pages' one
palette, its symbol and word in the legend and tooltip.

One interactive map with two selectors (the target; the geography: the old districts, the old communes, or the
communes of 1 July 2025), and for print a static map per key target of the set (`key: true` in its file). The
specs are Vega-Lite (`charts.Figure`), so JupyterLab draws the same map.
"""
from __future__ import annotations

import polars as pl

from analysis import palette
from analysis.areas import REFORM_LEVELS
from analysis.charts import CONFIG, SCHEMA, Figure, packed
from analysis.geography import Geography
from analysis.targets import TargetSet
from analysis.text import catalogue, eta, gap, value

LEVELS = ("district", "commune", REFORM_LEVELS["commune"])
SIZES = {"district": 320, "commune": 70, REFORM_LEVELS["commune"]: 90}
HEIGHT = 420


def _rows(status: pl.DataFrame, target_set: TargetSet, lang: str, geo: Geography, levels: tuple[str, ...],
          within: str | None) -> tuple[list[dict], list[dict]]:
    """The places (index, name, centre, dot size) and the judgements (place, level, target, status code, value,
    gap, when): each name once, each status's word once (looked up in the spec), to keep the page light."""
    areas = geo.areas.filter(pl.col("level").is_in(list(levels)) & pl.col("lat").is_not_null())
    if within is not None:
        areas = areas.filter(pl.col("parent_code") == within)
    rows = areas.select("level", "area_code", f"name_{lang}", "lat", "lon").rows()
    index = {(lv, c): i for i, (lv, c, *_rest) in enumerate(rows)}
    places = [{"p": i, "n": n, "lat": round(la, 4), "lon": round(lo, 4), "z": SIZES.get(lv, 60), "l": lv, "c": c}
              for i, (lv, c, n, la, lo) in enumerate(rows)]
    judged = []
    for r in status.filter(pl.col("area_level").is_in(list(levels))).iter_rows(named=True):
        tg = target_set.get(r["indicator_id"])
        at = index.get((r["area_level"], r["area_code"]))
        if tg is None or at is None:
            continue
        judged.append({"p": at, "l": r["area_level"], "i": tg.id, "s": r["status"],
                       "v": value(r["latest_value"], tg, lang), "g": gap(r, tg, lang), "e": eta(r, lang)})
    return places, judged


def _layers(lang: str, base: list[dict] | None, legend: bool = True, shapes: bool = False) -> list[dict]:
    c = catalogue(lang)
    tip = [{"field": "n", "title": c["map_area"]}, {"field": "v", "title": c["col_latest"]},
           {"field": "w", "title": c["col_status"]}, {"field": "g", "title": c["col_gap"]},
           {"field": "e", "title": c["col_eta"]}]
    at = {"longitude": {"field": "lon", "type": "quantitative"}, "latitude": {"field": "lat", "type": "quantitative"}}
    # Every old commune's centre as a faint dot under the districts: the province's shape, with no base map.
    under = [{"data": {"values": base}, "mark": {"type": "circle", "size": 10, "color": "#c8c8c8", "opacity": 0.8},
              "encoding": at}] if base else []
    colour = {"field": "w", "type": "nominal", "scale": palette.vega_scale(lang),
              "legend": {"title": c["legend_title"], "orient": "bottom", "columns": 2, "labelFontSize": 11,
                         "labelLimit": 260} if legend else None}
    # A unit the department's boundaries outline is drawn as its area, any other as a dot at its centre.
    areas = [{"transform": [{"filter": "datum.geo != null"}],
              "mark": {"type": "geoshape", "stroke": "#fff", "strokeWidth": 0.6},
              "encoding": {"shape": {"field": "geo", "type": "geojson"}, "color": colour, "tooltip": tip}}] \
        if shapes else []
    return under + areas + [
        {"transform": [{"filter": "datum.geo == null"}] if shapes else [],
         "mark": {"type": "circle", "stroke": "#222", "strokeWidth": 0.6, "opacity": 0.92},
         "encoding": {**at, "size": {"field": "z", "type": "quantitative", "scale": None}, "tooltip": tip,
                      "color": colour}},
        # District names where districts are drawn: a reader finds the place without a base map.
        {"transform": [{"filter": "datum.l == 'district'"}],
         "mark": {"type": "text", "dy": -14, "fontSize": 11, "color": "#222"},
         "encoding": {**at, "text": {"field": "n"}}}]


def _spec(judged: list[dict], places: list[dict], lang: str, test: str, legend: bool = True,
          base: list[dict] | None = None, features: list[dict] | None = None, **extra) -> dict:
    """The judgements that pass `test`, joined to their places and their status's word."""
    words = [{"s": s, "w": palette.label(s, lang)} for s in palette.STATUSES]
    data, unpack = packed(judged)
    places = [{k: p[k] for k in ("p", "n", "lat", "lon", "z")} for p in places]
    return {"$schema": SCHEMA, **extra, "projection": {"type": "mercator"}, "data": data,
            "transform": [*unpack, {"filter": test},
                          {"lookup": "p", "from": {"data": {"values": places}, "key": "p",
                                                   "fields": ["n", "lat", "lon", "z"]}},
                          {"lookup": "s", "from": {"data": {"values": words}, "key": "s", "fields": ["w"]}},
                          *([{"lookup": "p", "from": {"data": {"values": features}, "key": "p"}, "as": "geo"}]
                            if features else [])],
            "layer": _layers(lang, base, legend, bool(features)), "config": CONFIG}


def status_map(status: pl.DataFrame, target_set: TargetSet, lang: str, geo: Geography, *,
               indicator: str | None = None, within: str | None = None, boundaries: dict | None = None) -> Figure:
    """The interactive map (every target of the set, or one; every geography, or a district's communes) and its
    static prints (a map per key target of the set on the old communes; the one target's on a target page)."""
    c = catalogue(lang)
    levels = ("commune",) if within else LEVELS
    targets = [tg for tg in target_set.targets if indicator in (None, tg.id)]
    if indicator is not None:   # a target's page: its map carries that target's judgements, not the set's
        status = status.filter(pl.col("indicator_id") == indicator)
    places, judged = _rows(status, target_set, lang, geo, levels, within)
    features = _features(places, boundaries)
    first = next((tg for tg in targets if tg.key), targets[0])
    params = []
    if len(targets) > 1:
        params.append({"name": "target", "value": first.id,
                       "bind": {"input": "select", "options": [tg.id for tg in targets],
                                "labels": [tg.name(lang) for tg in targets], "name": f"{c['map_target']} "}})
    present = [lv for lv in levels if any(j["l"] == lv for j in judged)] or list(levels)
    if len(present) > 1:
        start = "district" if "district" in present else present[0]
        params.append({"name": "geography", "value": start,
                       "bind": {"input": "select", "options": present,
                                "labels": [c["map_levels"][lv] for lv in present], "name": f"{c['map_geography']} "}})
    target_test = "datum.i == target" if len(targets) > 1 else f"datum.i == {_js(targets[0].id)}"
    level_test = "datum.l == geography" if len(present) > 1 else f"datum.l == {_js(present[0])}"
    base = [{"lat": p["lat"], "lon": p["lon"]} for p in places if p["l"] == "commune"] \
        if "district" in present else None
    spec = _spec(judged, places, lang, f"{target_test} && {level_test}", base=base, features=features,
                 width="container", height=HEIGHT, params=params)
    # Print: the key targets (or the page's one target) on the old communes (a district's page: its own).
    printed = [tg for tg in targets if tg.key] if len(targets) > 1 else targets
    level = "commune" if "commune" in present else present[0]
    statics = [_spec(judged, places, lang, f"datum.i == {_js(tg.id)} && datum.l == {_js(level)}",
                     legend=False, features=features, title=tg.indicator.short(lang), width=220, height=220)
               for tg in printed]
    # The printed maps share one legend (the page's vocabulary), written once under them.
    from analysis.report_blocks import legend_items
    from analysis.templating import render
    shared = render("legend.html.j2", title=c["legend_title"], items=legend_items(lang), cls="print-only")
    return Figure(spec, extra=shared, statics=statics, cls="map")


def _features(places: list[dict], boundaries: dict | None) -> list[dict]:
    """The department's outline of each place it has one for (config/run.yml `boundaries`), keyed by place."""
    if not boundaries:
        return []
    from analysis import boundaries as shapes
    outlines = shapes.load(boundaries)
    return [{"p": p["p"], "type": "Feature", "properties": {}, "geometry": outlines[p["l"]][p["c"]]}
            for p in places if p["c"] in outlines.get(p["l"], {})]


def _js(text: str) -> str:
    """A string literal of Vega's expression language (JSON's is one)."""
    import json
    return json.dumps(text)
