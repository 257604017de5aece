"""The audit-log page (/audit/): administrators read the log, filtered by kind, user and dates, 100 lines a page."""
import datetime
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from ..models import AuditEvent, AuditKind
from ..params import date_param, number_param
from ..permissions import VIEW, require

PER_PAGE = 100


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@require_safe
@login_required
def audit_log_page(request):
    require(request.user, AuditEvent, VIEW)
    kind = request.GET.get("kind", "")
    kind = kind if kind in AuditKind.values else ""
    username = request.GET.get("user", "").strip()
    errors, dates = [], {}
    for name in ("from", "to"):
        try:
            dates[name] = date_param(request.GET.get(name, "").strip(), default=None)
        except ValueError:
            errors.append(_("“%(value)s” is not a date: enter it as YYYY-MM-DD.") % {"value": request.GET[name]})
            dates[name] = None
    events = AuditEvent.objects.all()
    if kind:
        events = events.filter(kind=kind)
    if username:
        events = events.filter(username=username)
    if dates["from"]:
        events = events.filter(time__gte=_day_start(dates["from"]))
    if dates["to"]:
        events = events.filter(time__lt=_day_start(dates["to"] + datetime.timedelta(days=1)))
    # The log only grows: counting it all for "page n of m" would cost a scan per view, so the pager knows only
    # whether a next page exists.
    page_number = max(1, number_param(request.GET.get("page"), "page", integer=True, default=1))
    offset = (page_number - 1) * PER_PAGE
    rows = list(events.order_by("-time", "-id")[offset:offset + PER_PAGE + 1])
    query = urlencode({k: v for k, v in (("kind", kind), ("user", username), ("from", request.GET.get("from", "")),
                                         ("to", request.GET.get("to", ""))) if v})
    return render(request, "audit_log.html", {
        "title": _("Audit log"),
        "events": rows[:PER_PAGE],
        "page_number": page_number,
        "has_next": len(rows) > PER_PAGE,
        "query": query,
        "kinds": AuditKind.choices,
        "kind": kind,
        "username": username,
        "date_from": request.GET.get("from", ""),
        "date_to": request.GET.get("to", ""),
        "errors": errors,
    })
