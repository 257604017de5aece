"""The district's routing table (/complaints/routing/) and the working-day calendar (/complaints/calendar/): read by
every role that sees complaints, edited by planners (docs/COMPLAINTS.md "Deadlines and escalation")."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ..models import CalendarDay, ComplaintCategory, Responsible
from ..params import date_param
from ..permissions import CHANGE, district_of, may
from ..refusals import Invalid, Refusal
from ..selectors.complaints import routing_table
from ..services.complaint_steps import calendar_day_delete, calendar_day_save, category_update
from ..services.complaints import ensure_default_categories


def _whole(value, field) -> int:
    try:
        return int((value or "").strip())
    except ValueError:
        raise Invalid(_("%(field)s must be a whole number.") % {"field": field}, field=field) from None


def _refused(request, refusal: Refusal):
    if refusal.status in (403, 404):
        raise refusal
    messages.error(request, refusal.message)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def routing_page(request):
    district = district_of(request.user)
    if district is not None:
        ensure_default_categories(district)
    if request.method == "POST":
        post = request.POST
        try:
            category_update(user=request.user, category_id=_whole(post.get("id"), "id"),
                            responsible=post.get("responsible", ""), department=post.get("department", ""),
                            keywords=post.get("keywords", ""), sign_days=_whole(post.get("sign_days"), "sign_days"),
                            reply_days=_whole(post.get("reply_days"), "reply_days"),
                            close_days=_whole(post.get("close_days"), "close_days"), active=bool(post.get("active")))
            messages.success(request, _("The routing table is saved."))
        except Refusal as refusal:
            _refused(request, refusal)
        return redirect(reverse("complaint-routing"))
    categories = routing_table(district) if district is not None else ComplaintCategory.objects.none()
    return render(request, "complaints/routing.html", {
        "title": _("Complaint routing table"), "district": district, "categories": categories,
        "responsibles": Responsible.choices, "editable": may(request.user, ComplaintCategory, CHANGE)})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def calendar_page(request):
    if request.method == "POST":
        post = request.POST
        try:
            try:
                day = date_param((post.get("date") or "").strip() or None, default=None)
            except ValueError:
                day = None
            if day is None:
                raise Invalid(_("Give the date as YYYY-MM-DD."), field="date")
            if post.get("delete"):
                calendar_day_delete(user=request.user, date=day)
            else:
                calendar_day_save(user=request.user, date=day, working=post.get("working") == "1",
                                  name=post.get("name", ""))
            messages.success(request, _("The calendar is saved."))
        except Refusal as refusal:
            _refused(request, refusal)
        return redirect(reverse("complaint-calendar"))
    return render(request, "complaints/calendar.html", {
        "title": _("Working-day calendar"), "days": CalendarDay.objects.order_by("-date")[:400],
        "editable": may(request.user, CalendarDay, CHANGE)})
