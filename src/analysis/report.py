"""Tables and charts the report notebooks show, built from the status, indicators and trajectories tables.

Every string a reader sees comes from the catalogue (`text`), every table is written by a template with autoescape
(`templating`), and every chart is a static SVG (vl-convert), so a page needs no script and no network.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from analysis import geography, metadata, templating
from analysis.areas import PLAN_LEVELS
from analysis.downloads import links
from analysis.geography import Geography
from analysis.targets import Target, TargetSet, load
from analysis.text import catalogue, eta, gap, month, number, t, unit, value


@dataclass
class Inputs:
    """What a report page shows, judged as of its month, with no data after it."""
    processed: Path
    target_set: TargetSet
    month: date
    ind: pl.DataFrame
    tables: dict[str, pl.DataFrame]   # the trajectory stage's outputs, by name
    geo: Geography                    # names, levels and the department's province, as cleaning wrote them

    @property
    def province(self) -> str:
        """The province the report is about: the department's, unless the target set was made for others."""
        own = self.target_set.provinces
        return self.geo.department if not own or self.geo.department in own else own[0]

    def __getattr__(self, name: str) -> pl.DataFrame:
        try:
            return self.__dict__["tables"][name]
        except KeyError:
            raise AttributeError(name) from None


def inputs(processed: str | Path, as_of: str, targets: str) -> Inputs:
    """The stage's tables when they were judged as of this month against this set; else the same tables computed
    here (a report asked for an earlier month than the last run judged)."""
    from analysis.trajectory import engine
    data = Path(processed)
    target_set = load(targets)
    ind = engine.read_indicators(data)
    paths = {name: data / f"{name}.parquet" for name in engine.OUTPUTS}
    status = pl.read_parquet(paths["status"]) if paths["status"].exists() else None
    judged = (status["as_of"][0], status["target_set"][0]) if status is not None and status.height else None
    month = judged[0] if as_of == "latest" and judged else engine.month_of(ind, as_of)
    if judged == (month, target_set.id) and all(p.exists() for p in paths.values()):
        tables = {name: status if name == "status" else pl.read_parquet(p) for name, p in paths.items()}
    else:
        tables = engine.frames(data, target_set, month)
    return Inputs(data, target_set, month, ind.filter(pl.col("period") <= month), tables, geography.load(data))


def table(frame: pl.DataFrame, lang: str | None = None):
    """A frame as a reader sees it: no index, no dtypes, every cell escaped by the template (operator text
    included); the one table style of the pages. Given the language, a long table shows its first rows and folds
    the rest."""
    from IPython.display import HTML
    fold = (templating.FOLD_AFTER, t("more_rows", lang)) if lang else None
    return HTML(templating.table(frame.columns, frame.rows(), fold=fold))


def with_data(shown, data: pl.DataFrame, name: str, lang: str, indicators: list[str] | None = None):
    """A table as the page shows it, then the downloads of the data behind it (`downloads.links`)."""
    from IPython.display import HTML
    return HTML(shown.data + links(data, name, lang, indicators))


def check_district(code: str, geo: Geography) -> str:
    """The district parameter of a report, checked before anything is drawn."""
    return geo.check(code, "district")


def check_indicator(indicator_id: str, target_set: TargetSet) -> Target:
    from analysis.errors import AnalysisError
    target = target_set.get(indicator_id)
    if target is None:
        raise AnalysisError(f"indicator {indicator_id!r} has no target in {target_set.id}; ids: "
                            f"{', '.join(t.id for t in target_set.targets)}")
    return target


def districts_table(status: pl.DataFrame, target: Target, lang: str, geo: Geography):
    """One target in every district, weakest first: latest, status, when met, still to do."""
    c = catalogue(lang)
    d = status.filter((pl.col("indicator_id") == target.id) & (pl.col("area_level") == "district"))
    d = d.sort("latest_value", descending=target.direction == "lower", nulls_last=True)
    rows = [(geo.name(r["area_code"], lang, "district"), value(r["latest_value"], target, lang),
             c["status"].get(r["status"], r["status"]), eta(r, lang), gap(r, target, lang))
            for r in d.iter_rows(named=True)]
    cols = [t(k, lang) for k in ("district", "col_latest", "col_status", "col_eta", "col_gap")]
    data = d.select("area_code", pl.col("area_code").map_elements(lambda a: geo.name(a, lang, "district"),
                                                                  return_dtype=pl.String).alias("district"),
                    "latest_value", "latest_period", "status", "eta", "gap", "gap_count")
    return with_data(table(pl.DataFrame(rows, schema=cols, orient="row")), data, f"districts-{target.id}", lang,
                     [target.id])


