"""Reading a raw file into sheets of text cells, each row numbered as the sender sees it in Excel or an editor."""
from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import fastexcel
import polars as pl
from charset_normalizer import from_bytes

from analysis.clean.columns import tidy
from analysis.clean.kinds import MIN_COLUMNS, looks_pivoted, match_header
from analysis.errors import AnalysisError

HEADER_SEARCH_ROWS = 30  # titles above the header are a few lines; a header further down is not one
# A file up to this size is read whole; a larger CSV is read a part of whole lines at a time (`csv_parts`), so a
# year of national i-Speed tests in one export never sits in memory at once. A larger workbook is refused before
# it is opened: its cells cannot be read a part at a time.
MAX_FILE_BYTES = 512 * 1024 * 1024
PART_BYTES = 8 * 1024 * 1024  # about 110,000 lines of a subscriber export; about 400 MB in work (measured)
SEPARATORS = (",", ";", "\t")


@dataclass
class Sheet:
    """One sheet (or the one grid of a CSV): `_row` then c0..cN as text, nulls for empty cells. A hidden sheet
    (hidden by its sender in Excel or LibreOffice: lookup lists, old months, working) is not read for data."""
    name: str | None
    frame: pl.DataFrame
    hidden: bool = False


def _refuse_unsupported(data: bytes, file: str) -> None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        guess = from_bytes(data[:65536]).best()
        # NUL bytes are valid UTF-8, so a guess of UTF-8 or ASCII for them means a binary file, not a text one.
        name = guess.encoding if guess and not guess.encoding.startswith(("utf_8", "ascii")) else "binary"
        raise AnalysisError(f"encoding not supported ({name}); save it as UTF-8 or Windows-1258 CSV", file=file)


def decode(data: bytes, file: str) -> tuple[str, str]:
    """UTF-8 (with or without BOM) when it decodes strictly, else Windows-1258, the Vietnamese code page.
    Anything else (UTF-16 without its byte-order mark, a binary file renamed .csv) is refused with the encoding
    it looks like; UTF-16 with its mark is `read_csv`'s."""
    if data.startswith(b"\xef\xbb\xbf"):
        data, bom = data[3:], True
    else:
        bom = False
    _refuse_unsupported(data, file)
    try:
        return data.decode("utf-8"), "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1258"), "cp1258"
    except UnicodeDecodeError as exc:
        raise AnalysisError(f"neither UTF-8 nor Windows-1258 (byte {data[exc.start]:#04x} at offset {exc.start})",
                            file=file) from None


def _utf8_head(data: bytes, file: str) -> tuple[str, str] | None:
    """(the first characters, 'utf-8' or 'utf-8-sig') when the file starts as UTF-8, without decoding a whole
    export: polars then reads the bytes as they are and refuses them if a later byte is not UTF-8."""
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    _refuse_unsupported(body, file)
    try:  # an incremental decoder leaves a character cut at the end of the slice for later
        head = codecs.getincrementaldecoder("utf-8")().decode(body[:HEAD_CHARS * 4], final=len(body) <= HEAD_CHARS * 4)
    except UnicodeDecodeError:
        return None
    return head, "utf-8-sig" if bom else "utf-8"


def _frame(rows: list[list[str]], width: int, first_row: int = 1) -> pl.DataFrame:
    cols = {f"c{i}": [r[i] if i < len(r) else None for r in rows] for i in range(width)}
    return _numbered(pl.DataFrame(cols, schema={c: pl.String for c in cols}), first_row)


def _numbered(frame: pl.DataFrame, first_row: int) -> pl.DataFrame:
    # One eager select a sheet, the cells as one expression over all of them: a row index cast and an expression
    # per column took 1.4 ms a sheet against 0.8 (1,899 sheets in the sample; a lazy query took 7x as long).
    return frame.select(pl.int_range(pl.len(), dtype=pl.Int64).add(first_row).alias("_row"), tidy(pl.all()))


HEAD_CHARS = 1 << 16


def _separator(head_text: str, complete: bool) -> tuple[str, int]:
    """The separator under which a header row of a known kind appears in the first lines, and the widest
    of those lines (';' files carry ',' decimals, so counting characters is not enough). Only the first lines
    are looked at; `complete` says whether the text given is the whole file (else its last line may be cut)."""
    start = head_text[:HEAD_CHARS]
    lines = start.splitlines()
    head = lines[:HEADER_SEARCH_ROWS]
    if (not complete or len(head_text) > HEAD_CHARS) and len(head) == len(lines):
        head = head[:-1]
    fallback = None
    for sep in SEPARATORS:
        rows = list(csv.reader(head, delimiter=sep))
        width = max((len(r) for r in rows), default=0)
        # A row of fewer filled cells than any header has is not matched: matching every line of a ';' file split at
        # ',' first was 80% of this (0.43 s of a province clean's CPU).
        if any(match_header(r) or looks_pivoted(r) for r in rows if sum(1 for c in r if c.strip()) >= MIN_COLUMNS):
            return sep, width
        fallback = fallback or (sep, width)
    return fallback or (",", 0)


