"""Reading raw files as grids of text and finding, by content, which kind each sheet holds."""
from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import fastexcel

from analysis.clean.kinds import Kind, match_header
from analysis.errors import AnalysisError
from analysis.names import header_key

HEADER_SEARCH_ROWS = 30  # titles above the header are a few lines; a header further down is not one


@dataclass
class Table:
    """One sheet of one file, recognised as a kind: its rows below the header, numbered as the sender sees them."""
    file: str
    sheet: str | None
    kind: Kind
    columns: dict[int, str]
    header_rows: list[int]
    titles: list[str]
    rows: list[tuple[int, list[str | None]]]
    encoding: str | None = None
    rows_above: int = 0
    header_keys: set[str] = field(default_factory=set)


def _nfc(v: object) -> str | None:
    if v is None:
        return None
    s = unicodedata.normalize("NFC", str(v)).strip()
    return s or None


def decode(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) when it decodes strictly, else Windows-1258, the Vietnamese code page."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1258"), "cp1258"


def _csv_grid(text: str) -> list[list[str | None]]:
    """Split with the separator under which a header row of a known kind appears (';' files carry ',' decimals)."""
    best: list[list[str | None]] | None = None
    for sep in (",", ";", "\t"):
        grid = [[_nfc(c) for c in row] for row in csv.reader(io.StringIO(text), delimiter=sep)]
        if any(match_header(r) for r in grid[:HEADER_SEARCH_ROWS]):
            return grid
        best = best or grid
    return best or []


def read_grids(path: Path) -> tuple[list[tuple[str | None, list[list[str | None]]]], str | None]:
    """Every sheet of a workbook, or the one grid of a CSV, as text cells."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        try:
            book = fastexcel.read_excel(str(path))
        except Exception as exc:  # fastexcel raises its own types for corrupt or non-workbook files
            raise AnalysisError(f"cannot open as a workbook ({exc.__class__.__name__})", file=str(path)) from exc
        grids = []
        for name in book.sheet_names:
            sheet = book.load_sheet(name, header_row=None, dtypes="string")
            frame = sheet.to_polars()
            grids.append((name, [[_nfc(v) for v in row] for row in frame.iter_rows()]))
        return grids, None
    if suffix in (".csv", ".txt"):
        text, encoding = decode(path.read_bytes())
        return [(None, _csv_grid(text))], encoding
    raise AnalysisError("not a spreadsheet (.xlsx or .csv)", file=str(path))


def find_table(file: str, sheet: str | None, grid: list[list[str | None]], encoding: str | None) -> Table | None:
    """The header row (or a two-row merged header) and the rows below it; None when no kind is recognised."""
    for i, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        found = match_header(row)
        header_rows = [i + 1]
        if not found and i + 1 < len(grid):
            # A merged header: the group label on this row, its parts on the next one.
            nxt = grid[i + 1]
            combined = [(nxt[j] if j < len(nxt) and nxt[j] else c) for j, c in enumerate(row)]
            found = match_header(combined)
            header_rows = [i + 1, i + 2]
            row = combined
        if found:
            kind, columns = found
            start = header_rows[-1]
            titles = [" ".join(c for c in r if c) for r in grid[:i]]
            return Table(file, sheet, kind, columns, header_rows, titles,
                         [(start + k + 1, r) for k, r in enumerate(grid[start:])], encoding, rows_above=i,
                         header_keys={header_key(c) for c in row if c})
    return None