def communes_table(ind: pl.DataFrame, target_set: TargetSet, district_code: str, as_of: date, lang: str,
                   geo: Geography):
    """The communes of a district: each target's latest value at the month shown (monthly indicators)."""
    communes = geo.codes("commune", district_code)
    latest = (ind.filter((pl.col("area_level") == "commune") & (pl.col("period") == as_of)
                         & pl.col("area_code").is_in(communes)))
    cols = {t("col_commune", lang): [geo.name(a, lang, "commune") for a in communes]}
    for tg in target_set.targets:
        values = dict(latest.filter(pl.col("indicator_id") == tg.id).select("area_code", "value").iter_rows())
        if values:
            cols[f"{tg.name(lang)} ({unit(tg.unit, lang)})"] = [
                "—" if values.get(a) is None else number(values[a], lang) for a in communes]
    ids = [tg.id for tg in target_set.targets]
    data = latest.filter(pl.col("indicator_id").is_in(ids)).select(
        "indicator_id", "area_code", pl.col("area_code").map_elements(lambda a: geo.name(a, lang, "commune"),
                                                                      return_dtype=pl.String).alias("commune"),
        "period", "value").sort("indicator_id", "area_code")
    return with_data(table(pl.DataFrame(cols), lang), data, f"communes-{district_code}", lang)


def indicator_chart(ind: pl.DataFrame, trajectories: pl.DataFrame, target: Target, area_code: str, as_of: date,
                    lang: str, status: pl.DataFrame | None = None):
    """The observed series, the projection with its 80% interval, the target at its date and the required path
    from the baseline (interactive on the page, a static SVG in print), with the chart's data as a download."""
    from analysis import charts
    # The area of the plan's geography: the units of 1 July 2025 reused old codes (a level tells them apart).
    drawn = charts.indicator_trend(ind, trajectories, target, area_code, PLAN_LEVELS, as_of, lang, status)
    if drawn is None:
        # An indicator measured for the province only (the applications' register) has nothing to draw for a
        # district: a sentence says so, not an empty frame.
        from IPython.display import HTML
        return HTML(templating.render("paragraphs.html.j2",
                                      parts=[("p", t("chart_no_figure", lang).format(name=target.name(lang)))]))
    spec, obs, proj = drawn
    data = obs.with_columns(kind=pl.lit("observed"))
    if proj is not None and proj.height:
        data = pl.concat([data.with_columns(lower=pl.lit(None, pl.Float64), upper=pl.lit(None, pl.Float64)),
                          proj.select("period", value="projected", kind=pl.lit("projected"), lower="lower",
                                      upper="upper")], how="diagonal")
    return charts.Figure(spec, links(data, f"{target.id}-{area_code}", lang, [target.id]))


def milestones_table(ms: pl.DataFrame, lang: str):
    c = catalogue(lang)
    rows = [(r[f"milestone_{lang}"],
             c["milestone_status"].get(r["status_code"], "—") if r["status_code"] else "—",
             month(r["as_of"], lang) if r["as_of"] else "—") for r in ms.iter_rows(named=True)]
    frame = pl.DataFrame(rows, schema=[t("col_milestone", lang), t("col_status", lang), t("col_updated", lang)],
                         orient="row")
    return with_data(table(frame), frame, "milestones", lang)


