"""Each raw kind's columns and the headers seen for them in the wild (DATA-CONTRACT.md), matched by key."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from analysis.clean.parse import ParseError, parse_period
from analysis.names import header_key


PERSONAL = ("device_id", "ip")  # columns that never leave the reader: not in tables, not in quarantine


@dataclass(frozen=True)
class Kind:
    name: str
    aliases: dict[str, tuple[str, ...]]  # canonical column -> headers as operators write them
    required: tuple[str, ...]

    def __hash__(self) -> int:  # kinds are module constants, one per name
        return hash(self.name)

    def column_for(self, header: object) -> str | None:
        return _column_for(self, header_key(str(header)) if header is not None else "")


@lru_cache(maxsize=None)
def _alias_keys(kind: Kind) -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    exact = {}
    for col, names in kind.aliases.items():
        for n in names:
            exact.setdefault(header_key(n), col)
    return exact, tuple((k + " ", col) for k, col in exact.items())


@lru_cache(maxsize=1 << 16)
def _column_for(kind: Kind, key: str) -> str | None:
    exact, prefixes = _alias_keys(kind)
    if key in exact:
        return exact[key]
    # "Tốc độ tải xuống (kbps)": the unit in brackets is read later, the column is the speed.
    for prefix, col in prefixes:
        if key.startswith(prefix):
            return col
    return None


_COMMON = {
    "period": ("Kỳ báo cáo", "Tháng", "Thời gian", "Kỳ", "Period", "Month", "Reporting period"),
    "operator": ("Doanh nghiệp", "Nhà mạng", "ISP", "Operator", "Đơn vị báo cáo"),
    "province": ("Tỉnh/TP", "Tỉnh/Thành phố", "Tỉnh", "Province"),
    "district": ("Huyện/TP", "Quận/Huyện", "Huyện", "Huyện/Thành phố", "District"),
    "commune": ("Xã/Phường", "Đơn vị hành chính", "Xã", "Xã/Phường/Thị trấn", "Commune", "Ward"),
    "submitted": ("Ngày gửi", "Ngày báo cáo", "Submitted", "Date sent"),
}

KINDS = (
    Kind("subscribers", {**_COMMON,
                         "service": ("Dịch vụ", "Loại thuê bao", "Service"),
                         "segment": ("Đối tượng", "Loại khách hàng", "Segment", "Customer type"),
                         "subscribers": ("Số thuê bao", "SL thuê bao", "Subscribers", "Số lượng thuê bao")},
         ("period", "operator", "commune", "service", "subscribers")),
    Kind("hamlet_coverage", {**_COMMON,
                             "hamlet": ("Xóm", "Thôn/Xóm", "Tổ dân phố", "Thôn", "Hamlet"),
                             "ftth": ("Có cáp quang", "FTTH", "Cáp quang"),
                             "mbb_4g": ("Phủ sóng 4G", "4G", "4G coverage"),
                             "mbb_5g": ("Phủ sóng 5G", "5G", "5G coverage")},
         ("period", "operator", "commune", "hamlet", "ftth")),
    Kind("bts_sites", {**_COMMON, "site_id": ("Mã trạm", "Site ID", "Site"), "lat": ("Vĩ độ", "Latitude", "Lat"),
                       "lon": ("Kinh độ", "Longitude", "Lon"), "technology": ("Công nghệ", "Technology"),
                       "as_of": ("Ngày cập nhật", "As of", "Ngày")},
         ("operator", "site_id", "lat", "lon")),
    Kind("speed_tests", {**_COMMON, "test_id": ("Mã phép đo", "Test ID"), "ts": ("Thời gian đo", "Timestamp"),
                         "network": ("Loại mạng", "Mạng", "Network"),
                         "download": ("Tốc độ tải xuống", "Download"), "upload": ("Tốc độ tải lên", "Upload"),
                         "latency_ms": ("Độ trễ", "Độ trễ (ms)", "Latency", "Ping"),
                         "device_id": ("Mã thiết bị", "Device ID"), "ip": ("Địa chỉ IP", "IP")},
         ("ts", "download", "latency_ms")),
    Kind("population", {"province": _COMMON["province"], "district": _COMMON["district"], "commune": _COMMON["commune"] + ("Địa bàn",),
                        "year": ("Năm", "Year"), "population": ("Dân số (người)", "Dân số", "Population"),
                        "adults": ("Dân số từ 15 tuổi trở lên", "Adults", "Dân số 15+"),
                        "households": ("Số hộ", "Households", "Số hộ gia đình")},
         ("commune", "year", "population", "households")),
    Kind("hamlet_registry", {"hamlet_code": ("Mã xóm", "Mã thôn", "Hamlet code"),
                             "hamlet": ("Tên xóm, tổ dân phố", "Tên xóm", "Hamlet"),
                             "commune": _COMMON["commune"], "district": _COMMON["district"],
                             "province": _COMMON["province"]},
         ("hamlet_code", "hamlet", "commune")),
    Kind("smartphone_survey", {"area": ("Địa bàn", "Area"), "year": ("Năm", "Year"),
                               "adults_surveyed": ("Số người trưởng thành được khảo sát (gia quyền)", "Adults surveyed"),
                               "adults_with_smartphone": ("Số người có điện thoại thông minh (gia quyền)",
                                                          "Adults with smartphone")},
         ("area", "year", "adults_surveyed", "adults_with_smartphone")),
    Kind("state_apps", {"app": ("Tên ứng dụng", "Application"), "agency": ("Cơ quan chủ quản", "Agency"),
                        "hosting": ("Hình thức lưu trữ", "Hosting")}, ("app", "hosting")),
    Kind("milestones", {"milestone": ("Nhiệm vụ", "Milestone"), "status": ("Tình trạng", "Status"),
                        "as_of": ("Ngày cập nhật", "As of"), "note": ("Ghi chú", "Note")},
         ("milestone", "status")),
)
_POSITION = {kind.name: i for i, kind in enumerate(KINDS)}
# The fewest filled cells a header row can have: the fewest columns a kind requires, or a pivot's two months (a
# CSV's separator is looked for among rows of at least this many, `readers._separator`).
MIN_COLUMNS = min(2, *(len(kind.required) for kind in KINDS))


def _row_keys(cells: list[object]) -> tuple[str, ...]:
    return tuple(header_key(str(c)) if c is not None else "" for c in cells)


@lru_cache(maxsize=1 << 12)
def _mappings(keys: tuple[str, ...]) -> tuple[tuple[tuple[int, str], ...], ...]:
    """Each kind's column map of a row (in KINDS' order), the first cell naming a column taking it. Cached by the
    row's keys: the same header and title lines come back in every month's files of an operator, and each row was
    keyed once per kind (9 times) before, 716,000 lookups in a province clean's reading, under the GIL."""
    out = []
    for kind in KINDS:
        mapping: dict[str, int] = {}
        for i, key in enumerate(keys):
            col = _column_for(kind, key)
            if col and col not in mapping:
                mapping[col] = i
        out.append(tuple((i, col) for col, i in mapping.items()))
    return tuple(out)


