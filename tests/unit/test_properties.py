"""Property-based tests of every parser: on any text, the only exception is the project's own ParseError; what the
sample generator writes in each habit reads back as the value it wrote; the vectorised parsers agree with the
scalar ones."""
from __future__ import annotations

import os
from datetime import date, datetime, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.areas import legacy_units, reference_areas
from analysis.clean import columns, values
from analysis.clean.hamlets import HamletResolver
from analysis.clean.parse import (ParseError, parse_bool, parse_coordinate, parse_count, parse_date, parse_datetime,
                                  parse_decimal, parse_number, parse_period)
from analysis.clean.resolve import AreaResolver
from analysis.sample.mess import BOOL_STYLES, NAME_STYLES, name_cell, number_cell, period_cell
from analysis.sample.render import Renderer
from tests.conftest import PROVINCE

PARSERS = [parse_number, parse_decimal, parse_count, parse_period, parse_date, parse_datetime, parse_bool,
           parse_coordinate, values.operator, values.lookup(values.NETWORKS, "network")]
# Text as operators type it: digits, separators, Vietnamese letters (composed and combining), signs, spaces.
TOKENS = list("0123456789.,-+ /:°'\"TtQqNnEeWwSsxXYy") + ["Tháng ", " năm ", "Có", "Không", "\u0301", "đ", "Quý "]
TYPED = st.lists(st.sampled_from(TOKENS), max_size=16).map("".join)
settings.register_profile("ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# `make test-fast` draws a third as many cases (HYPOTHESIS_PROFILE=fast); `make test` and CI draw all 300.
settings.register_profile("fast", parent=settings.get_profile("ci"), max_examples=100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.mark.parametrize("parse", PARSERS, ids=lambda f: getattr(f, "__name__", "lookup"))
@given(text=st.one_of(TYPED, st.text(max_size=40)))
def test_any_text_raises_only_parse_error(parse, text):
    try:
        parse(text)
    except ParseError:
        pass


@given(n=st.integers(min_value=0, max_value=10**9), style=st.sampled_from(["plain", "comma", "dot", "space", "text"]))
def test_counts_round_trip_in_every_operator_habit(n, style):
    assert parse_count(number_cell(n, style)) == n


@given(x=st.floats(min_value=0, max_value=10**6, allow_nan=False).map(lambda v: round(v, 1)),
       style=st.sampled_from(["comma", "dot", "space"]))
def test_decimals_round_trip(x, style):
    assert parse_number(number_cell(x, style, decimals=1)) == pytest.approx(x)


@given(d=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 1)).map(lambda d: d.replace(day=1)),
       style=st.sampled_from(["iso", "slash", "t", "words", "serial"]))
def test_periods_round_trip_in_every_habit(d, style):
    assert parse_period(period_cell(d, style)) == d


