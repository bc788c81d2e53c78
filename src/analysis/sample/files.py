"""Writing sheets as operators send them: .xlsx with titles and merged headers, .csv in three encodings."""
from __future__ import annotations

import csv
import io
import os
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import xlsxwriter

# Windows-1258 has the Vietnamese base letters (â, ê, ô, ơ, ư, ă, đ) precomposed but most toned letters only
# as base + combining tone mark, so text is split into that form before encoding (as Windows itself does).
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
FIXED_TIME = datetime(2026, 10, 1)  # stamped in xlsx metadata so the same seed gives the same bytes


def encode_cp1258(text: str) -> bytes:
    """Each distinct character that Windows-1258 lacks is mapped once and the text translated in one pass (a
    national export is hundreds of megabytes)."""
    text = unicodedata.normalize("NFC", text)
    table = {}
    for ch in set(text):
        try:
            ch.encode("cp1258")
        except UnicodeEncodeError:
            d = unicodedata.normalize("NFD", ch)
            table[ord(ch)] = (unicodedata.normalize("NFC", "".join(c for c in d if c not in _TONES))
                              + "".join(c for c in d if c in _TONES))
    return text.translate(table).encode("cp1258")


@dataclass
class Sheet:
    """A sheet as a grid of cells (row 1 of the spreadsheet is grid[0]); merges as (row, col, row, col, text)."""
    name: str
    grid: list[list[object]] = field(default_factory=list)
    merges: list[tuple[int, int, int, int, str]] = field(default_factory=list)


def write_xlsx(path: Path, sheets: list[Sheet]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": False, "strings_to_numbers": False,
                                          "strings_to_formulas": False})
    wb.set_properties({"created": FIXED_TIME, "author": "operator"})
    bold = wb.add_format({"bold": True, "align": "center"})
    for sh in sheets:
        ws = wb.add_worksheet(sh.name[:31])
        for r, row in enumerate(sh.grid):
            for c, v in enumerate(row):
                if v is None or v == "":
                    continue
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    ws.write_number(r, c, v)
                else:
                    ws.write_string(r, c, str(v))
        for r1, c1, r2, c2, text in sh.merges:
            ws.merge_range(r1, c1, r2, c2, text, bold)
    wb.close()


def write_csv(path: Path, grid: list[list[object]], encoding: str, sep: str) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
    for row in grid:
        w.writerow(["" if v is None else v for v in row])
    text = buf.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    if encoding == "cp1258":
        data = encode_cp1258(text)
    elif encoding == "utf-8-sig":
        data = text.encode("utf-8-sig")
    else:
        data = text.encode("utf-8")
    path.write_bytes(data)


def stamp(path: Path, when: datetime) -> None:
    """Set the file's modification time to when the operator sent it (the last resort for ordering)."""
    ts = when.timestamp()
    os.utime(path, (ts, ts))
