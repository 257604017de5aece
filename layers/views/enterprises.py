"""The enterprise register pages (/enterprises/): the searchable list, the create and edit forms, and the enterprise's
page with its evaluations, listing decisions and change log, and the planner's forms to evaluate and to list/lift.

Plain HTML forms posting with the CSRF token; every write goes through services.enterprises, every read through
layers.selectors (enterprises, map), so the pages, the JSON API and the admin answer to the same rules.
"""
from __future__ import annotations

import datetime

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
from ..params import date_param, page_param
from ..permissions import ADD, CHANGE, VIEW, may, require
from ..selectors import enterprises as register
from ..selectors import map as selectors
from ..services import enterprises as svc

PER_PAGE = 50
FORM_FIELDS = ("name", "credit_code", "credit_grade", "filed_on", "contact_person", "contact_phone", "address")


def _date_or_error(value: str, field: str, errors: dict, *, required: bool) -> datetime.date | None:
    value = (value or "").strip()
    if not value:
        if required:
            errors[field] = _("Enter a date.")
        return None
    try:
        return date_param(value, default=None)
    except ValueError:
        errors[field] = _("Enter the date as YYYY-MM-DD.")
        return None


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

def _form_page(request, *, enterprise: Enterprise | None, form: dict, errors: dict, status: int = 200):
    return render(request, "layers/enterprise_form.html", {
        "title": _("Change %(name)s") % {"name": enterprise.name} if enterprise else _("Register an enterprise"),
        "enterprise": enterprise,
        "form": form,
        "errors": errors,
        "grades": CreditGrade.choices,
        "today": timezone.localdate().isoformat(),
    }, status=status)


def _posted_fields(request, errors: dict, *, with_grade: bool) -> dict:
    fields = {name: request.POST.get(name, "").strip() for name in FORM_FIELDS if name != "filed_on"}
    if not with_grade:
        fields.pop("credit_grade")
    fields["filed_on"] = _date_or_error(request.POST.get("filed_on", ""), "filed_on", errors, required=False)
    return fields


@require_http_methods(["GET", "POST"])
@login_required
def enterprise_create(request):
    require(request.user, Enterprise, ADD)
    if request.method == "GET":
        return _form_page(request, enterprise=None, form={"credit_grade": CreditGrade.A}, errors={})
    errors: dict[str, str] = {}
    fields = _posted_fields(request, errors, with_grade=True)
    form = {name: request.POST.get(name, "").strip() for name in FORM_FIELDS}
    if not errors:
        try:
            enterprise = svc.enterprise_create(user=request.user, **fields)
        except svc.RegisterInvalid as exc:
            errors[exc.field or "name"] = exc.message
    if errors:
        return _form_page(request, enterprise=None, form=form, errors=errors, status=400)
    messages.success(request, _("%(name)s is registered.") % {"name": enterprise.name})
    return redirect(reverse("enterprise-detail", args=[enterprise.pk]))


@require_http_methods(["GET", "POST"])
@login_required
def enterprise_edit(request, pk):
    require(request.user, Enterprise, CHANGE)
    enterprise = Enterprise.objects.filter(pk=pk).first()
    if enterprise is None:
        raise Http404(_("No enterprise with id %(id)s.") % {"id": pk})
    if request.method == "GET":
        form = {name: getattr(enterprise, name) or "" for name in FORM_FIELDS}
        form["filed_on"] = enterprise.filed_on.isoformat() if enterprise.filed_on else ""
        return _form_page(request, enterprise=enterprise, form=form, errors={})
    errors: dict[str, str] = {}
    fields = _posted_fields(request, errors, with_grade=False)
    form = {name: request.POST.get(name, "").strip() for name in FORM_FIELDS}
    form["reason"] = request.POST.get("reason", "").strip()
    if not errors:
        try:
            svc.enterprise_update(user=request.user, enterprise_id=pk, reason=form["reason"], **fields)
        except svc.RegisterInvalid as exc:
            errors[exc.field or "name"] = exc.message
    if errors:
        return _form_page(request, enterprise=enterprise, form=form, errors=errors, status=400)
    messages.success(request, _("The changes are saved."))
    return redirect(reverse("enterprise-detail", args=[pk]))


# --- the enterprise's page --------------------------------------------------------------------------------------

def _detail_page(request, pk: int, *, evaluation_form: dict | None = None, listing_form: dict | None = None,
                 errors: dict | None = None, status: int = 200):
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
        "evaluation_form": evaluation_form or {"year": next_year, "grade": "", "passed": "", "note": ""},
        "listing_form": listing_form or {"status": "", "reason": "", "listed_on": today.isoformat()},
        "errors": errors or {},
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
    form = {name: request.POST.get(name, "").strip() for name in ("year", "grade", "passed", "note")}
    errors: dict[str, str] = {}
    if form["passed"] not in ("yes", "no"):
        errors["passed"] = _("Say whether the enterprise passed.")
    if not form["grade"]:
        errors["grade"] = _("Choose a grade.")
    if not errors:
        try:
            evaluation = svc.evaluation_record(user=request.user, enterprise_id=pk, year=form["year"],
                                               grade=form["grade"], passed=form["passed"] == "yes", note=form["note"])
        except svc.RegisterInvalid as exc:
            errors[exc.field or "year"] = exc.message
    if errors:
        return _detail_page(request, pk, evaluation_form=form, errors=errors, status=400)
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
    form = {name: request.POST.get(name, "").strip() for name in ("status", "reason", "listed_on")}
    errors: dict[str, str] = {}
    if form["status"] not in ListStatus.values:
        errors["status"] = _("Choose red list, black list or lift.")
    if not form["reason"]:
        errors["reason"] = _("Give the reason for the decision.")
    listed_on = _date_or_error(form["listed_on"], "listed_on", errors, required=True)
    if not errors:
        try:
            listing = svc.listing_set(user=request.user, enterprise_id=pk, status=form["status"],
                                      reason=form["reason"], listed_on=listed_on)
        except svc.RegisterInvalid as exc:
            errors[exc.field or "status"] = exc.message
    if errors:
        return _detail_page(request, pk, listing_form=form, errors=errors, status=400)
    messages.success(request, _("%(name)s: %(status)s from %(date)s.") % {
        "name": listing.enterprise.name, "status": listing.get_status_display(), "date": listing.listed_on.isoformat()})
    return redirect(reverse("enterprise-detail", args=[pk]) + "#register-listings")
