"""Reading the cells of an imported table as text, whole numbers, years, numbers, yes/no, dates and choices.

As spreadsheets and Chinese registers write them ("230112001.0", "12层", "1,234㎡", "是", "2021年3月4日").
No Django models: an importer's field (layers/services/imports/importers.py) is passed in; only its `choices` is read.
"""
from __future__ import annotations

import datetime
import math
import re

from django.utils.translation import gettext_lazy

TRUE_WORDS = {"1", "true", "t", "yes", "y", "是", "有", "开放", "开放式", "√", "✓"}
FALSE_WORDS = {"0", "false", "f", "no", "n", "否", "无", "没有", "封闭", "封闭式", "×", "✗", ""}


def _number_text(value) -> str:
    return str(value).strip().replace(",", "").replace("，", "").replace(" ", "")


def parse_text(value, f) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # codes read as numbers by a spreadsheet: 230112001.0 → "230112001"
    if "\x00" in str(value):  # PostgreSQL cannot store NUL in text
        raise ValueError
    return str(value).strip()


def parse_int(value, f) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    number = float(_number_text(value).removesuffix("户").removesuffix("层"))
    if not number.is_integer():
        raise ValueError
    return int(number)


def parse_year(value, f) -> int:
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.year
    return parse_int(_number_text(value).removesuffix("年"), f)


def parse_float(value, f) -> float:
    if isinstance(value, bool):
        raise ValueError
    number = float(value) if isinstance(value, (int, float)) else float(_number_text(value).removesuffix("㎡")
                                                                         .removesuffix("m²").removesuffix("平方米"))
    if not math.isfinite(number):  # NaN, inf, 1e309: no column can store them
        raise ValueError
    return number


def parse_bool(value, f) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError


def parse_date(value, f) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = re.sub(r"[/.年月]", "-", str(value).strip()).removesuffix("日")
    return datetime.date.fromisoformat("-".join(p.zfill(2) for p in text.split("-")))


def parse_choice(value, f) -> str:
    return f.choices[str(value).strip().lower()]


PARSERS = {"text": parse_text, "int": parse_int, "float": parse_float, "year": parse_year, "bool": parse_bool,
           "date": parse_date, "choice": parse_choice}
KIND_LABELS = {"text": gettext_lazy("text"), "int": gettext_lazy("a whole number"), "float": gettext_lazy("a number"),
               "year": gettext_lazy("a year"), "bool": gettext_lazy("yes or no"),
               "date": gettext_lazy("a date (YYYY-MM-DD)"), "choice": gettext_lazy("one of the allowed values")}


def choice_spellings(choices, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Accepted spellings of a TextChoices: its values, its English labels, and extra (Chinese) words."""
    spellings = {}
    for value, label in choices.choices:
        spellings[str(value).lower()] = value
        spellings[str(label).lower()] = value
    for word, value in (extra or {}).items():
        spellings[word.lower()] = value
    return spellings

