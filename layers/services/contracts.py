"""Assigning service (contracts): enterprise contracts, caretaker service, self-governance; and ending them.

Every write is all or nothing: the whole selection is validated, then written in one transaction, or nothing is.
Rule 4 (no new contract for a black-listed enterprise) is refused here with a message; the trigger of migration
0009 is the safety net for every other write path. Each contract created or ended leaves a RegisterChange, and the
jurisdictions of the enterprises touched are rebuilt in the same transaction, so the map's service areas never lag.
"""
from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from ..models import (
    CaretakerAgency,
    CaretakerKind,
    ContractMode,
    Enterprise,
    Estate,
    ListStatus,
    ProviderKind,
    RegisterAction,
    RegisterChange,
    ServiceContract,
)
from ..permissions import ADD, CHANGE, VIEW, get_restricted, require, restrict
from ..refusals import Conflict, Invalid, NotFound, Refusal
from ..selectors.contracts import contract_provider_name
from .jurisdictions import enterprise_jurisdictions_refresh_some

MAX_ESTATES = 2000  # one selection; more is a mistake (a whole district) rather than a plan
NOTE_MAX_CHARS = 200
REASON_MAX_CHARS = 200

ENTERPRISE_MODES = (ContractMode.SINGLE, ContractMode.NEARBY, ContractMode.BUNDLED)
# The one mode each non-enterprise provider kind has (the model's contract_provider_matches_mode constraint).
MODE_OF_KIND = {
    ProviderKind.CARETAKER_AGENCY: ContractMode.CARETAKER,
    ProviderKind.DISTRICT_FALLBACK: ContractMode.CARETAKER,
    ProviderKind.COMMUNITY: ContractMode.SELF_GOVERNED,
}


def contract_refused(message: str, code: str) -> Refusal:
    """A refused assignment or ending (the one refusal type): 409 when another contract already covers the estate on
    those dates (code "overlap"), else 400; `code` names the rule or input at fault."""
    return Conflict(message, code=code) if code == "overlap" else Invalid(message, code=code)


def contract_snapshot(contract: ServiceContract) -> dict:
    """The contract as plain JSON, for RegisterChange.before/after."""
    return {
        "id": contract.pk,
        "estate_id": contract.estate_id,
        "provider_kind": contract.provider_kind,
        "enterprise_id": contract.enterprise_id,
        "caretaker_agency_id": contract.caretaker_agency_id,
        "mode": contract.mode,
        "start_date": contract.start_date.isoformat(),
        "end_date": contract.end_date.isoformat() if contract.end_date else None,
        "note": contract.note,
        "bundle_id": contract.bundle_id,
    }


def _estate_label(estate: Estate) -> str:
    return f"{estate.name} ({estate.code})"


def _period(start: datetime.date, end: datetime.date | None) -> str:
    return _("from %(start)s") % {"start": start} if end is None else _("from %(start)s to %(end)s") % {
        "start": start, "end": end}


def _is_black(enterprise: Enterprise) -> bool:
    return enterprise.list_status == ListStatus.BLACK


def _check_provider(*, provider_kind, mode, enterprise_id, caretaker_agency_id, bundle_id):
    """(mode, enterprise, agency) after checking that the provider and the mode fit together; else a refusal (contract_refused)."""
    if provider_kind not in ProviderKind.values:
        raise contract_refused(_("Unknown provider kind %(kind)r; use one of: %(choices)s.")
                              % {"kind": provider_kind, "choices": ", ".join(ProviderKind.values)}, code="provider")
    enterprise = agency = None
    if provider_kind == ProviderKind.ENTERPRISE:
        if mode not in ENTERPRISE_MODES:
            raise contract_refused(_("An enterprise contract's mode is single, nearby or bundled, not %(mode)r.")
                                  % {"mode": mode}, code="mode")
        if enterprise_id is None:
            raise contract_refused(_("Choose the enterprise for an enterprise contract."), code="enterprise")
        if caretaker_agency_id is not None:
            raise contract_refused(_("An enterprise contract has no caretaker agency."), code="provider")
        enterprise = Enterprise.objects.select_for_update().filter(pk=enterprise_id).first()
        if enterprise is None:
            raise contract_refused(_("No enterprise with id %(id)s.") % {"id": enterprise_id}, code="enterprise")
        if _is_black(enterprise):
            raise contract_refused(
                _("%(name)s is on the black list (since %(since)s: %(reason)s) and may get no new contract.")
                % {"name": enterprise.name, "since": enterprise.list_status_since or "—",
                   "reason": enterprise.list_status_reason or "—"},
                code="blacklisted",
            )
    else:
        expected = MODE_OF_KIND[provider_kind]
        if mode in (None, ""):
            mode = expected
        if mode != expected:
            raise contract_refused(_("A %(kind)s contract's mode is %(expected)s, not %(mode)r.")
                                  % {"kind": ProviderKind(provider_kind).label, "expected": ContractMode(expected).label,
                                     "mode": mode},
                                  code="mode")
        if enterprise_id is not None:
            raise contract_refused(_("Only an enterprise contract names an enterprise; for a custodian enterprise "
                                    "choose its caretaker agency."), code="provider")
        if provider_kind == ProviderKind.CARETAKER_AGENCY:
            if caretaker_agency_id is None:
                raise contract_refused(_("Choose the caretaker agency."), code="caretaker_agency")
            agency = (CaretakerAgency.objects.select_related("street", "enterprise")
                      .filter(pk=caretaker_agency_id).first())
            if agency is None:
                raise contract_refused(_("No caretaker agency with id %(id)s.") % {"id": caretaker_agency_id},
                                      code="caretaker_agency")
            if agency.enterprise_id and _is_black(agency.enterprise):
                raise contract_refused(
                    _("%(agency)s is run by %(name)s, which is on the black list and may get no new contract.")
                    % {"agency": agency.name, "name": agency.enterprise.name}, code="blacklisted")
        elif caretaker_agency_id is not None:
            raise contract_refused(_("Only a caretaker-agency contract names a caretaker agency."), code="provider")
    if bundle_id is not None and mode != ContractMode.BUNDLED:
        raise contract_refused(_("Only a bundled takeover belongs to a bundle."), code="bundle")
    return mode, enterprise, agency


