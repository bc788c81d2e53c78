"""Finding the table in a sheet: the header row (or two-row merged header), the title lines above it, and which
rows below it are not data (blank, repeated header, totals)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from analysis.clean.kinds import (PERSONAL, Kind, Match, match_header, match_table, months_under_years,
                                  title_fields)
from analysis.clean.readers import HEADER_SEARCH_ROWS, Sheet
from analysis.names import fold as names_fold

# A totals row starts with one of these words ("Tổng cộng", "Cộng huyện ..."), never with a place name.
TOTAL_WORDS = ("tong cong", "tong so", "cong huyen", "cong toan", "cong:", "total", "sum ")  # folded, regex-safe
REPEATING = ("period", "operator", "district", "commune", "hamlet", "service", "segment", "ftth", "mbb_4g", "mbb_5g",
             "network", "technology", "as_of", "submitted", "year", "area", "hosting", "status")
TEXT_COLUMNS = ("period", "operator", "district", "commune", "hamlet", "area", "app", "milestone")
# Kinds whose rows for one key are summed (a commune split over rows): there a row pasted twice would count twice.
SUMMED = ("subscribers",)


@dataclass
class Table:
    """A sheet recognised as a kind: `frame` holds its rows below the header, `_row` numbered as the sender
    sees them, cells still as sent (c0..cN), and `_nondata` saying why a row is not data (null for data)."""
    file: str
    sheet: str | None
    kind: Kind
    columns: dict[int, str]   # cell index -> canonical column
    headers: dict[str, str]   # canonical column -> header text as sent
    header_rows: list[int]
    titles: list[str]
    rows_above: int           # title and blank rows above the header
    frame: pl.DataFrame       # data rows only, cells as sent except personal data
    non_data: dict[str, int]  # rows below the header that are not data, by why
    width: int                # cells per row as sent, personal ones included
    header_cells: list[str | None] = field(default_factory=list)
    continues: Table | None = None  # the first part's table, for a later part of a file read in parts
    pasted: list[tuple[int, int]] = field(default_factory=list)  # (row, the earlier row it repeats exactly)
    decided: dict = field(default_factory=dict)  # per-file decisions taken on the first part (a speed unit)
    given: dict[str, str] = field(default_factory=dict)   # columns a title line states for every row
    # A pivoted sheet: the month columns (cell index -> header as sent) whose cells are figures of `measure`;
    # each data row stands for one figure per month (`figures_per_row`), so the accounting counts cells.
    months: dict[int, str] = field(default_factory=dict)
    measure: str | None = None
    figures_per_row: int = 1
    rows: int = 0            # data rows as read (the frame is freed once parsed)
    cached: bool = False     # a table of a file taken from the clean cache: its rows come parsed (clean/cache.py)

    def data(self) -> pl.DataFrame:
        """The data rows under canonical column names, with `_row`; a pivoted table's rows one per month cell,
        with `period` the month's header as sent and `_cell` naming the cell's column for the quarantine."""
        grouped = "_group" in self.frame.columns   # the district a group row above names ("I. Huyện Phú Lương")
        cells = [(pl.coalesce(pl.col(f"c{i}").cast(pl.String), pl.col("_group")) if grouped and name == "district"
                  else pl.col(f"c{i}")).alias(name) for i, name in self.columns.items() if name not in PERSONAL]
        given = [(pl.coalesce(pl.col("_group"), pl.lit(v, pl.String)) if grouped and k == "district"
                  else pl.lit(v, pl.String)).alias(k) for k, v in self.given.items()]
        if grouped and "district" not in self.columns.values() and "district" not in self.given:
            given.append(pl.col("_group").alias("district"))
        rows = self.frame.select("_row", "_extra", *cells, *given)
        if not self.months:
            return rows
        cells = [f"c{i}" for i in self.months]
        figures = (self.frame.select("_row", *[pl.col(c).cast(pl.String) for c in cells])
                   .unpivot(index="_row", on=cells, variable_name="_c", value_name=self.measure)
                   .with_columns(_m=pl.col("_c").str.slice(1).cast(pl.Int32))
                   .sort("_row", "_m"))
        headers = {f"c{i}": h for i, h in self.months.items()}
        letters = {f"c{i}": _letter(i) for i in self.months}
        figures = figures.with_columns(
            period=pl.col("_c").replace_strict(headers, return_dtype=pl.String),
            _cell=pl.format("{} ({})", pl.col("_c").replace_strict(letters, return_dtype=pl.String),
                            pl.col("_c").replace_strict(headers, return_dtype=pl.String))).drop("_c", "_m")
        return rows.drop("period", strict=False).join(figures, on="_row", how="inner", maintain_order="right")

    @property
    def removed(self) -> set[str]:
        return {f"c{i}" for i, name in self.columns.items() if name in PERSONAL}


def _letter(i: int) -> str:
    """A cell index as its spreadsheet column letter: 0 -> A, 27 -> AB."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def duplicated_columns(table: Table) -> str | None:
    """A canonical column two header cells both name ('Số thuê bao' twice), or None (a pivoted sheet's months
    all name the period, as they should)."""
    seen: dict[str, int] = {}
    for i, cell in enumerate(table.header_cells):
        col = table.kind.column_for(cell) if cell and i not in table.months else None
        if col:
            seen[col] = seen.get(col, 0) + 1
    return ", ".join(sorted(c for c, n in seen.items() if n > 1)) or None


