"""Detail pages of single objects: estate, building, management area (the enterprise's: views/enterprises.py)."""
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from ..selectors import map as selectors


def _detail_page(request, kind: str, pk: int):
    context = selectors.DETAILS[kind](pk=pk, user=request.user)
    if context is None:
        raise Http404(f"no {kind} {pk}")
    context["back_to_map"] = f"{reverse('map')}?focus={kind}:{pk}"
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
    return _detail_page(request, "management_area", pk)

