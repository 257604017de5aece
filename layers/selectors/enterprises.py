"""Reads of the enterprise register: the searchable list, one enterprise's evaluations, listings and change log.

Everyone may read the register (permissions.ROLE_ACTIONS); the callers check the role, these functions only read.
Estates and households served come from the derived EnterpriseJurisdiction (services.jurisdictions).
"""
from __future__ import annotations

import datetime

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from ..models import (
    ContractMode,
    CreditEvaluation,
    Enterprise,
    EnterpriseListing,
    Estate,
    ListStatus,
    RegisterAction,
    RegisterChange,
)
from ..permissions import VIEW, restrict
from ..planning import credit_rating

SEARCH_MAX_CHARS = 100

# How the change log names the fields it shows.
FIELD_LABELS = {
    "name": gettext_lazy("Name"),
    "credit_code": gettext_lazy("Unified social credit code"),
    "credit_grade": gettext_lazy("Credit grade"),
    "list_status": gettext_lazy("List status"),
    "list_status_since": gettext_lazy("Listed since"),
    "list_status_reason": gettext_lazy("Listing reason"),
    "filed_on": gettext_lazy("Filing date"),
    "contact_person": gettext_lazy("Contact person"),
    "contact_phone": gettext_lazy("Contact phone"),
    "address": gettext_lazy("Address"),
}


def enterprises(*, q: str = "", list_status: str = "") -> QuerySet:
    """Enterprises matching `q` (name, credit code or address, case-insensitive) and a list status, by name, with
    `estates` and `households` served today."""
    queryset = Enterprise.objects.annotate(
        estates=Coalesce("jurisdiction__estate_count", 0), households=Coalesce("jurisdiction__households", 0)
    )
    q = (q or "").strip()[:SEARCH_MAX_CHARS]
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(credit_code__icontains=q) | Q(address__icontains=q))
    if list_status:
        queryset = queryset.filter(list_status=list_status)
    return queryset.order_by("name", "id")


def enterprise_with_served(*, pk: int) -> Enterprise | None:
    return enterprises().filter(pk=pk).first()


def status_counts() -> dict[str, int]:
    """How many enterprises have each list status."""
    counts = {value: 0 for value in ListStatus.values}
    for row in Enterprise.objects.values("list_status").order_by().annotate(n=Count("id")):
        counts[row["list_status"]] = row["n"]
    return counts


def _date(value):
    return value.isoformat() if value else None


def enterprise_data(enterprise: Enterprise) -> dict:
    return {
        "id": enterprise.pk,
        "name": enterprise.name,
        "credit_code": enterprise.credit_code,
        "credit_grade": enterprise.credit_grade,
        "list_status": enterprise.list_status,
        "list_status_label": str(enterprise.get_list_status_display()),
        "list_status_since": _date(enterprise.list_status_since),
        "list_status_reason": enterprise.list_status_reason,
        "filed_on": _date(enterprise.filed_on),
        "contact_person": enterprise.contact_person,
        "contact_phone": enterprise.contact_phone,
        "address": enterprise.address,
        "estates": getattr(enterprise, "estates", None),
        "households": getattr(enterprise, "households", None),
        "detail_url": reverse("enterprise-detail", args=[enterprise.pk]),
    }