def _mapping(kind: Kind, cells: list[object]) -> dict[int, str]:
    return dict(_mappings(_row_keys(cells))[_POSITION[kind.name]])


def match_header(cells: list[object]) -> tuple[Kind, dict[int, str]] | None:
    """The kind whose required columns a header row holds (most columns matched wins), and its column map."""
    best = None
    for kind, pairs in zip(KINDS, _mappings(_row_keys(cells))):
        mapping = dict(pairs)
        if set(kind.required) <= set(mapping.values()):
            if best is None or len(mapping) > len(best[1]):
                best = (kind, mapping)
    return best


def near_miss(rows: list[list[object]]) -> tuple[Kind, list[str]] | None:
    """For a sheet no kind matched: the kind a row comes closest to (at least two required columns, all but
    at most two), and the required columns it lacks, so the message can say which column is missing."""
    best = None
    for row in rows:
        for kind, pairs in zip(KINDS, _mappings(_row_keys(row))):
            found = {col for _, col in pairs} & set(kind.required)
            missing = [c for c in kind.required if c not in found]
            if len(found) >= 2 and 0 < len(missing) <= 2 and (best is None or len(missing) < len(best[1])):
                best = (kind, missing)
    return best


# -- what a title block states, and sheets with months across the top ------------------------------------------

# Columns a title line may state for the whole table when the header has no column for them: "Doanh nghiệp: VNPT",
# "Kỳ báo cáo: Tháng 10/2024", "Dịch vụ: FTTH", "Huyện: Phú Lương" (a sheet per district). Never a commune, a
# hamlet or a figure: those differ row by row.
TITLE_FIELDS = ("period", "operator", "province", "district", "service", "segment", "network", "technology",
                "as_of", "submitted")
