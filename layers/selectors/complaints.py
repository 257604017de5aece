"""Reads of the complaint records: the district's routing table, the working-day calendar, the provider a case goes
to (DOMAIN.md "Supervision")."""
from __future__ import annotations

import datetime

from django.db import connection
from django.db.models import QuerySet

from ..models import CalendarDay, ComplaintCategory, ProviderKind
from .contracts import estate_current_contract


def calendar_exceptions(start: datetime.date, end: datetime.date) -> dict[datetime.date, bool]:
    """The calendar's holidays and make-up working days from `start` to `end` (inclusive): {date: working}."""
    return dict(CalendarDay.objects.filter(date__range=(start, end)).values_list("date", "working"))


def routing_table(district) -> QuerySet[ComplaintCategory]:
    return ComplaintCategory.objects.filter(district=district).order_by("code")


def category_for(district, *texts: str) -> ComplaintCategory | None:
    """The district's category for a hotline order: the first category (by code) one of whose keywords occurs in the
    order's category text, else in the caller's words; else the district's fallback category `other`."""
    return category_finder(district)(*texts)


def category_finder(district):
    """category_for with the district's routing table read once: a function of the order's texts (an import
    classifies thousands of orders against the same table)."""
    categories = list(routing_table(district).filter(active=True))
    keywords = [(category, [word for word in category.keywords.split() if word]) for category in categories]
    fallback = next((c for c in categories if c.code == "other"), None)

    def find(*texts: str) -> ComplaintCategory | None:
        for text in texts:
            if not text:
                continue
            for category, words in keywords:
                if any(word in text for word in words):
                    return category
        return fallback

    return find


def provider_on(estate_id: int, on: datetime.date) -> dict:
    """Who serves the estate on that date (its single active contract, DOMAIN.md rule "one service at a time"):
    {"provider_kind": …, "enterprise_id": …}; no contract → provider_kind "" (the community settles it)."""
    contract = estate_current_contract(estate_id=estate_id, on=on)
    if contract is None:
        return {"provider_kind": "", "enterprise_id": None}
    return {"provider_kind": contract.provider_kind,
            "enterprise_id": contract.enterprise_id if contract.provider_kind == ProviderKind.ENTERPRISE else None}


def providers_on(pairs: list[tuple[int, datetime.date]]) -> dict[tuple[int, datetime.date], dict]:
    """provider_on for many (estate, date) pairs in one statement (the same rule, the database function
    layers_contract_active): {(estate_id, date): {"provider_kind": …, "enterprise_id": …}}."""
    pairs = list(dict.fromkeys(pairs))
    out = {pair: {"provider_kind": "", "enterprise_id": None} for pair in pairs}
    if not pairs:
        return out
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT q.estate_id, q.day, k.provider_kind, k.enterprise_id
                 FROM unnest(%s::int[], %s::date[]) AS q(estate_id, day)
                 CROSS JOIN LATERAL (
                     SELECT c.provider_kind, c.enterprise_id FROM layers_servicecontract c
                      WHERE c.estate_id = q.estate_id AND layers_contract_active(c.start_date, c.end_date, q.day)
                      ORDER BY c.start_date, c.id LIMIT 1) k""",
            [[estate for estate, _ in pairs], [day for _, day in pairs]])
        for estate_id, day, kind, enterprise_id in cursor.fetchall():
            out[(estate_id, day)] = {"provider_kind": kind,
                                     "enterprise_id": enterprise_id if kind == ProviderKind.ENTERPRISE else None}
    return out