def _check_dates(start_date, end_date) -> None:
    if not isinstance(start_date, datetime.date):
        raise contract_refused(_("A start date is required."), code="start_date")
    if end_date is not None and (not isinstance(end_date, datetime.date) or end_date <= start_date):
        raise contract_refused(_("The end date (%(end)s) must come after the start date (%(start)s).")
                              % {"end": end_date, "start": start_date}, code="end_date")


def _overlapping(estate_ids: Sequence[int], start_date, end_date):
    overlap = Q(end_date__isnull=True) | Q(end_date__gt=start_date)
    if end_date is not None:
        overlap &= Q(start_date__lt=end_date)
    return (ServiceContract.objects.filter(overlap, estate_id__in=estate_ids)
            .select_related("enterprise", "caretaker_agency", "estate__community").order_by("estate_id", "start_date"))


def _end(contract: ServiceContract, *, end_date: datetime.date, user, reason: str) -> None:
    before = contract_snapshot(contract)
    contract.end_date = end_date
    contract.save(update_fields=["end_date"])
    RegisterChange.objects.create(
        enterprise_id=contract.enterprise_id, contract=contract, estate_id=contract.estate_id,
        action=RegisterAction.CONTRACT_END, before=before, after=contract_snapshot(contract), reason=reason, user=user,
    )


