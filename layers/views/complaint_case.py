"""The complaint case page (/complaints/<id>/): the case, its estate on a small map, the timeline of steps with
attachments, its deadlines (overdue in red) and a form for each step the user may take now (docs/COMPLAINTS.md).

Plain HTML forms posting to the same address with the CSRF token; every write goes through
services.complaint_steps and every read through selectors, so the page and /api/complaints/<id>/steps/ answer to the
same rules.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from ..models import Estate, Rating, StepKind
from ..params import date_param
from ..refusals import Invalid, Refusal
from ..selectors import complaint_case as selectors
from ..selectors.map import geometry_geojson
from ..services.complaint_steps import complaint_step, steps_allowed

# The fields each step's form asks for (the service says which are required).
STEP_FIELDS = {
    StepKind.SIGNED: ("note",),
    StepKind.TRANSFERRED: ("department", "note"),
    StepKind.ESCALATED: ("note",),
    StepKind.REPLIED: ("note", "attachments"),
    StepKind.CHECKED: ("note", "attachments"),
    StepKind.RATED: ("rating", "note"),
    StepKind.CLOSED: ("note",),
    StepKind.REOPENED: ("note",),
    StepKind.JOINT_MEETING: ("agenda",),
    StepKind.DECIDED: ("meeting_on", "decision"),
    StepKind.NOTE: ("note", "attachments"),
}

# What each step's button says (the timeline names the step done: StepKind's labels).
STEP_ACTIONS = {
    StepKind.SIGNED: gettext_lazy("Sign for the case"),
    StepKind.TRANSFERRED: gettext_lazy("Transfer to a department"),
    StepKind.ESCALATED: gettext_lazy("Escalate to the next level"),
    StepKind.REPLIED: gettext_lazy("Record the reply"),
    StepKind.CHECKED: gettext_lazy("Check the reply"),
    StepKind.RATED: gettext_lazy("Record the resident's rating"),
    StepKind.CLOSED: gettext_lazy("Close the case"),
    StepKind.REOPENED: gettext_lazy("Reopen (once)"),
    StepKind.JOINT_MEETING: gettext_lazy("Send to the joint meeting"),
    StepKind.DECIDED: gettext_lazy("Record the meeting's decision"),
    StepKind.NOTE: gettext_lazy("Add a note"),
}


def _take_step(request, pk):
    post = request.POST
    try:
        meeting_on = date_param((post.get("meeting_on") or "").strip() or None, default=None)
    except ValueError:
        raise Invalid(_("The meeting date must be a date as YYYY-MM-DD."), field="meeting_on") from None
    event = complaint_step(user=request.user, complaint_id=pk, kind=post.get("kind", ""), note=post.get("note", ""),
                           department=post.get("department", ""), rating=post.get("rating", ""),
                           agenda=post.get("agenda", ""), meeting_on=meeting_on, decision=post.get("decision", ""),
                           attachments=request.FILES.getlist("attachments"))
    messages.success(request, _("Recorded: %(step)s.") % {"step": event.get_kind_display()})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def complaint_case(request, pk):
    complaint = selectors.complaint_get(user=request.user, pk=pk)
    if request.method == "POST":
        try:
            _take_step(request, pk)
        except Refusal as refusal:
            if refusal.status in (403, 404):
                raise  # a role or a case the page would not offer the step to: the refusal page
            messages.error(request, refusal.message)
        return redirect(reverse("complaint-case", args=[pk]))
    allowed = steps_allowed(request.user, complaint)
    overdue = selectors.overdue_deadlines(complaint)
    context = {
        "title": _("Complaint no. %(id)d") % {"id": complaint.pk}
        + (f" · {complaint.order_no}" if complaint.order_no else ""),
        "complaint": complaint,
        "events": selectors.complaint_events(complaint),
        "joint_meeting": selectors.joint_meeting_of(complaint),
        "deadlines": [(_("Sign for by"), complaint.sign_due, overdue["sign_due"]),
                      (_("Reply by"), complaint.reply_due, overdue["reply_due"]),
                      (_("Close by"), complaint.close_due, overdue["close_due"])],
        "forms": [{"kind": kind, "label": STEP_ACTIONS[kind], "fields": STEP_FIELDS[kind]} for kind in allowed],
        "ratings": Rating.choices,
        "geojson": geometry_geojson(table=Estate._meta.db_table, pk=complaint.estate_id)
        if complaint.estate_id else None,
    }
    return render(request, "complaints/case.html", context)


@require_safe
@login_required
def complaint_attachment(request, pk):
    """An attachment, only for users who may see its case (uploads are never served from MEDIA_URL)."""
    attachment = selectors.attachment_get(user=request.user, pk=pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The attachment's file is missing.")) from None
    response = FileResponse(handle, content_type=attachment.content_type, filename=attachment.name,
                            as_attachment=not attachment.content_type.startswith("image/"))
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response
