"""The month's data checks as a page of its own, offline: every rule of the suites, its severity, result, the rows
failing and a few examples, in the reader's language. It replaces the link to GX Data Docs, which draw their
list with scripts from a CDN and show empty offline (the Data Docs are still built for analysts)."""
from __future__ import annotations

from pathlib import Path

import polars as pl
from markupsafe import Markup

from analysis import io, palette
from analysis.templating import render
from analysis.text import catalogue, month, number, t
from analysis.validate.stage import load_summary

FILE = "validation-{lang}.html"   # in the month's folder, beside the report pages


def write(processed: Path, target: Path, lang: str, as_of, alternates: list[dict]) -> Path | None:
    """The page for this language; None when validation has not run."""
    summary = load_summary(processed)
    if summary is None:
        return None
    c = catalogue(lang)
    rules = c["rules"]
    rows = []
    for r in summary.sort("success", "severity", "table", "rule").iter_rows(named=True):
        ok = r["success"]
        status = "achieved" if ok else ("missed" if r["severity"] == "critical" else "at_risk")
        rows.append({"status": status, "result": f"{palette.symbol(status)} {c['check_passed' if ok else 'check_failed']}",
                     "rule": rules.get(r["rule"], r["description"]), "code": r["rule"],
                     "severity": t(f"severity_{r['severity']}", lang), "table": r["table"],
                     "column": r["column"] or "", "failing": f"{number(r['failing'], lang, 0)} / {number(r['rows'], lang, 0)}",
                     "examples": list(r["examples"] or [])[:5]})
    failed = summary.filter(~pl.col("success"))
    page = render("validation.html.j2", lang=lang, title=f"{c['validation_title']} {month(as_of, lang)}",
                  intro=c["validation_intro"].format(rules=number(summary.height, lang, 0),
                                                     failed=number(failed.height, lang, 0)),
                  heads=[c[k] for k in ("check_result", "quality_rule", "quality_severity", "quality_table",
                                        "quality_failing", "quality_examples")],
                  rows=rows, css=Markup(palette.css()), alternates=alternates)
    io.write_text(page, target)
    return target
