"""The operators' monthly reports: subscribers by commune and service, and coverage by hamlet."""
from __future__ import annotations

import polars as pl

from analysis.clean import values
from analysis.clean.accounts import raw_rows
from analysis.clean.columns import count, first_error, mapped, required
from analysis.clean.context import Context
from analysis.clean.parse import ParseError, parse_bool, parse_date
from analysis.clean.writing import Order


def _service(text: str | None) -> str:
    hit = values.service(text)
    if hit is None:
        raise ParseError(f"service not recognised: {text!r}")
    return hit


def _segment(text: str | None) -> str | None:
    if not text:
        return None
    hit = values.segment(text)
    if hit is None:
        raise ParseError(f"segment not recognised: {text!r}")
    return hit


def submitted(ctx: Context, d: pl.DataFrame) -> pl.Series:
    """The date the sender states in a `submitted` column; an unreadable one is ignored, not fatal."""
    return mapped(ctx.column(d, "submitted"), parse_date, pl.Date, empty=None).value.alias("_submitted")


def subscribers(d: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    period, op = ctx.period(d), ctx.operator(d)
    commune, district, area_err, province = ctx.communes(d, period=period.value)
    service = mapped(ctx.column(d, "service"), _service, pl.String)
    segment = mapped(ctx.column(d, "segment"), _segment, pl.String, empty=None)
    n = required(count(ctx.column(d, "subscribers")), "subscribers")
    out = d.select("_t", "_row").with_columns(
        period=period.value, operator=op.value, province_code=province,
        district_code=district, commune_code=commune, service=service.value, segment=segment.value,
        subscribers=n.value, _submitted=submitted(ctx, d))
    fixed = out["service"].is_in(list(values.FIXED))
    seg_err = pl.select(pl.when(fixed & out["segment"].is_null() & segment.error.is_null())
                        .then(pl.lit("segment is empty for a fixed service"))
                        .when(~fixed & out["segment"].is_not_null() & out["service"].is_not_null())
                        .then(None).otherwise(segment.error)).to_series()
    # A segment given for a mobile service is not an error, but mobile has no segment in the output.
    out = out.with_columns(segment=pl.when(fixed).then(pl.col("segment")))
    return first_error(out, [("period", period.error), ("operator", op.error), ("commune", area_err),
                             ("service", service.error), ("segment", seg_err), ("subscribers", n.error)])


SUBSCRIBER_KEY = ("period", "operator", "province_code", "district_code", "commune_code", "service", "segment")


def sum_parts(good: pl.DataFrame) -> pl.DataFrame:
    """A commune split over two rows is one figure: rows with the same key in one file are summed, with `_n`
    the raw rows behind each sum (for the row accounting). Done on each parsed batch, which holds whole files, so
    the 12.7 million rows of a national set are never grouped at once (that took 2 GB and 13 s). Sums already made
    (a file read in parts whose parts fell in two batches) are summed again, their `_n` added up."""
    return (good.group_by(*SUBSCRIBER_KEY, "source_file", maintain_order=True)
            .agg(pl.col("subscribers").sum(), pl.col("_t").first(), pl.col("_row").first(),
                 pl.col("_submitted").max(), raw_rows(good).cast(pl.Int32).alias("_n")))


SUBSCRIBER_ORDER = Order(("period", "operator", "commune_code", "service", "segment"), nulls_last=True)


def finish_subscribers(kept: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame | pl.LazyFrame:
    # Summed by `sum_parts` already; rows come in file order, nearly sorted by period. A query (nationally) is
    # written sorted a month at a time (`writing.write_by_month`).
    out = kept.select(*SUBSCRIBER_KEY, "subscribers", "source_file")
    return SUBSCRIBER_ORDER.sort(out) if isinstance(out, pl.DataFrame) else out


def _x_habits(ctx: Context, d: pl.DataFrame) -> dict[str, pl.Series]:
    """Per yes/no column and row: does its column mark yes with 'x' (or v, ✓) and no with an empty cell? Decided
    column by column within each table, since one sheet may write Có/Không in one column and x/blank in the
    others; a column with no mark at all (5G before 5G existed) follows its table: under the x habit when any
    of the table's columns is."""
    flags = [c for c in ("ftth", "mbb_4g", "mbb_5g") if c in d.columns]
    tables = d["_t"].unique().to_list()
    habit: dict[str, dict[int, bool | None]] = {}
    for c in flags:
        marks = pl.DataFrame({"_t": d["_t"], "v": ctx.column(d, c).str.to_lowercase()}).drop_nulls()
        habit[c] = dict(marks.group_by("_t").agg(pl.col("v").is_in(["x", "v", "✓"]).all()).iter_rows())
    any_x = {t: any(habit[c].get(t) for c in flags) for t in tables}
    decided = {c: [any_x[t] if habit[c].get(t) is None else habit[c][t] for t in tables] for c in flags}
    return {c: d["_t"].replace_strict(tables, decided[c], return_dtype=pl.Boolean) for c in flags}


def _flags(ctx: Context, d: pl.DataFrame, name: str, x_habit: pl.Series) -> tuple[pl.Series, pl.Series]:
    """A yes/no column. Under the x-or-blank habit an empty cell means no; elsewhere an empty cell is missing.
    A table without the column at all (FPT runs no mobile network) claims no coverage: false."""
    p = mapped(ctx.column(d, name), parse_bool, pl.Boolean, empty=None)
    tables = d["_t"].unique().to_list()
    has = d["_t"].replace_strict(tables, [name in ctx.tables[i].headers for i in tables], return_dtype=pl.Boolean)
    frame = pl.DataFrame({"v": p.value, "e": p.error, "has": has, "x": x_habit})
    empty = pl.col("v").is_null() & pl.col("e").is_null()
    out = frame.select(
        value=pl.when(empty & (~pl.col("has") | pl.col("x"))).then(False).otherwise(pl.col("v")),
        error=pl.when(empty & pl.col("has") & ~pl.col("x")).then(pl.lit(f"{name} is empty")).otherwise(pl.col("e")))
    return out["value"].alias(name), out["error"].alias(name)


def hamlet_coverage(d: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    period, op = ctx.period(d), ctx.operator(d)
    commune, district, area_err, _ = ctx.communes(d, period=period.value)
    hamlet, hamlet_err = ctx.hamlet_codes(commune, ctx.column(d, "hamlet"), district)
    x = _x_habits(ctx, d)
    no_column = pl.repeat(False, d.height, eager=True)
    ftth, ftth_err = _flags(ctx, d, "ftth", x.get("ftth", no_column))
    g4, g4_err = _flags(ctx, d, "mbb_4g", x.get("mbb_4g", no_column))
    g5, g5_err = _flags(ctx, d, "mbb_5g", x.get("mbb_5g", no_column))
    out = d.select("_t", "_row").with_columns(
        period=period.value, operator=op.value, hamlet_code=hamlet, commune_code=commune, district_code=district,
        ftth=ftth, mbb_4g=g4, mbb_5g=g5, _submitted=submitted(ctx, d)).with_columns(
        mbb=pl.col("mbb_4g") | pl.col("mbb_5g"))
    return first_error(out, [("period", period.error), ("operator", op.error), ("commune", area_err),
                             ("hamlet", hamlet_err), ("ftth", ftth_err), ("mbb_4g", g4_err), ("mbb_5g", g5_err)])


def finish_hamlet_coverage(kept: pl.DataFrame) -> pl.DataFrame:
    # In the rows' order (by file, so nearly by period): sorting rows a hash left in any order took 4 s nationally.
    return (kept.unique(["period", "operator", "hamlet_code"], keep="last", maintain_order=True)
            .select("period", "operator", "hamlet_code", "commune_code", "district_code", "ftth", "mbb_4g", "mbb_5g",
                    "mbb", "source_file")
            .sort("period", "operator", "hamlet_code", maintain_order=True))
