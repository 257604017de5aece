"""The enterprise register (企业名录): enterprises, annual credit evaluations and red/black listings.

Every write runs in one transaction holding the enterprise's row lock, re-derives the list status with the pure
rule (planning.credit_rating) and appends a RegisterChange with the before/after values and the user. Bad input
raises RegisterInvalid (400) or RegisterConflict (409) before anything is written.

Black-listing changes nothing else: existing contracts stay; migration 0009's trigger refuses new ones.
"""
from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import (
    CreditEvaluation,
    CreditGrade,
    Enterprise,
    EnterpriseListing,
    ListStatus,
    RegisterAction,
    RegisterChange,
)
from ..permissions import ADD, CHANGE, require
from ..planning import credit_rating
from ..refusals import Invalid
from ..selectors.enterprises import enterprise_decision

# What a user edits; credit_grade and the list status follow from evaluations and listings.
EDITABLE_FIELDS = ("name", "credit_code", "filed_on", "contact_person", "contact_phone", "address")
# What a change record shows of an enterprise.
SNAPSHOT_FIELDS = EDITABLE_FIELDS + ("credit_grade", "list_status", "list_status_since", "list_status_reason")
LISTING_FIELDS = ("credit_grade", "list_status", "list_status_since", "list_status_reason")
FIRST_YEAR = 1990
REASON_MAX_CHARS = 200
NOTE_MAX_CHARS = 200


class RegisterInvalid(Invalid):
    """Input the register refuses (HTTP 400); `field` names the input at fault."""


class RegisterConflict(RegisterInvalid):
    """The input clashes with what is registered already (HTTP 409): a credit code, an evaluated year."""

    status = 409


def _json(value):
    return value.isoformat() if isinstance(value, datetime.date) else value


def _snapshot(enterprise: Enterprise, fields=SNAPSHOT_FIELDS) -> dict:
    return {f: _json(getattr(enterprise, f)) for f in fields}


def _locked(enterprise_id: int) -> Enterprise:
    enterprise = Enterprise.objects.select_for_update().filter(pk=enterprise_id).first()
    if enterprise is None:
        raise Http404(_("No enterprise with id %(id)s.") % {"id": enterprise_id})
    return enterprise


def _clean_fields(fields: dict, *, instance: Enterprise) -> dict:
    """Strip text, upper-case the credit code, check every field with the model's own rules (incl. the code's check
    character); raise RegisterInvalid naming the first field at fault."""
    unknown = set(fields) - set(EDITABLE_FIELDS) - {"credit_grade"}
    if unknown:
        name = sorted(unknown)[0]
        if name in ("list_status", "list_status_since", "list_status_reason"):
            raise RegisterInvalid(_("The list status is set by evaluations and listing decisions, not edited."),
                                  field=name)
        raise RegisterInvalid(_("Unknown field %(field)s; editable: %(fields)s.")
                              % {"field": name, "fields": ", ".join(EDITABLE_FIELDS)}, field=name)
    cleaned = {}
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        if name == "credit_code" and isinstance(value, str):
            value = value.upper()
        if name == "filed_on" and value == "":
            value = None
        cleaned[name] = value
    if "name" in cleaned and not cleaned["name"]:
        raise RegisterInvalid(_("The enterprise's name is required."), field="name")
    if "credit_code" in cleaned and not cleaned["credit_code"]:
        raise RegisterInvalid(_("The unified social credit code is required."), field="credit_code")
    if "credit_grade" in cleaned and cleaned["credit_grade"] not in CreditGrade.values:
        raise RegisterInvalid(_("Unknown credit grade %(grade)r; expected one of: %(grades)s.")
                              % {"grade": cleaned["credit_grade"], "grades": ", ".join(CreditGrade.values)},
                              field="credit_grade")
    filed_on = cleaned.get("filed_on")
    if filed_on is not None and not isinstance(filed_on, datetime.date):
        raise RegisterInvalid(_("The filing date must be a date (YYYY-MM-DD)."), field="filed_on")
    if filed_on is not None and filed_on > timezone.localdate():
        raise RegisterInvalid(_("The filing date cannot be in the future."), field="filed_on")
    for name, value in cleaned.items():
        setattr(instance, name, value)
    try:
        instance.full_clean(exclude=[f for f in SNAPSHOT_FIELDS if f not in cleaned], validate_unique=False,
                            validate_constraints=False)
    except ValidationError as exc:
        name, messages = next(iter(exc.message_dict.items()))
        message = " ".join(messages)
        if name != "credit_code":  # the code's own message names it already
            message = f"{Enterprise._meta.get_field(name).verbose_name}: {message}"
        raise RegisterInvalid(message, field=name) from None
    return cleaned


