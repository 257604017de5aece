"""Reads of service contracts: those running on a date, who serves under one, an estate's current contract and history,
the estates a drawn selection assigns."""
from __future__ import annotations

import datetime

from django.contrib.gis.geos import MultiPolygon
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from ..models import (
    CaretakerAgency,
    CaretakerKind,
    Estate,
    ListStatus,
    ProviderKind,
    RegisterChange,
    ServiceContract,
)
from ..permissions import VIEW, restrict
from ..rules import contract_active_filter


def contracts_active_on(on: datetime.date | None = None) -> QuerySet[ServiceContract]:
    on = on or timezone.localdate()
    return ServiceContract.objects.filter(contract_active_filter(on))


def contract_provider_name(contract: ServiceContract) -> str:
    """Who serves under a contract: the enterprise, the caretaker agency, the community (self-governance), or the
    district (its fallback, named by the kind's label). The one name popups, pages, the API and messages use."""
    if contract.provider_kind == ProviderKind.ENTERPRISE and contract.enterprise_id:
        return contract.enterprise.name
    if contract.provider_kind == ProviderKind.CARETAKER_AGENCY and contract.caretaker_agency_id:
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


def estates_in_selection(selection: MultiPolygon, *, start_date, include_served: bool) -> list[int]:
    """Estates whose point on surface lies in the selection; unless include_served, only those with no service on
    start_date (a box drawn over a mixed area assigns the gaps, not the served estates around them)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT e.id FROM layers_estate e
              LEFT JOIN layers_active_contracts(%(on)s) a ON a.estate_id = e.id
             WHERE e.geom && ST_GeomFromEWKT(%(sel)s) AND ST_Intersects(ST_PointOnSurface(e.geom), ST_GeomFromEWKT(%(sel)s))
               AND (%(all)s OR a.estate_id IS NULL)
             ORDER BY e.id
            """,
            {"sel": selection.ewkt, "on": start_date, "all": include_served},
        )
        return [row[0] for row in cursor.fetchall()]


def selection_streets(*, estate_ids: list[int]) -> list[dict]:
    """The streets the estates lie in, largest share first: {id, name, count, households}."""
    rows = (Estate.objects.filter(pk__in=estate_ids)
            .values("community__parent_id", "community__parent__name", "community__parent__code")
            .annotate(count=Count("id"), households=Sum("households"))
            .order_by("-count", "community__parent__code"))
    return [{"id": r["community__parent_id"], "name": r["community__parent__name"], "count": r["count"],
             "households": r["households"] or 0} for r in rows]


def agencies_serving(*, street_ids: list[int]) -> QuerySet[CaretakerAgency]:
    """The caretaker agencies that may serve estates in all of these streets (docs/SERVICE_API.md "Rules"): a
    street-run agency only its own street, a custodian enterprise any street, none run by a black-listed enterprise
    (rule 4). services.contracts refuses the others."""
    streets = set(street_ids)
    fits = Q(kind=CaretakerKind.CUSTODIAN_ENTERPRISE)
    if len(streets) == 1:
        fits |= Q(kind=CaretakerKind.STREET_AGENCY, street_id=next(iter(streets)))
    return (CaretakerAgency.objects.filter(fits).exclude(enterprise__list_status=ListStatus.BLACK)
            .select_related("street").order_by("street__code", "name"))


def contract_with_parties(*, pk: int) -> ServiceContract:
    """One contract with its estate, provider and author loaded (to answer with it after a write)."""
    return ServiceContract.objects.select_related(
        "estate__community", "enterprise", "caretaker_agency", "created_by").get(pk=pk)


def estate_service_history(*, estate: Estate, user) -> dict:
    """An estate's contracts `user` may view (newest first), its latest 200 recorded assignments and ends, and its
    service status today."""
    contracts = (restrict(ServiceContract.objects.filter(estate=estate), user, VIEW)
                 .select_related("estate__community", "enterprise", "caretaker_agency", "created_by")
                 .order_by("-start_date"))
    changes = (RegisterChange.objects.filter(estate=estate).select_related("user")
               .order_by("-changed_at", "-id")[:200])
    return {"contracts": list(contracts), "changes": list(changes),
            "status": Estate.objects.with_service_status().get(pk=estate.pk).service_status}
