"""Tables and charts the report notebooks show, built from the indicators table (no logic in notebooks)."""
from __future__ import annotations

from datetime import date

import altair as alt
import polars as pl

from analysis.areas import reference_areas
from analysis.text import catalogue, month, number, t

# Plan 171's target for households_fiber (TARGETS.md); issue 5 moves every target into config/targets/.
FIBRE_TARGET = 85.0
DEADLINE = date(2025, 12, 1)


def table(frame: pl.DataFrame):
    """A frame as a reader sees it: no index, no dtypes, every cell HTML-escaped (operator text included)."""
    return frame.to_pandas().style.hide(axis="index").format(escape="html")


def province_series(ind: pl.DataFrame, as_of: date) -> pl.DataFrame:
    return ind.filter((pl.col("area_level") == "province") & (pl.col("period") <= as_of)).sort("period")


def headline(ind: pl.DataFrame, as_of: date, lang: str) -> pl.DataFrame:
    """Latest value, value at the deadline, the target and whether it was met, as display text."""
    p = province_series(ind, as_of)
    latest = p.row(-1, named=True)
    at = p.filter(pl.col("period") == DEADLINE)
    at_value = at["value"][0] if at.height else None
    rows = [
        (t("latest", lang) + f" ({month(latest['period'], lang)})", number(latest["value"], lang) + " %"),
        (t("at_deadline", lang), number(at_value, lang) + " %" if at_value is not None else "—"),
        (t("target", lang), number(FIBRE_TARGET, lang, 0) + " %"),
        ("", t("met", lang) if at_value is not None and at_value >= FIBRE_TARGET else t("missed", lang)),
    ]
    return table(pl.DataFrame(rows, schema=[" ", t("value", lang)], orient="row"))


def district_table(ind: pl.DataFrame, as_of: date, lang: str) -> pl.DataFrame:
    names = reference_areas().select("area_code", "name_vi", "name_en")
    d = (ind.filter((pl.col("area_level") == "district") & (pl.col("period") == min(as_of, ind["period"].max())))
         .join(names, on="area_code").sort("value"))
    return table(d.select(
        pl.col("name_vi" if lang == "vi" else "name_en").alias(t("district", lang)),
        pl.col("value").map_elements(lambda v: number(v, lang) + " %", return_dtype=pl.String).alias(t("value", lang)),
        pl.col("value").map_elements(lambda v: number(max(FIBRE_TARGET - v, 0), lang), return_dtype=pl.String)
        .alias(t("gap", lang))))


def fibre_chart(ind: pl.DataFrame, as_of: date, lang: str) -> alt.LayerChart:
    """The province series with the target line; drawn as SVG so it needs no script and no network."""
    p = province_series(ind, as_of).select("period", "value").to_pandas()
    line = alt.Chart(p).mark_line(point=True).encode(
        x=alt.X("period:T", title=t("month", lang)),
        y=alt.Y("value:Q", title="%", scale=alt.Scale(domain=[0, 100])))
    rule = alt.Chart(pl.DataFrame({"target": [FIBRE_TARGET]}).to_pandas()).mark_rule(
        color="#c0392b", strokeDash=[6, 4]).encode(y="target:Q")
    return (line + rule).properties(width="container", height=260, title=t("households_fiber", lang))


def quality(summary: pl.DataFrame | None, lang: str):
    """The data-quality section: every rule that did not pass (warnings: a critical one stops publication before
    any report), in the reader's language, with counts and a few examples, all escaped."""
    from IPython.display import Markdown
    if summary is None:
        return Markdown(t("quality_ok", lang))
    failed = summary.filter(~pl.col("success")).sort("severity", "failing", descending=[False, True])
    if failed.is_empty():
        return Markdown(t("quality_ok", lang))
    rules = catalogue(lang)["rules"]
    return table(failed.select(
        pl.col("rule").map_elements(lambda r: rules.get(r, r), return_dtype=pl.String).alias(t("quality_rule", lang)),
        pl.col("severity").map_elements(lambda s: t(f"severity_{s}", lang), return_dtype=pl.String)
        .alias(t("quality_severity", lang)),
        pl.col("table").alias(t("quality_table", lang)),
        pl.col("failing").map_elements(lambda n: number(n, lang, 0), return_dtype=pl.String)
        .alias(t("quality_failing", lang)),
        pl.col("examples").list.head(3).list.join("; ").alias(t("quality_examples", lang))))


