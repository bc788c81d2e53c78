"""Tables and charts the report notebooks show, built from the status, indicators and trajectories tables.

Every string a reader sees comes from the catalogue (`text`), every cell is HTML-escaped (`table`), and every
chart is a static SVG (vl-convert), so a page needs no script and no network.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from analysis.areas import PLAN_LEVELS, PROVINCE_CODE, reference_areas
from analysis.targets import Target, TargetSet, load
from analysis.text import catalogue, month, number, t


@dataclass
class Inputs:
    """What a report page shows, judged as of its month, with no data after it."""
    processed: Path
    target_set: TargetSet
    month: date
    ind: pl.DataFrame
    tables: dict[str, pl.DataFrame]   # the trajectory stage's outputs, by name

    @property
    def province(self) -> str:
        """The province the report is about: the target set's own (its first), else the department's."""
        return self.target_set.provinces[0] if self.target_set.provinces else PROVINCE_CODE

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
    return Inputs(data, target_set, month, ind.filter(pl.col("period") <= month), tables)


def table(frame: pl.DataFrame):
    """A frame as a reader sees it: no index, no dtypes, every cell HTML-escaped (operator text included)."""
    return frame.to_pandas().style.hide(axis="index").format(escape="html")


def check_district(code: str) -> str:
    """The district parameter of a report, checked before anything is drawn."""
    from analysis.errors import AnalysisError
    districts = reference_areas().filter(pl.col("level") == "district")["area_code"].to_list()
    if code not in districts:
        raise AnalysisError(f"district {code!r} is not a district of the province; codes: {', '.join(districts)}")
    return code


def check_indicator(indicator_id: str, target_set: TargetSet) -> Target:
    from analysis.errors import AnalysisError
    target = target_set.get(indicator_id)
    if target is None:
        raise AnalysisError(f"indicator {indicator_id!r} has no target in {target_set.id}; ids: "
                            f"{', '.join(t.id for t in target_set.targets)}")
    return target


def _names(lang: str) -> pl.DataFrame:
    """level, area_code, parent_code, name: a code names one unit per level (the 2025 units reused old codes)."""
    return reference_areas().select("level", "area_code", "parent_code", name=pl.col("name_vi" if lang == "vi"
                                                                                       else "name_en"))


def area_name(code: str, lang: str, level: str | None = None) -> str:
    """The unit's name; without a level, the pre-reform unit's (the first listed)."""
    row = reference_areas().filter((pl.col("area_code") == code) & ((pl.col("level") == level) if level else True))
    return row["name_vi" if lang == "vi" else "name_en"][0] if row.height else code


def fmt_value(v: float | None, target: Target, lang: str) -> str:
    """A value of the target's indicator with its unit, for the locale; a dash when there is none."""
    if v is None:
        return "—"
    return f"{number(v, lang)} {catalogue(lang)['units'].get(target.unit, target.unit)}"


