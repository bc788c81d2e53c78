"""Parsers for the cell values operators type: counts, decimals, periods and dates in every habit seen."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from analysis.names import fold

EXCEL_EPOCH = date(1899, 12, 30)


class ParseError(ValueError):
    """A value that cannot be read; its message says what was expected."""


_THOUSANDS = re.compile(r"^-?\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*$")
_DEC_COMMA = re.compile(r"^-?\d{1,3}(?:\.\d{3})*,\d+$|^-?\d+,\d+$")
_DEC_POINT = re.compile(r"^-?\d{1,3}(?:,\d{3})*\.\d+$|^-?\d+\.\d+$")


def parse_number(value: object, *, decimal: bool = False) -> float | None:
    """'12.345', '12,345', '12 345', '1.234,5', '1,234.5', '-' (zero) and '' (missing) to a float.

    With `decimal=True` (coordinates, speeds, weighted counts) a lone separator is a decimal mark, so
    '21.593' is 21.593 and '45,5' is 45.5; in a count column '12.345' is twelve thousand."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    s = str(value).replace("\u00a0", "").replace(" ", "").strip()
    if s == "":
        return None
    if s in {"-", "–", "—"}:
        return 0.0
    if re.fullmatch(r"-?\d+", s):
        return float(s)
    if decimal and re.fullmatch(r"-?\d+[.,]\d+", s):
        return float(s.replace(",", "."))
    if _THOUSANDS.match(s):
        return float(re.sub(r"[.,]", "", s))
    if _DEC_COMMA.match(s):
        return float(s.replace(".", "").replace(",", "."))
    if _DEC_POINT.match(s):
        return float(s.replace(",", ""))
    raise ParseError(f"not a number: {value!r}")


def parse_count(value: object) -> int | None:
    """A whole, non-negative count; a fraction or a negative is an error, not a rounding."""
    x = parse_number(value)
    if x is None:
        return None
    if x < 0 or x != int(x):
        raise ParseError(f"not a whole non-negative count: {value!r}")
    return int(x)


_MONTH_WORDS = re.compile(r"^thang\s*(\d{1,2})\s*,?\s*(?:nam|/|-|\.)\s*(\d{4})$")
# A day written out, as official documents date themselves: "ngày 09 tháng 01 năm 2025" (folded: no diacritics).
_DAY_WORDS = re.compile(r"ngay\s*(\d{1,2})\s*,?\s*thang\s*(\d{1,2})\s*,?\s*nam\s*(\d{4})")
_PATTERNS = (
    (re.compile(r"^(\d{4})[-/.](\d{1,2})(?:[-/.]\d{1,2})?(?:[ t].*)?$"), lambda m: (int(m[1]), int(m[2]))),
    (re.compile(r"^t?(\d{1,2})[/.-](\d{4})$"), lambda m: (int(m[2]), int(m[1]))),
    (re.compile(r"^\d{1,2}[/.-](\d{1,2})[/.-](\d{4})(?: .*)?$"), lambda m: (int(m[2]), int(m[1]))),
    (re.compile(r"^q([1-4])[/.\- ]?(\d{4})$"), lambda m: (int(m[2]), int(m[1]) * 3)),
    (re.compile(r"^quy\s*([1-4])\s*(?:nam|/|-)\s*(\d{4})$"), lambda m: (int(m[2]), int(m[1]) * 3)),
    # "Quý IV/2025", "Q.IV-2025": quarters in Roman numerals, as official documents number them
    (re.compile(r"^(?:quy|q)\.?\s*(i{1,3}|iv)\s*(?:nam|/|-|\.)?\s*(\d{4})$"),
     lambda m: (int(m[2]), ("i", "ii", "iii", "iv").index(m[1]) * 3 + 3)),
    # Excel's own display of a date cell exported as text ("Dec-24", "Dec-2024", "December 2024"): a two-digit
    # year is this century's, which only this form writes
    (re.compile(r"^(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?[ /.\-]?(\d{2}|\d{4})$"),
     lambda m: (int(m[2]) + (2000 if len(m[2]) == 2 else 0), _EN_MONTHS.index(m[1]) + 1)),
)
_EN_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# Spacing people type around a separator ("12/ 2024", "Tháng 12 / 2024") and the month's short prefixes ("T 12",
# "Th12", "Th.12") brought to one form before the patterns are tried
_AROUND_SEPARATOR = re.compile(r"\s*([/.\-])\s*")
_MONTH_PREFIX = re.compile(r"^th?\.?\s*(?=\d)")


def _tidy(folded: str) -> str:
    return _MONTH_PREFIX.sub("t", _AROUND_SEPARATOR.sub(r"\1", folded))


def parse_period(value: object) -> date:
    """A report month, the first day of it: 2024-10, 10/2024, 10-2024, T10/2024, T10.2024, 'Tháng 10 năm 2024',
    'Tháng 10/2024', a day ('ngày 09 tháng 10 năm 2024', 09/10/2024), a date cell, an Excel serial, or a quarter
    (Q4/2024 is its last month, 2024-12)."""
    if isinstance(value, datetime):
        return date(value.year, value.month, 1)
    if isinstance(value, date):
        return value.replace(day=1)
    s = _tidy(fold(str(value)).strip()) if value is not None else ""
    if not s:
        raise ParseError("empty period")
    if re.fullmatch(r"\d{5}(?:\.0+)?", s):
        d = EXCEL_EPOCH + timedelta(days=int(float(s)))
        return date(d.year, d.month, 1)
    m = _MONTH_WORDS.match(s)
    found = (int(m[2]), int(m[1])) if m else None
    if not found and (m := _DAY_WORDS.fullmatch(s)):
        found = (int(m[3]), int(m[2]))
    for pattern, pick in _PATTERNS:
        if found:
            break
        m = pattern.match(s)
        if m:
            found = pick(m)
    if not found or not 1 <= found[1] <= 12 or not 1990 <= found[0] <= 2100:
        raise ParseError(f"not a month: {value!r}")
    return date(found[0], found[1], 1)