@dataclass
class Found:
    """A sheet whose header was recognised, its rows not yet classified: sheets laid out alike (a month's files of
    one operator) are classified together (`build`), one query for many sheets instead of a dozen each."""
    file: str
    sheet: Sheet
    match: Match
    header: list
    header_rows: list[int]
    titles: list[str]
    rows_above: int
    body: pl.DataFrame
    continues: Table | None = None

    def layout(self) -> tuple:
        m = self.match
        return (m.kind.name, tuple(self.header), tuple(m.columns.items()), tuple(m.months.items()),
                tuple(m.given.items()), m.measure)


def find_header(file: str, sheet: Sheet) -> Found | None:
    """The header row (or a two-row merged header) within the first rows; None when no kind is recognised."""
    head = sheet.frame.head(HEADER_SEARCH_ROWS + 1)
    grid = [list(r[1:]) for r in head.iter_rows()]
    numbers = head["_row"].to_list()
    # Each line as text and what it states ('Doanh nghiệp: VNPT'), for the rows below it: read only down to the
    # header, not for all the rows searched (a header is found within the first few; the rest were 0.7 s of the
    # sample's clean).
    lines: list[str] = []
    stated: list[list[tuple[str, str]]] = []
    alone: dict[int, Match | None] = {}

    def above(i: int) -> list[tuple[str, str]]:
        while len(stated) < i:
            stated.append(title_fields([grid[len(stated)]]))
        return [f for s in stated[:i] for f in s]

    def titles(i: int) -> list[str]:
        while len(lines) < i:
            lines.append(" ".join(str(c) for c in grid[len(lines)] if c))
        return [t for t in lines[:i] if t]

    def header_at(i: int) -> Match | None:   # row i as a header on its own, with the lines above it as its title
        if i not in alone:
            alone[i] = match_table(grid[i], above(i), titles=titles(i))
        return alone[i]

    for i, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        found, used = header_at(i), 1
        if not found and i + 1 < len(grid) and not header_at(i + 1):
            # A merged header: the group label on this row, its parts on the next one.
            nxt = months_under_years(row, grid[i + 1])   # 'Năm 2024' merged over 'T10', 'T11': '10/2024', ...
            combined = [(nxt[j] if j < len(nxt) and nxt[j] else c) for j, c in enumerate(row)]
            found = match_table(combined, above(i), upper=row, titles=titles(i))
            used, row = 2, combined
        if found:
            return Found(file, sheet, found, list(row), numbers[i:i + used], titles(i), i,
                         sheet.frame.slice(i + used))
    return None


def find_table(file: str, sheet: Sheet, keep_text: tuple[str, ...] = ()) -> Table | None:
    """The sheet's table, or None when no kind is recognised (`find_header`, then `build` on the sheet alone).
    Tables of the kinds in `keep_text` keep their repeating columns as text (they are parsed within seconds)."""
    found = find_header(file, sheet)
    return build([found], keep_text)[0] if found else None


def continue_table(first: Table, sheet: Sheet, keep_text: tuple[str, ...] = ()) -> Table:
    """A later part of a file too large to read at once (readers.csv_parts): its rows under the first part's
    header, with no header or title of its own."""
    match = Match(first.kind, first.columns, first.given, first.months, first.measure)
    return build([Found(first.file, sheet, match, first.header_cells, [], [], 0, sheet.frame, first)], keep_text)[0]


