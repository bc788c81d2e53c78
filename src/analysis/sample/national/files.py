"""Writing the national set's big files: a whole file's cells as polars columns, then the lines an operator's
export really has (title, header, a repeated header, blank lines, a totals line) put in at recorded rows."""
from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl

from analysis.sample.files import encode_cp1258, stamp
from analysis.sample.layout import FileRecord

def encode(text: str, encoding: str) -> bytes:
    if encoding == "cp1258":
        return encode_cp1258(text)
    return text.encode(encoding)


def _line(cells: list[object], sep: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="").writerow(["" if c is None else c for c in cells])
    return buf.getvalue()


@dataclass
class Layout:
    """What one file gets around its data: title lines, and the chances of the structural defects."""
    titles: list[str]
    blank_rate: float = 0.0
    repeat_header: bool = False
    totals: dict[int, int] | None = None  # column index -> the sum a totals line shows


class CsvWriter:
    def __init__(self, raw: Path, rng: np.random.Generator) -> None:
        self.raw, self.rng = raw, rng
        self.files: list[FileRecord] = []
        self.defects: list[dict] = []

    def record(self, file: str, defect: str, detail: object = "", row: int | None = None,
               column: str | None = None) -> None:
        self.defects.append({"file": file, "sheet": None, "row": row, "column": column, "defect": defect,
                             "detail": str(detail)})

    def write(self, rel: str, header: list[str], cells: pl.DataFrame, layout: Layout, *, encoding: str, sep: str,
              kind: str, sender: str, period: date | None, submitted: datetime, where: str,
              tally: Counter) -> tuple[FileRecord, np.ndarray]:
        """Write the file; return its record and the line number (1-based) of every data row."""
        body = cells.write_csv(separator=sep, include_header=False, line_terminator="\n", quote_style="necessary")
        data = body.split("\n")[:-1] if body else []
        n = len(data)
        blanks = np.flatnonzero(self.rng.random(n) < layout.blank_rate) if layout.blank_rate else np.array([], int)
        repeat_at = int(self.rng.integers(n)) if layout.repeat_header and n else -1
        out = [_line([t], sep) for t in layout.titles] + [_line(header, sep)]
        line_of = np.empty(n, dtype=np.int64)
        marks = sorted([(int(i), "blank_row") for i in blanks] + ([(repeat_at, "repeated_header")] if repeat_at >= 0
                                                                    else []))
        start = 0
        for at, what in marks:
            line_of[start:at] = len(out) + 1 + np.arange(at - start)
            out.extend(data[start:at])
            start = at
            out.append("" if what == "blank_row" else _line(header, sep))
            self.record(rel, what, "", row=len(out))
        line_of[start:] = len(out) + 1 + np.arange(n - start)
        out.extend(data[start:])
        if layout.totals is not None:
            row: list[object] = ["Tổng cộng"] + [""] * (len(header) - 1)
            for i, v in layout.totals.items():
                row[i] = v
            out.append(_line(row, sep))
            self.record(rel, "totals_row", "", row=len(out))
        if layout.titles:
            self.record(rel, "title_rows", len(layout.titles))
        path = self.raw / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encode("\r\n".join(out) + "\r\n", encoding))
        stamp(path, submitted)
        for what, detail in (("encoding", encoding), ("separator", sep), ("file_format", "csv"), ("submitted", where)):
            self.record(rel, what, detail)
        for (defect, detail), k in sorted(tally.items()):
            self.record(rel, defect, f"{detail} x{k}")
        tally.clear()
        rec = FileRecord(rel, kind, sender, period, n, len(out) - n, submitted, where)
        self.files.append(rec)
        return rec, line_of
