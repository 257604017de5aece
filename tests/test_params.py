"""Request-parameter parsing, without a database."""
import datetime

import pytest

from layers.params import date_param


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
