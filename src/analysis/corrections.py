"""Corrections back to operators: for the month reported, a workbook per operator (Vietnamese first) listing the
rows of its files that cleaning set aside, each with its file, sheet, row, column, the value sent and the reason in
plain words, and the data checks' warnings that name the operator (a month-on-month jump of its totals).

A file is an operator's when every row kept from it names that one operator (its subscribers, hamlet coverage or
BTS list); its month is the latest month of those rows, else the month its name states. Rows of files that are no
single operator's (i-Speed exports, which hold every operator's tests; the statistics office's registers) or whose
every row was set aside go to the workbook of other senders, so no row set aside is left out. Written by the
monthly run into reports/<month>/operators/, for the data team (the index links them apart from the leaders' pages).
"""
from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path

import polars as pl

from analysis.clean.summary import month_in_path
from analysis.downloads import new_book, write_sheet
from analysis.names import fold
from analysis.periods import parse_month
from analysis.text import catalogue

FOLDER = "operators"
OTHERS = "other-senders"                                    # the file name of the rows no operator sent
OPERATOR_TABLES = ("subscribers", "hamlet_coverage", "bts_sites")   # tables whose rows name the operator who sent them


def file_name(sender: str | None) -> str:
    """'VNPT' -> 'vnpt.xlsx', 'MobiFone' -> 'mobifone.xlsx'; no operator -> 'other-senders.xlsx'."""
    return f"{re.sub(r'[^a-z0-9]+', '-', fold(sender)).strip('-') if sender else OTHERS}.xlsx"


def senders(processed: Path) -> pl.DataFrame:
    """source_file, operator, month: the one operator each file's kept rows name (null when they name several),
    and their latest month."""
    parts = [pl.scan_parquet(processed / f"{t}.parquet").select("source_file", "operator", "period")
             for t in OPERATOR_TABLES if (processed / f"{t}.parquet").exists()]
    if not parts:
        return pl.DataFrame(schema={"source_file": pl.String, "operator": pl.String, "month": pl.Date})
    return (pl.concat(parts).group_by("source_file")
            .agg(operators=pl.col("operator").unique(), month=pl.col("period").max())
            .select("source_file", operator=pl.when(pl.col("operators").list.len() == 1)
                    .then(pl.col("operators").list.first()), month=pl.col("month").dt.month_start())
            .collect())


def set_aside(processed: Path) -> pl.DataFrame:
    """The quarantine with each row's sender (`operator`, null for other senders) and its file's `month`."""
    q = pl.read_parquet(processed / "quarantine.parquet")
    named = {f: month_in_path(f) for f in q["source_file"].unique().to_list()}
    by_name = pl.DataFrame({"source_file": list(named), "named_month": [parse_month(m) if m else None
                                                                        for m in named.values()]},
                           schema={"source_file": pl.String, "named_month": pl.Date})
    # A file the operator sent again is replaced whole: its rows are no longer the figures, so they are not sent
    # back (each workbook counts them), and its sender and month are the manifest's.
    manifest = json.loads((processed / "manifest.json").read_text(encoding="utf-8"))
    replaced = pl.DataFrame([{"source_file": r["file"], "replaced_by": r["replaced_by"], "r_operator": r.get("operator"),
                              "r_month": r.get("period")} for r in manifest.get("replaced", [])],
                            schema={"source_file": pl.String, "replaced_by": pl.String, "r_operator": pl.String,
                                    "r_month": pl.String}).unique("source_file")
    return (q.join(senders(processed), on="source_file", how="left")
            .join(by_name, on="source_file", how="left")
            .join(replaced, on="source_file", how="left")
            .with_columns(operator=pl.coalesce("operator", "r_operator"),
                          month=pl.coalesce("month", pl.col("r_month").str.to_date().dt.month_start(), "named_month"))
            .drop("named_month", "r_operator", "r_month"))


def plain(reasons: list[str], lang: str) -> list[str]:
    """Quarantine reasons in the reader's words (the locale's `reasons`: a pattern and its sentence); a reason no
    pattern knows is shown as cleaning wrote it."""
    rules = [(re.compile(pattern, flags=re.S), words) for pattern, words in catalogue(lang).get("reasons", [])]

    def one(reason: str) -> str:
        for pattern, words in rules:
            if m := pattern.fullmatch(reason):
                return words.format(*m.groups())
        return reason
    return [one(r) for r in reasons]


def _value(reason: str) -> str | None:
    """The value a reason quotes: 'xom moi 1052' in "hamlet not in the registry: 'xom moi 1052' (…)", the number
    of "download 12065.98 Mbps is impossible"."""
    if m := re.search(r"'((?:[^'\\]|\\.)*)'", reason):
        return m[1]
    if m := re.match(r"^\w+ (-?[\d.]+) ", reason):
        return m[1]
    return None


