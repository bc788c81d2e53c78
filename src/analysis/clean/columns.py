"""Column-at-a-time parsing: each parser gives a value and, where the cell cannot be read, the reason.

A raw table has a million cells; the few distinct texts of a low-cardinality column (periods, names, yes/no)
are parsed once each by the scalar parsers of `parse`, numbers are parsed by vectorised expressions that
follow the same rules. Either way a parser returns `Parsed(value, error)`: two aligned columns, the error
null where the value was read.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Callable

import polars as pl

from analysis.clean.parse import ParseError, parse_coordinate


@dataclass
class Parsed:
    value: pl.Series
    error: pl.Series


def tidy(expr: pl.Expr) -> pl.Expr:
    """A cell as text: trimmed, empty as null. Unicode normalisation (a decomposed 'Nguyễn' is a composed one)
    happens where text is compared or kept: once per distinct value in `mapped`, in `fold`, and where text columns
    are carried to the output, rather than over every cell of a million-row file."""
    return expr.str.strip_chars().replace("", None)  # (a when/then over every cell took 1.7x as long)



def fold(expr: pl.Expr) -> pl.Expr:
    """Vectorised `names.fold`: lower-case ASCII with diacritics dropped and đ as d."""
    return (expr.str.normalize("NFD").str.replace_all("[đĐ]", "d").str.replace_all(r"\p{Mn}", "")
            .str.to_lowercase())


def mapped(values: pl.Series, parse: Callable[[object], object], dtype: pl.DataType,
           empty: object = ParseError) -> Parsed:
    """Parse each distinct text once with a scalar parser. `empty` is the value of an empty cell, or
    ParseError (the default) to let the parser say why an empty cell is wrong."""
    # The answers are joined back to the cells, both columns in one pass (a null cell, a distinct value of its own,
    # finds its answer too): two replacements took 1.6-1.9 times as long over a million cells.
    cells = values.to_frame("k")
    distinct = cells.unique("k")
    out, why = [], []
    for k in distinct["k"].to_list():
        if k is None and empty is not ParseError:
            out.append(empty)
            why.append(None)
            continue
        try:
            out.append(parse(None if k is None else unicodedata.normalize("NFC", k)))
            why.append(None)
        except ParseError as exc:
            out.append(None)
            why.append(str(exc))
    answers = distinct.with_columns(pl.Series("value", out, dtype=dtype), pl.Series("error", why, dtype=pl.String))
    found = cells.join(answers, on="k", how="left", nulls_equal=True, maintain_order="left")
    return Parsed(found["value"].alias(values.name), found["error"].alias(values.name))


_INT = r"^-?\d+$"
_THOUSANDS_DOT = r"^-?\d{1,3}(?:\.\d{3})+$"
_THOUSANDS_COMMA = r"^-?\d{1,3}(?:,\d{3})+$"
_DEC_COMMA = r"^-?\d{1,3}(?:\.\d{3})*,\d+$|^-?\d+,\d+$"
_DEC_POINT = r"^-?\d{1,3}(?:,\d{3})*\.\d+$|^-?\d+\.\d+$"
_LONE_SEP = r"^-?\d+[.,]\d+$"


_PLAIN = r"^-?\d+$"
_PLAIN_DECIMAL = r"^-?\d+(?:\.\d+)?$"


def number(values: pl.Series, *, decimal: bool = False) -> Parsed:
    """Vectorised `parse.parse_number`: the same formats, in the same order of precedence. Cells already in
    plain form (most of a large export) are cast directly; only the others go through the format rules, which
    test a dozen patterns per cell."""
    frame = values.to_frame("v")
    plain = frame.select(pl.col("v").str.contains(_PLAIN_DECIMAL if decimal else _PLAIN).fill_null(False)).to_series()
    value = frame.select(pl.when(plain).then(pl.col("v").cast(pl.Float64, strict=False))).to_series()
    error = pl.Series("e", [None] * len(values), dtype=pl.String)
    rest = (~plain).arg_true()
    if len(rest):
        sub = frame[rest].with_columns(s=pl.col("v").str.replace_all(r"[\s\u00a0]", ""))
        s = pl.col("s")
        as_float = lambda e: e.cast(pl.Float64, strict=False)
        rules = pl.when(s.is_in(["-", "–", "—"])).then(pl.lit(0.0)).when(s.str.contains(_INT)).then(as_float(s))
        if decimal:
            rules = rules.when(s.str.contains(_LONE_SEP)).then(as_float(s.str.replace(",", ".")))
        rules = (rules
                 .when(s.str.contains(_THOUSANDS_DOT) | s.str.contains(_THOUSANDS_COMMA))
                 .then(as_float(s.str.replace_all(r"[.,]", "")))
                 .when(s.str.contains(_DEC_COMMA)).then(as_float(s.str.replace_all(r"\.", "").str.replace(",", ".")))
                 .when(s.str.contains(_DEC_POINT)).then(as_float(s.str.replace_all(",", ""))))
        out = sub.select(value=rules, error=pl.when(pl.col("v").is_not_null() & (s != "") & rules.is_null())
                         .then(pl.format("not a number: '{}'", pl.col("v"))))
        value = value.scatter(rest, out["value"])
        error = error.scatter(rest, out["error"])
    return Parsed(value.alias(values.name), error.alias(values.name))


def coordinate(values: pl.Series) -> Parsed:
    """Vectorised `parse.parse_coordinate`: decimal degrees written plainly (nearly every cell of a BTS list, and
    nearly every one distinct) cast at once; the rest (a decimal comma, degrees-minutes-seconds, spaces) by the
    scalar parser, each distinct text once. A plain decimal cannot be read as degrees-minutes-seconds, which needs
    a separator between its numbers, so the two paths never disagree."""
    plain = values.str.contains(_PLAIN_DECIMAL).fill_null(False)
    value = pl.select(pl.when(plain).then(values.cast(pl.Float64, strict=False))).to_series()
    error = pl.repeat(None, len(values), dtype=pl.String, eager=True)
    rest = (~plain).arg_true()
    if len(rest):
        slow = mapped(values.gather(rest), parse_coordinate, pl.Float64)
        value, error = value.scatter(rest, slow.value), error.scatter(rest, slow.error)
    return Parsed(value.alias(values.name), error.alias(values.name))


def count(values: pl.Series) -> Parsed:
    """A whole, non-negative count (`parse.parse_count`): a fraction or a negative is an error."""
    p = number(values)
    frame = pl.DataFrame({"v": values, "x": p.value, "e": p.error})
    bad = pl.col("x").is_not_null() & ((pl.col("x") < 0) | (pl.col("x") != pl.col("x").round(0)))
    out = frame.select(
        value=pl.when(bad).then(None).otherwise(pl.col("x")).cast(pl.Int64),
        error=pl.when(bad).then(pl.format("not a whole non-negative count: '{}'", pl.col("v"))).otherwise("e"))
    return Parsed(out["value"].alias(values.name), out["error"].alias(values.name))


def required(p: Parsed, what: str) -> Parsed:
    """An empty cell where a value is needed is an error too."""
    err = pl.select(pl.when(p.value.is_null() & p.error.is_null()).then(pl.lit(f"{what} is empty"))
                    .otherwise(p.error)).to_series()
    return Parsed(p.value, err.alias(p.error.name))


MAX_REASON = 300  # a 10,000-character cell is quoted in part: the raw column keeps it whole


def first_error(frame: pl.DataFrame, checks: list[tuple[str, pl.Series]]) -> pl.DataFrame:
    """Add `_why` (the first failing check's reason) and `_col` (its column) in the order the checks are given."""
    if not checks:
        return frame.with_columns(_why=pl.lit(None, pl.String), _col=pl.lit(None, pl.String))
    errs = pl.DataFrame({f"e{i}": e for i, (_, e) in enumerate(checks)})
    out = errs.select(
        _why=pl.coalesce([pl.col(f"e{i}") for i in range(len(checks))]),
        _col=pl.coalesce([pl.when(pl.col(f"e{i}").is_not_null()).then(pl.lit(name))
                          for i, (name, _) in enumerate(checks)]))
    why = out.select(pl.when(pl.col("_why").str.len_chars() > MAX_REASON)
                     .then(pl.format("{}… ({} characters)", pl.col("_why").str.slice(0, MAX_REASON),
                                     pl.col("_why").str.len_chars()))
                     .otherwise(pl.col("_why")).alias("_why"))
    return frame.with_columns(why["_why"], out["_col"])
