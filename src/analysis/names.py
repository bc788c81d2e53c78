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


@lru_cache(maxsize=1 << 16)
def header_key(text: str) -> str:
    """Key for a column header: folded, punctuation and spacing collapsed to single spaces."""
    return re.sub(r"[^0-9a-z%]+", " ", fold(text)).strip()


# Abbreviated and English unit words written out, so 'TX. Kỳ Anh' and 'Ky Anh town' reach the key of 'Thị xã Kỳ
# Anh' when a bare 'Kỳ Anh' would be ambiguous (Huyện Kỳ Anh is in the same province).
_SHORT_FULL = {"tp": "thanh pho", "tx": "thi xa", "tt": "thi tran", "h": "huyen", "p": "phuong", "q": "quan",
               "x": "xa"}
_SUFFIX_FULL = {"city": ("thanh pho",), "town": ("thi xa",), "township": ("thi tran",), "ward": ("phuong",),
                "commune": ("xa",), "district": ("huyen", "quan"), "province": ("tinh",)}


@lru_cache(maxsize=1 << 17)
def _keys(s: str) -> tuple[str, ...]:
    no_suffix = _SUFFIX_RE.sub("", s)
    squash = lambda x: re.sub(r"[^0-9a-z]", "", x)
    bare = _PREFIX_RE.sub("", no_suffix, count=1)
    keys = [squash(bare), squash(no_suffix), squash(s)]
    prefix = _PREFIX_RE.match(no_suffix)
    if prefix and prefix.group(0).strip(". ") in _SHORT_FULL:
        keys.append(squash(_SHORT_FULL[prefix.group(0).strip(". ")] + bare))
    suffix = _SUFFIX_RE.search(s)
    if suffix and not prefix:
        keys += [squash(full + bare) for full in _SUFFIX_FULL[suffix.group(0).strip()]]
    return tuple(dict.fromkeys(keys))


def name_keys(text: str) -> list[str]:
    """Candidate keys, most stripped first: a bare name may itself begin like a prefix ('Quân Chu'); unit words
    written short or in English are also tried written out in full."""
    return list(_keys(re.sub(r"\s+", " ", fold(text)).strip()))


def accent_key(text: str) -> str:
    """The bare name with its diacritics kept ('Phường Hương Vân' -> 'hươngvân'), to tell apart two units whose
    folded names agree (Hương Vân and Hương Văn, wards of one town) when the text keeps its marks."""
    s = re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(text)).lower()).strip()
    folded = fold(s)
    prefix = _PREFIX_RE.match(folded) if len(folded) == len(s) else None
    return re.sub(r"[\W_]+", "", s[prefix.end():] if prefix else s)
