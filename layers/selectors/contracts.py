"""Reads of service contracts: those running on a date, who serves under one, an estate's current contract and history."""
from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from ..models import ProviderKind, ServiceContract
from ..permissions import VIEW, restrict


def contracts_active_on(on: datetime.date | None = None) -> QuerySet[ServiceContract]:
    on = on or timezone.localdate()
    return ServiceContract.objects.filter(start_date__lte=on).filter(Q(end_date__isnull=True) | Q(end_date__gt=on))


def contract_provider_name(contract: ServiceContract) -> str:
    """Who serves under a contract: the enterprise, the caretaker agency, the district, or the community."""
    if contract.provider_kind == ProviderKind.ENTERPRISE:
        return contract.enterprise.name
    if contract.provider_kind == ProviderKind.CARETAKER_AGENCY:
        return contract.caretaker_agency.name
    if contract.provider_kind == ProviderKind.COMMUNITY:
        return contract.estate.community.name
    return contract.get_provider_kind_display()


def estate_current_contract(*, estate_id: int, on: datetime.date | None = None) -> ServiceContract | None:
    return (
        contracts_active_on(on)
        .filter(estate_id=estate_id)
        .select_related("enterprise", "caretaker_agency", "estate__community")
        .first()
    )


def estate_contract_history(*, estate_id: int, user) -> list[dict]:
    """The estate's contracts that `user` may view (permissions.restrict: a street office, its own street's)."""
    contracts = (
        restrict(ServiceContract.objects.filter(estate_id=estate_id), user, VIEW)
        .select_related("enterprise", "caretaker_agency", "estate__community")
        .order_by("-start_date")
    )
    today = timezone.localdate()
    return [
        {
            "contract": c,
            "provider": contract_provider_name(c),
            "enterprise_id": c.enterprise_id,
            "current": c.start_date <= today and (c.end_date is None or c.end_date > today),
        }
        for c in contracts
    ]
