"""The phone app's inspection and complaint tabs (docs/MOBILE.md): the district's checklist and the worklist of open
cases as JSON, kept by the app for use without signal. Writes go through the outbox to the API (POST
/api/inspections/, POST /api/complaints/<id>/steps/), both idempotent by Idempotency-Key."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from ..models import Complaint, Inspection, Rating, StepKind
from ..permissions import ADD, CHANGE, district_of, may, require_mobile
from ..selectors.mobile_tasks import case_row, checklist_data, inspectable_estates, last_replies, open_cases
from ..services.complaint_steps import steps_allowed
from ..services.inspections import PHOTOS_MAX, ensure_default_checklist
from .complaint_case import STEP_ACTIONS

# The steps the phone offers on a case: signing for it, the on-site reply, the staff's check, the resident's rating
# and closing (services.complaint_steps.STEPS decides who may take which, at which status).
PHONE_STEPS = (StepKind.SIGNED, StepKind.REPLIED, StepKind.CHECKED, StepKind.RATED, StepKind.CLOSED)


@login_required
@require_safe
def mobile_checklist(request):
    """The checklist of the user's district in use (a district without one gets the default, as on /inspections/)."""
    require_mobile(request.user, "inspect")
    user = request.user
    can_inspect = may(user, Inspection, ADD)
    district = district_of(user) if can_inspect else None
    checklist = ensure_default_checklist(district) if district is not None else None
    return JsonResponse({"canInspect": can_inspect and checklist is not None, "photosMax": PHOTOS_MAX,
                         "checklist": checklist_data(checklist),
                         "estates": inspectable_estates(user) if checklist is not None else []})


@login_required
@require_safe
def mobile_complaints(request):
    """The user's open cases with their next deadline, the last reply and the phone steps the user may take now."""
    require_mobile(request.user, "complaints")
    user = request.user
    if not may(user, Complaint, CHANGE):
        return JsonResponse({"cases": [], "ratings": []})
    cases = open_cases(user)
    replies = last_replies(cases)
    rows = [case_row(case, steps=[s for s in steps_allowed(user, case) if s in PHONE_STEPS],
                     reply=replies.get(case.pk, "")) for case in cases]
    return JsonResponse({"cases": rows, "ratings": [[value, str(label)] for value, label in Rating.choices]})


def tasks_config(user) -> dict:
    """What the page gives the two tabs' modules (m/inspect.js, m/complaints.js): who may do what, where to send
    it, and their strings."""
    return {
        "canInspect": may(user, Inspection, ADD),
        "canHandle": may(user, Complaint, CHANGE),
        "photosMax": PHOTOS_MAX,
        "ratings": [[value, str(label)] for value, label in Rating.choices],
        "steps": {kind: str(STEP_ACTIONS[kind]) for kind in PHONE_STEPS},  # the buttons, as on the case page
        "urls": {
            "checklist": reverse("mobile-checklist"),
            "complaints": reverse("mobile-complaints"),
            "inspect": reverse("api:inspection-list"),
            "steps": "/api/complaints/{id}/steps/",
        },
        "strings": {
            "inspection": _("Inspection: {name}"),
            "chooseEstate": _("Choose the estate."),
            "noChecklist": _("No checklist on this phone yet: open this tab once with signal."),
            "checklistOf": _("{name}, kept on this phone {at}"),
            "total": _("Total {score} of {max}"),
            "queued": _("Saved in the outbox: {name}."),
            "photosLeft": _("{n} photos"),
            "tooManyPhotos": _("At most {n} photos per inspection."),
            "worklistAt": _("{n} open cases, as of {at}"),
            "worklistNone": _("No open cases."),
            "worklistOffline": _("No list on this phone yet: open this tab once with signal."),
            "due": _("Due {date}"),
            "overdue": _("Overdue since {date}"),
            "lastReply": _("Reply: {text}"),
            "pending": _("In the outbox: {steps}"),
            "writeNote": _("Write the text first."),
            "chooseRating": _("Choose the resident's rating."),
            "send": _("Save step"),
            "cancel": _("Cancel"),
            "conflict": _("Conflict"),
            "metres": _("{m} m"),
        },
    }
