"""Cells as operators type them, a whole column at a time: place names in eight spellings, counts in four number
formats, yes/no marks, coordinates in degrees-minutes-seconds. The same spellings as the province sample
(analysis.sample.mess), drawn per row with numpy and written with polars expressions."""
from __future__ import annotations

from collections import Counter

import numpy as np
import polars as pl

from analysis.areas import national_units
from analysis.names import fold, name_keys
from analysis.sample.mess import NAME_STYLES, name_cell, unit_type

NUMBER_STYLES = ("plain", "dot", "comma", "space")
# Spellings that lose the diacritics or the unit word: two units of one parent whose folded bare names agree
# (Thị xã Kỳ Anh and Huyện Kỳ Anh; Phường Hương Vân and Phường Hương Văn) cannot always be told apart in them, and
# a bare number ('13' for Phường 13) reads as a code, so those units are written in the other spellings only.
_LOSSY = {"bare", "no_diacritics", "lower_no_prefix", "english"}



class Names:
    """For each level, every unit's name in every style (a flat table gathered by unit × style index)."""

    def __init__(self) -> None:
        u = national_units()
        self.levels: dict[str, tuple[dict[str, int], pl.Series, np.ndarray]] = {}
        for level, code, name, parent in (("province", "provinceCode", "province", None),
                                          ("district", "districtCode", "district", "provinceCode"),
                                          ("commune", "wardCode", "ward", "districtCode")):
            units = u.unique(code, keep="first").sort(code)
            codes, names = units[code].to_list(), units[name].to_list()
            parents = units[parent].to_list() if parent else [""] * len(codes)
            bare = Counter((p, name_keys(n)[0]) for p, n in zip(parents, names))
            lossy_unsafe = [bare[(p, name_keys(n)[0])] > 1 or name_keys(n)[0].isdigit() for p, n in zip(parents, names)]
            allowed = np.array([[not (s in _LOSSY and unsafe) for s in NAME_STYLES] for unsafe in lossy_unsafe])
            flat = [name_cell(n, unit_type(n), c, s) for c, n in zip(codes, names) for s in NAME_STYLES]
            self.levels[level] = ({c: i for i, c in enumerate(codes)}, pl.Series(flat, dtype=pl.String), allowed)

    def column(self, level: str, codes: pl.Series, habit: str, rate: float, rng: np.random.Generator,
               counts: Counter) -> pl.Series:
        """The names of `codes` in the sender's habitual style, a `rate` of rows in another, counted by style."""
        index, flat, allowed = self.levels[level]
        idx = codes.replace_strict(index, return_dtype=pl.Int64).to_numpy()
        style = np.full(len(idx), NAME_STYLES.index(habit))
        other = rng.random(len(idx)) < rate
        style[other] = rng.integers(0, len(NAME_STYLES), other.sum())
        ok = allowed[idx, style]
        style = np.where(ok, style, 0)
        for s, n in zip(*np.unique(style[other & ok], return_counts=True)):
            counts[("name_variant", NAME_STYLES[s])] += int(n)
        return flat.gather(idx * len(NAME_STYLES) + style)


def _grouped(v: pl.Expr, sep: str) -> pl.Expr:
    pad = lambda e: e.cast(pl.String).str.zfill(3)
    return (pl.when(v >= 1_000_000_000).then(v.cast(pl.String))  # never reached by a commune's count
            .when(v >= 1_000_000).then(pl.format(f"{{}}{sep}{{}}{sep}{{}}", v // 1_000_000, pad(v // 1000 % 1000),
                                                  pad(v % 1000)))
            .when(v >= 1000).then(pl.format(f"{{}}{sep}{{}}", v // 1000, pad(v % 1000)))
            .otherwise(v.cast(pl.String)))


def counts(values: pl.Series, habit: str, rate: float, rng: np.random.Generator, tally: Counter) -> pl.Series:
    """Integer counts as text: the habitual number format, a `rate` of rows in another, zero as '-'."""
    n = len(values)
    style = np.full(n, NUMBER_STYLES.index(habit))
    other = rng.random(n) < rate
    style[other] = rng.integers(0, len(NUMBER_STYLES), other.sum())
    for s, k in zip(*np.unique(style[other], return_counts=True)):
        tally[("number_format", NUMBER_STYLES[s])] += int(k)
    zero = int((values == 0).sum())
    if zero:
        tally[("dash_for_zero", "-")] += zero
    v = pl.col("v")
    return pl.DataFrame({"v": values, "s": style}).select(
        pl.when(v == 0).then(pl.lit("-"))
        .when(pl.col("s") == 1).then(_grouped(v, "."))
        .when(pl.col("s") == 2).then(_grouped(v, ","))
        .when(pl.col("s") == 3).then(_grouped(v, " "))
        .otherwise(v.cast(pl.String))).to_series()


def flags(values: pl.Series, yes: str, no: str) -> pl.Series:
    return pl.select(pl.when(values).then(pl.lit(yes)).otherwise(pl.lit(no))).to_series()


def dms(values: pl.Series, hemisphere: str) -> pl.Series:
    """59°59'59.99": rounded once in hundredths of a second so 59.999" carries into the minute."""
    cs = pl.col("v").mul(360_000).round().cast(pl.Int64)
    rest = cs % 360_000
    return pl.DataFrame({"v": values}).select(pl.format(
        f"{{}}°{{}}'{{}}.{{}}\"{hemisphere}", cs // 360_000, rest // 6000, rest % 6000 // 100,
        (rest % 100).cast(pl.String).str.zfill(2))).to_series()


def hamlet_names(names: pl.Series, habit: str) -> pl.Series:
    if habit == "bare":
        return names.str.replace(r"^(Thôn|Xóm) ", "")
    if habit == "no_diacritics":
        distinct = names.unique()
        return names.replace_strict(distinct, [fold(x) for x in distinct.to_list()], return_dtype=pl.String)
    if habit == "nfd":
        return names.str.normalize("NFD")
    return names
