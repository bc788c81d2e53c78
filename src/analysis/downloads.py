"""The data behind a table or chart, embedded in its page as a CSV download: a reader opens it in a spreadsheet,
so text that a spreadsheet would run as a formula is neutralised first."""
from __future__ import annotations

import urllib.parse

import polars as pl

from analysis.templating import render
from analysis.text import t

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells a spreadsheet would read as a formula (=, +, -, @, tab, CR first) get a leading apostrophe."""
    text = [c for c, d in frame.schema.items() if d == pl.String]
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(r"^[=+\-@\t\r]")).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c in text)


def csv_link(frame: pl.DataFrame, name: str, lang: str) -> str:
    """The data behind a table or chart, embedded in the page as a CSV download (UTF-8 with BOM, for Excel)."""
    body = "\ufeff" + neutralise(frame).write_csv()
    href = "data:text/csv;charset=utf-8," + urllib.parse.quote(body)
    return render("csv_link.html.j2", name=name, href=href, label=t("csv", lang))