# Kinds that come pivoted (communes or hamlets down the side, months across the top): the column each month's cells
# hold, and whether the sheet must name it. Subscriber counts are what those sheets send; a hamlet's marks must be
# named as fibre's (4G and 5G pivots are not read: a hamlet's fibre would have to come from another file).
PIVOTS = {"subscribers": ("subscribers", False), "hamlet_coverage": ("ftth", True)}
MEASURES = tuple(m for m, _ in PIVOTS.values())
_AREA_COLUMNS = ("commune", "hamlet")


def title_fields(rows: list[list[object]]) -> list[tuple[str, str]]:
    """(label, value) pairs written in the title lines above a header: 'Doanh nghiệp: VNPT' in one cell, or
    'Doanh nghiệp:' in one cell and 'VNPT' in the next."""
    out = []
    for row in rows:
        cells = [str(c).strip() for c in row if c is not None and str(c).strip()]
        k = 0
        while k < len(cells):
            label, colon, value = cells[k].partition(":")
            if colon and not value.strip() and k + 1 < len(cells) and ":" not in cells[k + 1]:
                value = cells[k + 1]
                k += 1
            if colon and label.strip() and value.strip():
                out.append((label.strip(), value.strip()))
            k += 1
    return out


@dataclass(frozen=True)
class Match:
    """A header recognised as a kind: its columns, the columns its title lines state (`given`), and, for a pivoted
    sheet, the month columns (cell index -> header text) and the column their cells fill (`measure`)."""
    kind: Kind
    columns: dict[int, str]
    given: dict[str, str]
    months: dict[int, str]
    measure: str | None = None


