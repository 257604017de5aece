"""The complaints a user may see, filtered for the complaints page and GET /api/complaints/ (DOMAIN.md
"Supervision"): status, category, channel, overdue, received between two dates, street, "to confirm"."""
from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from ..models import Complaint
from ..permissions import VIEW, restrict

PER_PAGE = 50


def overdue_q(today: datetime.date) -> Q:
    """Past a deadline not yet met: not signed for by sign_due, not replied by reply_due, not closed by close_due."""
    return (Q(signed_at__isnull=True, sign_due__lt=today) | Q(replied_at__isnull=True, reply_due__lt=today)
            | Q(closed_at__isnull=True, close_due__lt=today))


def complaints(*, user, status: str | None = None, category: int | None = None, channel: str | None = None,
               overdue: bool | None = None, date_from: datetime.date | None = None,
               date_to: datetime.date | None = None, street: int | None = None,
               to_confirm: bool | None = None) -> QuerySet[Complaint]:
    """The user's complaints (restrict), newest first, with what the list shows."""
    queryset = restrict(Complaint.objects.all(), user, VIEW).select_related(
        "category", "estate", "street", "community", "enterprise", "district")
    if status:
        queryset = queryset.filter(status=status)
    if category:
        queryset = queryset.filter(category_id=category)
    if channel:
        queryset = queryset.filter(channel=channel)
    if overdue is not None:
        test = overdue_q(timezone.localdate())
        queryset = queryset.filter(test) if overdue else queryset.exclude(test)
    if date_from:
        queryset = queryset.filter(received_at__date__gte=date_from)
    if date_to:
        queryset = queryset.filter(received_at__date__lte=date_to)
    if street:
        queryset = queryset.filter(street_id=street)
    if to_confirm is not None:
        queryset = queryset.filter(estate__isnull=to_confirm)
    return queryset.order_by("-received_at", "-pk")


def complaint_data(complaint: Complaint, today: datetime.date | None = None) -> dict:
    """One row of the list (and the API's answer)."""
    today = today or timezone.localdate()
    c = complaint
    overdue = ((c.signed_at is None and c.sign_due < today) or (c.replied_at is None and c.reply_due < today)
               or (c.closed_at is None and c.close_due < today))
    return {
        "id": c.pk, "order_no": c.order_no, "channel": c.channel, "channel_label": c.get_channel_display(),
        "received_at": timezone.localtime(c.received_at).isoformat(), "caller_words": c.caller_words,
        "address_text": c.address_text, "hotline_category": c.hotline_category,
        "category": {"id": c.category_id, "code": c.category.code, "name": c.category.name},
        "status": c.status, "status_label": c.get_status_display(), "level": c.level,
        "district": {"id": c.district_id, "name": c.district.name},
        "street": None if c.street is None else {"id": c.street_id, "name": c.street.name},
        "community": None if c.community is None else {"id": c.community_id, "name": c.community.name},
        "estate": None if c.estate is None else {"id": c.estate_id, "code": c.estate.code, "name": c.estate.name},
        "building_id": c.building_id, "match_confidence": c.match_confidence,
        "enterprise": None if c.enterprise is None else {"id": c.enterprise_id, "name": c.enterprise.name},
        "department": c.department, "sign_due": c.sign_due.isoformat(), "reply_due": c.reply_due.isoformat(),
        "close_due": c.close_due.isoformat(), "overdue": overdue, "to_confirm": c.estate_id is None,
        "links": {"case": f"/complaints/{c.pk}/"},
    }