def csv_parts(path: Path, file: str) -> Iterator[tuple[Sheet, str]]:
    """A CSV above MAX_FILE_BYTES as successive grids of whole lines (about PART_BYTES each), numbered on from one
    another as the lines of the file. The separator and width come from the first part's head; each part is read
    as UTF-8, or as Windows-1258 when it is not (a newline is one byte in both, so cutting at one is safe)."""
    sep = width = None
    line, rest = 1, b""
    with path.open("rb") as f:
        while True:
            block = f.read(PART_BYTES)
            data = rest + block
            if sep is None:  # a binary or UTF-16 file says so before anything else
                _refuse_unsupported(data.removeprefix(b"\xef\xbb\xbf"), file)
            if block:
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    raise AnalysisError(f"no line break in {len(data):,} bytes: not a CSV of lines", file=file,
                                        row=line)
                data, rest = data[:cut], data[cut:]
            elif not data:
                return
            else:
                rest = b""
            if sep is None:  # the first part: its byte-order mark, the separator and the width of the header
                start = _utf8_head(data, file)
                head = start[0] if start else decode(data[:HEAD_CHARS * 4], file)[0]
                encoding = start[1] if start else "cp1258"
                data = data[3:] if encoding == "utf-8-sig" else data
                sep, width = _separator(head, complete=False)
            grid, part_encoding = _grid(data, sep, width, file)
            yield Sheet(None, _numbered(grid, line)), part_encoding if part_encoding == "cp1258" else encoding
            line += data.count(b"\n")
            if not block:
                return


def _grid(data: bytes, sep: str, width: int, file: str) -> tuple[pl.DataFrame, str]:
    """A CSV's lines (a whole file or one part) as text cells: as UTF-8, else as Windows-1258; a line wider than
    the header (an unquoted decimal comma, a stray separator) read cell by cell, so its extra cells are kept and
    the row can be quarantined with what it held."""
    read = lambda b: pl.read_csv(b, has_header=False, separator=sep, schema={f"c{i}": pl.String for i in range(width)},
                                 raise_if_empty=False, missing_columns="insert")
    try:
        return read(data), "utf-8"
    except pl.exceptions.ComputeError:
        pass
    text, encoding = decode(data, file)
    try:
        return read(text.encode("utf-8")), encoding
    except pl.exceptions.ComputeError:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
        wide = max(len(r) for r in rows)
        cols = {f"c{i}": [r[i] if i < len(r) else None for r in rows] for i in range(wide)}
        return pl.DataFrame(cols, schema={c: pl.String for c in cols}), encoding


UTF16 = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}   # Excel's "Unicode text" export: a BOM, tabs


def read_csv(path: Path, file: str, data: bytes | None = None) -> tuple[Sheet, str]:
    data = path.read_bytes() if data is None else data
    utf16 = UTF16.get(data[:2]) if data[:4] != b"\xff\xfe\x00\x00" else None   # (UTF-32's mark: refused below)
    start = None if utf16 else _utf8_head(data, file)
    if utf16:              # decoded, and re-encoded as UTF-8 for polars
        try:
            head = data[2:].decode(utf16)
        except UnicodeDecodeError as exc:
            raise AnalysisError(f"not valid {utf16.upper()} (byte {exc.start + 2:,})", file=file) from None
        encoding, body, complete = utf16, head.encode("utf-8"), True
    elif start is not None:  # UTF-8 bytes go to polars as they are (without a BOM)
        head, encoding = start
        body = data[3:] if encoding == "utf-8-sig" else data
        complete = len(body) <= HEAD_CHARS * 4
    else:                  # Windows-1258: decoded, and re-encoded for polars
        head, encoding = decode(data, file)
        body, complete = head.encode("utf-8"), True
    if not body or body.isspace():
        return Sheet(None, _frame([], 0)), encoding
    sep, width = _separator(head, complete=complete)
    # A file that began as UTF-8 and turns to Windows-1258 later is read as Windows-1258 whole (`_grid`).
    grid, read_as = _grid(body, sep, width, file)
    # Blank lines come back as rows of nulls, so row numbers are line numbers (a quoted cell spanning
    # lines would shift them; no sender does that).
    return Sheet(None, _numbered(grid, 1)), read_as if read_as == "cp1258" else encoding


EXCEL_ERRORS = {"Ref": "#REF!", "Div0": "#DIV/0!", "NA": "#N/A", "Name": "#NAME?", "Null": "#NULL!", "Num": "#NUM!",
                "Value": "#VALUE!", "GettingData": "#GETTING_DATA"}


