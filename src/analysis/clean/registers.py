"""The registers that are not operators' reports: population, hamlet list, smartphone survey, state applications
and plan milestones."""
from __future__ import annotations

import polars as pl

from analysis.clean import values
from analysis.clean.columns import Parsed, count, first_error, mapped, number, required
from analysis.clean.context import Context
from analysis.clean.parse import ParseError, parse_date


def _year(v: str | None) -> int:
    try:
        y = int(float(str(v).strip()))
    except (TypeError, ValueError):
        raise ParseError(f"not a year: {v!r}") from None
    if not 1990 <= y <= 2100:
        raise ParseError(f"not a year: {v!r}")
    return y


def _carried(ctx: Context, d: pl.DataFrame, name: str) -> pl.Series:
    """A text column kept as sent in the output (a name, a note): NFC, so 'Nguyễn' typed decomposed is one string."""
    return ctx.column(d, name).str.normalize("NFC")


def _text(ctx: Context, d: pl.DataFrame, name: str) -> Parsed:
    return required(Parsed(_carried(ctx, d, name), pl.Series([None] * d.height, dtype=pl.String)), name)


def population(d: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    commune, district, area_err, _ = ctx.communes(d)
    year = mapped(ctx.column(d, "year"), _year, pl.Int32)
    pop = required(count(ctx.column(d, "population")), "population")
    adults = count(ctx.column(d, "adults"))
    households = required(count(ctx.column(d, "households")), "households")
    out = d.select("_t", "_row").with_columns(commune_code=commune, district_code=district, year=year.value,
                                               population=pop.value, adults=adults.value,
                                               households=households.value)
    bigger = pl.select(pl.when(adults.error.is_null() & (out["adults"] > out["population"]))
                       .then(pl.lit("adults (15+) exceed the population")).otherwise(adults.error)).to_series()
    return first_error(out, [("commune", area_err), ("year", year.error), ("population", pop.error),
                             ("adults", bigger), ("households", households.error)])


def finish_population(kept: pl.DataFrame) -> pl.DataFrame:
    return (kept.select("commune_code", "district_code", "year", "population", "adults", "households",
                        "source_file").sort("commune_code", "year"))


def hamlet_registry(d: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    commune, district, area_err, _ = ctx.communes(d)
    code = _text(ctx, d, "hamlet_code")
    name = _text(ctx, d, "hamlet")
    out = d.select("_t", "_row").with_columns(hamlet_code=code.value, hamlet=name.value, commune_code=commune,
                                               district_code=district)
    # The office's hamlet code is its commune's code and three digits; another commune's prefix is a typo.
    code_err = pl.select(
        pl.when(code.error.is_null() & ~code.value.str.contains(r"^\d{8}$"))
        .then(pl.format("hamlet code '{}' is not 8 digits", code.value))
        .when(code.error.is_null() & commune.is_not_null() & (code.value.str.slice(0, 5) != commune))
        .then(pl.format("hamlet code '{}' does not start with its commune's code {}", code.value, commune))
        .otherwise(code.error)).to_series()
    return first_error(out, [("hamlet_code", code_err), ("hamlet", name.error), ("commune", area_err)])


def finish_hamlet_registry(kept: pl.DataFrame) -> pl.DataFrame:
    return kept.select("hamlet_code", "hamlet", "commune_code", "district_code", "source_file").sort("hamlet_code")


def smartphone_survey(d: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    texts = ctx.column(d, "area")
    distinct = texts.unique().to_list()
    found = {t: ctx.areas.area(t) for t in distinct}
    code = texts.replace_strict(distinct, [found[t][0] for t in distinct], return_dtype=pl.String)
    level = texts.replace_strict(distinct, [found[t][1] for t in distinct], return_dtype=pl.String)
    area_err = texts.replace_strict(distinct, [None if found[t][0] else found[t][2] for t in distinct],
                                    return_dtype=pl.String)
    year = mapped(ctx.column(d, "year"), _year, pl.Int32)
    surveyed = required(number(ctx.column(d, "adults_surveyed"), decimal=True), "adults_surveyed")
    with_phone = required(number(ctx.column(d, "adults_with_smartphone"), decimal=True), "adults_with_smartphone")
    out = d.select("_t", "_row").with_columns(area_code=code, area_level=level, year=year.value,
                                               adults_surveyed=surveyed.value,
                                               adults_with_smartphone=with_phone.value)
    share_err = pl.select(
        pl.when(with_phone.error.is_null() & surveyed.error.is_null()
                & ((out["adults_with_smartphone"] > out["adults_surveyed"]) | (out["adults_with_smartphone"] < 0)))
        .then(pl.lit("adults with a smartphone exceed the adults surveyed, or are negative"))
        .otherwise(with_phone.error)).to_series()
    return first_error(out, [("area", area_err), ("year", year.error), ("adults_surveyed", surveyed.error),
                             ("adults_with_smartphone", share_err)])


def finish_smartphone_survey(kept: pl.DataFrame) -> pl.DataFrame:
    return kept.select("area_code", "area_level", "year", "adults_surveyed", "adults_with_smartphone",
                       "source_file").sort("year", "area_code")


def _dated(ctx: Context, d: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
    """As-of date: an `as_of` column, else the date line of the file's title ('Ngày 31/12/2024')."""
    as_of = mapped(ctx.column(d, "as_of"), parse_date, pl.Date, empty=None)
    tables = d["_t"].unique().to_list()
    title = d["_t"].replace_strict(tables, [ctx.title_date(i, any_date=True) for i in tables], return_dtype=pl.Date)
    when = pl.select(pl.coalesce(as_of.value, title)).to_series().alias("as_of")
    err = pl.select(pl.when(when.is_null() & as_of.error.is_null())
                    .then(pl.lit("no as-of date: neither an as_of column nor a 'Ngày dd/mm/yyyy' title line"))
                    .otherwise(as_of.error)).to_series()
    return when, err


def state_apps(d: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    as_of, as_of_err = _dated(ctx, d)
    app = _text(ctx, d, "app")
    hosting = mapped(ctx.column(d, "hosting"), values.lookup(values.HOSTING, "hosting"), pl.String)
    out = d.select("_t", "_row").with_columns(as_of=as_of, app=app.value, agency=_carried(ctx, d, "agency"),
                                               hosting=hosting.value).with_columns(
        on_cloud=pl.col("hosting").is_in(list(values.ON_CLOUD)))
    return first_error(out, [("as_of", as_of_err), ("app", app.error), ("hosting", hosting.error)])


def finish_state_apps(kept: pl.DataFrame) -> pl.DataFrame:
    return kept.select("as_of", "app", "agency", "hosting", "on_cloud", "source_file").sort("as_of", "app")


def milestones(d: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    as_of, as_of_err = _dated(ctx, d)
    name = _text(ctx, d, "milestone")
    status = mapped(ctx.column(d, "status"), values.lookup(values.MILESTONE_STATUS, "status"), pl.String)
    out = d.select("_t", "_row").with_columns(as_of=as_of, milestone=name.value, status=_carried(ctx, d, "status"),
                                               status_code=status.value, note=_carried(ctx, d, "note"))
    return first_error(out, [("as_of", as_of_err), ("milestone", name.error), ("status", status.error)])


def finish_milestones(kept: pl.DataFrame) -> pl.DataFrame:
    return kept.select("as_of", "milestone", "status", "status_code", "note", "source_file").sort("as_of")
