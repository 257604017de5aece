"""Reads of abandoned-building reports, always through permissions.restrict(): a street office sees its street only."""
from __future__ import annotations

from django.contrib.gis.db.models.functions import PointOnSurface
from django.db.models import Count, Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from ..models import AbandonmentEvent, AbandonmentPhoto, AbandonmentReport, ReportState
from ..permissions import CHANGE, VIEW, OutsideJurisdiction, get_restricted, may, restrict

# The report's life (docs/EDIT_API.md). Terminal states (rejected, resolved) have no next state.
NEXT_STATES: dict[str, tuple[str, ...]] = {
    ReportState.REPORTED: (ReportState.VERIFIED, ReportState.REJECTED),
    ReportState.VERIFIED: (ReportState.UNDER_CARETAKER, ReportState.RESOLVED),
    ReportState.UNDER_CARETAKER: (ReportState.RESOLVED,),
}


def abandonment_next_states(*, user, state: str) -> list[str]:
    """The states `user` may move a report in `state` to: none unless the role may change reports at all."""
    if not may(user, AbandonmentReport, CHANGE):
        return []
    return list(NEXT_STATES.get(state, ()))


def _abandonment_report_queryset() -> QuerySet:
    return (
        AbandonmentReport.objects.select_related("building__estate", "street", "reported_by")
        .annotate(point=PointOnSurface("building__geom"))
        .prefetch_related("photos", Prefetch("events", AbandonmentEvent.objects.select_related("user")))
    )


def abandonment_reports(*, user, state: str | None = None) -> QuerySet:
    """The reports in the user's scope, newest first, optionally in one state (a ReportState value)."""
    reports = restrict(_abandonment_report_queryset(), user, VIEW)
    return reports.filter(state=state) if state else reports


def abandonment_report_get(*, user, pk: int) -> AbandonmentReport:
    """One report in the user's scope: PermissionDenied for a refused role, Http404 when outside or absent."""
    return get_restricted(_abandonment_report_queryset(), user, VIEW, pk=pk)


def abandonment_state_counts(*, user) -> dict[str, int]:
    """Number of reports per state in the user's scope, every state present (0 when none)."""
    counts = dict(restrict(AbandonmentReport.objects.all(), user, VIEW).values_list("state").annotate(n=Count("id")))
    return {state: counts.get(state, 0) for state in ReportState.values}


def abandonment_photo_get(*, user, pk: int):
    """A photo whose report the user may view, or Http404 (a photo of another street is as absent)."""
    photo = AbandonmentPhoto.objects.filter(
        pk=pk, report__in=restrict(AbandonmentReport.objects.all(), user, VIEW)
    ).first()
    if photo is None:
        raise OutsideJurisdiction(gettext("No such photo in your jurisdiction."))
    return photo


def _user_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def when_where(photo) -> dict:
    """When and where a photo (a report's, an inspection's, a complaint step's) was taken — the phone's photo_meta
    or the camera's EXIF — if known: {"taken_at": ISO local time or None, "point": [lon, lat] or None}."""
    where = photo.location
    return {"taken_at": timezone.localtime(photo.taken_at).isoformat() if photo.taken_at else None,
            "point": [round(where.x, 6), round(where.y, 6)] if where is not None else None}


def _photo_data(photo: AbandonmentPhoto) -> dict:
    """A photo's URL with when and where it was taken, if known."""
    return {"url": reverse("abandonment-photo", args=[photo.pk]), **when_where(photo)}


def abandonment_report_data(*, report: AbandonmentReport, user) -> dict:
    """A report as docs/EDIT_API.md describes it; `transitions` are the states `user` may move it to."""
    point = getattr(report, "point", None)
    return {
        "id": report.pk,
        "building_id": report.building_id,
        "building": str(report.building),
        "estate": report.building.estate.name,
        "estate_id": report.building.estate_id,
        "street": report.street.name,
        "street_id": report.street_id,
        "state": report.state,
        "state_label": str(report.get_state_display()),
        "reason": report.reason,
        "reason_label": str(report.get_reason_display()),
        "description": report.description,
        "abandoned_since": report.abandoned_since.isoformat(),
        "reported_by": _user_name(report.reported_by),
        "created_at": timezone.localtime(report.created_at).isoformat(),
        "point": [round(point.x, 6), round(point.y, 6)] if point is not None else None,
        "photos": [reverse("abandonment-photo", args=[photo.pk]) for photo in report.photos.all()],
        "photo_details": [_photo_data(photo) for photo in report.photos.all()],
        "accuracy_m": report.accuracy_m,
        "distance_m": None if report.distance_m is None else round(report.distance_m, 1),
        "events": [
            {
                "from": event.from_state,
                "to": event.to_state,
                "to_label": str(event.get_to_state_display()),
                "note": event.note,
                "user": _user_name(event.user),
                "at": timezone.localtime(event.created_at).isoformat(),
            }
            for event in report.events.all()
        ],
        "transitions": abandonment_next_states(user=user, state=report.state),
    }
