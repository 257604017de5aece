"""The complaints page (/complaints/): the complaints of the user's scope with filters, the "to confirm" list where a
person picks the estate of an unmatched address, the entry form, and the hotline import (docs/COMPLAINTS.md
"Intake"). The list, the form and the import talk to /api/complaints/; picking an estate posts a plain form here."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from ..models import AdminArea, AdminLevel, Channel, Complaint, ComplaintCategory, ComplaintStatus
from ..params import number_param
from ..permissions import ADD, CHANGE, VIEW, may, require, restrict
from ..services.complaints import complaint_confirm_estate
from .map import picker_config

ENTRY_CHANNELS = (Channel.VISIT, Channel.MEDIA, Channel.ONLINE, Channel.STAFF)


def page_strings() -> dict:
    return {
        "empty": _("No complaints match."), "loading": _("Loading…"), "case": _("Open the case"),
        "overdue": _("Overdue"), "toConfirm": _("To confirm"), "noEstate": _("No estate yet"),
        "find": _("Find the estate"), "noCandidates": _("No estate fits this address; try other words."),
        "pick": _("Pick"), "picked": _("Estate: %(name)s"), "confirm": _("Confirm this estate"),
        "created": _("Complaint taken in: %(no)s"), "confidence": _("confidence %(value)s"),
        "page": _("Page %(page)s of %(pages)s, %(count)s complaints"), "previous": _("Previous"), "next": _("Next"),
        "dryRunDone": _("Dry run: %(add)s to add (%(confirm)s to confirm), %(existing)s already there, "
                        "%(errors)s errors."),
        "committed": _("Imported: %(added)s work orders added, %(existing)s already there."),
        "jobStarted": _("The file is large: the import runs in the background."), "jobs": _("Follow it in Jobs"),
        "statusLabels": {"new": _("Matched"), "to_confirm": _("To confirm"), "existing": _("Already there"),
                         "duplicate": _("Duplicate"), "error": _("Error")},
        "picker": {"tapHint": _("Tap an estate on the map to pick it (blue: your jurisdiction)."),
                   "zoomIn": _("Zoom in to see the estates."),
                   "outside": _("This estate is outside your jurisdiction: pick one of your own (blue)."),
                   "loading": _("Loading…")},
        "pickOnMap": _("Pick on the map"), "pickingFor": _("Picking the estate of %(no)s: tap it on the map."),
        "confirmPick": _("Confirm: %(no)s belongs to %(name)s"),
        "columns": {"row": _("Row"), "order": _("Order no."), "status": _("Import result"), "estate": _("Estate"),
                    "confidence": _("Confidence"), "category": _("Category"), "errors": _("Errors")},
        "listColumns": {"received": _("Received"), "order": _("Order no."), "channel": _("Channel"),
                        "words": _("Complaint"), "category": _("Category"), "estate": _("Estate"),
                        "street": _("Street"), "status": _("Status"), "due": _("Close by")},
    }


@require_safe
@login_required
def complaint_list(request):
    user = request.user
    require(user, Complaint, VIEW)
    categories = restrict(ComplaintCategory.objects.filter(active=True), user, VIEW).order_by("district", "code")
    streets = restrict(AdminArea.objects.filter(level=AdminLevel.STREET), user, VIEW).order_by("code")
    config = {
        "urls": {"complaints": reverse("api:complaint-list"), "import": reverse("api:complaint-import"),
                 "addressMatch": reverse("api:address-match"), "confirm": reverse("complaint-confirm"),
                 "jobs": reverse("job-list")},
        "strings": page_strings(),
        "tab": request.GET.get("tab") or "list",
        "canAdd": may(user, Complaint, ADD), "canConfirm": may(user, Complaint, CHANGE) and may(user, Complaint, ADD),
    }
    if config["canAdd"] or config["canConfirm"]:
        # The map where the estate is tapped (the "to confirm" list and the entry form).
        config["picker"] = {**picker_config(request), "strings": config["strings"]["picker"]}
    return render(request, "complaints.html", {
        "config": config, "statuses": ComplaintStatus.choices, "channels": Channel.choices,
        "entry_channels": [(c.value, c.label) for c in ENTRY_CHANNELS],
        "categories": [(c.pk, c.name) for c in categories], "streets": [(s.pk, s.name) for s in streets],
        "can_add": config["canAdd"], "can_confirm": config["canConfirm"],
    })


@require_POST
@login_required
def complaint_confirm(request):
    """A person picked the estate of a case in the "to confirm" list."""
    complaint_id = number_param(request.POST.get("complaint"), "complaint", integer=True, minimum=1)
    estate_id = number_param(request.POST.get("estate"), "estate", integer=True, minimum=1)
    complaint = complaint_confirm_estate(user=request.user, complaint_id=complaint_id, estate_id=estate_id)
    messages.success(request, _("%(case)s now belongs to %(estate)s.")
                     % {"case": complaint.order_no or f"#{complaint.pk}", "estate": complaint.estate.name})
    return redirect(f"{reverse('complaint-list')}?tab=confirm")