def contracts_assign(
    *,
    user,
    estate_ids: list[int],
    provider_kind: str,
    mode: str,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
    enterprise_id: int | None = None,
    caretaker_agency_id: int | None = None,
    note: str = "",
    bundle_id: int | None = None,
    replace: bool = False,
) -> list[ServiceContract]:
    """One new contract per estate, all or none.

    Refused (a refusal naming the estate or provider): unknown estates, a black-listed enterprise, provider and
    mode that do not fit, bad dates, a street agency outside its street, and overlap with an existing contract unless
    `replace` — then the contract running on `start_date` is ended on that date (contracts starting on or after it
    are never overwritten). PermissionDenied when the role may not assign service.
    """
    require(user, ServiceContract, ADD)
    try:
        ids = list(dict.fromkeys(int(i) for i in estate_ids))
    except (TypeError, ValueError):
        raise contract_refused(_("estate_ids must be a list of estate ids."), code="estate_ids") from None
    if not ids:
        raise contract_refused(_("Select at least one estate."), code="estate_ids")
    if len(ids) > MAX_ESTATES:
        raise contract_refused(_("At most %(max)d estates at once; %(count)d were selected.")
                              % {"max": MAX_ESTATES, "count": len(ids)}, code="estate_ids")
    note = (note or "").strip()
    if len(note) > NOTE_MAX_CHARS:
        raise contract_refused(_("The note is longer than %(max)d characters.") % {"max": NOTE_MAX_CHARS}, code="note")
    _check_dates(start_date, end_date)
    try:
        with transaction.atomic():
            mode, enterprise, agency = _check_provider(
                provider_kind=provider_kind, mode=mode, enterprise_id=enterprise_id,
                caretaker_agency_id=caretaker_agency_id, bundle_id=bundle_id)
            # Lock the estates in id order, so two planners assigning overlapping selections queue, not deadlock.
            # Another district's estates are as absent (permissions.DISTRICT_LOOKUP).
            estates = list(restrict(Estate.objects.select_for_update(of=("self",)), user, VIEW).filter(pk__in=ids)
                           .select_related("community").order_by("pk"))
            found = {e.pk for e in estates}
            missing = [i for i in ids if i not in found]
            if missing:  # absent, or outside the user's district: 404, as everywhere (permissions.restrict)
                raise NotFound(_("No estate with id %(ids)s.") % {"ids": ", ".join(map(str, missing[:20]))},
                               code="estate_ids")
            if agency is not None and agency.kind == CaretakerKind.STREET_AGENCY:
                outside = [e for e in estates if e.community.parent_id != agency.street_id]
                if outside:
                    raise contract_refused(
                        _("%(agency)s is run by %(street)s and serves only that street; %(estates)s lie outside it.")
                        % {"agency": agency.name, "street": agency.street.name,
                           "estates": ", ".join(_estate_label(e) for e in outside[:5])
                           + ("…" if len(outside) > 5 else "")},
                        code="caretaker_agency")
            touched = {enterprise.pk} if enterprise else set()
            to_end = []
            for current in _overlapping(ids, start_date, end_date):
                can_replace = current.start_date < start_date
                if not replace or not can_replace:
                    hint = (_("End that contract first or replace it.") if can_replace
                            else _("It starts on or after the new start date, so it cannot be replaced; end it first."))
                    raise contract_refused(
                        _("%(estate)s is already served by %(provider)s %(period)s. %(hint)s")
                        % {"estate": _estate_label(current.estate), "provider": contract_provider_name(current),
                           "period": _period(current.start_date, current.end_date), "hint": hint},
                        code="overlap")
                to_end.append(current)
            for current in to_end:
                _end(current, end_date=start_date, user=user,
                     reason=note or _("Replaced by a new assignment from %(start)s") % {"start": start_date})
                if current.enterprise_id:
                    touched.add(current.enterprise_id)
            contracts = ServiceContract.objects.bulk_create([
                ServiceContract(
                    estate=estate, provider_kind=provider_kind, enterprise=enterprise, caretaker_agency=agency,
                    mode=mode, start_date=start_date, end_date=end_date, note=note, bundle_id=bundle_id,
                    created_by=user,
                )
                for estate in estates
            ])
            RegisterChange.objects.bulk_create([
                RegisterChange(
                    enterprise=enterprise, contract=c, estate_id=c.estate_id, action=RegisterAction.CONTRACT_CREATE,
                    before=None, after=contract_snapshot(c), reason=note, user=user,
                )
                for c in contracts
            ])
            enterprise_jurisdictions_refresh_some(enterprise_ids=touched)
    except IntegrityError as exc:  # the database's own rules: black list trigger, one contract at a time
        text = str(exc)
        if "blacklisted_enterprise" in text or "black list" in text:
            raise contract_refused(_("The enterprise is on the black list and may get no new contract."),
                                  code="blacklisted") from exc
        if "contract_no_overlap_per_estate" in text:
            raise contract_refused(_("Another contract for one of these estates was saved meanwhile; reload and "
                                    "try again."), code="overlap") from exc
        raise
    return contracts


def contract_end(*, user, contract_id: int, end_date: datetime.date, reason: str) -> ServiceContract:
    """End a contract: from `end_date` (exclusive end) the estate has no service from it (uncovered unless another
    contract follows). Only shortens: a contract already ending earlier is refused, as is an end on or before its
    start. Http404 outside the user's scope, PermissionDenied for a role that may not change contracts.
    """
    require(user, ServiceContract, CHANGE)
    reason = (reason or "").strip()
    if not reason:
        raise contract_refused(_("Give the reason for ending the contract."), code="reason")
    if len(reason) > REASON_MAX_CHARS:
        raise contract_refused(_("The reason is longer than %(max)d characters.") % {"max": REASON_MAX_CHARS},
                              code="reason")
    if not isinstance(end_date, datetime.date):
        raise contract_refused(_("An end date is required."), code="end_date")
    with transaction.atomic():
        contract = get_restricted(
            ServiceContract.objects.select_for_update(of=("self",)).select_related("estate", "enterprise",
                                                                                   "caretaker_agency"),
            user, CHANGE, pk=contract_id)
        label = _estate_label(contract.estate)
        if end_date <= contract.start_date:
            raise contract_refused(
                _("The contract for %(estate)s starts on %(start)s; it can only end after that.")
                % {"estate": label, "start": contract.start_date}, code="end_date")
        if contract.end_date is not None and end_date >= contract.end_date:
            raise contract_refused(
                _("The contract for %(estate)s already ends on %(end)s.") % {"estate": label, "end": contract.end_date},
                code="end_date")
        _end(contract, end_date=end_date, user=user, reason=reason)
        if contract.enterprise_id:
            enterprise_jurisdictions_refresh_some(enterprise_ids=[contract.enterprise_id])
    return contract
