"""Charts as Vega-Lite specifications: interactive on the pages and in JupyterLab, a static SVG for print.

One spec per chart, two ways to show it:
- On a report page (the runner sets `PAGE_ENV`): a figure holding the spec, drawn by the Vega runtime the page
  carries (tooltips with value, month, interval and target; the chart takes the page's width), and the same chart
  as a static SVG drawn here by vl-convert, which the page prints and shows if the script cannot run.
- In JupyterLab: the spec under the Vega-Lite MIME type, drawn by JupyterLab's own renderer.

Report notebooks build their specs here rather than through Altair: `import altair` costs about a second (its
JSON-schema machinery), paid again by each report kernel of a run, for the same spec. Analysts can pass any of
these specs to `alt.Chart.from_dict`.
"""
from __future__ import annotations

import base64
import gzip
import json
import logging
import os
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import polars as pl

from analysis import chart_cache, palette, paths
from analysis.text import catalogue

# JupyterLab 4 draws Vega-Lite 5 (application/vnd.vegalite.v5+json); the specs use nothing Vega-Lite 6 changed, and
# the pages draw them with Vega-Lite 6, whose Vega (6) is the one vl-convert bundles: a Vega-Lite 5 runtime over
# Vega 6 warns in the console on every chart.
VL_VERSION = "6.4"
SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"   # an identifier only: nothing is fetched
MIME = "application/vnd.vegalite.v5+json"
PAGE_ENV = "ANALYSIS_PAGE"      # set by the runner for the kernels whose notebooks become pages
STATIC_WIDTH = 560
BLUE, RED = palette.OKABE_ITO["blue"], palette.OKABE_ITO["vermillion"]

# Time axes that never overlap: a tick every six months on monthly series, every quarter's first month on
# quarterly ones, every year on yearly ones. Labels that would collide are hidden every other one ("parity"), so
# those left keep a regular step (01/2021, 01/2023, 01/2025 at 390 px; "greedy" left 01/2021, 07/2022, 07/2023).
AXES = {
    "monthly": {"format": "%m/%Y", "tickCount": {"interval": "month", "step": 6}},
    "dated": {"format": "%m/%Y", "tickCount": {"interval": "month", "step": 6}},
    "quarterly": {"format": "Q%q/%Y", "tickCount": {"interval": "month", "step": 3}},
    "yearly": {"format": "%Y", "tickCount": {"interval": "year", "step": 1}},
}
# Text at least 11 px at every width: the interactive chart takes the page's width instead of being scaled down.
CONFIG = {"view": {"stroke": None}, "font": "system-ui, sans-serif",
          "axis": {"labelFontSize": 11, "titleFontSize": 11, "labelOverlap": "parity", "labelSeparation": 6,
                   "labelAngle": 0},
          # a first or last label within 20 px of the chart's end is set inside it, not cut at its edge (at 390 px
          # a kept 07/2028 ran past it)
          "axisX": {"labelFlush": 20},
          "legend": {"labelFontSize": 11, "titleFontSize": 11}, "title": {"fontSize": 14, "anchor": "start"}}


