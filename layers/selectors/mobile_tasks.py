"""Reads for the phone app's inspection and complaint tabs (docs/MOBILE.md): the checklist an inspection fills in and
the user's worklist of open complaint cases, ordered by the deadline that comes next (DOMAIN.md "Supervision")."""
from __future__ import annotations

import datetime

from django.db.models import Case, DateField, F, When
from django.db.models.expressions import RawSQL
from django.utils import timezone

from ..models import Checklist, Complaint, ComplaintEvent, ComplaintStatus, Estate, StepKind
from ..permissions import VIEW, restrict
from .complaint_list import complaints

WORKLIST_MAX = 60
ESTATES_MAX = 2000  # a district's estates at most; a street has a few hundred
S = ComplaintStatus

# The deadline an open case works towards now: signing, then the reply, then closing (the case's three deadlines).
NEXT_DUE = Case(
    When(status=S.RECEIVED, then=F("sign_due")),
    When(status__in=(S.SIGNED, S.TRANSFERRED), then=F("reply_due")),
    default=F("close_due"), output_field=DateField(),
)


def checklist_data(checklist: Checklist | None) -> dict | None:
    if checklist is None:
        return None
    return {"id": checklist.pk, "name": checklist.name,
            "items": [{"id": item.pk, "name": item.name, "max_score": item.max_score, "guidance": item.guidance}
                      for item in checklist.items.all()]}


def inspectable_estates(user, *, limit: int = ESTATES_MAX) -> list[dict]:
    """The estates in the user's scope with a point inside each (lon, lat): the phone sorts them by distance, with
    or without signal."""
    rows = (restrict(Estate.objects.all(), user, VIEW)
            .annotate(point=RawSQL("ST_AsText(ST_Transform(ST_PointOnSurface(layers_estate.geom), 4326))", ()))
            .order_by("name", "pk").values("pk", "name", "point")[:limit])
    estates = []
    for row in rows:
        x, y = row["point"][row["point"].index("(") + 1:row["point"].index(")")].split()
        estates.append({"id": row["pk"], "name": row["name"], "at": [round(float(x), 6), round(float(y), 6)]})
    return estates


def open_cases(user, *, limit: int = WORKLIST_MAX) -> list[Complaint]:
    """The open cases in the user's scope (permissions.restrict: a community's or street's area, an enterprise's own
    cases), the next deadline first."""
    return list(complaints(user=user).exclude(status=S.CLOSED).annotate(next_due=NEXT_DUE)
                .order_by("next_due", "received_at", "pk")[:limit])


def last_replies(cases: list[Complaint]) -> dict[int, str]:
    """The latest reply's text per case (what staff check on site and read to the resident), in one query."""
    rows = (ComplaintEvent.objects.filter(complaint__in=[c.pk for c in cases], kind=StepKind.REPLIED)
            .order_by("complaint_id", "-created_at", "-id").distinct("complaint_id").values_list("complaint_id", "note"))
    return dict(rows)


def case_row(case: Complaint, *, steps: list[str], reply: str, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    return {
        "id": case.pk, "order_no": case.order_no or "", "words": case.caller_words,
        "address": case.address_text, "category": case.category.name,
        "estate": case.estate.name if case.estate else "",
        "status": case.status, "status_label": case.get_status_display(), "level_label": case.get_level_display(),
        "rating": case.rating, "due": case.next_due.isoformat(), "overdue": case.next_due < today,
        "steps": steps, "reply": reply,
    }