def build(found: list[Found], keep_text: tuple[str, ...] = ()) -> list[Table]:
    """Each found sheet's table, in the order given; sheets of one layout classified in one batch."""
    out: list[Table | None] = [None] * len(found)
    layouts: dict[tuple, list[int]] = {}
    for i, f in enumerate(found):
        layouts.setdefault(f.layout(), []).append(i)
    for members in layouts.values():
        for i, table in zip(members, _tables([found[i] for i in members], keep_text)):
            out[i] = table
    return out


def _tables(batch: list[Found], keep_text: tuple[str, ...]) -> list[Table]:
    """Sheets of one layout: their rows classified together (`_sheet` telling them apart), then one table each."""
    first = batch[0]
    match, header = first.match, first.header
    kind, columns = match.kind, match.columns
    body = pl.concat([f.body.with_columns(_sheet=pl.lit(n, pl.Int32)) for n, f in enumerate(batch)],
                     how="diagonal_relaxed")
    body = _classify(body, header, {**columns, **{i: "period" for i in match.months}})
    # Only where the rows carry their own number or label (an STT in a first column no kind reads): without one,
    # two identical rows are a commune split into equal parts, which the contract sums.
    body, pasted = _pasted(body) if kind.name in SUMMED and 0 not in columns else (body, {})
    counts: dict[int, dict[str, int]] = {}
    # (The few non-data rows grouped, not every row: 54 ms of a national month's 0.24 s build.)
    for n, why, rows in (body.filter(pl.col("_nondata").is_not_null()).group_by("_sheet", "_nondata").len()
                         .sort("_sheet", "_nondata").iter_rows()):
        counts.setdefault(n, {})[why] = rows
    body, grouped = _group_districts(body, kind)
    # Personal data (device ids, IP addresses) is dropped here, before any row can travel further.
    personal = [f"c{j}" for j, name in columns.items() if name in PERSONAL]
    data = body.filter(pl.col("_nondata").is_null()).drop("_nondata", *(c for c in personal if c in body.columns))
    n_header = max(j for j, c in enumerate(header) if c) + 1
    beyond = [c for c in data.columns if c.startswith("c") and int(c[1:]) >= n_header]
    data = data.with_columns(_extra=pl.concat_str([pl.col(c) for c in beyond], separator=" | ", ignore_nulls=True)
                             if beyond else pl.lit(None, pl.String))
    data = data.with_columns(_extra=pl.when(pl.col("_extra") != "").then(pl.col("_extra")))
    # Names, periods and yes/no marks repeat on every row: held as categories they take 4 bytes a cell, which
    # keeps a province's year of raw rows in memory at a fraction of its size as text.
    if kind.name not in keep_text:
        data = data.with_columns(pl.col(f"c{j}").cast(pl.Categorical) for j, name in columns.items()
                                 if name in REPEATING and f"c{j}" in data.columns)
    parts = data.partition_by("_sheet", as_dict=True, include_key=False, maintain_order=True)
    headers = {name: header[j] for j, name in columns.items()} | {k: f"{k}: {v}" for k, v in match.given.items()}
    if match.months:
        headers |= {"period": ", ".join(match.months.values()), match.measure: match.measure}
    tables = []
    for n, f in enumerate(batch):
        # The sheet's own columns only: another sheet of the batch may be wider, or have group rows.
        own = set(f.body.columns) | {"_extra"} | ({"_group"} if n in grouped else set())
        rows = parts.get((n,), data.clear())
        rows = rows.select(c for c in rows.columns if c in own)
        mine = counts.get(n, {})
        months, per_row = _reported(rows, match.months, mine)
        tables.append(Table(f.file, f.sheet.name, kind, columns, headers, f.header_rows, f.titles, f.rows_above,
                            rows, mine, len(f.body.columns) - 1, header, continues=f.continues,
                            pasted=pasted.get(n, []), given=match.given, months=months, measure=match.measure,
                            figures_per_row=per_row, rows=rows.height))
    return tables


