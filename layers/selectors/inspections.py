"""Reads of the daily inspections: a district's checklist, the inspections in a user's scope, an estate's last ones,
and the yearly figures per estate, enterprise and street that the annual evaluation uses (DOMAIN.md "Supervision")."""
from __future__ import annotations

import datetime

from django.db.models import Avg, Count, ExpressionWrapper, F, FloatField, OuterRef, QuerySet, Subquery

from ..models import Checklist, Inspection
from ..permissions import VIEW, restrict

# An inspection's score in percent of its checklist's maximum: checklists differ between districts and over time,
# so figures average percentages, never raw points.
PERCENT = ExpressionWrapper(100.0 * F("total_score") / F("max_score"), output_field=FloatField())


def active_checklist(district) -> Checklist | None:
    """The district's checklist in use (at most one, constraint checklist_one_active_per_district), its items
    prefetched; None when it has none yet (services.inspections.ensure_default_checklist gives it one)."""
    return (Checklist.objects.filter(district=district, active=True).prefetch_related("items").first())


def checklists(district) -> QuerySet[Checklist]:
    return Checklist.objects.filter(district=district).prefetch_related("items").order_by("-active", "-created")


def inspections_for(user, *, estate_id: int | None = None, street_id: int | None = None,
                    enterprise_id: int | None = None, year: int | None = None,
                    date_from: datetime.date | None = None, date_to: datetime.date | None = None) -> QuerySet:
    """The inspections the user may read, newest first, narrowed by the filters given."""
    qs = restrict(Inspection.objects.all(), user, VIEW).select_related(
        "estate", "street", "community", "enterprise", "inspector", "checklist")
    if estate_id is not None:
        qs = qs.filter(estate_id=estate_id)
    if street_id is not None:
        qs = qs.filter(street_id=street_id)
    if enterprise_id is not None:
        qs = qs.filter(enterprise_id=enterprise_id)
    if year is not None:
        qs = qs.filter(inspected_on__year=year)
    if date_from is not None:
        qs = qs.filter(inspected_on__gte=date_from)
    if date_to is not None:
        qs = qs.filter(inspected_on__lte=date_to)
    return qs.order_by("-inspected_on", "-id")


def inspection_detail(user, inspection_id: int) -> Inspection | None:
    """One inspection in the user's scope with its scores and photos, or None."""
    return (inspections_for(user).prefetch_related("scores__item", "photos").filter(pk=inspection_id).first())


def estate_last_inspections(user, estate_id: int, limit: int = 5) -> list[Inspection]:
    """The estate's latest inspections the user may read (estate page)."""
    return list(inspections_for(user, estate_id=estate_id)[:limit])


def last_score_subquery(estate_ref: str = "pk") -> Subquery:
    """The percent of an estate's latest inspection, as a subquery on `estate_ref` (for annotating estates). No
    scope: callers annotate only estates whose state the user may view."""
    latest = Inspection.objects.filter(estate_id=OuterRef(estate_ref)).order_by("-inspected_on", "-id")
    return Subquery(latest.annotate(pct=PERCENT).values("pct")[:1], output_field=FloatField())


def _figures(column: str, *, year: int, district) -> dict:
    rows = (Inspection.objects.filter(inspected_on__year=year, street__parent=district)
            .exclude(**{f"{column}__isnull": True})
            .values(column).annotate(count=Count("id"), average=Avg(PERCENT)))
    return {row[column]: {"count": row["count"], "average_pct": round(row["average"], 1)} for row in rows}


def inspection_scores(*, year: int, district) -> dict[int, dict]:
    """The year's inspections of the district's estates per enterprise serving them on the day:
    {enterprise_id: {"count": n, "average_pct": x}}, x the mean of the inspections' scores in percent of their
    checklist's maximum (one decimal). Inspections of estates served by no enterprise (caretaker agency, community,
    district fallback) are left out. `district` is an AdminArea or its id. Not restricted to a user: the annual
    evaluation's callers check who may read it."""
    return _figures("enterprise_id", year=year, district=district)


def street_inspection_scores(*, year: int, district) -> dict[int, dict]:
    """Like inspection_scores, per street of the district: {street_id: {"count": n, "average_pct": x}} (every
    inspection, whoever serves the estate)."""
    return _figures("street_id", year=year, district=district)


def estate_inspection_scores(*, year: int, district) -> dict[int, dict]:
    """Like inspection_scores, per estate: {estate_id: {"count": n, "average_pct": x}}."""
    return _figures("estate_id", year=year, district=district)
