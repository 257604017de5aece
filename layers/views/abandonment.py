"""The abandoned-buildings page (/abandonment/): reports in the user's scope, a report form, district decisions; photos.

Plain HTML forms posting with the CSRF token, read by Django forms (layers/views/forms.py) that the API's serializers
check; every write goes through services.abandonment, every read through selectors, so the page, the JSON API and the
admin answer to the same rules.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from ..models import AbandonmentReason, AbandonmentReport, Building, ReportState
from ..params import page_param
from ..permissions import ADD, CHANGE, VIEW, may, restrict, street_of
from ..selectors import abandonment as selectors
from ..services.abandonment import ReportInvalid, abandonment_report_create, abandonment_report_transition
from .forms import DecisionForm, ReportForm

# Badge colours follow the map's building styles (views/map.py ABANDONMENT_COLOURS), lightened for text.
STATE_BADGES = {
    ReportState.REPORTED: "reported",
    ReportState.VERIFIED: "verified",
    ReportState.UNDER_CARETAKER: "under-caretaker",
    ReportState.RESOLVED: "resolved",
    ReportState.REJECTED: "rejected",
}
# How the planner's buttons read, per target state (the state names alone read oddly on a button).
TRANSITION_LABELS = {
    ReportState.VERIFIED: gettext_lazy("Confirm abandoned"),
    ReportState.REJECTED: gettext_lazy("Reject"),
    ReportState.UNDER_CARETAKER: gettext_lazy("Caretaker assigned"),
    ReportState.RESOLVED: gettext_lazy("Mark resolved"),
}


def _state_filter(value: str | None) -> str:
    return value if value in ReportState.values else ""


def _form_building(user, value: str | None) -> Building | None:
    """The building a report form is about (by id from the map link, or by code typed in), if in the user's scope."""
    if not value:
        return None
    buildings = restrict(Building.objects.select_related("estate"), user, VIEW)
    value = value.strip()
    if value.isdigit():
        return buildings.filter(pk=int(value)).first()
    return buildings.filter(code__iexact=value).first()


REPORTS_PER_PAGE = 50


def _page(request, *, form: ReportForm | None = None, status: int = 200):
    user = request.user
    state = _state_filter(request.GET.get("state"))
    page = Paginator(selectors.abandonment_reports(user=user, state=state or None), REPORTS_PER_PAGE).get_page(
        page_param(request.GET.get("page"))
    )
    reports = list(page.object_list)
    counts = selectors.abandonment_state_counts(user=user)
    rows = [
        {
            "report": r,
            "data": selectors.abandonment_report_data(report=r, user=user),
            "badge": STATE_BADGES[r.state],
            "map_url": f"{reverse('map')}?focus=building:{r.building_id}",
        }
        for r in reports
    ]
    for row in rows:
        events = row["data"]["events"]
        row["last_note"] = events[-1]["note"] if len(events) > 1 else ""  # the district's latest word, if any
        row["actions"] = [
            {"to": to, "label": TRANSITION_LABELS[to], "danger": to == ReportState.REJECTED}
            for to in row["data"]["transitions"]
        ]
    can_report = may(user, AbandonmentReport, ADD)
    if form is None:
        building = _form_building(user, request.GET.get("building"))
        form = ReportForm(initial={"building": building.code if building else ""})
        open_form = building is not None
    else:
        open_form = True
    tabs = [{"value": "", "label": _("All"), "count": sum(counts.values())}] + [
        {"value": value, "label": label, "count": counts[value], "badge": STATE_BADGES[value]}
        for value, label in ReportState.choices
    ]
    context = {
        "title": _("Abandoned buildings"),
        "rows": rows,
        "page": page,
        "tabs": tabs,
        "state": state,
        "street": street_of(user),
        "can_report": can_report,
        "can_decide": may(user, AbandonmentReport, CHANGE),
        "open_form": open_form,
        "form": form,
        "reasons": AbandonmentReason.choices,
        "today": timezone.localdate().isoformat(),
        "photos_max": settings.ABANDONMENT_PHOTOS_MAX,
        "photo_max_mb": f"{settings.ABANDONMENT_PHOTO_MAX_BYTES / 1024 / 1024:g}",
        "list_url": reverse("abandonment") + (f"?state={state}" if state else ""),
    }
    return render(request, "layers/abandonment_list.html", context, status=status)


@require_safe
@login_required
def abandonment_list(request):
    return _page(request)


@require_POST
@login_required
def abandonment_report_submit(request):
    """The page's report form: on success back to the list with a message; on error the form again with the reason."""
    if not may(request.user, AbandonmentReport, ADD):
        raise PermissionDenied(_("Your role may not report abandoned buildings."))
    form = ReportForm(request.POST)
    report = None
    valid = form.is_valid()
    code = form.cleaned_data.get("building", "")
    building = _form_building(request.user, code)
    if not code:
        form.add_error("building", _("Enter the building's code."))
    elif building is None:
        street = street_of(request.user)
        form.add_error("building", (
            _("Building %(code)s is not in your street (%(street)s).") % {"code": code, "street": street.name}
            if street else _("No building with code %(code)s.") % {"code": code}
        ))
    elif valid:
        try:
            report = abandonment_report_create(
                user=request.user, building_id=building.pk, photos=request.FILES.getlist("photos"), **form.validated)
        except ReportInvalid as exc:
            form.refuse(exc, "building")
        except Http404 as exc:
            form.add_error("building", str(exc))
    if report is None:
        return _page(request, form=form, status=400)
    messages.success(
        request,
        _("Report no. %(id)d on %(building)s is saved. The district department will verify it.")
        % {"id": report.pk, "building": building},
    )
    return redirect(reverse("abandonment"))


@require_POST
@login_required
def abandonment_report_decide(request, pk):
    """A planner's button on the page: move report `pk` to `to`, then back to the list the button was on."""
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("abandonment")
    form = DecisionForm(request.POST)
    report = None
    if form.is_valid():
        try:
            report = abandonment_report_transition(user=request.user, report_id=pk, to=form.validated["to"],
                                                   note=form.validated.get("note") or "")
        except ReportInvalid as exc:
            form.refuse(exc)
    if report is None:
        for problems in form.errors.values():
            messages.error(request, " ".join(problems))
    else:
        messages.success(
            request,
            _("Report no. %(id)d on %(building)s is now: %(state)s.")
            % {"id": report.pk, "building": report.building, "state": report.get_state_display()},
        )
    return redirect(back)


@require_safe
@login_required
def abandonment_photo(request, pk):
    """A report's photo, only for users who may see the report (uploads are never served from MEDIA_URL)."""
    photo = selectors.abandonment_photo_get(user=request.user, pk=pk)
    try:
        handle = photo.image.open("rb")
    except FileNotFoundError:
        raise Http404(_("The photo file is missing.")) from None
    response = FileResponse(handle, content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response