def _group_districts(body: pl.DataFrame, kind: Kind) -> tuple[pl.DataFrame, set[int]]:
    """`_group`: for each row, the district the group row above it names ("I. Huyện Phú Lương", "Thành phố Phổ
    Yên" standing in the commune column), until the next group or totals row; so a commune below it is looked for
    in that district only (a name two districts share, or an approximate one, never crosses it). Added only when
    a group row names a district; with the sheets that have one."""
    if "district" not in kind.aliases or body.is_empty():
        return body, set()
    cells = [c for c in body.columns if c.startswith("c")]
    named = pl.coalesce([pl.when(pl.col(c).str.contains(_DISTRICT_NAME)).then(pl.col(c).cast(pl.String))
                         for c in cells] + [pl.lit(None, pl.String)])
    marks = body.select("_sheet", pl.when(pl.col("_nondata") == "group").then(named.fill_null(""))
                        .when(pl.col("_nondata") == "totals").then(pl.lit("")).alias("_group"))
    grouped = set(marks.filter(pl.col("_group") != "")["_sheet"].unique().to_list())
    if not grouped:
        return body, grouped
    carried = marks.select(pl.col("_group").fill_null(strategy="forward").over("_sheet")).to_series()
    return body.with_columns(carried.replace("", None).alias("_group")), grouped


def _reported(data: pl.DataFrame, months: dict[int, str], counts: dict[str, int]) -> tuple[dict[int, str], int]:
    """A pivoted table's months that carry a figure in any row; a month column empty in every row is a month not
    yet reported (a year's template filled to October), whose cells are counted as `month_not_reported`. In a
    month with figures every cell is one: an empty one is read (and quarantined, or a no under the x habit)."""
    if not months:
        return {}, 1
    filled = {i: h for i, h in months.items() if data[f"c{i}"].is_not_null().any()} if data.height else {}
    empty = len(months) - len(filled)
    if empty and data.height:
        counts["month_not_reported"] = counts.get("month_not_reported", 0) + empty * data.height
    return filled, len(months)


def _pasted(body: pl.DataFrame) -> tuple[pl.DataFrame, dict[int, list[tuple[int, int]]]]:
    """A data row repeated exactly within its sheet, every cell the same, its STT or label too, is one row pasted
    twice: the repeat is not data ("repeated_row") and is listed with the row it repeats (by sheet of the batch).
    A commune on two rows that differ in any cell (another STT) is a split, summed later (`reports.sum_parts`)."""
    cells = [c for c in body.columns if c.startswith("c")]
    if not cells:
        return body, {}
    rows = (body.filter(pl.col("_nondata").is_null())
            .select("_sheet", "_row",
                    _k=pl.concat_str([pl.col(c).fill_null("\x00") for c in cells], separator="\x1f"))
            .with_columns(_first=pl.col("_row").first().over("_sheet", "_k"))
            .filter(pl.col("_row") != pl.col("_first")))
    if rows.is_empty():
        return body, {}
    pasted: dict[int, list[tuple[int, int]]] = {}
    for n, row, first in rows.select("_sheet", "_row", "_first").iter_rows():
        pasted.setdefault(n, []).append((row, first))
    again = pl.struct("_sheet", "_row").is_in(rows.select(pl.struct("_sheet", "_row")).to_series().implode())
    return body.with_columns(_nondata=pl.when(again).then(pl.lit("repeated_row")).otherwise(pl.col("_nondata"))), pasted


def _tolerant(word: str) -> str:
    """A regex for a folded word that also matches it with diacritics, composed or decomposed, in any case:
    'tong' -> t[oóòỏõọôốồổỗộơớờởỡợ]\\p{M}*ng. Vectorised matching of every cell, no per-value folding."""
    out = []
    for ch in word:
        if ch in _VARIANTS:
            out.append(f"[{_VARIANTS[ch]}]\\p{{M}}*")
        else:
            out.append(re.escape(ch))
    return "".join(out)


_VARIANTS: dict[str, str] = {}
for _code in list(range(0x41, 0x7B)) + list(range(0xC0, 0x250)) + list(range(0x1E00, 0x1F00)):
    _ch = chr(_code)
    _base = names_fold(_ch)
    if len(_base) == 1 and _base.isalpha():
        _VARIANTS[_base] = _VARIANTS.get(_base, "") + _ch
_TOTALS_RE = "(?i)^(?:" + "|".join(_tolerant(w) for w in TOTAL_WORDS) + (
    # "Cộng", "Tổng" alone, or before what they add up ("Cộng huyện Phú Lương", "Tổng toàn tỉnh", "Cộng các xã")
    f"|(?:{_tolerant('cong')}|{_tolerant('tong')})\\s*[:.]?\\s*$"
    f"|(?:{_tolerant('cong')}|{_tolerant('tong')})\\s*[:.]?\\s+(?:"
    + "|".join(_tolerant(w) for w in ("huyen", "thanh pho", "thi xa", "quan", "tinh", "toan", "xa", "cac", "chung"))
    + "))")
