"""The mess operators make, injected at configured rates and recorded, so tests can prove cleaning undoes it."""
from __future__ import annotations

import unicodedata
from collections import Counter
from datetime import date

import numpy as np

from analysis.names import fold

EXCEL_EPOCH = date(1899, 12, 30)


def period_cell(d: date, style: str) -> object:
    if style == "iso":
        return f"{d.year}-{d.month:02d}"
    if style == "slash":
        return f"{d.month:02d}/{d.year}"
    if style == "t":
        return f"T{d.month}/{d.year}"
    if style == "words":
        return f"Tháng {d.month} năm {d.year}"
    if style == "serial":
        return (d - EXCEL_EPOCH).days
    if style == "quarter":
        return f"Q{(d.month - 1) // 3 + 1}/{d.year}"
    raise ValueError(style)


def number_cell(v: int | float, style: str, decimals: int = 0) -> object:
    if style == "plain":
        return v
    whole = f"{v:,.{decimals}f}"  # 12,345.6
    if style == "comma":
        return whole
    if style == "dot":
        return whole.replace(",", "\x00").replace(".", ",").replace("\x00", ".")  # 12.345,6
    if style == "space":
        return whole.replace(",", " ")
    if style == "text":
        return f"{v:.{decimals}f}" if decimals else str(int(v))
    raise ValueError(style)


BOOL_STYLES = {"co_khong": ("Có", "Không"), "x": ("x", ""), "10": ("1", "0"), "yn": ("Y", "N")}

_SHORT = {"Thành phố": "TP.", "Huyện": "H.", "Thị xã": "TX.", "Phường": "P.", "Xã": "X.", "Thị trấn": "TT."}
_EN = {"Thành phố": "city", "Huyện": "district", "Thị xã": "town", "Phường": "ward", "Xã": "commune",
       "Thị trấn": "township"}
UNIT_TYPES = ("Thành phố", "Thị xã", "Thị trấn", "Huyện", "Quận", "Phường", "Xã", "Tỉnh")


def unit_type(name: str) -> str:
    """The unit word an official name starts with ('Thị xã' of 'Thị xã Phổ Yên'), or ''."""
    return next((t for t in UNIT_TYPES if name.startswith(t + " ")), "")


NAME_STYLES = ("official", "short_prefix", "bare", "no_diacritics", "lower_no_prefix", "english", "code", "nfd")


def name_cell(full: str, unit_type: str, code: str, style: str) -> str:
    bare = full[len(unit_type):].strip() if full.startswith(unit_type) else full
    if style == "official":
        return full
    if style == "short_prefix":
        return f"{_SHORT.get(unit_type, '')} {bare}".strip()
    if style == "bare":
        return bare
    if style == "no_diacritics":
        return fold(full).title()
    if style == "lower_no_prefix":
        return f"{fold(_SHORT.get(unit_type, '')).rstrip('.')} {fold(bare)}".strip()
    if style == "english":
        return f"{fold(bare).title()} {_EN.get(unit_type, '')}".strip()
    if style == "code":
        return code
    if style == "nfd":
        return unicodedata.normalize("NFD", full)
    raise ValueError(style)


class Mess:
    """Draws defects at the configured rates and keeps the list of what it injected, where."""

    def __init__(self, rates: dict[str, float], rng: np.random.Generator) -> None:
        self.rates, self.rng = rates, rng
        self.defects: list[dict] = []
        self.file_counts: Counter = Counter()

    def chance(self, name: str) -> bool:
        return bool(self.rng.random() < self.rates.get(name, 0.0))

    def record(self, file: str, defect: str, detail: object = "", *, sheet: str | None = None,
               row: int | None = None, column: str | None = None) -> None:
        self.defects.append({"file": file, "sheet": sheet, "row": row, "column": column, "defect": defect,
                             "detail": str(detail)})

    def count(self, defect: str, detail: str) -> None:
        """A frequent cell-level variant: counted per file and written as one line when the file closes."""
        self.file_counts[(defect, detail)] += 1

    def flush(self, file: str) -> None:
        for (defect, detail), n in sorted(self.file_counts.items()):
            self.record(file, defect, f"{detail} x{n}")
        self.file_counts.clear()
