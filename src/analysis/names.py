"""Keys for matching Vietnamese place names however they were typed (prefix, case, diacritics, NFC/NFD)."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Unit-type words operators put before a name, longest first so "thanh pho" wins over "thanh".
_PREFIXES = (
    "thanh pho", "thi xa", "thi tran", "huyen", "quan", "phuong", "xa", "tinh", "tp", "tx", "tt",
    "h", "p", "q", "x",
)
_SUFFIXES = ("city", "district", "town", "township", "ward", "commune", "province")
_PREFIX_RE = re.compile(r"^(?:%s)(?:\.|\s)\s*" % "|".join(re.escape(p) for p in _PREFIXES))
_SUFFIX_RE = re.compile(r"\s+(?:%s)$" % "|".join(_SUFFIXES))


def fold(text: str) -> str:
    """Lower-case ASCII: NFD (so NFC and NFD inputs agree), combining marks dropped, đ → d."""
    text = unicodedata.normalize("NFD", str(text)).replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def name_key(text: str) -> str:
    """The key two spellings of one place share: 'TP. Thái Nguyên', 'thai nguyen city' -> 'thainguyen'."""
    return name_keys(text)[0]


@lru_cache(maxsize=1 << 16)
def header_key(text: str) -> str:
    """Key for a column header: folded, punctuation and spacing collapsed to single spaces."""
    return re.sub(r"[^0-9a-z%]+", " ", fold(text)).strip()


def name_keys(text: str) -> list[str]:
    """Candidate keys, most stripped first: a bare name may itself begin like a prefix ('Quân Chu')."""
    s = re.sub(r"\s+", " ", fold(text)).strip()
    no_suffix = _SUFFIX_RE.sub("", s)
    squash = lambda x: re.sub(r"[^0-9a-z]", "", x)
    return list(dict.fromkeys([squash(_PREFIX_RE.sub("", no_suffix, count=1)), squash(no_suffix), squash(s)]))
