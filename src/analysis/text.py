"""What a reader sees, in their language: the string catalogue and locale-aware number and date formats."""
from __future__ import annotations

from datetime import date
from functools import lru_cache

from babel.dates import format_date
from babel.numbers import format_decimal

from analysis import paths, yamlfile

LOCALES = {"vi": "vi_VN", "en": "en_GB"}
_DIR = paths.LOCALE


@lru_cache(maxsize=4)
def catalogue(lang: str) -> dict[str, str]:
    if lang not in LOCALES:
        raise ValueError(f"language must be one of {sorted(LOCALES)}, got {lang!r}")
    return yamlfile.read(_DIR / f"{lang}.yml")


def t(key: str, lang: str) -> str:
    return catalogue(lang)[key]


# Pages format the same few thousand values and months again and again (a status row's value, gap and date on the
# map, the tables and the cards of several pages), and Babel parses its locale and pattern on every call (30 µs):
# both are pure functions of their arguments, kept for the process.
@lru_cache(maxsize=1 << 16)
def number(x: float, lang: str, decimals: int = 1) -> str:
    return format_decimal(round(x, decimals), format=f"#,##0.{'0' * decimals}" if decimals else "#,##0",
                          locale=LOCALES[lang])


@lru_cache(maxsize=1 << 12)
def month(d: date, lang: str) -> str:
    return format_date(d, "MM/yyyy", locale=LOCALES[lang])


def unit(code: str, lang: str) -> str:
    """An indicator's unit ("%", "per 100 people", "Mbps") as readers of the language write it."""
    return catalogue(lang)["units"].get(code, code)


def value(v: float | None, target, lang: str) -> str:
    """A value of the target's indicator with its unit, for the locale; a dash when there is none."""
    if v is None:
        return "—"
    return f"{number(v, lang)} {unit(target.unit, lang)}"


def eta(r: dict, lang: str) -> str:
    """An observed date ("met since 05/2025") and an expected one ("expected 10/2026") in different words; a yearly
    series gives a year; no date within the horizon the back-test looked at says so."""
    from analysis.trajectory.series import ETA_MONTHS
    c = catalogue(lang)
    when = r.get("eta")
    if when:
        key = ("eta_since" if r.get("eta_basis") == "observed" else "eta_expected") + (
            "_year" if r.get("frequency") == "yearly" else "")
        return c[key].format(month=month(when, lang), year=when.year)
    return c["eta_none"].format(years=ETA_MONTHS // 12) if r.get("model") else "—"


def gap(r: dict, target, lang: str) -> str:
    """What is still to do: a count of households, hamlets… where countable (the words are the indicator's file's),
    else the distance in the unit."""
    if r.get("gap_count") is not None:
        return f"{number(r['gap_count'], lang, 0)} {target.indicator.gap_words(lang) or ''}".strip()
    return value(r.get("gap"), target, lang) if r.get("gap") is not None else "—"