@given(d=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_quarters_read_as_their_last_month(d):
    q = period_cell(d, "quarter")
    assert parse_period(q) == date(d.year, ((d.month - 1) // 3 + 1) * 3, 1)


@given(style=st.sampled_from(sorted(BOOL_STYLES)), v=st.booleans())
def test_booleans_round_trip(style, v):
    yes, no = BOOL_STYLES[style]
    cell = yes if v else no
    assert (parse_bool(cell) or False) == v  # the x-habit's "no" is an empty cell, read as missing (None)


@given(lat=st.floats(min_value=-89.99, max_value=89.99, allow_nan=False),
       hemi=st.sampled_from(["N", "S"]))
def test_dms_round_trips_to_a_hundredth_of_a_second(lat, hemi):
    x = abs(lat)
    text = Renderer._dms(x, hemi)
    assert parse_coordinate(text) == pytest.approx(x if hemi == "N" else -x, abs=0.01 / 3600 + 1e-9)


@given(t=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1)).map(
    lambda v: v.replace(microsecond=0)))
def test_measurement_times_round_trip(t):
    assert parse_datetime(t.strftime("%d/%m/%Y %H:%M:%S")) == t
    assert parse_date(t.strftime("%d/%m/%Y")) == t.date()


# -- the vectorised parsers agree with the scalar ones -----------------------------------------------------------

def _scalar(parse, text):
    try:
        return parse(text), None
    except ParseError:
        return None, "error"


@given(texts=st.lists(st.one_of(TYPED, st.sampled_from(["12.345", "1.234,5", "-", "", " 7 ", "1,5", "-3"])),
                      min_size=1, max_size=30))
def test_vectorised_numbers_agree_with_the_scalar_parser(texts):
    for decimal, parse in ((False, parse_number), (True, parse_decimal)):
        vec = columns.number(pl.Series("x", texts, dtype=pl.String), decimal=decimal)
        for text, v, err in zip(texts, vec.value.to_list(), vec.error.to_list()):
            want, why = _scalar(parse, text)
            assert (err is not None) == (why is not None), text
            assert (v is None and want is None) or v == pytest.approx(want), text


@given(texts=st.lists(st.one_of(TYPED, st.sampled_from(["12", "-5", "1.5", "12.345", "-"])), min_size=1, max_size=30))
def test_vectorised_counts_agree_with_the_scalar_parser(texts):
    vec = columns.count(pl.Series("x", texts, dtype=pl.String))
    for text, v, err in zip(texts, vec.value.to_list(), vec.error.to_list()):
        want, why = _scalar(parse_count, text)
        assert (err is not None) == (why is not None) and v == want, text



@given(texts=st.lists(st.one_of(TYPED, st.floats(min_value=-180, max_value=180, allow_nan=False).map(repr),
                                st.sampled_from(["21.5934", "105,8412", "21°35'36.2\"N", " 21.5 ", "-0.5", "7",
                                                 "1e5", "21.", ".5", "21 35 36", "", "nan"])),
                      min_size=1, max_size=30))
def test_vectorised_coordinates_agree_with_the_scalar_parser_exactly(texts):
    # Exactly: two lists giving one site a coordinate a bit apart would split its position.
    vec = columns.coordinate(pl.Series("x", texts, dtype=pl.String))
    for text, v, err in zip(texts, vec.value.to_list(), vec.error.to_list()):
        want, why = _scalar(parse_coordinate, text)
        assert (err is not None) == (why is not None) and v == want, text

# -- names: every style the generator writes resolves to the unit it names -----------------------------------------

RESOLVER = AreaResolver(reference_areas(PROVINCE))
UNITS = legacy_units(PROVINCE).select("districtCode", "district", "districtType", "wardCode", "ward", "wardType").rows()


@settings(max_examples=400)
@given(unit=st.sampled_from(UNITS), d_style=st.sampled_from(NAME_STYLES), c_style=st.sampled_from(NAME_STYLES))
def test_every_name_style_resolves_to_its_commune(unit, d_style, c_style):
    d_code, d_name, d_type, c_code, c_name, c_type = unit
    district = name_cell(d_name, d_type, d_code, d_style)
    commune = name_cell(c_name, c_type, c_code, c_style)
    code, parent, how = RESOLVER.commune(district, commune)
    assert (code, parent) == (c_code, d_code), (district, commune, how)


@given(text=st.text(max_size=30), district=st.one_of(st.none(), st.text(max_size=20)))
def test_resolver_never_guesses_and_never_raises(text, district):
    code, parent, how = RESOLVER.commune(district, text)
    assert (code is None) == (parent is None)
    if code is None:
        assert how and not how.startswith(("code", "name", "fuzzy"))


@given(name=st.text(max_size=30))
def test_hamlet_resolver_never_raises(name):
    r = HamletResolver(pl.DataFrame({"hamlet_code": ["05431001"], "hamlet": ["Tổ dân phố 1"],
                                     "commune_code": ["05431"]}))
    code, how = r.resolve("05431", name)
    assert code in (None, "05431001") and how


def test_serial_periods_are_excel_days():
    assert parse_period(str((date(2024, 10, 1) - date(1899, 12, 30)).days)) == date(2024, 10, 1)
    assert parse_datetime("45566.5") == datetime(1899, 12, 30) + timedelta(days=45566.5)
