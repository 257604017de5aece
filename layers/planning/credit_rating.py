"""An enterprise's red/black list status on a date, from its annual evaluations and the manual listing decisions.

Pure (no Django). The rule of Xiuwen County 2023 (seed 003 §5(3)): an enterprise whose annual evaluation
(市场行为监督检查等级评定) fails two years in a row is put on the black list. The district may also list an
enterprise red or black by hand, or lift a listing (status "normal"), always with a reason.

How the two combine (the seed is silent; docs/ENTERPRISE_REGISTER.md):
- every pair of consecutive failing years (Y-1, Y) is a black-list decision dated 1 January of Y+1;
- a manual decision applies from its own date;
- on a date, the latest decision dated on or before it is in force; at the same date a manual decision beats a
  derived one (it was taken knowing the evaluations), and of two manual ones the one given later in the input;
- a passing year does not lift a black listing by itself: only a later manual decision does. A further pair of
  failing years after such a lifting puts the enterprise back on the black list;
- `since` is the first day of the uninterrupted run of the status in force (three failing years in a row keep the
  listing of the first pair); `reason` is the reason of the decision that started that run.
"""
from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

RED, NORMAL, BLACK = "red", "normal", "black"
STATUSES = (RED, NORMAL, BLACK)

# The stored reason of a derived listing: the seed's own wording, naming the two years.
DERIVED_REASON = "连续两年（{first}、{second}年度）市场行为监督检查评定不合格"


@dataclass(frozen=True)
class Evaluation:
    year: int
    grade: str
    passed: bool


@dataclass(frozen=True)
class Listing:
    status: str
    listed_on: datetime.date
    reason: str


@dataclass(frozen=True)
class ListDecision:
    status: str
    since: datetime.date | None  # None: normal, never listed
    reason: str
    derived: bool  # True: the decision follows from two failing years, not from a manual listing


NEVER_LISTED = ListDecision(NORMAL, None, "", False)


def _evaluation(value) -> Evaluation:
    return value if isinstance(value, Evaluation) else Evaluation(*value)


def _listing(value) -> Listing:
    return value if isinstance(value, Listing) else Listing(*value)


def failing_pairs(evaluations: Iterable) -> list[tuple[int, int]]:
    """The pairs of consecutive years (Y-1, Y) both evaluated as failing, in year order."""
    failed = {e.year for e in map(_evaluation, evaluations) if not e.passed}
    return [(year - 1, year) for year in sorted(failed) if year - 1 in failed]


def derived_decisions(evaluations: Iterable) -> list[tuple[datetime.date, ListDecision]]:
    """One black-list decision per pair of failing years, dated 1 January after the second year."""
    return [
        (datetime.date(second + 1, 1, 1),
         ListDecision(BLACK, datetime.date(second + 1, 1, 1), DERIVED_REASON.format(first=first, second=second), True))
        for first, second in failing_pairs(evaluations)
    ]


def decisions(evaluations: Iterable, listings: Iterable) -> list[ListDecision]:
    """Every decision, derived and manual, in the order they take effect (ties: derived first, then manual)."""
    timeline = [(on, 0, k, d) for k, (on, d) in enumerate(derived_decisions(evaluations))]
    for k, listing in enumerate(map(_listing, listings)):
        if listing.status not in STATUSES:
            raise ValueError(f"unknown list status {listing.status!r}")
        decision = ListDecision(listing.status, listing.listed_on, listing.reason, False)
        timeline.append((listing.listed_on, 1, k, decision))
    timeline.sort(key=lambda item: item[:3])
    return [d for *_, d in timeline]


def list_status(evaluations: Iterable, listings: Iterable, today: datetime.date) -> ListDecision:
    """The list status in force on `today`.

    evaluations: (year, grade, passed) tuples or Evaluation; listings: (status, listed_on, reason) or Listing, in the
    order they were decided. Decisions dated after `today` are not in force yet.
    """
    current = NEVER_LISTED
    for decision in decisions(evaluations, listings):
        if decision.since > today:
            break
        if decision.status != current.status:
            current = decision
    return current


def latest_grade(evaluations: Iterable) -> str | None:
    """The grade of the most recent evaluated year, or None without evaluations."""
    latest = max(map(_evaluation, evaluations), key=lambda e: e.year, default=None)
    return latest.grade if latest else None
