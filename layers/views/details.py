"""Detail pages of single objects: estate, building, management area (the enterprise's: views/enterprises.py)."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from ..models import Inspection
from ..permissions import ADD, may
from ..refusals import NotFound
from ..selectors import areas as area_selectors
from ..selectors import inspections as inspection_selectors
from ..selectors import map as selectors

KINDS = {"estate": gettext_lazy("estate"), "building": gettext_lazy("building"),
         "management_area": gettext_lazy("management area")}


def _detail_page(request, kind: str, pk: int):
    context = selectors.DETAILS[kind](pk=pk, user=request.user)
    if context is None:
        raise NotFound(_("There is no such %(kind)s, or it is outside what you may see.") % {"kind": KINDS[kind]})
    context["back_to_map"] = f"{reverse('map')}?focus={kind}:{pk}"
    if kind == "estate":
        # The estate's last daily inspections (DOMAIN.md "Supervision"), where its state may be shown.
        context["inspections"] = (inspection_selectors.estate_last_inspections(request.user, pk)
                                  if context.get("state_shown") else [])
        context["can_inspect"] = context.get("state_shown") and may(request.user, Inspection, ADD)
    return render(request, f"layers/{kind}_detail.html", context)


@require_safe
@login_required
def estate_detail(request, pk):
    return _detail_page(request, "estate", pk)


@require_safe
@login_required
def building_detail(request, pk):
    return _detail_page(request, "building", pk)


@require_safe
@login_required
def management_area_detail(request, pk):
    # An area removed by a merge (rule 1 keeps one area per place): its history page says it was merged into the
    # surviving area, links that area and lists this one's versions.
    if area_selectors.management_area_merged_into(pk=pk, user=request.user) is not None:
        return redirect("management-area-history", pk=pk)
    return _detail_page(request, "management_area", pk)


@require_safe
@login_required
def management_area_history(request, pk):
    """Every version of a management area, also once it was merged into another or deleted."""
    context = area_selectors.management_area_history_page(pk=pk, user=request.user)
    if context is None:
        raise NotFound(_("There is no such %(kind)s, or it is outside what you may see.")
                       % {"kind": KINDS["management_area"]})
    context["back_to_map"] = reverse("map") + (f"?focus=management_area:{pk}" if context["area"] else "")
    return render(request, "layers/management_area_history.html", context)