def parse_decimal(value: object) -> float | None:
    return parse_number(value, decimal=True)


_YES = {"co", "x", "1", "y", "yes", "true", "v", "dung", "✓"}
_NO = {"khong", "0", "n", "no", "false", "-"}


def parse_bool(value: object) -> bool | None:
    """Có/Không, x, 1/0, Y/N, Yes/No, True/False; None when empty (the caller decides what empty means)."""
    if value is None or str(value).strip() == "":
        return None
    key = fold(str(value)).strip().rstrip(".")
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise ParseError(f"not a yes/no value: {value!r}")


_DMS = re.compile(r"^\s*(-?\d{1,3})\s*[°º:d ]\s*(\d{1,2})\s*['′m: ]\s*(\d{1,2}(?:[.,]\d+)?)\s*(?:\"|″|''|s)?\s*([nsew])?\s*$",
                  re.IGNORECASE)


def parse_coordinate(value: object) -> float | None:
    """A latitude or longitude: decimal degrees ('21.5934', '21,5934') or degrees-minutes-seconds
    ('21°35\'36.2"N'); south and west are negative."""
    if value is None or str(value).strip() == "":
        return None
    s = str(value).strip()
    m = _DMS.match(s)
    if m:
        deg, minutes, seconds = int(m[1]), int(m[2]), float(m[3].replace(",", "."))
        if minutes >= 60 or seconds >= 60:
            raise ParseError(f"not a coordinate: {value!r}")
        x = abs(deg) + minutes / 60 + seconds / 3600
        return -x if deg < 0 or (m[4] or "").lower() in ("s", "w") else x
    try:
        return parse_decimal(s)
    except ParseError:
        raise ParseError(f"not a coordinate: {value!r}") from None


_DATETIME_FORMATS = ("%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M",
                     "%Y-%m-%d %H:%M", "%d-%m-%Y %H:%M:%S")
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S")


def _first_format(text: str, formats: tuple[str, ...]) -> datetime | None:
    """The text read by the first of the formats it fits (day first: Vietnamese habit), else None."""
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def parse_datetime(value: object) -> datetime:
    """A measurement time: dd/mm/yyyy hh:mm[:ss], ISO, or an Excel serial with a fraction of a day."""
    if isinstance(value, datetime):
        return value
    s = str(value).strip() if value is not None else ""
    if not s:
        raise ParseError("empty date-time")
    if re.fullmatch(r"\d{5}(?:\.\d+)?", s):
        return datetime.combine(EXCEL_EPOCH, datetime.min.time()) + timedelta(days=float(s))
    found = _first_format(s, _DATETIME_FORMATS)
    if found is None:
        raise ParseError(f"not a date-time: {value!r}")
    return found


def parse_date(value: object) -> date:
    """A day as operators write it: dd/mm/yyyy, yyyy-mm-dd, 'ngày 09 tháng 01 năm 2025', an Excel serial; a month
    or a quarter stands for its last day."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    s = str(value).strip() if value is not None else ""
    if not s:
        raise ParseError("empty date")
    if re.fullmatch(r"\d{5}(?:\.0+)?", s):
        return EXCEL_EPOCH + timedelta(days=int(float(s)))
    found = _first_format(s, _DATE_FORMATS)
    if found is not None:
        return found.date()
    if m := _DAY_WORDS.fullmatch(fold(s).strip()):
        try:
            return date(int(m[3]), int(m[2]), int(m[1]))
        except ValueError:
            raise ParseError(f"not a date: {value!r}") from None
    # A month or a quarter where a day is asked ("2025-12", "tháng 12 năm 2025", "Quý IV/2025"): its last day, the
    # day a status "as of December" describes. Not a day that failed above (31/02/2025), which would otherwise
    # pass as its month.
    if not _HAS_DAY.match(fold(s).strip()):
        try:
            month = parse_period(s)
        except ParseError:
            pass
        else:
            return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    raise ParseError(f"not a date: {value!r}")


_HAS_DAY = re.compile(r"^(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|\d{4}[/.-]\d{1,2}[/.-]\d{1,2}|ngay)")
# 'Ngày 05/11/2024', 'ngày 05 tháng 11 năm 2024' (folded)
_TITLE_DATE = re.compile(r"ngay\s+(\d{1,2})\s*(?:[/.-]|,?\s*thang\s*)(\d{1,2})\s*(?:[/.-]|,?\s*nam\s*)(\d{4})")
_ANY_DATE = re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?!\d)")


def date_in_title(text: str, *, any_date: bool = False) -> date | None:
    """'Ngày 05/11/2024' or 'Thái Nguyên, ngày 05 tháng 11 năm 2024' in a title line above the header: the date
    the file was sent. With `any_date`, also any dd/mm/yyyy in the line ('DANH SÁCH TRẠM BTS ĐẾN 31/10/2024': the
    date a list is as at)."""
    folded = fold(text)
    m = _TITLE_DATE.search(folded) or (_ANY_DATE.search(folded) if any_date else None)
    try:
        return date(int(m[3]), int(m[2]), int(m[1])) if m else None
    except ValueError:  # 31/02/2024 is not a date; the caller falls back as if there were none
        return None