def status_table(status: pl.DataFrame, target_set, lang: str):
    """Every target at the province: where it stands, whether it was met at its date, when it will be met,
    and what is still to do, in the reader's language (all cells escaped by `table`)."""
    c = catalogue(lang)
    names = {tg.id: (tg.name_vi if lang == "vi" else tg.name_en) for tg in target_set.targets}
    rows = []
    for r in status.filter(pl.col("area_level") == "province").iter_rows(named=True):
        tg = target_set.get(r["indicator_id"])
        unit = c["units"].get(tg.unit, tg.unit)
        fmt = lambda v: "—" if v is None else f"{number(v, lang)} {unit}"
        if r["status"] in ("achieved", "achieved_late") and r["eta"]:
            eta = f"{c['eta_since']} {month(r['eta'], lang)}"
        elif r["eta"]:
            eta = month(r["eta"], lang)
        else:
            eta = c["eta_none"] if r["model"] else "—"
        gap = ("—" if r["gap_count"] is None else
               f"{number(r['gap_count'], lang, 0)} {c['gap_units'].get(r['gap_unit'], r['gap_unit'])}")
        rows.append((names[r["indicator_id"]], fmt(tg.target) + f" ({month(tg.target_date, lang)})",
                     fmt(r["value_at_deadline"] if r["value_at_deadline"] is not None else r["projected_at_target"]),
                     fmt(r["latest_value"]) + (f" ({month(r['latest_period'], lang)})" if r["latest_period"] else ""),
                     c["status"].get(r["status"], r["status"]), eta, gap))
    cols = [t(k, lang) for k in ("col_indicator", "col_target", "col_at_deadline", "col_latest", "col_status",
                                 "col_eta", "col_gap")]
    return table(pl.DataFrame(rows, schema=cols, orient="row"))


def milestones_table(ms: pl.DataFrame, lang: str):
    c = catalogue(lang)
    rows = [(r["milestone_vi"] if lang == "vi" else r["milestone_en"],
             c["milestone_status"].get(r["status_code"], "—") if r["status_code"] else "—",
             month(r["as_of"], lang) if r["as_of"] else "—") for r in ms.iter_rows(named=True)]
    return table(pl.DataFrame(rows, schema=[t("col_milestone", lang), t("col_status", lang), t("col_updated", lang)],
                              orient="row"))


def hamlet_gaps(gaps: pl.DataFrame, lang: str):
    """Every hamlet still without FTTH or mobile broadband, by name, with its commune and district."""
    from IPython.display import Markdown
    if gaps.is_empty():
        return Markdown(t("hamlets_none", lang))
    names = reference_areas().select("area_code", name=pl.col("name_vi" if lang == "vi" else "name_en"))
    what = {"hamlets_ftth_coverage": t("missing_ftth", lang), "hamlets_mbb_coverage": t("missing_mbb", lang)}
    out = (gaps.join(names.rename({"area_code": "commune_code", "name": "commune"}), on="commune_code", how="left")
           .join(names.rename({"area_code": "district_code", "name": "district"}), on="district_code", how="left")
           .sort("district_code", "commune_code", "hamlet_code"))
    return table(out.select(
        pl.col("district").alias(t("district", lang)), pl.col("commune").alias(t("col_commune", lang)),
        pl.col("hamlet").alias(t("col_hamlet", lang)),
        pl.col("indicator_id").replace_strict(what).alias(t("col_missing", lang))))
