"""The domain rules in Python, twins of the SQL functions of migration 0014 (tests/test_rules.py keeps them equal).

Pure (no Django): the demo generator and the services use them on objects already in memory; statements over many
rows use the SQL functions through layers.rules.
"""
from __future__ import annotations

import datetime

ENTERPRISE, CARETAKER, SELF_GOVERNED, NONE = "enterprise", "caretaker", "self_governed", "none"


def is_old_estate(build_year: int, *, cutoff: int) -> bool:
    """DOMAIN.md "old estate" (004 §1, built before the end of the cutoff year): the cutoff year itself is old."""
    return build_year <= cutoff


def contract_not_ended(end: datetime.date | None, on: datetime.date) -> bool:
    """A contract's end date is exclusive: open-ended, or ending after `on`, it still runs on `on` (or later)."""
    return end is None or end > on


def contract_active(start: datetime.date, end: datetime.date | None, on: datetime.date) -> bool:
    """[start, end) contains `on`: started on or before it and not ended by it."""
    return start <= on and contract_not_ended(end, on)


def provider_status(provider_kind: str) -> str:
    """The service status an active contract gives its estate (DOMAIN.md "Service status of an estate")."""
    if provider_kind == "enterprise":
        return ENTERPRISE
    if provider_kind == "community":
        return SELF_GOVERNED
    return CARETAKER
