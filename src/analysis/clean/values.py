"""Canonical values for operators, services and segments, from the words operators use for them."""
from __future__ import annotations

import re

from analysis.clean.parse import ParseError
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


def operator(text: str | None) -> str:
    """The operator's short brand: a cell that names one of the four, else the text as sent (a smaller
    operator's own short name). Two operators in one cell cannot be one row's operator."""
    if not text:
        raise ParseError("operator is empty")
    key = header_key(text)
    named = {name for word, name in OPERATORS.items() if word in key.split() or key.startswith(word)}
    if len(named) > 1:
        raise ParseError(f"two operators named in one cell: {text!r}")
    return named.pop() if named else text.strip()


NETWORKS = {"co dinh": "fixed", "fixed": "fixed", "bang rong co dinh": "fixed", "di dong": "mobile",
            "mobile": "mobile", "bang rong di dong": "mobile", "wifi": "fixed", "cellular": "mobile"}
HOSTING = {"dam may nha nuoc": "Đám mây nhà nước", "dam may tinh": "Đám mây tỉnh",
           "doanh nghiep trong nuoc": "Doanh nghiệp trong nước", "nuoc ngoai": "Nước ngoài",
           "may chu rieng": "Máy chủ riêng"}
ON_CLOUD = {"Đám mây nhà nước", "Đám mây tỉnh", "Doanh nghiệp trong nước"}
MILESTONE_STATUS = {"da hoan thanh": "done", "hoan thanh": "done", "done": "done", "completed": "done",
                    "dang thuc hien": "in_progress", "in progress": "in_progress",
                    "chua trien khai": "not_started", "chua thuc hien": "not_started", "not started": "not_started"}


def lookup(table: dict[str, str], what: str):
    """A parser for a closed list of words: the canonical value, or an error naming the value."""
    def parse(text: str | None) -> str:
        if not text:
            raise ParseError(f"{what} is empty")
        hit = table.get(header_key(text))
        if hit is None:
            raise ParseError(f"{what} not recognised: {text!r}")
        return hit
    return parse


# Mobile broadband by generation, as operators split it: "Di động 4G", "Băng rộng di động 4G/5G", "4G", "3G/4G".
# Rows of one commune in two generations are one figure, summed as a split.
_MOBILE_GENERATIONS = re.compile(r"^(?:(?:bang rong )?di dong )?[3-5]g(?: [3-5]g)*$")


def service(text: str | None) -> str | None:
    if not text:
        return None
    key = header_key(text)
    return SERVICES.get(key) or ("mobile_broadband" if _MOBILE_GENERATIONS.match(key) else None)


def segment(text: str | None) -> str | None:
    return SEGMENTS.get(header_key(text)) if text else None