def _check_code_unique(code: str, *, exclude_id: int | None = None) -> None:
    holder = Enterprise.objects.filter(credit_code=code).exclude(pk=exclude_id).first()
    if holder is not None:
        raise RegisterConflict(
            _("The credit code %(code)s is already registered to %(name)s (no. %(id)d).")
            % {"code": code, "name": holder.name, "id": holder.pk}, field="credit_code")


def _save(enterprise: Enterprise, **kwargs) -> None:
    """Save; a concurrent registration of the same code (unique index) becomes the same 409 as the check."""
    try:
        with transaction.atomic():
            enterprise.save(**kwargs)
    except IntegrityError as exc:
        if "credit_code" in str(exc):
            _check_code_unique(enterprise.credit_code, exclude_id=enterprise.pk)
        raise


def enterprise_create(
    *,
    user,
    name: str,
    credit_code: str,
    credit_grade: str = CreditGrade.A,
    filed_on: datetime.date | None = None,
    contact_person: str = "",
    contact_phone: str = "",
    address: str = "",
) -> Enterprise:
    """Register an enterprise (normal list status; `credit_grade` is its grade until a first evaluation)."""
    require(user, Enterprise, ADD)
    enterprise = Enterprise()
    fields = _clean_fields(
        {"name": name, "credit_code": credit_code, "credit_grade": credit_grade, "filed_on": filed_on,
         "contact_person": contact_person, "contact_phone": contact_phone, "address": address},
        instance=enterprise)
    with transaction.atomic():
        _check_code_unique(fields["credit_code"])
        _save(enterprise)
        RegisterChange.objects.create(enterprise=enterprise, action=RegisterAction.CREATE, before=None,
                                      after=_snapshot(enterprise), user=user)
    return enterprise


def enterprise_update(*, user, enterprise_id: int, reason: str = "", **fields) -> Enterprise:
    """Change an enterprise's register entry (EDITABLE_FIELDS); nothing is recorded when nothing changes."""
    require(user, Enterprise, CHANGE)
    if "credit_grade" in fields:
        raise RegisterInvalid(_("The credit grade follows the latest annual evaluation; record an evaluation instead."),
                              field="credit_grade")
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX_CHARS:
        raise RegisterInvalid(_("The reason is longer than %(limit)d characters.") % {"limit": REASON_MAX_CHARS},
                              field="reason")
    with transaction.atomic():
        enterprise = _locked(enterprise_id)
        before = _snapshot(enterprise)
        cleaned = _clean_fields(fields, instance=enterprise)
        changed = [f for f in cleaned if _json(getattr(enterprise, f)) != before[f]]
        if not changed:
            return enterprise
        if "credit_code" in changed:
            _check_code_unique(enterprise.credit_code, exclude_id=enterprise.pk)
        _save(enterprise, update_fields=changed)
        RegisterChange.objects.create(
            enterprise=enterprise, action=RegisterAction.UPDATE, before={f: before[f] for f in changed},
            after={f: _json(getattr(enterprise, f)) for f in changed}, reason=reason, user=user)
    return enterprise


def _relist(enterprise: Enterprise) -> None:
    """Store the list status in force today and the latest evaluation's grade on the (locked) enterprise."""
    decision = enterprise_decision(enterprise)
    enterprise.list_status = decision.status
    enterprise.list_status_since = decision.since
    enterprise.list_status_reason = decision.reason
    grade = credit_rating.latest_grade(enterprise.evaluations.values_list("year", "grade", "passed"))
    if grade:
        enterprise.credit_grade = grade
    enterprise.save(update_fields=list(LISTING_FIELDS))


