"""Workbooks that are text in disguise. Web systems export "Excel" files that are an HTML table named .xls, and
people save a CSV under an .xls name; Excel opens both without a word, so senders do not know. Read as what they
are, with the manifest saying so (`read_as`), rather than refused as broken workbooks."""
from __future__ import annotations

from analysis.clean.readers import UTF16, Sheet, _frame

_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"   # .xlsx/.xlsm/.xlsb/.ods are zips; .xls is an OLE file


def disguise(data: bytes) -> str | None:
    """'html' or 'text' when a file named as a workbook is neither a zip nor an OLE file but text; else None (a
    real workbook, or a broken one, which the workbook reader refuses with its reason)."""
    if data.startswith((_ZIP, _OLE)):
        return None
    if data[:2] in UTF16:            # Excel's "Unicode text" saved under a workbook's name
        return "text"
    body = data.removeprefix(b"\xef\xbb\xbf")[:65536]
    if b"\x00" in body[:4096]:
        return None
    lead = body.lstrip().lower()
    if lead.startswith(b"<") and b"<table" in lead:
        return "html"
    first = body.split(b"\n", 1)[0]
    printable = sum(32 <= b or b in (9, 10, 13) for b in body[:4096]) / max(1, len(body[:4096]))
    return "text" if printable > 0.98 and any(sep in first for sep in (b",", b";", b"\t")) else None


def read_html(data: bytes) -> list[Sheet]:
    """Every top-level table of an HTML page, one sheet each ('table 1', ...), rows numbered from 1 in the order of
    the page. A cell spanning columns or rows holds its text in its first cell and leaves the others empty, as a
    merged cell does in Excel. The page's own charset is honoured (BeautifulSoup's detection)."""
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(data, "html.parser")
    sheets = []
    tables = [t for t in soup.find_all("table") if t.find_parent("table") is None]
    for k, table in enumerate(tables, start=1):
        grid = _grid(table)
        width = max((len(r) for r in grid), default=0)
        sheets.append(Sheet(f"table {k}", _frame(grid, width)))
    return sheets


def _span(cell, name: str) -> int:
    try:
        return max(1, min(int(cell.get(name, 1)), 1000))
    except (TypeError, ValueError):
        return 1


def _grid(table) -> list[list[str | None]]:
    rows: list[list[str | None]] = []
    below: dict[int, int] = {}   # column -> rows still covered by a cell spanning down into them
    for tr in (tr for tr in table.find_all("tr") if tr.find_parent("table") is table):
        row: list[str | None] = []
        cells = iter(tr.find_all(["td", "th"], recursive=False))
        col = 0
        while True:
            if below.get(col, 0) > 0:
                row.append(None)
                col += 1
                continue
            cell = next(cells, None)
            if cell is None:
                break
            across, down = _span(cell, "colspan"), _span(cell, "rowspan")
            row += [cell.get_text(" ", strip=True) or None] + [None] * (across - 1)
            for c in range(col, col + across):
                below[c] = max(below.get(c, 0), down)
            col += across
        rows.append(row)
        below = {c: n - 1 for c, n in below.items() if n > 1}
    return rows
