from datetime import date

import pytest

from analysis.clean.parse import ParseError, date_in_title, parse_count, parse_number, parse_period


@pytest.mark.parametrize("text, expected", [
    ("12.345", 12345), ("12,345", 12345), ("12 345", 12345), ("1.234.567", 1234567), ("-", 0), (" 42 ", 42),
    (7, 7), ("7.0", 7),
])
def test_counts_in_every_habit(text, expected):
    assert parse_count(text) == expected


@pytest.mark.parametrize("text, expected", [("1.234,5", 1234.5), ("1,234.5", 1234.5), ("85,32", 85.32)])
def test_decimals_with_comma_or_point(text, expected):
    assert parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["12a", "1,5", "-3", "n/a"])
def test_not_a_count(text):
    with pytest.raises(ParseError):
        parse_count(text)


@pytest.mark.parametrize("text, expected", [
    ("2024-10", date(2024, 10, 1)), ("10/2024", date(2024, 10, 1)), ("T10/2024", date(2024, 10, 1)),
    ("Tháng 10 năm 2024", date(2024, 10, 1)), ("thang 10 nam 2024", date(2024, 10, 1)),
    # 45566 days after 1899-12-30 is 2024-10-01 (Excel's serial for that day).
    ("45566", date(2024, 10, 1)), (45566, date(2024, 10, 1)),
    ("Q4/2024", date(2024, 12, 1)), ("Q1/2023", date(2023, 3, 1)),
])
def test_periods_in_every_habit(text, expected):
    assert parse_period(text) == expected


@pytest.mark.parametrize("text", ["13/2024", "2024-00", "Q5/2024", "", "tháng mười"])
def test_not_a_period(text):
    with pytest.raises(ParseError):
        parse_period(text)


def test_submission_date_in_a_title_line():
    assert date_in_title("Ngày 05/11/2024") == date(2024, 11, 5)
    assert date_in_title("BÁO CÁO THÁNG 10/2024") is None
