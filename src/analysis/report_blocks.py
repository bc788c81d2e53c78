"""Report blocks a table cannot do (cards that fit a phone, a grid coloured by status, the method, a footer), each
a Jinja2 template with autoescape (src/analysis/templates/blocks/): this module gathers what a block shows, the
template writes it, escaped."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
from IPython.display import HTML

from analysis import metadata, palette
from analysis.areas import PLAN_LEVELS, REFORM_LEVELS
from analysis.downloads import links
from analysis.geography import Geography
from analysis.targets import TargetSet
from analysis.templating import FOLD_AFTER, fold, render, table
from analysis.text import catalogue, eta, gap, month, number, t, value


def scorecard(status: pl.DataFrame, target_set: TargetSet, lang: str, area_code: str) -> HTML:
    """A card per target: baseline, latest, value at the target date, target, gap, status (colour and word),
    ETA. Cards stack to one column on a phone, so nothing scrolls sideways."""
    c = catalogue(lang)
    mine = status.filter((pl.col("area_code") == area_code) & pl.col("area_level").is_in(PLAN_LEVELS))
    rows = {r["indicator_id"]: r for r in mine.iter_rows(named=True)}
    cards, data = [], []
    for tg in target_set.targets:
        r = rows.get(tg.id, {"status": "no_data"})
        name = tg.name(lang)
        fields = [
            (c["card_baseline"], value(r.get("baseline_value"), tg, lang)
             + (f" ({month(r['baseline_period'], lang)})" if r.get("baseline_period") else "")),
            (c["card_latest"], value(r.get("latest_value"), tg, lang)
             + (f" ({month(r['latest_period'], lang)})" if r.get("latest_period") else "")),
            _at_deadline(r, tg, lang),
            (c["card_target"], f"{'> ' if tg.comparison == '>' else '< ' if tg.comparison == '<' else ''}"
                               f"{value(tg.target, tg, lang)} ({month(tg.target_date, lang)})"),
            (c["card_gap"], gap(r, tg, lang)),
            (c["card_eta"], eta(r, lang)),
            (c["card_ratio"], _ratio(r, lang)),
            (c["card_progress"], "—" if r.get("progress_p") is None else number(r["progress_p"], lang, 2)),
        ]
        note = c["ratio_disagrees"].format(
            ratio=c["ratio_status"].get(r["ratio_status"], r["ratio_status"]),
            status=c["status"].get(r["status"], r["status"])) if r.get("ratio_disagrees") else None
        cards.append({"name": name, "status": r["status"], "word": c["status"].get(r["status"], r["status"]),
                      "symbol": palette.symbol(r["status"]), "fields": fields, "note": note})
        data.append({"indicator_id": tg.id, "indicator": name, "status": r["status"],
                     "baseline": r.get("baseline_value"), "latest": r.get("latest_value"),
                     "latest_period": str(r.get("latest_period") or ""),
                     "at_target_date": r.get("projected_at_target"),
                     "at_target_date_basis": r.get("projected_at_target_basis"),
                     "lower_80": r.get("lower_at_target"), "upper_80": r.get("upper_at_target"),
                     "target": tg.target, "target_date": str(tg.target_date), "gap": r.get("gap"),
                     "gap_count": r.get("gap_count"), "eta": str(r.get("eta") or ""), "eta_basis": r.get("eta_basis"),
                     "ratio_r": r.get("ratio_r"), "ratio_status": r.get("ratio_status"),
                     "progress_p": r.get("progress_p")})
    frame = pl.DataFrame(data, infer_schema_length=None)
    return HTML(render("cards.html.j2", cards=cards) + links(frame, f"scorecard-{area_code}", lang))


def _at_deadline(r: dict, tg, lang: str) -> tuple[str, str]:
    """The value at the target date: observed once the data reach it, else projected with its 80% interval."""
    c = catalogue(lang)
    if r.get("projected_at_target_basis") == "observed":   # the data reach the deadline
        return c["card_at_deadline"], value(r.get("projected_at_target"), tg, lang)
    v, lo, hi = r.get("projected_at_target"), r.get("lower_at_target"), r.get("upper_at_target")
    interval = "" if lo is None or hi is None else f" ({c['card_interval']} {number(lo, lang)}–{number(hi, lang)})"
    return c["card_projected"], value(v, tg, lang) + interval


def _ratio(r: dict, lang: str) -> str:
    """R with the Open SDG category it gives, or why there is none."""
    c = catalogue(lang)
    if r.get("ratio_r") is not None:
        return f"{number(r['ratio_r'], lang, 2)} ({c['ratio_status'].get(r['ratio_status'], r['ratio_status'])})"
    return c["ratio_rule"].get(r.get("ratio_rule"), "—")


# Statuses that leave something to do: what the headline's shortfalls and "furthest behind" count.
SHORT = ("missed", "off_track", "at_risk")


def headline(status: pl.DataFrame, target_set: TargetSet, lang: str, geo: Geography, area_code: str,
             below: str) -> HTML:
    """The page's first lines, from the status table: how many of the set's targets are met, met late, missed
    (or on track, at risk, off track before a deadline); the largest shortfalls, each in its gap's own unit; and the
    areas of level `below` within this one furthest behind (most targets short, then the largest relative gap)."""
    c = catalogue(lang)
    ids = [tg.id for tg in target_set.targets]
    mine = {r["indicator_id"]: r for r in status.filter(
        (pl.col("area_code") == area_code) & pl.col("area_level").is_in(PLAN_LEVELS)).iter_rows(named=True)}
    states = [mine.get(i, {"status": "no_data"})["status"] for i in ids]
    parts = [c["headline_status"][s].format(n=number(states.count(s), lang, 0)) for s in STATUSES if s in states]
    counts = c["headline_counts"].format(total=number(len(ids), lang, 0), parts=", ".join(parts))
    sentences = []
    short = sorted(((tg, mine[tg.id]) for tg in target_set.targets if mine.get(tg.id, {}).get("status") in SHORT
                    and mine[tg.id].get("gap")), key=lambda x: -x[1]["gap"] / abs(x[0].target or 1))
    if short:
        sentences.append(c["headline_gaps"].format(items="; ".join(
            c["headline_gap"].format(name=tg.indicator.short(lang), gap=gap(r, tg, lang),
                                     target=value(tg.target, tg, lang)) for tg, r in short[:2])))
    children = geo.codes(below, area_code)
    rows = status.filter((pl.col("area_level") == below) & pl.col("area_code").is_in(children)
                         & pl.col("indicator_id").is_in(ids))
    if rows.height:
        behind = (rows.join(pl.DataFrame({"indicator_id": ids, "_t": [abs(tg.target) or 1.0 for tg in target_set.targets]}),
                            on="indicator_id")
                  .group_by("area_code").agg(short=pl.col("status").is_in(SHORT).sum(), judged=pl.len(),
                                             relative=(pl.col("gap").fill_null(0) / pl.col("_t")).sum())
                  .filter(pl.col("short") > 0).sort(["short", "relative", "area_code"], descending=[True, True, False]))
        if behind.height:
            sentences.append(c["headline_behind"].format(items=", ".join(
                c["headline_behind_item"].format(name=geo.name(r["area_code"], lang, below),
                                                 short=number(r["short"], lang, 0), judged=number(r["judged"], lang, 0))
                for r in behind.head(3).iter_rows(named=True))))
        else:
            sentences.append(c["headline_none_behind"])
    return HTML(render("headline.html.j2", counts=counts, sentences=sentences))


STATUSES = tuple(palette.STATUSES)   # one vocabulary, in the legend's order


def legend_items(lang: str) -> list[tuple[str, str, str]]:
    """Every status a page can show, with its word and symbol."""
    return [(s, catalogue(lang)["status"].get(s, s), palette.symbol(s)) for s in STATUSES]


def status_grid(status: pl.DataFrame, target_set: TargetSet, lang: str, geo: Geography,
                level: str = "district") -> HTML:
    """Areas of a level × targets: each cell the latest value, coloured by the target's status in that area (the
    old districts by default; `commune_2025` for the communes of 1 July 2025)."""
    c = catalogue(lang)
    d = status.filter(pl.col("area_level") == level)
    if d.is_empty():
        return HTML(render("paragraphs.html.j2", parts=[("p", c["grid_none"])]))
    cells = {(r["area_code"], r["indicator_id"]): r for r in d.iter_rows(named=True)}
    rows, data = [], []
    for code in sorted(d["area_code"].unique().to_list()):
        row = []
        for tg in target_set.targets:
            r = cells.get((code, tg.id), {"status": "no_data"})
            row.append((r["status"], c["status"].get(r["status"], r["status"]), palette.symbol(r["status"]),
                        "—" if r.get("latest_value") is None else number(r["latest_value"], lang)))
            data.append({"area_code": code, "area": geo.name(code, lang, level), "indicator_id": tg.id,
                         "latest": r.get("latest_value"), "status": r["status"]})
        rows.append((geo.name(code, lang, level), row))
    frame = pl.DataFrame(data, infer_schema_length=None)
    return HTML(render("grid.html.j2", heads=[tg.indicator.short(lang) for tg in target_set.targets], rows=rows,
                       legend_title=t("legend_title", lang), legend_items=legend_items(lang))
                + links(frame, f"{level}-by-target", lang))


def new_units(status: pl.DataFrame, target_set: TargetSet, lang: str, geo: Geography, province: str) -> HTML:
    """The targets on the communes of 1 July 2025: how many have figures, of how many, and the grid."""
    level = REFORM_LEVELS["commune"]
    shown = status.filter(pl.col("area_level") == level)["area_code"].n_unique()
    every = geo.count(level)
    key = "new_units_note_all" if shown >= every else "new_units_note"  # all: Bắc Kạn's units are in the data
    note = t(key, lang).format(shown=number(shown, lang, 0), all=number(every, lang, 0))
    return HTML(render("paragraphs.html.j2", parts=[("p", note)]) + _old_and_merged(status, target_set, lang, province)
                + status_counts(status, target_set, lang, level)
                + fold(t("grid_each", lang).format(n=number(shown, lang, 0)),
                       status_grid(status, target_set, lang, geo, level).data))


def status_counts(status: pl.DataFrame, target_set: TargetSet, lang: str, level: str) -> str:
    """How many areas of a level are in each status, per target: the summary a long grid folds behind."""
    d = status.filter(pl.col("area_level") == level)
    counts = {(r["indicator_id"], r["status"]): r["len"] for r in d.group_by("indicator_id", "status").len()
              .iter_rows(named=True)}
    shown = [s for s in STATUSES if any(k[1] == s for k in counts)]
    rows = [[number(counts.get((tg.id, s), 0), lang, 0) for s in shown] for tg in target_set.targets]
    return table([palette.label(s, lang) for s in shown], rows, cls="counts",
                 row_heads=[tg.indicator.short(lang) for tg in target_set.targets])


def _old_and_merged(status: pl.DataFrame, target_set: TargetSet, lang: str, code: str) -> str:
    """The old province and the province after the merger (which kept its code), side by side, once the merged
    province has figures (its series starts in July 2025 and is never mixed into the old one's)."""
    c = catalogue(lang)
    merged = {r["indicator_id"]: r for r in status.filter((pl.col("area_code") == code) & (
        pl.col("area_level") == REFORM_LEVELS["province"])).iter_rows(named=True)}
    if not merged:
        return ""
    old = {r["indicator_id"]: r for r in status.filter((pl.col("area_code") == code) & (
        pl.col("area_level") == "province")).iter_rows(named=True)}
    shown = lambda r, tg: "—" if not r or r.get("latest_value") is None else (
        f"{value(r['latest_value'], tg, lang)} ({month(r['latest_period'], lang)})")
    return table([c["old_province"], c["merged_province"]],
                 [[shown(old.get(tg.id), tg), shown(merged.get(tg.id), tg)] for tg in target_set.targets],
                 cls="compare", row_heads=[tg.name(lang) for tg in target_set.targets])


def what_it_takes(status: pl.DataFrame, target_set: TargetSet, lang: str, geo: Geography) -> HTML:
    """Per district and target whose gap is work to plan (`actionable` in its file): what is still to do, the
    current and the required monthly pace."""
    c = catalogue(lang)
    ids = [i.id for i in metadata.catalogue().values() if i.actionable]
    rows = []
    for r in (status.filter((pl.col("area_level") == "district") & pl.col("indicator_id").is_in(list(ids))
                            & pl.col("gap_count").is_not_null() & (pl.col("gap_count") > 0))
              .sort("indicator_id", "gap_count", descending=[False, True]).iter_rows(named=True)):
        tg = target_set.get(r["indicator_id"])
        if tg is None:
            continue
        pace = r["current_pace"]
        months = (r["gap"] / pace) if pace and pace > 0 and r["gap"] is not None else None
        rows.append({c["col_indicator"]: tg.name(lang),
                     c["district"]: geo.name(r["area_code"], lang, "district"), c["col_gap"]: gap(r, tg, lang),
                     c["col_current_pace"]: "—" if pace is None else number(pace, lang, 2),
                     c["col_required_pace"]: "—" if r["required_pace"] is None else number(r["required_pace"], lang, 2),
                     c["col_months_at_pace"]: "—" if months is None else number(months, lang, 0)})
    if not rows:
        return HTML(render("paragraphs.html.j2", parts=[("p", c["hamlets_none"])]))
    frame = pl.DataFrame(rows)
    return HTML(table(frame.columns, frame.rows(), intro=c["takes_intro"], fold=(FOLD_AFTER, c["more_rows"]))
                + links(frame, "what-it-takes", lang))


def method(backtest: pl.DataFrame, hindcast: pl.DataFrame, target_set: TargetSet, lang: str) -> HTML:
    """How projections and statuses are made, then what was measured of them: the back-test's out-of-sample
    interval coverage by level, and the hindcast (calls right, coverage at the deadline), with the indicators
    whose intervals proved too narrow named."""
    from analysis.trajectory.calibration import coverage
    from analysis.trajectory.hindcast import summary
    c = catalogue(lang)
    pct = lambda x: "—" if x is None else f"{number(100 * x, lang, 0)} %"   # noqa: E731
    n = lambda x: number(x or 0, lang, 0)   # noqa: E731
    parts = [("p", c["method_text"]), ("h3", c["method_measured_title"])]
    origins = backtest.filter(pl.col("inside").is_not_null())["origin"] if backtest.height else None
    if origins is not None and origins.len():
        cov = {r["area_level"]: r for r in coverage(backtest).iter_rows(named=True)}
        parts.append(("p", c["method_backtest"].format(
            origins=n(origins.n_unique()), first=month(origins.min(), lang), last=month(origins.max(), lang),
            province=pct(cov["province"]["coverage"]), n_province=n(cov["province"]["points"]),
            district=pct(cov["district"]["coverage"]), n_district=n(cov["district"]["points"]))))
    else:
        parts.append(("p", c["method_backtest_none"]))
    if hindcast.is_empty():
        parts.append(("p", c["method_hindcast_none"]))
        return HTML(render("paragraphs.html.j2", parts=parts))
    for r in summary(hindcast, by=("origin", "target_date")).iter_rows(named=True):
        parts.append(("p", c["method_hindcast"].format(
            origin=month(r["origin"], lang), due=month(r["target_date"], lang), right=n(r["right"]),
            called=n(r["called"]), share=pct(r["calls_right"]), coverage=pct(r["coverage_at_deadline"]))))
    latest = hindcast.filter(pl.col("origin") == hindcast["origin"].max())
    weak = summary(latest, by=("indicator_id",)).filter(pl.col("coverage_at_deadline") < 0.6).sort(
        "coverage_at_deadline")
    items = [f"{tg.name(lang)} ({pct(r['coverage_at_deadline'])})"
             for r in weak.iter_rows(named=True) if (tg := target_set.get(r["indicator_id"])) is not None]
    if items:
        parts.append(("p", c["method_weak"].format(items="; ".join(items), origin=month(latest["origin"][0], lang))))
    return HTML(render("paragraphs.html.j2", parts=parts))


def footer(processed: Path, target_set: TargetSet, as_of, lang: str) -> HTML:
    """Data as of, the sources with a hash of each folder's files, the run, the time, every definition."""
    c = catalogue(lang)
    manifest = json.loads((processed / "manifest.json").read_text(encoding="utf-8"))
    by_source: dict[str, list[dict]] = {}
    for f in manifest["inputs"]:
        by_source.setdefault(f["path"].split("/")[0] if "/" in f["path"] else ".", []).append(f)
    sources = [(name, len(files), c["footer_files"],
                hashlib.sha256("".join(sorted(f["sha256"] for f in files)).encode()).hexdigest()[:16])
               for name, files in sorted(by_source.items())]
    return HTML(render(
        "footer.html.j2", as_of_label=c["footer_as_of"], as_of=month(as_of, lang), target_set=target_set.name(lang),
        sources_label=c["footer_sources"], sources=sources, run_label=c["footer_run"],
        run_id=f"{manifest.get('code_version', '')} · {manifest.get('started', '')[:19]}",
        generated_label=c["footer_generated"], stamp=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        definitions_label=c["footer_definitions"],
        definitions=[(tg.name(lang), tg.indicator.definition(lang)) for tg in target_set.targets]))