def operator_warnings(processed: Path, month: date) -> pl.DataFrame:
    """operator, rule, description, row: each failing row of a data check whose table names an operator, in the
    month (the same tests the suites run: analysis.validate.rows.suspect on the committed expectations)."""
    from analysis.validate import checks
    from analysis.validate.rows import suspect
    manifest = json.loads((processed / "manifest.json").read_text(encoding="utf-8"))
    out = []
    for name, frame in checks.frames(processed, manifest, only=checks.BY_OPERATOR):
        if not {"operator", "period", "key"} <= set(frame.columns):
            continue
        for e in checks.rules(name):
            test = suspect(e["type"], e["kwargs"])
            if test is None:
                continue
            failing = frame.filter(test & (pl.col("period") == month))
            out.append(failing.select("operator", rule=pl.lit((e.get("meta") or {}).get("rule", e["type"])),
                                      severity=pl.lit(e.get("severity") or "warning"),
                                      description=pl.lit(e.get("description") or ""), row=pl.col("key")))
    schema = {"operator": pl.String, "rule": pl.String, "severity": pl.String, "description": pl.String,
              "row": pl.String}
    return pl.concat(out) if out else pl.DataFrame(schema=schema)


def _rows(frame: pl.DataFrame, lang: str) -> pl.DataFrame:
    frame = frame.sort("source_file", "sheet", "row_number", nulls_last=False)
    reasons = frame["reason"].to_list()
    return frame.select("source_file", "sheet", "row_number", "column",
                        value=pl.Series([_value(r) for r in reasons], dtype=pl.String),
                        reason=pl.Series(plain(reasons, lang), dtype=pl.String), technical="reason", raw="raw")


def workbook(rows: pl.DataFrame, earlier: pl.DataFrame, warnings: pl.DataFrame, sender: str | None, month: date,
             lang: str, replaced: int = 0) -> bytes:
    """One sender's workbook for the month: the rows set aside from its files of the month, the checks' warnings
    that name it, the rows of its earlier months still set aside, and how to read it."""
    c = catalogue(lang)
    w = c["corrections"]
    buffer = io.BytesIO()
    book = new_book(buffer)
    widths = {"source_file": 40, "reason": 60, "technical": 50, "raw": 60, "description": 70, "row": 40}
    headers = w["columns"]
    shown = month.strftime("%m/%Y")
    write_sheet(book, w["sheet_month"].format(month=shown.replace("/", "-")), _rows(rows, lang), headers,
                widths=widths)
    write_sheet(book, w["sheet_warnings"], warnings.select("rule", "severity", "description", "row"), headers,
                widths=widths)
    write_sheet(book, w["sheet_earlier"], _rows(earlier, lang), headers, widths=widths)
    notes = book.add_worksheet(w["sheet_notes"])
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    notes.set_column(0, 0, 110)
    lines = [w["intro"].format(sender=sender or w["others"], month=shown, rows=rows.height,
                               warnings=warnings.height, earlier=earlier.height),
             *([w["replaced"].format(rows=replaced)] if replaced else []), *w["notes"]]
    for i, line in enumerate(lines):
        notes.write_string(i, 0, line, wrap)
    book.close()
    return buffer.getvalue()


def write(processed: Path, folder: Path, month: date, lang: str = "vi") -> dict[str, str]:
    """Each operator's workbook for the month (every operator with a file that month, and any with a row set
    aside), and the other senders' when they have rows; sender -> file name in `folder`."""
    from analysis import io as out_io
    if not (processed / "quarantine.parquet").exists():
        return {}
    rows = set_aside(processed)
    files = senders(processed)
    warnings = operator_warnings(processed, month)
    operators = sorted(set(files.filter(pl.col("month") == month)["operator"].drop_nulls().to_list())
                       | set(rows.filter(pl.col("month") == month)["operator"].drop_nulls().to_list()))
    written = {}
    for sender in [*operators, None]:
        mine = rows.filter(pl.col("operator") == sender if sender else pl.col("operator").is_null())
        gone = mine.filter(pl.col("replaced_by").is_not_null())
        mine = mine.filter(pl.col("replaced_by").is_null())
        this = mine.filter(pl.col("month") == month)
        earlier = mine.filter((pl.col("month") < month) | pl.col("month").is_null())
        if sender is None and this.height == 0 and earlier.height == 0:
            continue
        said = warnings.filter(pl.col("operator") == sender) if sender else warnings.clear()
        name = file_name(sender)
        out_io.write_bytes(workbook(this, earlier, said, sender, month, lang, gone.height), folder / name)
        written[sender or OTHERS] = name
    return written
