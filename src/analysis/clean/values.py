"""Canonical values for operators, services and segments, from the words operators use for them."""
from __future__ import annotations

from analysis.names import header_key

OPERATORS = {"vnpt": "VNPT", "vinaphone": "VNPT", "viettel": "Viettel", "fpt": "FPT", "mobifone": "MobiFone",
             "mbf": "MobiFone"}
SERVICES = {
    "ftth": "ftth", "cap quang": "ftth", "xdsl": "xdsl", "adsl": "xdsl", "cap dong hfc": "cable", "cable hfc": "cable",
    "hfc": "cable", "cable": "cable", "di dong 3g 4g 5g": "mobile_broadband", "mobile broadband": "mobile_broadband",
    "bang rong di dong": "mobile_broadband", "thoai di dong": "mobile_voice", "mobile voice": "mobile_voice",
    "dien thoai thong minh": "smartphone", "smartphone": "smartphone",
}
SEGMENTS = {"ho gia dinh": "household", "household": "household", "doanh nghiep": "business", "business": "business",
            "to chuc doanh nghiep": "business"}
FIXED = {"ftth", "xdsl", "cable"}


def operator(text: str | None) -> str | None:
    """The operator's short brand: any cell that names one of the four, else the text as sent."""
    if not text:
        return None
    key = header_key(text)
    for word, name in OPERATORS.items():
        if word in key.split() or key.startswith(word):
            return name
    return text.strip()


def service(text: str | None) -> str | None:
    return SERVICES.get(header_key(text)) if text else None


def segment(text: str | None) -> str | None:
    return SEGMENTS.get(header_key(text)) if text else None
