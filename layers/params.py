"""Parsing request parameters shared by the API, tile, OGC and page views: dates, numbers, boxes (no database).

Every number a request sends — query string, form field or JSON value — is read by `number_param`, so that NaN,
±Infinity and numbers too large to be finite (1e309) are refused with one plain message wherever they are sent,
instead of reaching arithmetic (int(inf) raises OverflowError) or PostgreSQL.
"""
import datetime
import math
import re

from django.utils.translation import gettext as _

from .refusals import Invalid

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


def _shown(value) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def number_param(value, name: str, *, integer: bool = False, default=None, minimum=None, maximum=None):
    """A number from a query string, a form or JSON: `default` when absent or empty; Invalid
    (layers/refusals.py, a 400 naming the parameter) otherwise.

    Text and JSON numbers alike; a boolean is not a number. NaN, ±Infinity and anything that overflows to them
    (1e309, or 400 digits) are refused as not finite. `integer`: a whole number (2, "2", 2.0, "1e3"; not "2.5").
    """
    if value is None or value == "":
        return default
    not_a_number = Invalid((_("%(name)s must be a whole number, not %(value)s.") if integer else
                            _("%(name)s must be a number, not %(value)s.")) % {"name": name, "value": _shown(value)},
                           field=name)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise not_a_number
    text = value.strip() if isinstance(value, str) else None
    try:
        number = float(text if text is not None else value)
    except (ValueError, OverflowError):  # OverflowError: an int too large for a float
        number = None if text is not None else math.inf
    if number is None:
        raise not_a_number
    if not math.isfinite(number):
        raise Invalid(_("%(name)s must be a finite number; %(value)s is not (NaN, Infinity and numbers too "
                        "large to write are refused).") % {"name": name, "value": _shown(value)}, field=name)
    if integer:
        whole = value if isinstance(value, int) else None
        if text is not None:
            try:
                whole = int(text)
            except ValueError:
                pass
        if whole is None and number.is_integer():  # 2.0, "2.0", "1e3"
            whole = int(number)
        if whole is None:
            raise not_a_number
        number = whole
    if minimum is not None and number < minimum:
        raise Invalid(_("%(name)s must be at least %(min)s, not %(value)s.")
                      % {"name": name, "min": minimum, "value": _shown(value)}, field=name)
    if maximum is not None and number > maximum:
        raise Invalid(_("%(name)s must be at most %(max)s, not %(value)s.")
                      % {"name": name, "max": maximum, "value": _shown(value)}, field=name)
    return number


def page_param(value: str | None) -> int | None:
    """A ?page= for Django's Paginator.get_page, which turns words and out-of-range pages into the first or last page
    but would pass on a non-finite number; None when absent."""
    return number_param(value, "page", integer=True)


def bbox_param(value: str | None, name: str = "bbox") -> tuple[float, float, float, float] | None:
    """minx,miny,maxx,maxy in longitude/latitude degrees, or None when absent or empty; Invalid otherwise."""
    if value is None or value == "":
        return None
    parts = value.split(",")
    if len(parts) != 4:
        raise Invalid(_("%(name)s must be four numbers minx,miny,maxx,maxy, not %(count)d.")
                      % {"name": name, "count": len(parts)}, field=name)
    minx, miny, maxx, maxy = (number_param(p, name, default=math.nan) for p in parts)
    if any(math.isnan(v) for v in (minx, miny, maxx, maxy)):  # an empty part: "1,,2,3"
        raise Invalid(_("%(name)s must be four numbers minx,miny,maxx,maxy.") % {"name": name}, field=name)
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90):
        raise Invalid(_("%(name)s must be in longitude/latitude degrees (-180 to 180, -90 to 90).")
                      % {"name": name}, field=name)
    if minx >= maxx or miny >= maxy:
        raise Invalid(_("%(name)s must have minx < maxx and miny < maxy.") % {"name": name}, field=name)
    return minx, miny, maxx, maxy