def _given(kind: Kind, fields: list[tuple[str, str]], mapped: set[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for label, value in fields:
        col = kind.column_for(label)
        if col in TITLE_FIELDS and col not in mapped:
            out.setdefault(col, value)
    return out


def _is_month(cell: object) -> bool:
    text = str(cell).strip() if cell is not None else ""
    return bool(text) and len(text) <= 40 and any(ch.isdigit() for ch in text) and _month_text(text)


@lru_cache(maxsize=1 << 14)
def _month_text(text: str) -> bool:
    try:
        parse_period(text)
        return True
    except ParseError:
        return False


def month_columns(cells: list[object]) -> dict[int, str]:
    """The header cells that name a month ('Tháng 10/2024', 'T10/2024', '2024-10', a date cell, a quarter)."""
    return {i: str(c) for i, c in enumerate(cells) if _is_month(c)}


_MONTH_ALONE = re.compile(r"^(?:t|thang)?\s*\.?\s*(0?[1-9]|1[0-2])$")
_YEAR = re.compile(r"(?<!\d)(19\d{2}|20\d{2})(?!\d)")


def months_under_years(upper: list[object], lower: list[object]) -> list[object]:
    """A two-row header with the year merged above its months ('Năm 2024' over 'T10', 'T11', 'Tháng 12'): the lower
    row with each month given its year ('10/2024'); other cells as they are."""
    out, year = list(lower), None
    for j in range(len(lower)):
        cell = upper[j] if j < len(upper) else None
        if cell is not None and str(cell).strip():
            found = _YEAR.search(str(cell))
            year = found[1] if found else None
        m = _MONTH_ALONE.match(header_key(str(lower[j]))) if lower[j] is not None else None
        if m and year:
            out[j] = f"{int(m[1])}/{year}"
    return out


def looks_pivoted(cells: list[object]) -> bool:
    """Two or more months across a row that also names a commune or hamlet column: a pivoted header (to choose
    a CSV's separator before the table is looked for)."""
    if len(month_columns(cells)) < 2:
        return False
    return any(kind.column_for(c) in _AREA_COLUMNS for kind in KINDS if kind.name in PIVOTS for c in cells if c)


def _measure(kind: Kind, upper: list[object] | None, months: dict[int, str], titles: list[str]) -> str | None:
    """The column a pivoted sheet's month cells hold: named by the label above the months (a two-row header), else
    by the title; None when another measure is named, or none where one must be."""
    want, must_name = PIVOTS[kind.name]
    labels = []
    if upper:
        last = None
        for i, c in enumerate(upper):   # a label merged over the month columns stands in its first cell only
            last = c if c else last
            if i in months and last:
                labels.append(last)
    named = {kind.column_for(label) for label in labels} | {kind.column_for(t) for t in titles}
    for line in titles:   # "DANH SÁCH THÔN, XÓM CÓ CÁP QUANG THÁNG ..." names fibre inside a sentence
        key = f" {header_key(line)} "
        named |= {col for col, names in kind.aliases.items() for n in names if f" {header_key(n)} " in key}
    others = named & ({"mbb_4g", "mbb_5g", *MEASURES} - {want})
    return want if not others and (want in named or not must_name) else None


@dataclass(frozen=True)
class _Pivot:
    """A row read as a pivoted header of one kind: what it maps, the measure (None: not named), what is missing."""
    kind: Kind
    columns: dict[int, str]
    given: dict[str, str]
    measure: str | None
    missing: list[str]


def _pivots(cells: list[object], months: dict[int, str], fields: list[tuple[str, str]],
            upper: list[object] | None, titles: list[str]) -> list[_Pivot]:
    """Each pivoted kind the row could be: it names a commune or hamlet column beside its months, and no column
    holding the measure itself (then the months are not across the top of it)."""
    rest = [None if i in months else c for i, c in enumerate(cells)]
    out = []
    for kind in KINDS:
        if kind.name not in PIVOTS:
            continue
        mapping = {i: col for i, col in _mapping(kind, rest).items() if col != "period"}
        measure = _measure(kind, upper, months, titles)
        if not set(mapping.values()) & set(_AREA_COLUMNS) or PIVOTS[kind.name][0] in mapping.values():
            continue
        given = _given(kind, fields, set(mapping.values()) | {"period", PIVOTS[kind.name][0]})
        missing = [c for c in kind.required
                   if c not in set(mapping.values()) | set(given) | {"period", PIVOTS[kind.name][0]}]
        out.append(_Pivot(kind, mapping, given, measure, missing))
    return out


def match_table(cells: list[object], fields: list[tuple[str, str]] = (), upper: list[object] | None = None,
                titles: list[str] = ()) -> Match | None:
    """The kind a header row holds, with what its title lines state: a header of the kind's columns, else a
    pivoted one (an area column, months across the top, the rest of the kind's columns in the header or the
    title); the kind naming the most columns (hamlets down the side are coverage, even under 'Dịch vụ: FTTH')."""
    best = None
    for kind, pairs in zip(KINDS, _mappings(_row_keys(cells))):
        mapping = dict(pairs)
        given = _given(kind, list(fields), set(mapping.values()))
        if set(kind.required) <= set(mapping.values()) | set(given):
            if best is None or len(mapping) + len(given) > len(best.columns) + len(best.given):
                best = Match(kind, mapping, given, {})
    if best is not None:
        return best
    months = month_columns(cells)
    whole = [p for p in _pivots(cells, months, list(fields), upper, list(titles)) if months and p.measure
             and not p.missing]
    if not whole:
        return None
    p = max(whole, key=lambda p: len(p.columns))
    return Match(p.kind, p.columns, p.given, months, p.measure)


_EXAMPLES = {"operator": "Doanh nghiệp: VNPT", "service": "Dịch vụ: FTTH", "segment": "Đối tượng: Hộ gia đình"}


def pivot_near_miss(rows: list[list[object]]) -> str | None:
    """For a sheet no kind matched: why a row with months across the top and a commune or hamlet column is not
    read as a pivoted sheet (a column it lacks, or marks whose meaning is not named), in words for its sender,
    for the kind the row comes closest to."""
    for i, row in enumerate(rows):
        months = month_columns(row)
        if len(months) < 2:
            continue
        titles = [" ".join(str(c) for c in r if c) for r in rows[:i]]
        near = _pivots(row, months, title_fields(rows[:i]), rows[i - 1] if i else None, titles)
        if not near:
            continue
        p = max(near, key=lambda p: len(p.columns))
        if p.measure is None:
            return (f"months across the top (a pivoted sheet) of {p.kind.name.replace('_', ' ')}, but what its "
                    f"cells mark is not named: write 'Có cáp quang' above the months or in the title")
        if p.missing:
            how = " or ".join(f"'{_EXAMPLES[c]}'" for c in p.missing if c in _EXAMPLES)
            return (f"months across the top (a pivoted sheet) but no {', '.join(p.missing)}: write it in a column"
                    + (f" or in a title line such as {how}" if how else ""))
    return None