# A group row: its STT a Roman numeral or a letter (I, II., A, b)) in an unnamed first column, or a district's name
# in the commune column. It heads or sums the communes below it and is never one of them.
_GROUP_STT = r"^\s*(?:[IVXLC]{1,6}|[A-Za-z])\s*[.)]?\s*$"
# "Huyện" and "Quận" only with their marks: "Huyền Tụng" and "Quan Triều" are communes (NFC, or NFD with the dot
# below before the circumflex).
_DISTRICT_NAME = "(?i)^\\s*(?:" + "|".join(_tolerant(w) for w in ("thanh pho ", "thi xa ")) + (
    "|huy(?:[ệỆ]|[êÊ]\\x{0323}|[eE]\\x{0323}\\x{0302})n\\s|qu(?:[ậẬ]|[âÂ]\\x{0323}|[aA]\\x{0323}\\x{0302})n\\s"
    "|tp[. ]|h\\.|tx\\.)")
_DIGIT_EARLY = r"^.{0,5}\d"


def _classify(body: pl.DataFrame, header: list[str | None], columns: dict[int, str]) -> pl.DataFrame:
    cells = [c for c in body.columns if c.startswith("c")]
    named = [(f"c{i}", h.lower()) for i, h in enumerate(header) if h and f"c{i}" in body.columns]
    need = max(2, (len(named) + 1) // 2)
    # Totals words are looked for in the first cell and the text columns.
    look = [c for c in sorted({"c0"} | {f"c{i}" for i, name in columns.items() if name in TEXT_COLUMNS})
            if c in body.columns]
    blank = pl.all_horizontal([pl.col(c).is_null() for c in cells]) if cells else pl.lit(True)
    # First a cheap pass finds the rows that could be a repeated header or a totals line: a repeated header matches
    # `need` of the named columns, so at least `need` cells have their header's length (case changes keep a
    # Vietnamese letter's UTF-8 length); a totals line starts with a totals word, which one anchored regex finds
    # faster than any first-letter test would rule out (place names start with T, C and S too). The per-column
    # header regexes then run on those rows only. (Counting lengths over every named column, not asking for one
    # among the first few: 'ISP' has the length of every FPT row's cell, 'Vĩ độ' of every latitude, so the first
    # few let through 5% of the speed tests and 99% of the BTS rows, and classifying took 1.6-2.6x as long.)
    maybe = pl.sum_horizontal([(pl.col(c).str.len_bytes() == len(h.encode())).fill_null(False).cast(pl.Int32)
                               for c, h in named]) >= need if named else pl.lit(False)
    totals = [pl.col(c).str.contains(_TOTALS_RE) for c in look]
    rows = body.select(pl.any_horizontal([maybe, *totals, pl.lit(False)]).fill_null(False)).to_series().arg_true()
    labels = pl.Series("_nondata", [None] * body.height, dtype=pl.String)
    if len(rows):
        same_as_header = pl.sum_horizontal([pl.col(c).str.contains(f"(?i)^{re.escape(h)}$").fill_null(False)
                                            .cast(pl.Int32) for c, h in named]) if named else pl.lit(0)
        is_totals = pl.any_horizontal([t & ~pl.col(c).str.contains(_DIGIT_EARLY) for t, c in zip(totals, look)]
                                      ) if totals else pl.lit(False)
        found = body[rows].select(pl.when(same_as_header >= need).then(pl.lit("repeated_header"))
                                  .when(is_totals).then(pl.lit("totals"))).to_series()
        labels = labels.scatter(rows, found)
    group = [pl.col("c0").str.contains(_GROUP_STT)] if 0 not in columns and "c0" in body.columns else []
    group += [pl.col(f"c{j}").str.contains(_DISTRICT_NAME) for j, name in columns.items()
              if name == "commune" and f"c{j}" in body.columns]
    grouped = pl.any_horizontal([*group, pl.lit(False)]).fill_null(False)
    return body.with_columns(_nondata=pl.when(blank).then(pl.lit("blank")).when(pl.lit(labels).is_not_null())
                             .then(pl.lit(labels)).when(grouped).then(pl.lit("group")).otherwise(None))
