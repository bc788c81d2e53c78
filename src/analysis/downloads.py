"""The data behind a table or chart, embedded in its page as downloads a reader can open:

- an .xlsx (xlsxwriter): numbers as numbers, dates as dates, headers, status words and indicator names in the page's
  language, and a second sheet with the indicators' definitions and the source;
- the CSV: the same rows with their codes, UTF-8 with a BOM (Excel reads the Vietnamese letters).

Text from operators stays text: in the workbook every string is written as a string (never a formula or a link);
in the CSV a cell a spreadsheet would run as a formula gets a leading apostrophe.
"""
from __future__ import annotations

import base64
import io
from datetime import date, datetime
from pathlib import Path

import polars as pl

from analysis.templating import render
from analysis.text import catalogue, t

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells a spreadsheet would read as a formula (=, +, -, @, tab, CR first) get a leading apostrophe."""
    text = [c for c, d in frame.schema.items() if d == pl.String]
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(r"^[=+\-@\t\r]")).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c in text)


def csv_bytes(frame: pl.DataFrame) -> bytes:
    return ("\ufeff" + neutralise(frame).write_csv()).encode("utf-8")


def _shown(frame: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Codes a reader does not read turned into words: statuses, the bases of a date or value, indicator ids
    (a column of names beside them is kept as it is)."""
    from analysis import metadata
    c = catalogue(lang)
    words = {"status": c["status"], "ratio_status": c["ratio_status"], "kind": c["download_kinds"],
             "eta_basis": c["download_kinds"], "at_target_date_basis": c["download_kinds"],
             "projected_at_target_basis": c["download_kinds"]}
    # One query for all of them (a workbook a chart: a query a column took 2 of a workbook's 7 ms).
    turned = [pl.col(col).replace(mapping) for col, mapping in words.items()
              if col in frame.columns and frame.schema[col] == pl.String]
    if "indicator_id" in frame.columns and "indicator" not in frame.columns:
        names = {i: m.name(lang) for i, m in metadata.catalogue().items()}
        return frame.select(pl.col("indicator_id").replace(names).alias("indicator"),
                            *[c for c in frame.columns if c != "indicator_id"]).with_columns(turned)
    return frame.with_columns(turned) if turned else frame


FIXED_DATE = datetime(1980, 1, 1)


def new_book(buffer: io.BytesIO):
    """An in-memory workbook in which no string becomes a formula, a number or a link (what an operator typed
    stays what it was), dated so that the same data gives the same bytes (issue 21)."""
    import xlsxwriter
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                                        "strings_to_urls": False})
    # the zip epoch xlsxwriter gives its members, not the moment it was written
    book.set_properties({"created": FIXED_DATE})
    return book


def write_sheet(book, title: str, frame: pl.DataFrame, headers: dict[str, str], date_format: str = "mm/yyyy",
                widths: dict[str, int] | None = None):
    """The frame as a sheet: a bold header row (each column's header, else its name), numbers as numbers, dates as
    dates, every other value as text; the header row frozen."""
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    day = book.add_format({"num_format": date_format})
    sheet = book.add_worksheet(title)
    for j, col in enumerate(frame.columns):
        sheet.write_string(0, j, headers.get(col, col), bold)
        sheet.set_column(j, j, (widths or {}).get(col, 14 if frame.schema[col] != pl.String else 24))
    for i, row in enumerate(frame.iter_rows(), start=1):
        for j, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, bool):
                sheet.write_boolean(i, j, v)
            elif isinstance(v, (int, float)):
                if v == v and abs(v) != float("inf"):     # NaN and infinities: left empty
                    sheet.write_number(i, j, v)
            elif isinstance(v, (date, datetime)):
                sheet.write_datetime(i, j, datetime(v.year, v.month, v.day) if type(v) is date else v, day)
            else:
                sheet.write_string(i, j, str(v))
    sheet.freeze_panes(1, 0)
    return sheet


def workbook(frame: pl.DataFrame, lang: str, indicators: list[str] | None = None) -> bytes:
    """The frame as an .xlsx in the page's language, with a sheet of definitions and the source."""
    from analysis import metadata
    c = catalogue(lang)
    buffer = io.BytesIO()
    book = new_book(buffer)
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    write_sheet(book, c["download_sheet_data"], _shown(frame, lang), c["download_columns"])
    notes = book.add_worksheet(c["download_sheet_notes"])
    notes.set_column(0, 0, 42)
    notes.set_column(1, 1, 90)
    ids = indicators or (frame["indicator_id"].unique().sort().to_list() if "indicator_id" in frame.columns
                         else list(metadata.catalogue()))
    notes.write_string(0, 0, c["col_indicator"], bold)
    notes.write_string(0, 1, c["download_definition"], bold)
    for i, ind in enumerate((metadata.get(x) for x in ids if x in metadata.catalogue()), start=1):
        notes.write_string(i, 0, ind.name(lang), wrap)
        notes.write_string(i, 1, ind.definition(lang), wrap)
    notes.write_string(len(ids) + 2, 0, c["download_source"], bold)
    notes.write_string(len(ids) + 2, 1, c["download_source_text"], wrap)
    book.close()
    return buffer.getvalue()


def links(frame: pl.DataFrame, name: str, lang: str, indicators: list[str] | None = None) -> str:
    """The data behind a table or chart, embedded in the page: an .xlsx in the page's language (its definitions
    sheet: `indicators`, else those of the frame's indicator_id, else all) and the CSV."""
    xlsx = f"data:{XLSX};base64," + base64.b64encode(workbook(frame, lang, indicators)).decode("ascii")
    # base64 rather than percent-encoding: a third more bytes, where a Vietnamese letter percent-encoded takes 3-4×
    csv = "data:text/csv;charset=utf-8;base64," + base64.b64encode(csv_bytes(frame)).decode("ascii")
    return render("downloads.html.j2", name=name, xlsx=xlsx, csv=csv, xlsx_label=t("xlsx", lang),
                  csv_label=t("csv", lang))


MONTH_FILE = "all-figures-{lang}.xlsx"   # the month's bulk workbook, in the month's folder beside the pages
MONTH_COLUMNS = ("indicator_id", "area_level", "area_code", "area", "latest_value", "latest_period", "baseline_value",
                 "baseline_period", "target", "target_date", "status", "projected_at_target", "lower_at_target",
                 "upper_at_target", "gap", "gap_count", "eta", "eta_basis", "current_pace", "required_pace")


def month_workbook(processed, lang: str) -> bytes | None:
    """Every indicator, area and status the month judged, in one workbook (None before trajectories ran)."""
    from analysis import geography
    path = Path(processed) / "status.parquet"
    if not path.exists():
        return None
    status = pl.read_parquet(path)
    names = geography.load(processed).names(lang).select(area_level="level", area_code="area_code", area="name")
    frame = (status.join(names, on=["area_level", "area_code"], how="left")
             .with_columns(pl.col("area_level").replace(catalogue(lang)["download_levels"]))
             .sort("indicator_id", "area_level", "area_code")
             .select([c for c in MONTH_COLUMNS if c in status.columns or c == "area"]))
    return workbook(frame, lang)
