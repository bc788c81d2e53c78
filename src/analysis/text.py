"""What a reader sees, in their language: the string catalogue and locale-aware number and date formats."""
from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from babel.dates import format_date
from babel.numbers import format_decimal

LOCALES = {"vi": "vi_VN", "en": "en_GB"}
_DIR = Path(__file__).parent / "locale"


@lru_cache(maxsize=4)
def catalogue(lang: str) -> dict[str, str]:
    if lang not in LOCALES:
        raise ValueError(f"language must be one of {sorted(LOCALES)}, got {lang!r}")
    return yaml.safe_load((_DIR / f"{lang}.yml").read_text(encoding="utf-8"))


def t(key: str, lang: str) -> str:
    return catalogue(lang)[key]


def number(x: float, lang: str, decimals: int = 1) -> str:
    return format_decimal(round(x, decimals), format=f"#,##0.{'0' * decimals}" if decimals else "#,##0",
                          locale=LOCALES[lang])


def month(d: date, lang: str) -> str:
    return format_date(d, "MM/yyyy", locale=LOCALES[lang])