def _user(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def evaluations(*, enterprise_id: int) -> QuerySet:
    return CreditEvaluation.objects.filter(enterprise_id=enterprise_id).select_related("recorded_by").order_by("-year")


def evaluation_data(evaluation: CreditEvaluation) -> dict:
    return {
        "id": evaluation.pk,
        "year": evaluation.year,
        "grade": evaluation.grade,
        "passed": evaluation.passed,
        "note": evaluation.note,
        "recorded_by": _user(evaluation.recorded_by),
        "recorded_at": evaluation.recorded_at.isoformat() if evaluation.recorded_at else None,
    }


def listings(*, enterprise_id: int) -> QuerySet:
    return (EnterpriseListing.objects.filter(enterprise_id=enterprise_id).select_related("decided_by")
            .order_by("-listed_on", "-id"))


def listing_data(listing: EnterpriseListing) -> dict:
    return {
        "id": listing.pk,
        "status": listing.status,
        "status_label": str(listing.get_status_display()),
        "listed_on": listing.listed_on.isoformat(),
        "reason": listing.reason,
        "decided_by": _user(listing.decided_by),
        "decided_at": listing.decided_at.isoformat() if listing.decided_at else None,
    }


def changes(*, enterprise_id: int, user) -> QuerySet:
    """The enterprise's change log: register changes, and the service assignments of estates whose service the user
    may view (a street office: its street's; docs/SECURITY.md "Read scope")."""
    in_scope = Q(estate__isnull=True) | Q(estate__in=restrict(Estate.objects.all(), user, VIEW))
    return (RegisterChange.objects.filter(in_scope, enterprise_id=enterprise_id).select_related("user", "estate")
            .order_by("-changed_at", "-id"))


def _show(field: str, value) -> str:
    if value in (None, ""):
        return "—"
    if field == "list_status" and value in ListStatus.values:
        return str(ListStatus(value).label)
    return str(value)


def change_lines(change: RegisterChange) -> list[dict]:
    """What a change did, one line per field that differs (create: every field set), for people to read."""
    before, after = change.before or {}, change.after or {}
    lines = []
    for field, label in FIELD_LABELS.items():
        if field not in before and field not in after:
            continue
        old, new = before.get(field), after.get(field)
        if change.before is not None and old == new:
            continue
        if change.before is None and new in (None, ""):
            continue
        lines.append({"field": field, "label": str(label), "before": _show(field, old), "after": _show(field, new)})
    return lines


def change_summary(change: RegisterChange) -> str:
    """One line naming the evaluation or listing a change recorded, if it recorded one."""
    after = change.after or {}
    if "evaluation" in after:
        e = after["evaluation"]
        result = gettext("passed") if e.get("passed") else gettext("failed")
        return gettext("Evaluation %(year)s: grade %(grade)s, %(result)s") % {
            "year": e.get("year"), "grade": e.get("grade"), "result": result}
    if "listing" in after:
        item = after["listing"]
        status = item.get("status")
        label = str(ListStatus(status).label) if status in ListStatus.values else status
        return gettext("Listing: %(status)s from %(date)s") % {"status": label, "date": item.get("listed_on")}
    if change.action in (RegisterAction.CONTRACT_CREATE, RegisterAction.CONTRACT_END):
        # The assignment services store the contract's snapshot (services/contracts.py).
        mode = after.get("mode")
        return gettext("%(mode)s from %(start)s to %(end)s") % {
            "mode": str(ContractMode(mode).label) if mode in ContractMode.values else (mode or "—"),
            "start": after.get("start_date") or "—", "end": after.get("end_date") or "—"}
    return ""


def change_data(change: RegisterChange) -> dict:
    return {
        "id": change.pk,
        "action": change.action,
        "action_label": str(change.get_action_display()),
        "summary": change_summary(change),
        "lines": change_lines(change),
        "before": change.before,
        "after": change.after,
        "reason": change.reason,
        "user": _user(change.user),
        "changed_at": change.changed_at.isoformat() if change.changed_at else None,
        "contract_id": change.contract_id,
        "estate_id": change.estate_id,
    }


def enterprise_decision(enterprise: Enterprise, *, today: datetime.date | None = None) -> credit_rating.ListDecision:
    """The list decision in force for `enterprise` on `today`, from its stored evaluations and listings."""
    evaluations = enterprise.evaluations.values_list("year", "grade", "passed")
    listings = enterprise.listings.order_by("decided_at", "id").values_list("status", "listed_on", "reason")
    return credit_rating.list_status(list(evaluations), list(listings), today or timezone.localdate())


def register_detail(*, enterprise: Enterprise, user, changes_limit: int = 50) -> dict:
    """The register part of an enterprise's page: the decision in force, evaluations, listings, latest changes."""
    decision = enterprise_decision(enterprise)
    log = list(changes(enterprise_id=enterprise.pk, user=user)[:changes_limit])
    return {
        "decision": decision,
        "evaluations": list(evaluations(enterprise_id=enterprise.pk)),
        "listings": list(listings(enterprise_id=enterprise.pk)),
        "changes": [{"change": c, "summary": change_summary(c), "lines": change_lines(c)} for c in log],
        "changes_total": changes(enterprise_id=enterprise.pk, user=user).count(),
    }
