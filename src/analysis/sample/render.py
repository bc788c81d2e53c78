"""Turns clean records into the grid an operator would send: titles, headers, formats and row-level mess."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from analysis.names import fold
from analysis.sample.files import Sheet
from analysis.sample.mess import (BOOL_STYLES, NAME_STYLES, Mess, name_cell, number_cell, period_cell)

NUMBER_STYLES = ("dot", "comma", "space", "text")


@dataclass(frozen=True)
class Col:
    key: str
    header: str
    kind: str  # period | district | commune | hamlet | count | bool | decimal | text | date | datetime | coord


@dataclass
class Habit:
    """How one sender writes its files (each field is a choice real operators make differently)."""
    period: str = "iso"
    names: str = "official"
    numbers: str = "plain"
    bools: str = "co_khong"
    decimal_comma: bool = False
    hamlet_names: str = "official"
    coords: str = "decimal"


@dataclass
class Rendered:
    sheet: Sheet
    data_rows: int
    nondata_rows: int


LOSSY = ("bare", "no_diacritics", "lower_no_prefix", "english")  # styles that drop marks or the unit word


def _alike(units: dict[str, tuple[str, str]]) -> set[str]:
    """Codes whose name, folded or without its unit word, is another unit's too."""
    keys: dict[str, set[str]] = {}
    for code, (full, unit_type) in units.items():
        bare = full[len(unit_type):].strip() if full.startswith(unit_type) else full
        for k in {fold(full), bare, fold(bare)}:
            keys.setdefault(k, set()).add(code)
    return {c for codes in keys.values() if len(codes) > 1 for c in codes}