def _with_error_cells(frame: pl.DataFrame, errors) -> pl.DataFrame:
    """An Excel error cell (#REF!, #DIV/0!) comes back as text, so it is quarantined as what it is, not as empty."""
    if not errors or not errors.errors:
        return frame
    cols = {c: frame[c].to_list() for c in frame.columns}
    names = frame.columns
    for err in errors.errors:
        row, col = err.offset_position
        kind = err.detail.split("Error(")[-1].rstrip(")'") if "Error(" in err.detail else "?"
        if col < len(names) and row < frame.height:
            cols[names[col]][row] = EXCEL_ERRORS.get(kind, f"#{kind.upper()}!")
    return pl.DataFrame(cols, schema={c: pl.String for c in names})


def _first_filled(frame: pl.DataFrame) -> int:
    """The index of the sheet's first row with a value (its height when none has one). Most sheets start with
    their title on the first row, which one row's look tells without a query over the whole sheet."""
    if not frame.width or not frame.height:
        return frame.height
    if any(v is not None for v in frame.row(0)):
        return 0
    filled = frame.select(pl.any_horizontal(pl.all().is_not_null()).arg_true().first()).item()
    return frame.height if filled is None else filled


WORKBOOKS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")   # what calamine (through fastexcel) reads
TEXTS = (".csv", ".txt")


def read_workbook(path: Path, file: str) -> list[Sheet]:
    """Every sheet of an Excel (2007 or 97-2003) or OpenDocument workbook, rows numbered as the sender sees them.

    `skip_rows=0` makes fastexcel start at the sheet's first row rather than at its first row with a value, in
    every format; the empty rows above a title are then cut here, so they are neither read nor counted."""
    try:
        book = fastexcel.read_excel(str(path))
    except Exception as exc:  # fastexcel raises its own types for corrupt or non-workbook files
        # calamine's first line says what broke ("Ods error: Zip error: ... Could not find EOCD"), without the path
        detail = str(exc).split("\n")[0].removeprefix("calamine error: ")[:160] or exc.__class__.__name__
        cut = " (the file looks cut short or damaged: ask for it again)" if "EOCD" in detail else ""
        raise AnalysisError(f"cannot open as a workbook ({detail}){cut}", file=file) from None
    sheets = []
    for name in book.sheet_names:
        try:
            sheet = book.load_sheet(name, header_row=None, dtypes="string", skip_rows=0)
            batch, errors = sheet.to_arrow_with_errors()
            frame = pl.from_arrow(batch)
        except Exception as exc:
            raise AnalysisError(f"cannot read the sheet ({exc.__class__.__name__})", file=file, sheet=name) from None
        frame = _with_error_cells(frame, errors)
        frame.columns = [f"c{i}" for i in range(frame.width)]   # (`rename` is a lazy query: 0.2 ms a sheet)
        top = _first_filled(frame)
        sheets.append(Sheet(name, _numbered(frame.slice(top), top + 1), hidden=sheet.visible != "visible"))
    return sheets


def read_file(path: Path, file: str, data: bytes | None = None) -> tuple[list[Sheet], str | None, str | None]:
    """Every sheet of a workbook, or the one grid of a CSV; the CSV's encoding; and what a file named as a
    workbook really was when it was not one (`disguised`). `data`: a CSV's bytes, when the caller has them."""
    suffix = path.suffix.lower()
    size = path.stat().st_size
    if size == 0:
        raise AnalysisError("the file is empty (0 bytes)", file=file)
    if size > MAX_FILE_BYTES and suffix not in TEXTS:
        raise AnalysisError(f"the workbook is {size:,} bytes, above the {MAX_FILE_BYTES:,}-byte limit for one "
                            "workbook (a workbook is read whole); split it by month, or send it as CSV", file=file)
    if suffix in WORKBOOKS:
        from analysis.clean import disguised   # an HTML table or a CSV under a workbook's name: read as what it is
        with path.open("rb") as f:
            head = f.read(65536)
        kind = disguised.disguise(head)
        if kind == "html":
            return disguised.read_html(path.read_bytes()), None, f"an HTML table named {suffix}"
        if kind == "text":
            sheet, encoding = read_csv(path, file)
            return [sheet], encoding, f"text (CSV) named {suffix}"
        return read_workbook(path, file), None, None
    if suffix in TEXTS:
        sheet, encoding = read_csv(path, file, data)
        return [sheet], encoding, None
    raise AnalysisError(f"not a spreadsheet ({suffix or 'no extension'}); expected a workbook "
                        f"({', '.join(WORKBOOKS)}) or text ({', '.join(TEXTS)})", file=file)
