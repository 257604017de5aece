"""The enterprise register pages (/enterprises/): the searchable list, the create and edit forms, and the enterprise's
page with its evaluations, listing decisions and change log, and the planner's forms to evaluate and to list/lift.

Plain HTML forms posting with the CSRF token, read by Django forms (layers/views/forms.py) that the API's serializers
check; every write goes through services.enterprises, every read through layers.selectors (enterprises, map), so the
pages, the JSON API and the admin answer to the same rules, with the same messages next to the field.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ..models import CreditEvaluation, CreditGrade, Enterprise, EnterpriseListing, ListStatus
from ..params import page_param
from ..permissions import ADD, CHANGE, VIEW, may, require
from ..selectors import enterprises as register
from ..selectors import map as selectors
from ..services import enterprises as svc
from .forms import EnterpriseEditForm, EnterpriseForm, EvaluationForm, ListingForm

PER_PAGE = 50


# --- the list ---------------------------------------------------------------------------------------------------

@require_safe
@login_required
def enterprise_list(request):
    require(request.user, Enterprise, VIEW)
    q = request.GET.get("q", "").strip()
    status = request.GET.get("list_status", "")
    if status not in ListStatus.values:
        status = ""
    page = Paginator(register.enterprises(q=q, list_status=status), PER_PAGE).get_page(page_param(request.GET.get("page")))
    counts = register.status_counts()
    query = "&".join(f"{k}={v}" for k, v in (("q", q), ("list_status", status)) if v)
    return render(request, "layers/enterprise_list.html", {
        "title": _("Enterprise register"),
        "page": page,
        "q": q,
        "list_status": status,
        "statuses": [{"value": v, "label": label, "count": counts[v]} for v, label in ListStatus.choices],
        "total": sum(counts.values()),
        "query": query,
        "can_add": may(request.user, Enterprise, ADD),
    })


# --- create and edit --------------------------------------------------------------------------------------------

def _form_page(request, *, enterprise: Enterprise | None, form, status: int = 200):
    return render(request, "layers/enterprise_form.html", {
        "title": _("Change %(name)s") % {"name": enterprise.name} if enterprise else _("Register an enterprise"),
        "enterprise": enterprise,
        "form": form,
        "grades": CreditGrade.choices,
        "today": timezone.localdate().isoformat(),
    }, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def enterprise_create(request):
    require(request.user, Enterprise, ADD)
    if request.method == "GET":
        return _form_page(request, enterprise=None, form=EnterpriseForm(initial={"credit_grade": CreditGrade.A}))
    form = EnterpriseForm(request.POST)
    if form.is_valid():
        try:
            enterprise = svc.enterprise_create(user=request.user, **form.validated)
        except svc.RegisterInvalid as exc:
            form.refuse(exc, "name")
        else:
            messages.success(request, _("%(name)s is registered.") % {"name": enterprise.name})
            return redirect(reverse("enterprise-detail", args=[enterprise.pk]))
    return _form_page(request, enterprise=None, form=form, status=400)


@require_http_methods(["GET", "POST"])
@login_required
def enterprise_edit(request, pk):
    require(request.user, Enterprise, CHANGE)
    enterprise = Enterprise.objects.filter(pk=pk).first()
    if enterprise is None:
        raise Http404(_("No enterprise with id %(id)s.") % {"id": pk})
    if request.method == "GET":
        initial = {name: getattr(enterprise, name) or "" for name in EnterpriseEditForm.base_fields if name != "reason"}
        initial["filed_on"] = enterprise.filed_on.isoformat() if enterprise.filed_on else ""
        return _form_page(request, enterprise=enterprise, form=EnterpriseEditForm(initial=initial))
    form = EnterpriseEditForm(request.POST)
    if form.is_valid():
        try:
            svc.enterprise_update(user=request.user, enterprise_id=pk, **form.validated)
        except svc.RegisterInvalid as exc:
            form.refuse(exc, "name")
        else:
            messages.success(request, _("The changes are saved."))
            return redirect(reverse("enterprise-detail", args=[pk]))
    return _form_page(request, enterprise=enterprise, form=form, status=400)


# --- the enterprise's page --------------------------------------------------------------------------------------

def _detail_page(request, pk: int, *, evaluation_form: EvaluationForm | None = None,
                 listing_form: ListingForm | None = None, status: int = 200):
    require(request.user, Enterprise, VIEW)
    context = selectors.enterprise_detail(pk=pk, user=request.user)
    if context is None:
        raise Http404(_("No enterprise with id %(id)s.") % {"id": pk})
    enterprise = context["object"]
    today = timezone.localdate()
    context.update(register.register_detail(enterprise=enterprise, user=request.user))
    # The form suggests last year while it has no evaluation (the usual case early in a year), else nothing.
    next_year = "" if any(e.year == today.year - 1 for e in context["evaluations"]) else today.year - 1
    context.update({
        "back_to_map": f"{reverse('map')}?focus=enterprise:{pk}",
        "can_edit": may(request.user, Enterprise, CHANGE),
        "can_evaluate": may(request.user, CreditEvaluation, ADD),
        "can_list": may(request.user, EnterpriseListing, ADD),
        "grades": CreditGrade.choices,
        "statuses": ListStatus.choices,
        "today": today.isoformat(),
        "last_year": today.year - 1,
        "evaluation_form": evaluation_form or EvaluationForm(initial={"year": next_year}),
        "listing_form": listing_form or ListingForm(initial={"listed_on": today.isoformat()}),
    })
    return render(request, "layers/enterprise_detail.html", context, status=status)


@require_safe
@login_required
def enterprise_detail(request, pk):
    return _detail_page(request, pk)


@require_POST
@login_required
def enterprise_evaluation_submit(request, pk):
    """The page's evaluation form: back to the page with a message, or the page again with the reason (400)."""
    if not may(request.user, CreditEvaluation, ADD):
        raise PermissionDenied(_("Your role may not record credit evaluations."))
    form = EvaluationForm(request.POST)
    evaluation = None
    if form.is_valid():
        try:
            evaluation = svc.evaluation_record(user=request.user, enterprise_id=pk, **form.validated)
        except svc.RegisterInvalid as exc:
            form.refuse(exc, "year")
    if evaluation is None:
        return _detail_page(request, pk, evaluation_form=form, status=400)
    enterprise = evaluation.enterprise
    messages.success(request, _("The evaluation of %(year)d is recorded.") % {"year": evaluation.year})
    if enterprise.list_status == ListStatus.BLACK and enterprise.list_status_since:
        messages.warning(request, _("%(name)s is on the black list since %(since)s: it gets no new assignment.")
                         % {"name": enterprise.name, "since": enterprise.list_status_since.isoformat()})
    return redirect(reverse("enterprise-detail", args=[pk]) + "#register-evaluations")


@require_POST
@login_required
def enterprise_listing_submit(request, pk):
    """The page's list/lift form: back to the page with a message, or the page again with the reason (400)."""
    if not may(request.user, EnterpriseListing, ADD):
        raise PermissionDenied(_("Your role may not change list statuses."))
    form = ListingForm(request.POST)
    listing = None
    if form.is_valid():
        form.validated.setdefault("listed_on", timezone.localdate())
        try:
            listing = svc.listing_set(user=request.user, enterprise_id=pk, **form.validated)
        except svc.RegisterInvalid as exc:
            form.refuse(exc, "status")
    if listing is None:
        return _detail_page(request, pk, listing_form=form, status=400)
    messages.success(request, _("%(name)s: %(status)s from %(date)s.") % {
        "name": listing.enterprise.name, "status": listing.get_status_display(), "date": listing.listed_on.isoformat()})
    return redirect(reverse("enterprise-detail", args=[pk]) + "#register-listings")