class Renderer:
    def __init__(self, mess: Mess, areas: dict[str, tuple[str, str]],
                 areas_2025: dict[str, tuple[str, str]] | None = None) -> None:
        # areas: code -> (official name, unit type); areas_2025 the same for the units of 1 July 2025 (which reused
        # old codes, so they are kept apart and named by their own column kind, `commune_2025`)
        self.mess, self.areas, self.areas_2025 = mess, areas, areas_2025 or {}
        # Names of the 2025 units that only their diacritics or unit word tell apart from another's (the merged
        # province has a Xã Văn Lăng and a Xã Văn Lang): with no district column left to tell them apart, a sender
        # keeps both. (Old units that share a name are told apart by their district.)
        self.plain_only = _alike(self.areas_2025)
        # Likewise a table by area (the survey) names the province or a district with nothing around it: Tỉnh and
        # Thành phố Thái Nguyên are the same words without their unit word.
        self.area_alike = _alike({c: v for c, v in self.areas.items() if len(c) <= 3})

    def _name(self, code: str, habit: Habit, units: dict[str, tuple[str, str]] | None = None,
              keep: set[str] = frozenset()) -> str:
        """The unit's name in the habit's style, or now and then another; a unit in `keep` is never written in a
        style that drops what tells it from another (marks, unit word)."""
        style = habit.names
        if self.mess.chance("name_variant"):
            style = NAME_STYLES[int(self.mess.rng.integers(len(NAME_STYLES)))]
            self.mess.count("name_variant", style)
        full, unit_type = (units or self.areas)[code]
        if style in LOSSY and code in keep:
            style = "official"
        return name_cell(full, unit_type, code, style)

    def _count(self, v: int, habit: Habit) -> object:
        if v == 0 and self.mess.chance("dash_for_zero"):
            self.mess.count("dash_for_zero", "-")
            return "-"
        style = habit.numbers
        if self.mess.chance("number_format"):
            style = NUMBER_STYLES[int(self.mess.rng.integers(len(NUMBER_STYLES)))]
            self.mess.count("number_format", style)
        return number_cell(int(v), style)

    def _decimal(self, v: float, habit: Habit, decimals: int = 2) -> object:
        if habit.decimal_comma:
            return f"{v:.{decimals}f}".replace(".", ",")
        return round(float(v), decimals) if habit.numbers == "plain" else f"{v:.{decimals}f}"

    def _hamlet(self, name: str, habit: Habit) -> str:
        if habit.hamlet_names == "bare":
            return name.split(" ", 1)[1] if name.startswith("Xóm ") else name
        if habit.hamlet_names == "no_diacritics":
            return fold(name)
        if habit.hamlet_names == "nfd":
            return unicodedata.normalize("NFD", name)
        return name

    @staticmethod
    def _dms(x: float, hemi: str) -> str:
        # Round once, in hundredths of a second, so 59.999" carries into the next minute instead of printing 60.00".
        d, rest = divmod(round(x * 360_000), 360_000)
        m, cs = divmod(rest, 6_000)
        return f"{d}°{m}'{cs / 100:.2f}\"{hemi}"

    def cell(self, col: Col, rec: dict, habit: Habit) -> object:
        v = rec.get(col.key)
        k = col.kind
        if k == "period":
            return period_cell(v, habit.period)
        if k in ("district", "commune"):
            return self._name(v, habit)
        if k == "commune_2025":
            return self._name(v, habit, self.areas_2025, self.plain_only)
        if k == "area":
            return self._name(v, habit, keep=self.area_alike)
        if k == "hamlet":
            return self._hamlet(v, habit)
        if k == "count":
            return self._count(v, habit)
        if k == "bool":
            yes, no = BOOL_STYLES[habit.bools]
            return yes if v else no
        if k == "decimal":
            return v if isinstance(v, str) else self._decimal(v, habit)
        if k == "coord":
            if habit.coords == "dms":
                return self._dms(v, "N" if col.key == "lat" else "E")
            return round(float(v), 6)
        if k == "date":
            return v.strftime("%d/%m/%Y") if isinstance(v, (date, datetime)) else v
        if k == "datetime":
            return v.strftime("%d/%m/%Y %H:%M:%S")
        return "" if v is None else v

    def render(self, file: str, sheet_name: str, records: list[dict], cols: list[Col], habit: Habit, *,
               titles: list[str] = (), merged: tuple[int, int, str] | None = None, totals: bool = True,
               splits: bool = False, blank_rows: bool = True, repeat_header: bool = True) -> Rendered:
        """One sheet; every row-level defect is recorded with the spreadsheet row it lands on (1-based)."""
        m = self.mess
        sh = Sheet(sheet_name)
        grid = sh.grid
        for t in titles:
            grid.append([t])
        if titles:
            m.record(file, "title_rows", len(titles), sheet=sheet_name)
        header = [c.header for c in cols]
        if merged:
            c1, c2, group = merged
            top = len(grid)
            grid.append([h if not (c1 <= i <= c2) else "" for i, h in enumerate(header)])
            grid.append(["" if not (c1 <= i <= c2) else h for i, h in enumerate(header)])
            for i, h in enumerate(header):
                if not (c1 <= i <= c2):
                    sh.merges.append((top, i, top + 1, i, h))
            sh.merges.append((top, c1, top, c2, group))
            m.record(file, "merged_header", group, sheet=sheet_name, row=top + 1)
        else:
            grid.append(header)
        count_cols = [i for i, c in enumerate(cols) if c.kind == "count"]
        repeat_at = (int(m.rng.integers(len(records))) if repeat_header and records and m.chance("repeated_header")
                     else -1)
        data = 0
        for n, rec in enumerate(records):
            if n == repeat_at:
                grid.append(list(header))
                m.record(file, "repeated_header", "", sheet=sheet_name, row=len(grid))
            if blank_rows and m.chance("blank_row"):
                grid.append([])
                m.record(file, "blank_row", "", sheet=sheet_name, row=len(grid))
            if splits and count_cols and m.chance("split_row"):
                v = rec[cols[count_cols[0]].key]
                if v >= 2:
                    a = int(m.rng.integers(1, v))
                    for part in (a, v - a):
                        grid.append([self.cell(c, {**rec, c.key: part} if i == count_cols[0] else rec, habit)
                                     for i, c in enumerate(cols)])
                    m.record(file, "split_row", f"{a}+{v - a}", sheet=sheet_name, row=len(grid) - 1,
                             column=cols[count_cols[0]].header)
                    data += 2
                    continue
            grid.append([self.cell(c, rec, habit) for c in cols])
            data += 1
        if totals and count_cols and m.chance("totals_row"):
            row: list[object] = ["Tổng cộng"] + [""] * (len(cols) - 1)
            for i in count_cols:
                row[i] = number_cell(sum(int(r[cols[i].key]) for r in records), habit.numbers)
            grid.append(row)
            m.record(file, "totals_row", "", sheet=sheet_name, row=len(grid))
        return Rendered(sh, data, len(grid) - data)
