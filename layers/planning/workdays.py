"""Working days: Monday–Friday, except public holidays, plus make-up working days (调休) — pure, without Django.

Complaint deadlines count in working days (DOMAIN.md "Supervision", three-level handling); the exceptions come from
the editable calendar table (layers/models/complaints.py CalendarDay).
"""
from __future__ import annotations

import datetime
from collections.abc import Mapping


def is_working_day(day: datetime.date, exceptions: Mapping[datetime.date, bool]) -> bool:
    """A weekday unless the calendar says it is a holiday; a weekend day only when it is a make-up working day."""
    if day in exceptions:
        return exceptions[day]
    return day.weekday() < 5


def add_working_days(start: datetime.date, days: int, exceptions: Mapping[datetime.date, bool]) -> datetime.date:
    """The date `days` working days after `start` (the day of receipt does not count). With 0, the first working
    day from `start` on: a case received on a Saturday is due on Monday, not on the Saturday."""
    day = start
    if days == 0:
        while not is_working_day(day, exceptions):
            day += datetime.timedelta(days=1)
        return day
    counted = 0
    while counted < days:
        day += datetime.timedelta(days=1)
        if is_working_day(day, exceptions):
            counted += 1
    return day


def working_days_between(start: datetime.date, end: datetime.date, exceptions: Mapping[datetime.date, bool]) -> int:
    """How many working days lie after `start` up to and including `end` (0 when end ≤ start)."""
    count, day = 0, start
    while day < end:
        day += datetime.timedelta(days=1)
        if is_working_day(day, exceptions):
            count += 1
    return count