def _values(frame: pl.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts: dates as ISO strings, numbers to 4 decimals (a chart draws no finer; the page
    carries less), NaN and None dropped by Vega-Lite as missing."""
    return json.loads(frame.with_columns(pl.col(pl.Date).cast(pl.String), pl.col(pl.Float64).round(4)).write_json())


def packed(rows: list[dict]) -> tuple[dict, list[dict]]:
    """Many rows for a spec, light: one object of columns (Vega-Lite's `flatten` makes the rows again), and a
    column with few distinct values written once each and indexed (a `calculate` decodes it). Returns the data
    and the transforms that restore the rows; 2,355 map rows weigh 0.3 MB as JSON rows, about 0.1 MB packed."""
    names = list(rows[0]) if rows else []
    columns, transforms = {}, [{"flatten": names}] if names else []
    for name in names:
        col = [r.get(name) for r in rows]
        distinct = list(dict.fromkeys(col))
        if len(distinct) * 4 < len(col) and all(isinstance(v, str) for v in distinct):
            index = {v: i for i, v in enumerate(distinct)}
            columns[name] = [index[v] for v in col]
            transforms.append({"calculate": f"{json.dumps(distinct, ensure_ascii=False)}[datum[{json.dumps(name)}]]",
                               "as": name})
        else:
            columns[name] = col
    return {"values": [columns]}, transforms


def _texts(value: str, unit: str, frequency: str, **more: str) -> list[dict]:
    """What a tooltip writes, computed by the page's runtime from the numbers: the month (a year for a yearly
    series) and the value with its unit, in the page's language (the runtime formats with the separators of
    `number_locale`): the page carries each number once, not its text as well."""
    suffix = json.dumps(f" {unit}" if unit else "", ensure_ascii=False)
    month_format = json.dumps("%Y" if frequency == "yearly" else "%m/%Y")
    out = [{"calculate": f"utcFormat(toDate(datum.period), {month_format})", "as": "when"},
           {"calculate": f"datum.{value} == null ? null : format(datum.{value}, ',.1f') + {suffix}", "as": "shown"}]
    for name, expr in more.items():
        out.append({"calculate": expr.replace("SUFFIX", suffix), "as": name})
    return out


def y_scale(values: list) -> dict:
    """A value axis that does not start at zero, and spans at least 1% of its largest value (at least 1): a series
    that barely moves (a district's coverage at 99.998-100%) was drawn on an axis of 99,9975 ... 100,0000, its
    hundredths of a per cent filling the chart."""
    shown = [v for v in values if v is not None and v == v]
    if not shown:
        return {"zero": False}
    low, high = min(shown), max(shown)
    span = max(1.0, abs(high) * 0.01)
    if high - low >= span:
        return {"zero": False}
    return {"zero": False, "domain": [high - span, high] if high - span >= 0 or low < 0 else [0, span]}


def trend(observed: pl.DataFrame, projected: pl.DataFrame | None, target: float, target_date: date, *,
          title: str, unit: str, lang: str, frequency: str = "monthly", baseline: tuple[date, float] | None = None,
          height: int = 220) -> dict:
    """Observed series (period, value), projection with its 80% interval (period, projected, lower, upper), the
    target (a dashed line at its value, a diamond at its date) and the required path: the straight line from the
    baseline to the target at its date. Every point carries its tooltip (`_texts`). The width is the container's;
    `static()` fixes it for an image. Dates are UTC throughout, so no reader's time zone moves a month."""
    c = catalogue(lang)
    axis = AXES.get(frequency, AXES["monthly"])
    x = {"field": "period", "type": "temporal", "title": None, "scale": {"type": "utc"}, "axis": axis}
    tip = [{"field": "when", "title": c["month"]}, {"field": "shown", "title": c["chart_value"]}]
    datasets: dict[str, list[dict]] = {}
    shown = [*observed["value"].to_list(), target, *([baseline[1]] if baseline else [])]
    if projected is not None:
        shown += [v for col in ("projected", "lower", "upper") for v in projected[col].to_list()]
    layers = [{"data": {"values": _values(observed.select("period", "value"))},
               "transform": _texts("value", unit, frequency),
               "mark": {"type": "line", "point": {"filled": True, "size": 36}, "color": BLUE},
               "encoding": {"x": x, "y": {"field": "value", "type": "quantitative", "title": unit,
                                          "scale": y_scale(shown)},
                            "tooltip": tip}}]
    if projected is not None and projected.height:
        datasets["projection"] = _values(projected.select("period", "projected", "lower", "upper"))
        values = {"name": "projection"}   # one copy for the band and the line
        ptip = [{"field": "when", "title": c["month"]}, {"field": "shown", "title": c["chart_projected"]},
                {"field": "interval", "title": c["chart_interval"]}]
        interval = ("datum.lower == null || datum.upper == null ? null : "
                    "format(datum.lower, ',.1f') + ' – ' + format(datum.upper, ',.1f') + SUFFIX")
        layers += [{"data": values, "mark": {"type": "area", "opacity": 0.18, "color": BLUE},
                    "encoding": {"x": x, "y": {"field": "lower", "type": "quantitative"},
                                 "y2": {"field": "upper"}}},
                   {"data": values, "transform": _texts("projected", unit, frequency, interval=interval),
                    "mark": {"type": "line", "strokeDash": [4, 3], "color": BLUE,
                             "point": {"size": 30, "opacity": 0.35}},
                    "encoding": {"x": x, "y": {"field": "projected", "type": "quantitative"}, "tooltip": ptip}}]
    if baseline is not None:
        path = [{"period": baseline[0].isoformat(), "value": baseline[1]},
                {"period": target_date.isoformat(), "value": target}]
        layers.append({"data": {"values": path}, "mark": {"type": "line", "color": RED, "strokeWidth": 1,
                                                          "opacity": 0.7},
                       "encoding": {"x": x, "y": {"field": "value", "type": "quantitative"}}})
    goal = [{"target": target, "period": target_date.isoformat()}]
    gtip = [{"field": "when", "title": c["month"]}, {"field": "shown", "title": c["chart_target"]}]
    layers += [{"data": {"values": goal}, "transform": _texts("target", unit, frequency),
                "mark": {"type": "rule", "color": RED, "strokeDash": [6, 4]},
                "encoding": {"y": {"field": "target", "type": "quantitative"}, "tooltip": gtip}},
               {"data": {"values": goal}, "transform": _texts("target", unit, frequency),
                "mark": {"type": "point", "shape": "diamond", "size": 110, "filled": True, "color": RED},
                "encoding": {"x": x, "y": {"field": "target", "type": "quantitative"}, "tooltip": gtip}}]
    return {"$schema": SCHEMA, "title": title, "width": "container", "height": height, "layer": layers,
            "datasets": datasets, "config": CONFIG}


def indicator_trend(ind: pl.DataFrame, trajectories: pl.DataFrame, target, area_code: str, levels, as_of: date,
                    lang: str, status: pl.DataFrame | None = None, title: str | None = None):
    """`trend` for one area and target from the pipeline's tables, as the pages draw it and as `analysis.data`
    gives it to analysts: (spec, observed, projected), or None when the area has no figure. `levels`: the levels
    the code may be at (a code of the old units may name another unit of 1 July 2025)."""
    area = ((pl.col("indicator_id") == target.id) & (pl.col("area_code") == area_code)
            & pl.col("area_level").is_in(list(levels)))
    obs = ind.filter(area & (pl.col("period") <= as_of) & pl.col("value").is_not_null()).select("period", "value")
    proj = trajectories.filter(area) if trajectories.height else None
    if obs.is_empty() and (proj is None or proj.is_empty()):
        return None
    base = None
    if status is not None:
        row = status.filter(area)
        if row.height and row["baseline_period"][0] is not None:
            base = (row["baseline_period"][0], row["baseline_value"][0])
    from analysis.text import unit as unit_words
    unit = unit_words(target.unit, lang)
    spec = trend(obs, proj, target.target, target.target_date, title=title or target.name(lang), unit=unit,
                 lang=lang, frequency=target.indicator.frequency, baseline=base)
    return spec, obs, proj


def comparison(frame: pl.DataFrame, *, title: str, unit: str, lang: str, frequency: str = "monthly") -> dict:
    """Several areas' series (area_name, period, value) as one line each, with a tooltip per point; a click on
    the legend brings one area forward."""
    c = catalogue(lang)
    x = {"field": "period", "type": "temporal", "title": None, "scale": {"type": "utc"},
         "axis": AXES.get(frequency, AXES["monthly"])}
    return {"$schema": SCHEMA, "title": title, "width": "container", "height": 260,
            "data": {"values": _values(frame.select("area_name", "period", "value"))},
            "transform": _texts("value", unit, frequency),
            "params": [{"name": "focus", "select": {"type": "point", "fields": ["area_name"]}, "bind": "legend"}],
            "mark": {"type": "line", "point": {"filled": True, "size": 24}},
            "encoding": {"x": x, "y": {"field": "value", "type": "quantitative", "title": unit,
                                       "scale": {"zero": False}},
                         "color": {"field": "area_name", "type": "nominal", "title": None},
                         "opacity": {"condition": {"param": "focus", "value": 1}, "value": 0.2},
                         "tooltip": [{"field": "area_name", "title": c["chart_area"]},
                                     {"field": "when", "title": c["month"]},
                                     {"field": "shown", "title": c["chart_value"]}]},
            "config": CONFIG}


def ranking(parents: pl.DataFrame, children: pl.DataFrame, *, title: str, unit: str, lang: str,
            first: str | None = None) -> dict:
    """Areas ranked (area_code, area_name, value, status), bars best first; a click on one (a district) shows its
    own units ranked below (children with `parent_code`: its communes). Status colours are the pages' own."""
    c = catalogue(lang)
    rows = pl.concat([
        parents.select("area_code", "area_name", "value", "status", group=pl.lit("parent"), district="area_code"),
        children.select("area_code", "area_name", "value", "status", group=pl.lit("child"),
                        district="parent_code")], how="vertical_relaxed").with_columns(
        status=pl.col("status").replace_strict({s: palette.label(s, lang) for s in palette.STATUSES},
                                                default=c["chart_not_judged"]))
    scale = palette.vega_scale(lang)
    scale = {"domain": [*scale["domain"], c["chart_not_judged"]], "range": [*scale["range"], palette.GREY]}
    tip = [{"field": "area_name", "title": c["chart_area"]}, {"field": "shown", "title": c["chart_value"]},
           {"field": "status", "title": c["chart_status"]}]
    shown = {"calculate": f"format(datum.value, ',.1f') + {json.dumps(' ' + unit if unit else '')}", "as": "shown"}

    def bars(group: str, extra: list[dict]) -> dict:
        return {"transform": [{"filter": f"datum.group === '{group}'"}, *extra, shown],
                "height": {"step": 18}, "width": "container",
                "mark": {"type": "bar", "cursor": "pointer" if group == "parent" else "default"},
                "encoding": {"y": {"field": "area_name", "type": "nominal", "sort": "-x", "title": None,
                                   "axis": {"labelOverlap": False}},   # every bar named: one a row
                             "x": {"field": "value", "type": "quantitative", "title": unit},
                             "color": {"field": "status", "type": "nominal", "title": None, "scale": scale},
                             "tooltip": tip}}
    pick = {"name": "pick", "select": {"type": "point", "fields": ["district"]},
            **({"value": [{"district": first}]} if first else {})}
    # The selection at the top, naming the view it is made in: Altair moves a sub-view's parameters there anyway,
    # and loses their view when the sub-view has no name.
    return {"$schema": SCHEMA, "title": title, "data": {"values": _values(rows)},
            "params": [{**pick, "views": ["parents"]}],
            "vconcat": [{"name": "parents", **bars("parent", [])},
                        bars("child", [{"filter": {"param": "pick", "empty": False}}])],
            "config": CONFIG}


def static(spec: dict) -> dict:
    """The same chart for an image: a fixed width (vl-convert has no page to take it from), and without what only
    a pointer uses: the points that carry tooltips on lines, the tooltips, and the aria-label Vega-Lite writes on
    each mark (half an image's weight)."""
    def still(layer: dict) -> dict:
        layer = dict(layer)
        mark = layer.get("mark")
        if isinstance(mark, dict) and mark.get("type") == "line" and "point" in mark:
            layer["mark"] = {k: v for k, v in mark.items() if k != "point"}
        if "encoding" in layer:
            layer["encoding"] = {k: v for k, v in layer["encoding"].items() if k != "tooltip"}
        if "layer" in layer:
            layer["layer"] = [still(sub) for sub in layer["layer"]]
        return layer
    out = still(spec)
    # Vega-Lite describes every mark for screen readers in an image too (aria-label); the page's text says it.
    # No vertical grid in print either: the month ticks say where a point is, and it is a fifth of an image.
    out["config"] = {**out.get("config", {}), "aria": False, "axisX": {"grid": False}}
    return {**out, "width": STATIC_WIDTH} if spec.get("width") == "container" else out


def fixed_width(spec: dict) -> dict:
    """The interactive chart at a fixed width (JupyterLab's output area has none to give views in a stack)."""
    fix = lambda view: {**view, "width": STATIC_WIDTH} if view.get("width") == "container" else view
    out = fix(spec)
    return {**out, "vconcat": [fix(v) for v in out["vconcat"]]} if "vconcat" in out else out


def svg(spec: dict) -> str:
    """The chart as SVG text (no script, no network; vl-convert escapes the texts it draws), drawn once per spec
    and versions (`chart_cache`)."""
    import vl_convert
    return chart_cache.svg(static(spec), (vl_convert.__version__, VL_VERSION),
                           lambda s: vl_convert.vegalite_to_svg(s, vl_version=VL_VERSION))


def script_json(data: object) -> str:
    """JSON that can sit inside a <script> element: '<', '>' and '&' written as escapes, so no text in the data
    (an operator's "</script>") can end the element; JSON.parse reads them back unchanged."""
    return (json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def captioned(spec: dict) -> tuple[str | None, dict]:
    """A page's chart title as the figure's caption, and the spec without it: Vega draws a title on one line, so
    at a phone's 390 px a long indicator name was cut at the chart's edge (4 of a district page's 11 trends); as
    text the browser wraps it at any width, and it prints and reads aloud as the figure's name. Only a title
    written as text is taken (a view's own title inside the spec stays where it is)."""
    title = spec.get("title")
    if not isinstance(title, str) or not title:
        return None, spec
    return title, {k: v for k, v in spec.items() if k != "title"}


@dataclass
class Figure:
    """A chart with the data behind it (`extra`: the download links' HTML), shown as its context wants; `statics`:
    the images that print in its place when they are not the chart itself (a map per key target)."""
    spec: dict
    extra: str = ""
    statics: list[dict] | None = None
    cls: str = ""

    def html(self) -> str:
        from markupsafe import Markup

        from analysis import templating
        caption, spec = captioned(self.spec)
        images = [Markup(svg(s)) for s in (self.statics if self.statics is not None else [spec])]
        return templating.render("figure.html.j2", caption=caption, images=images, spec=Markup(script_json(spec)),
                                 extra=Markup(self.extra), cls=self.cls)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        if os.environ.get(PAGE_ENV) == "1":
            return {"text/html": self.html()}
        return {MIME: fixed_width(self.spec), "text/plain": f"<chart: {self.spec.get('title', '')}>"}


def number_locale(lang: str) -> dict:
    """The d3 number format of the language, from Babel's locale data (the pages' own formats): for the charts
    that format numbers in the browser."""
    from babel.numbers import get_decimal_symbol, get_group_symbol

    from analysis.text import LOCALES
    return {"decimal": get_decimal_symbol(LOCALES[lang]), "thousands": get_group_symbol(LOCALES[lang]),
            "grouping": [3], "currency": ["", ""]}


# -- the runtime a page carries ------------------------------------------------------------------------------
def _bundle() -> bytes:
    import vl_convert
    # vl-convert 2's bundler logs each of its passes at ERROR ("tree-shaker; pass=1", through Python's logging):
    # routine, yet with no handler configured Python prints it on the terminal of whoever runs the pipeline.
    logging.getLogger("swc_ecma_transforms_optimization").setLevel(logging.CRITICAL)
    return vl_convert.javascript_bundle(snippet="window.vegaEmbed = vegaEmbed;", vl_version=VL_VERSION).encode()


@lru_cache(maxsize=1)
def runtime() -> str:
    """Vega, Vega-Lite and Vega-Embed (with its tooltips) for a page, from vl-convert (no download): 0.9 MB of
    script, gzip-compressed and base64-encoded (0.4 MB); the page decompresses it with the browser's own
    DecompressionStream. Built once per vl-convert version (1.2 s) and kept in .cache/."""
    import vl_convert
    cache = paths.CACHE / "vega" / f"vl-convert-{vl_convert.__version__}-vl{VL_VERSION}.js.gz.b64"
    if cache.exists():
        return cache.read_text(encoding="ascii")
    packed = base64.b64encode(gzip.compress(_bundle(), compresslevel=9, mtime=0)).decode("ascii")
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(packed, encoding="ascii")
    tmp.replace(cache)
    return packed
