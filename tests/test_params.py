"""Request-parameter parsing, without a database."""
import datetime

import pytest

from layers.params import bbox_param, date_param, number_param
from layers.refusals import Invalid

# The messages below are matched in English (the default language is Chinese).
ENGLISH = pytest.mark.usefixtures("english")


def test_absent_or_empty_date_gives_the_default():
    today = datetime.date(2026, 11, 22)
    assert date_param(None, default=today) == today
    assert date_param("", default=None) is None


def test_iso_date_is_parsed():
    assert date_param("2024-03-01", default=None) == datetime.date(2024, 3, 1)


@pytest.mark.parametrize("value", ["20240301", "2024-W01-1", "2024-13-01", "2024-3-1", " 2024-03-01", "2024-03-01T00"])
def test_anything_else_is_refused(value):
    with pytest.raises(ValueError):
        date_param(value, default=None)


@pytest.mark.parametrize("value", ["1e309", "-1e309", "inf", "-inf", "Infinity", "nan", "NaN", "9" * 400,
                                   float("inf"), float("nan"), 10 ** 400])
@pytest.mark.parametrize("integer", [False, True])
@ENGLISH
def test_a_number_that_is_not_finite_is_refused_as_such(value, integer):
    with pytest.raises(Invalid, match="finite"):
        number_param(value, "zoom", integer=integer)


@pytest.mark.parametrize("value, integer, expected", [
    ("12", True, 12), (" 12 ", True, 12), ("2.0", True, 2), (2.0, True, 2), (7, True, 7), ("1e3", True, 1000),
    ("12.5", False, 12.5), (3, False, 3.0), ("-0.5", False, -0.5),
])
def test_numbers_are_read(value, integer, expected):
    assert number_param(value, "n", integer=integer) == expected


@pytest.mark.parametrize("value, integer, says", [
    ("2.5", True, "whole number"), ("abc", True, "whole number"), ("abc", False, "a number"), (True, False, "a number"),
    ([1], True, "whole number"), ("5", False, "at most 4"), ("-1", True, "at least 0"),
])
@ENGLISH
def test_other_numbers_are_refused_naming_the_parameter(value, integer, says):
    with pytest.raises(Invalid, match=f"^n must.*{says}"):
        number_param(value, "n", integer=integer, minimum=0, maximum=4)


def test_absent_numbers_give_the_default():
    assert number_param(None, "n", default=3) == 3
    assert number_param("", "n", integer=True) is None


@pytest.mark.parametrize("value, says", [
    ("1,2,3", "four numbers"), ("1e309,45,127,46", "finite"), ("126,nan,127,46", "finite"), ("a,45,127,46", "number"),
    ("126,45,-inf,46", "finite"), ("127,45,126,46", "minx < maxx"), ("126,45,500,46", "degrees"), ("1,,2,3", "four"),
])
@ENGLISH
def test_bad_boxes_are_refused(value, says):
    with pytest.raises(Invalid, match=says):
        bbox_param(value)


def test_a_box_is_read():
    assert bbox_param("126.5,45.5,126.6,45.6") == (126.5, 45.5, 126.6, 45.6)
    assert bbox_param(None) is None
