"""Reads of one complaint case: the case, its timeline of steps with attachments, its deadlines and what is overdue
(DOMAIN.md "Supervision")."""
from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Complaint, ComplaintAttachment, ComplaintEvent, JointMeetingItem
from ..permissions import VIEW, get_restricted, restrict
from ..refusals import NotFound
from .abandonment import when_where


def complaint_get(*, user, pk: int) -> Complaint:
    """One case in the user's scope (404 outside it)."""
    return get_restricted(
        Complaint.objects.select_related("category", "district", "street", "community", "estate", "building",
                                         "enterprise"), user, VIEW, pk=pk)


def complaint_events(complaint: Complaint) -> list[ComplaintEvent]:
    return list(complaint.events.select_related("user").prefetch_related("attachments").order_by("created_at", "id"))


def attachment_get(*, user, pk: int) -> ComplaintAttachment:
    """One attachment of a case in the user's scope (404 otherwise)."""
    cases = restrict(Complaint.objects.all(), user, VIEW)
    row = ComplaintAttachment.objects.select_related("event").filter(pk=pk, event__complaint__in=cases).first()
    if row is None:
        raise NotFound(_("No attachment with that id in your jurisdiction."))
    return row


def overdue_deadlines(complaint: Complaint, today: datetime.date | None = None) -> dict[str, bool]:
    """Which of the case's deadlines have passed without the step they are for."""
    today = today or timezone.localdate()
    return {"sign_due": complaint.signed_at is None and today > complaint.sign_due,
            "reply_due": complaint.replied_at is None and today > complaint.reply_due,
            "close_due": complaint.closed_at is None and today > complaint.close_due}


def event_data(event: ComplaintEvent) -> dict:
    return {
        "id": event.pk, "kind": event.kind, "kind_label": event.get_kind_display(),
        "from_status": event.from_status, "to_status": event.to_status, "level": event.level,
        "note": event.note, "user": event.user.get_username() if event.user else None,
        "created_at": event.created_at.isoformat(),
        "attachments": [{"id": a.pk, "name": a.name, "content_type": a.content_type, "size": a.size,
                         "url": reverse("complaint-attachment", args=[a.pk]), **when_where(a)}
                        for a in event.attachments.all()],
    }


def joint_meeting_of(complaint: Complaint) -> JointMeetingItem | None:
    return JointMeetingItem.objects.filter(complaint=complaint).first()


def complaint_data(complaint: Complaint, *, user, steps: list[str]) -> dict:
    """The case as the API gives it: the case, its deadlines (and which have passed), its timeline, its joint
    meeting item and the steps this user may take now."""
    item = joint_meeting_of(complaint)
    return {
        "id": complaint.pk, "order_no": complaint.order_no, "channel": complaint.channel,
        "received_at": complaint.received_at.isoformat(), "caller_words": complaint.caller_words,
        "address_text": complaint.address_text,
        "category": {"id": complaint.category_id, "code": complaint.category.code, "name": complaint.category.name},
        "district": complaint.district.name, "street": complaint.street.name if complaint.street else None,
        "community": complaint.community.name if complaint.community else None,
        "estate": {"id": complaint.estate_id, "name": complaint.estate.name} if complaint.estate else None,
        "enterprise": complaint.enterprise.name if complaint.enterprise else None,
        "provider_kind": complaint.provider_kind, "department": complaint.department,
        "level": complaint.level, "status": complaint.status, "rating": complaint.rating,
        "reopened": complaint.reopened, "at_joint_meeting": complaint.at_joint_meeting,
        "sign_due": complaint.sign_due.isoformat(), "reply_due": complaint.reply_due.isoformat(),
        "close_due": complaint.close_due.isoformat(), "overdue": overdue_deadlines(complaint),
        "location": list(complaint.location.coords) if complaint.location else None,
        "joint_meeting": None if item is None else {
            "agenda": item.agenda, "meeting_on": item.meeting_on.isoformat() if item.meeting_on else None,
            "decision": item.decision},
        "steps_allowed": steps,
        "events": [event_data(e) for e in complaint_events(complaint)],
    }
