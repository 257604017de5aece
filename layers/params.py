"""Parsing request parameters shared by the API, tile and page views (pure: no Django imports)."""
import datetime
import re

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def date_param(value: str | None, *, default: datetime.date | None) -> datetime.date | None:
    """A YYYY-MM-DD parameter: `default` when absent or empty; ValueError for anything else.

    The pattern refuses the other spellings date.fromisoformat accepts (20240101, 2024-W01-1).
    """
    if value is None or value == "":
        return default
    if not ISO_DATE.fullmatch(value):
        raise ValueError(f"not a YYYY-MM-DD date: {value!r}")
    return datetime.date.fromisoformat(value)
