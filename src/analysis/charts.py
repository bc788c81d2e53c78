"""Charts as Vega-Lite specifications, drawn to static SVG by vl-convert (the renderer Altair itself uses).

Report notebooks build their specs here rather than through Altair: `import altair` costs about a second (its
JSON-schema machinery), paid again by each of the twenty-odd report kernels of a run, while the SVG is the same.
Analysts exploring in JupyterLab can pass any of these specs to `alt.Chart.from_dict`.
"""
from __future__ import annotations

import json
from datetime import date

import polars as pl

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # an identifier only: nothing is fetched
BLUE, RED = "#1f4e79", "#c0392b"


def _values(frame: pl.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts: dates as ISO strings, NaN and None dropped by Vega-Lite as missing."""
    return json.loads(frame.with_columns(pl.col(pl.Date).cast(pl.String)).write_json())


def trend(observed: pl.DataFrame, projected: pl.DataFrame | None, target: float, target_date: date, *,
          title: str, unit: str, x_title: str, baseline: tuple[date, float] | None = None, width: int = 560,
          height: int = 220) -> dict:
    """Observed series (period, value), projection with its 80% interval (period, projected, lower, upper), the
    target (a dashed red line at its value, a diamond at its date) and the required path: the straight line from
    the baseline to the target at its date."""
    x = {"field": "period", "type": "temporal", "title": x_title, "axis": {"format": "%m/%Y"}}
    layers = [{"data": {"values": _values(observed)}, "mark": {"type": "line", "point": True, "color": BLUE},
               "encoding": {"x": x, "y": {"field": "value", "type": "quantitative", "title": unit,
                                          "scale": {"zero": False}}}}]
    if projected is not None and projected.height:
        values = _values(projected.select("period", "projected", "lower", "upper"))
        layers += [{"data": {"values": values}, "mark": {"type": "area", "opacity": 0.18, "color": BLUE},
                    "encoding": {"x": x, "y": {"field": "lower", "type": "quantitative"},
                                 "y2": {"field": "upper"}}},
                   {"data": {"values": values}, "mark": {"type": "line", "strokeDash": [4, 3], "color": BLUE},
                    "encoding": {"x": x, "y": {"field": "projected", "type": "quantitative"}}}]
    if baseline is not None:
        path = [{"period": baseline[0].isoformat(), "value": baseline[1]},
                {"period": target_date.isoformat(), "value": target}]
        layers.append({"data": {"values": path}, "mark": {"type": "line", "color": RED, "strokeWidth": 1,
                                                          "opacity": 0.7},
                       "encoding": {"x": x, "y": {"field": "value", "type": "quantitative"}}})
    goal = [{"target": target, "date": target_date.isoformat()}]
    layers += [{"data": {"values": goal}, "mark": {"type": "rule", "color": RED, "strokeDash": [6, 4]},
                "encoding": {"y": {"field": "target", "type": "quantitative"}}},
               {"data": {"values": goal}, "mark": {"type": "point", "shape": "diamond", "size": 90, "filled": True,
                                                   "color": RED},
                "encoding": {"x": {"field": "date", "type": "temporal"},
                             "y": {"field": "target", "type": "quantitative"}}}]
    return {"$schema": SCHEMA, "title": title, "width": width, "height": height, "layer": layers,
            "config": {"view": {"stroke": None}, "font": "system-ui, sans-serif"}}


def svg(spec: dict):
    """The chart as an inline SVG output (no script, no network)."""
    import vl_convert
    from IPython.display import SVG
    return SVG(vl_convert.vegalite_to_svg(spec))