def fmt_eta(r: dict, lang: str) -> str:
    """An observed date ("met since 05/2025") and an expected one ("expected 10/2026") in different words; a yearly
    series gives a year; no date within the horizon the back-test looked at says so."""
    from analysis.trajectory.series import ETA_MONTHS
    c = catalogue(lang)
    eta = r.get("eta")
    if eta:
        key = ("eta_since" if r.get("eta_basis") == "observed" else "eta_expected") + (
            "_year" if r.get("frequency") == "yearly" else "")
        return c[key].format(month=month(eta, lang), year=eta.year)
    return c["eta_none"].format(years=ETA_MONTHS // 12) if r.get("model") else "—"


def fmt_gap(r: dict, target: Target, lang: str) -> str:
    """What is still to do: a count of households, hamlets… where countable, else the distance in the unit."""
    if r.get("gap_count") is not None:
        units = catalogue(lang)["gap_units"]
        return f"{number(r['gap_count'], lang, 0)} {units.get(r['gap_unit'], r['gap_unit'])}"
    return fmt_value(r.get("gap"), target, lang) if r.get("gap") is not None else "—"


def districts_table(status: pl.DataFrame, target: Target, lang: str):
    """One target in every district, weakest first: latest, status, when met, still to do."""
    c = catalogue(lang)
    d = status.filter((pl.col("indicator_id") == target.id) & (pl.col("area_level") == "district"))
    d = d.sort("latest_value", descending=target.direction == "lower", nulls_last=True)
    rows = [(area_name(r["area_code"], lang), fmt_value(r["latest_value"], target, lang),
             c["status"].get(r["status"], r["status"]), fmt_eta(r, lang), fmt_gap(r, target, lang))
            for r in d.iter_rows(named=True)]
    cols = [t(k, lang) for k in ("district", "col_latest", "col_status", "col_eta", "col_gap")]
    return table(pl.DataFrame(rows, schema=cols, orient="row"))


def communes_table(ind: pl.DataFrame, target_set: TargetSet, district_code: str, as_of: date, lang: str):
    """The communes of a district: each target's latest value at the month shown (monthly indicators)."""
    communes = reference_areas().filter((pl.col("level") == "commune") & (pl.col("parent_code") == district_code))
    latest = (ind.filter((pl.col("area_level") == "commune") & (pl.col("period") == as_of)
                         & pl.col("area_code").is_in(communes["area_code"].implode())))
    cols = {t("col_commune", lang): [communes.filter(pl.col("area_code") == a)["name_vi" if lang == "vi" else "name_en"][0]
                                     for a in communes["area_code"]]}
    for tg in target_set.targets:
        values = dict(latest.filter(pl.col("indicator_id") == tg.id).select("area_code", "value").iter_rows())
        if values:
            unit = catalogue(lang)["units"].get(tg.unit, tg.unit)
            cols[f"{tg.name_vi if lang == 'vi' else tg.name_en} ({unit})"] = [
                "—" if values.get(a) is None else number(values[a], lang) for a in communes["area_code"]]
    return table(pl.DataFrame(cols))


def indicator_chart(ind: pl.DataFrame, trajectories: pl.DataFrame, target: Target, area_code: str, as_of: date,
                    lang: str, status: pl.DataFrame | None = None):
    """The observed series, the projection with its 80% interval, the target at its date and the required path
    from the baseline, as static SVG, with the chart's data as a CSV download under it."""
    from IPython.display import HTML
    from analysis import charts
    from analysis.report_blocks import csv_link
    # The area of the plan's geography: the units of 1 July 2025 reused old codes (a level tells them apart).
    area = (pl.col("indicator_id") == target.id) & (pl.col("area_code") == area_code) & pl.col("area_level").is_in(
        PLAN_LEVELS)
    obs = ind.filter(area & (pl.col("period") <= as_of) & pl.col("value").is_not_null()).select("period", "value")
    proj = trajectories.filter(area) if trajectories.height else None
    base = None
    if status is not None:
        row = status.filter(area)
        if row.height and row["baseline_period"][0] is not None:
            base = (row["baseline_period"][0], row["baseline_value"][0])
    unit = catalogue(lang)["units"].get(target.unit, target.unit)
    svg = charts.svg(charts.trend(obs, proj, target.target, target.target_date,
                                  title=target.name_vi if lang == "vi" else target.name_en, unit=unit,
                                  x_title=t("month", lang), baseline=base))
    data = obs.with_columns(kind=pl.lit("observed")).rename({"value": "value"})
    if proj is not None and proj.height:
        data = pl.concat([data.with_columns(lower=pl.lit(None, pl.Float64), upper=pl.lit(None, pl.Float64)),
                          proj.select("period", value="projected", kind=pl.lit("projected"), lower="lower",
                                      upper="upper")], how="diagonal")
    return HTML(f'<figure>{svg.data}</figure>' + csv_link(data.with_columns(pl.col("period").cast(pl.String)),
                                                          f"{target.id}-{area_code}", lang))


def milestones_table(ms: pl.DataFrame, lang: str):
    c = catalogue(lang)
    rows = [(r["milestone_vi"] if lang == "vi" else r["milestone_en"],
             c["milestone_status"].get(r["status_code"], "—") if r["status_code"] else "—",
             month(r["as_of"], lang) if r["as_of"] else "—") for r in ms.iter_rows(named=True)]
    return table(pl.DataFrame(rows, schema=[t("col_milestone", lang), t("col_status", lang), t("col_updated", lang)],
                              orient="row"))


def hamlet_gaps(gaps: pl.DataFrame, lang: str, district_code: str | None = None, indicator_id: str | None = None):
    """Every hamlet still without FTTH or mobile broadband, by name, with its commune and district."""
    from IPython.display import Markdown
    if gaps.height and district_code:
        gaps = gaps.filter(pl.col("district_code") == district_code)
    if gaps.height and indicator_id:
        gaps = gaps.filter(pl.col("indicator_id") == indicator_id)
    if gaps.is_empty():
        return Markdown(t("hamlets_none", lang))
    names = _names(lang)
    communes = names.filter(pl.col("level") == "commune").select(commune_code="area_code", commune="name")
    districts = names.filter(pl.col("level") == "district").select(district_code="area_code", district="name")
    what = {"hamlets_ftth_coverage": t("missing_ftth", lang), "hamlets_mbb_coverage": t("missing_mbb", lang)}
    out = (gaps.join(communes, on="commune_code", how="left").join(districts, on="district_code", how="left")
           .sort("district_code", "commune_code", "hamlet_code"))
    from IPython.display import HTML
    from analysis.report_blocks import csv_link
    shown = out.select(
        pl.col("district").alias(t("district", lang)), pl.col("commune").alias(t("col_commune", lang)),
        pl.col("hamlet").alias(t("col_hamlet", lang)),
        pl.col("indicator_id").replace_strict(what).alias(t("col_missing", lang)))
    data = out.select("hamlet_code", "hamlet", "commune_code", "commune", "district_code", "district", "indicator_id")
    return HTML(table(shown).to_html() + csv_link(data, "hamlets-uncovered", lang))


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


def communes_ranked(status: pl.DataFrame, target: Target, lang: str, limit: int = 40):
    """The communes furthest from one target first: latest value, what is still to do, status."""
    from IPython.display import HTML
    from analysis.report_blocks import csv_link
    c = catalogue(lang)
    rows = (status.filter((pl.col("indicator_id") == target.id) & (pl.col("area_level") == "commune")
                          & pl.col("gap").is_not_null())
            .sort(["gap_count", "gap"], descending=True, nulls_last=True))
    rows = rows.join(_names(lang), left_on=["area_level", "area_code"], right_on=["level", "area_code"], how="left")
    shown = rows.head(limit)
    out = pl.DataFrame({
        t("col_commune", lang): shown["name"], t("district", lang): [area_name(p, lang) for p in shown["parent_code"]],
        t("col_latest", lang): [fmt_value(v, target, lang) for v in shown["latest_value"]],
        t("col_gap", lang): [fmt_gap(r, target, lang) for r in shown.iter_rows(named=True)],
        t("col_status", lang): [c["status"].get(s, s) for s in shown["status"]]})
    data = rows.select("area_code", "name", "parent_code", "latest_value", "gap", "gap_count", "status")
    return HTML(table(out).to_html() + csv_link(data, f"communes-{target.id}", lang))