def _year(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            raise RegisterInvalid(_("The year must be a whole number such as 2024."), field="year") from None
    return value


def evaluation_record(
    *, user, enterprise_id: int, year: int, grade: str, passed: bool, note: str = ""
) -> CreditEvaluation:
    """Record the annual evaluation of a finished year (one per year) and re-derive the list status."""
    require(user, CreditEvaluation, ADD)
    year = _year(year)
    last_year = timezone.localdate().year - 1
    if year > last_year:
        raise RegisterInvalid(
            _("Only finished years can be evaluated: %(year)d ends on 31 December; the latest is %(last)d.")
            % {"year": year, "last": last_year}, field="year")
    if year < FIRST_YEAR:
        raise RegisterInvalid(_("The year %(year)d is before %(first)d.") % {"year": year, "first": FIRST_YEAR},
                              field="year")
    if grade not in CreditGrade.values:
        raise RegisterInvalid(_("Unknown credit grade %(grade)r; expected one of: %(grades)s.")
                              % {"grade": grade, "grades": ", ".join(CreditGrade.values)}, field="grade")
    if not isinstance(passed, bool):
        raise RegisterInvalid(_("Say whether the enterprise passed the evaluation (true or false)."), field="passed")
    note = (note or "").strip()
    if len(note) > NOTE_MAX_CHARS:
        raise RegisterInvalid(_("The note is longer than %(limit)d characters.") % {"limit": NOTE_MAX_CHARS},
                              field="note")
    with transaction.atomic():
        enterprise = _locked(enterprise_id)
        if enterprise.filed_on and year < enterprise.filed_on.year:
            raise RegisterInvalid(
                _("%(name)s was filed on %(filed)s; it cannot be evaluated for %(year)d.")
                % {"name": enterprise.name, "filed": enterprise.filed_on.isoformat(), "year": year}, field="year")
        existing = enterprise.evaluations.filter(year=year).first()
        if existing is not None:
            raise RegisterConflict(
                _("%(name)s already has an evaluation for %(year)d (grade %(grade)s, %(result)s).")
                % {"name": enterprise.name, "year": year, "grade": existing.grade,
                   "result": _("passed") if existing.passed else _("failed")}, field="year")
        before = _snapshot(enterprise, LISTING_FIELDS)
        evaluation = CreditEvaluation.objects.create(enterprise=enterprise, year=year, grade=grade, passed=passed,
                                                     note=note, recorded_by=user)
        _relist(enterprise)
        after = _snapshot(enterprise, LISTING_FIELDS)
        after["evaluation"] = {"year": year, "grade": grade, "passed": passed, "note": note}
        RegisterChange.objects.create(enterprise=enterprise, action=RegisterAction.EVALUATION, before=before,
                                      after=after, reason=note, user=user)
    return evaluation


def listing_set(*, user, enterprise_id: int, status: str, reason: str, listed_on: datetime.date) -> EnterpriseListing:
    """A manual decision: list red or black, or lift a listing (status normal), from `listed_on`, with a reason."""
    require(user, EnterpriseListing, ADD)
    if status not in ListStatus.values:
        raise RegisterInvalid(_("Unknown list status %(status)r; expected one of: %(choices)s.")
                              % {"status": status, "choices": ", ".join(ListStatus.values)}, field="status")
    reason = (reason or "").strip()
    if not reason:
        raise RegisterInvalid(_("A listing decision needs a reason."), field="reason")
    if len(reason) > REASON_MAX_CHARS:
        raise RegisterInvalid(_("The reason is longer than %(limit)d characters.") % {"limit": REASON_MAX_CHARS},
                              field="reason")
    if not isinstance(listed_on, datetime.date):
        raise RegisterInvalid(_("The decision date must be a date (YYYY-MM-DD)."), field="listed_on")
    today = timezone.localdate()
    if listed_on > today:
        raise RegisterInvalid(_("The decision date cannot be in the future."), field="listed_on")
    with transaction.atomic():
        enterprise = _locked(enterprise_id)
        current = enterprise_decision(enterprise, today=today)
        label = ListStatus(status).label
        if current.status == status:
            if status == ListStatus.NORMAL:
                raise RegisterInvalid(_("%(name)s is on no list: there is nothing to lift.")
                                      % {"name": enterprise.name}, field="status")
            raise RegisterInvalid(
                _("%(name)s is on the %(list)s already (since %(since)s).")
                % {"name": enterprise.name, "list": label, "since": current.since.isoformat()}, field="status")
        before = _snapshot(enterprise, LISTING_FIELDS)
        listing = EnterpriseListing.objects.create(enterprise=enterprise, status=status, reason=reason,
                                                   listed_on=listed_on, decided_by=user)
        decision = enterprise_decision(enterprise, today=today)
        if decision.status != status:
            # A backdated decision that a later one overrides would be stored without effect: refuse it.
            raise RegisterInvalid(
                _("A later decision (%(list)s since %(since)s) overrides a decision dated %(date)s; date it later.")
                % {"list": ListStatus(current.status).label, "since": current.since.isoformat(),
                   "date": listed_on.isoformat()}, field="listed_on")
        _relist(enterprise)
        after = _snapshot(enterprise, LISTING_FIELDS)
        after["listing"] = {"status": status, "listed_on": listed_on.isoformat(), "reason": reason}
        RegisterChange.objects.create(enterprise=enterprise, action=RegisterAction.LISTING, before=before,
                                      after=after, reason=reason, user=user)
    return listing