def hamlet_gaps(gaps: pl.DataFrame, lang: str, geo: Geography, district_code: str | None = None,
                indicator_id: str | None = None):
    """Every hamlet still without FTTH or mobile broadband, by name, with its commune and district."""
    from IPython.display import Markdown
    if gaps.height and district_code:
        gaps = gaps.filter(pl.col("district_code") == district_code)
    if gaps.height and indicator_id:
        gaps = gaps.filter(pl.col("indicator_id") == indicator_id)
    if gaps.is_empty():
        return Markdown(t("hamlets_none", lang))
    names = geo.names(lang)
    communes = names.filter(pl.col("level") == "commune").select(commune_code="area_code", commune="name")
    districts = names.filter(pl.col("level") == "district").select(district_code="area_code", district="name")
    what = {i: metadata.get(i).hamlet_missing(lang) for i in gaps["indicator_id"].unique()}
    out = (gaps.join(communes, on="commune_code", how="left").join(districts, on="district_code", how="left")
           .sort("district_code", "commune_code", "hamlet_code"))
    shown = out.select(
        pl.col("district").alias(t("district", lang)), pl.col("commune").alias(t("col_commune", lang)),
        pl.col("hamlet").alias(t("col_hamlet", lang)),
        pl.col("indicator_id").replace_strict(what).alias(t("col_missing", lang)))
    data = out.select("hamlet_code", "hamlet", "commune_code", "commune", "district_code", "district", "indicator_id")
    return with_data(table(shown, lang), data, "hamlets-uncovered", lang)


def quality(summary: pl.DataFrame | None, lang: str):
    """The data-quality section for leaders: each warning in plain words, with what it means for the figures (a
    critical failure stops publication before any page); the rules, tables, counts and examples behind them fold
    away for analysts, all escaped."""
    from IPython.display import HTML, Markdown
    if summary is None:
        return Markdown(t("quality_ok", lang))
    failed = summary.filter(~pl.col("success")).sort("severity", "failing", descending=[False, True])
    if failed.is_empty():
        return Markdown(t("quality_ok", lang))
    c = catalogue(lang)
    rules, meanings = c["rules"], c["meanings"]
    plain = [meanings.get(r["rule"], c["quality_generic"]).format(
        n=number(r["failing"], lang, 0), rule=rules.get(r["rule"], r["rule"]),
        examples="; ".join((r["examples"] or [])[:3])) for r in failed.iter_rows(named=True)]
    detail = table(failed.select(
        pl.col("rule").map_elements(lambda r: rules.get(r, r), return_dtype=pl.String).alias(t("quality_rule", lang)),
        pl.col("severity").map_elements(lambda s: t(f"severity_{s}", lang), return_dtype=pl.String)
        .alias(t("quality_severity", lang)),
        pl.col("table").alias(t("quality_table", lang)),
        pl.col("failing").map_elements(lambda n: number(n, lang, 0), return_dtype=pl.String)
        .alias(t("quality_failing", lang)),
        pl.col("examples").list.head(3).list.join("; ").alias(t("quality_examples", lang)))).data
    intro = c["quality_plain_intro"].format(rules=number(summary.height, lang, 0))
    return HTML(templating.render("paragraphs.html.j2", parts=[("p", intro)])
                + templating.render("list.html.j2", items=plain)
                + templating.fold(c["quality_details"], detail))


def communes_ranked(status: pl.DataFrame, target: Target, lang: str, geo: Geography, limit: int = 40):
    """The communes furthest from one target first: latest value, what is still to do, status."""
    c = catalogue(lang)
    rows = (status.filter((pl.col("indicator_id") == target.id) & (pl.col("area_level") == "commune")
                          & pl.col("gap").is_not_null())
            .sort(["gap_count", "gap"], descending=True, nulls_last=True))
    rows = rows.join(geo.names(lang), left_on=["area_level", "area_code"], right_on=["level", "area_code"], how="left")
    shown = rows.head(limit)
    out = pl.DataFrame({
        t("col_commune", lang): shown["name"],
        t("district", lang): [geo.name(p, lang, "district") for p in shown["parent_code"]],
        t("col_latest", lang): [value(v, target, lang) for v in shown["latest_value"]],
        t("col_gap", lang): [gap(r, target, lang) for r in shown.iter_rows(named=True)],
        t("col_status", lang): [c["status"].get(s, s) for s in shown["status"]]})
    data = rows.select("area_code", "name", "parent_code", "latest_value", "gap", "gap_count", "status")
    return with_data(table(out, lang), data, f"communes-{target.id}", lang)
