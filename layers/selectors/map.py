"""Reads of the map's endpoints and the detail pages: estate search, popups, object geometry, related lists.

Labels go through gettext when the function runs, so they come out in the request's language; status is always
the database's layers_service_status (migration 0002), never re-derived here. Every read here takes the user: the
objects are those it may LOCATE, their state (service status, provider, contracts, abandonment, renovations) is
shown only where it may VIEW (permissions.in_scope / pks_in_scope; docs/SECURITY.md "Read scope"), else
permissions.NOT_SHOWN — never a statement such as "never served" that the scope would make false.
"""
from __future__ import annotations

import datetime
import json
from typing import Any

from django.db import connection
from django.db.models import Count, Sum
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext

from ..models import (
    AbandonmentReport,
    Building,
    Enterprise,
    Estate,
    ManagementArea,
    RenovationItem,
    ServiceStatus,
)
from ..permissions import (
    ADD,
    LOCATE,
    NOT_SHOWN,
    VIEW,
    in_scope,
    inlined,
    may,
    pks_in_scope,
    restrict,
    user_scope_sql,
)
from .contracts import contract_provider_name, contracts_active_on, estate_contract_history, estate_current_contract
from .inspections import estate_last_inspections
from .supervision import estate_complaints

SEARCH_LIMIT = 20
SEARCH_MAX_CHARS = 100

Field = tuple[str, Any]


def _like_pattern(text: str) -> str:
    """A case-insensitive LIKE pattern matching text anywhere, with LIKE's wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _yes_no(value: bool) -> str:
    return gettext("Yes") if value else gettext("No")


def _status_label(status: str) -> str:
    return str(ServiceStatus(status).label)


def _choice_label(choices, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


# --- search ---------------------------------------------------------------------------------------------------

# Match and rank first, then compute status and geometry for the 20 kept rows only (a sort would otherwise
# evaluate them for every match).
ESTATE_SEARCH_SQL = """
SELECT e.id, e.name, e.address, c.name AS community, layers_service_status(e.id, %(on)s) AS status,
       ST_XMin(e.geom), ST_YMin(e.geom), ST_XMax(e.geom), ST_YMax(e.geom),
       ST_X(ST_Centroid(e.geom)), ST_Y(ST_Centroid(e.geom))
  FROM (SELECT id, name, address, community_id, geom, name ILIKE %(pattern)s AS name_match
          FROM layers_estate
         WHERE (name ILIKE %(pattern)s OR address ILIKE %(pattern)s) AND {scope}
         ORDER BY name_match DESC, length(name), name, id
         LIMIT %(limit)s) AS e
  JOIN layers_adminarea c ON c.id = e.community_id
 ORDER BY e.name_match DESC, length(e.name), e.name, e.id
"""


def estate_search(*, q: str, user, on: datetime.date | None = None, limit: int = SEARCH_LIMIT) -> list[dict]:
    """Estates whose name or address contains q (case-insensitive); name matches first, shortest names first.
    Every estate the user may locate is found (names are for orientation: a street office's whole district, a
    district's users their district); the status is None where the user may not see it."""
    q = q.strip()[:SEARCH_MAX_CHARS]
    if not q:
        return []
    params = {"on": on or timezone.localdate(), "pattern": _like_pattern(q), "limit": limit}
    scope = inlined(*user_scope_sql(Estate, user, LOCATE, "id"))
    with connection.cursor() as cursor:
        cursor.execute(ESTATE_SEARCH_SQL.replace("{scope}", scope), params)
        rows = cursor.fetchall()
    shown = pks_in_scope(Estate, [row[0] for row in rows], user, VIEW)
    return [
        {
            "id": pk,
            "name": name,
            "address": address,
            "community": community,
            "status": status if pk in shown else None,
            "bbox": [round(v, 6) for v in (minx, miny, maxx, maxy)],
            "centroid": [round(cx, 6), round(cy, 6)],
        }
        for pk, name, address, community, status, minx, miny, maxx, maxy, cx, cy in rows
    ]


# --- popups (and the attribute tables of the detail pages) ----------------------------------------------------

def _estate_with_status(pk: int, user) -> Estate | None:
    return (
        restrict(Estate.objects.with_service_status(), user, LOCATE)
        .select_related("community", "management_area")
        .filter(pk=pk)
        .first()
    )


def estate_fields(estate: Estate, *, shown: bool) -> list[Field]:
    """The estate's attributes; estate must carry the service_status annotation. `shown`: its state may be shown."""
    contract = estate_current_contract(estate_id=estate.pk) if shown else None
    provider = (contract_provider_name(contract) if contract else None) if shown else str(NOT_SHOWN)
    area = estate.management_area
    return [
        (gettext("Name"), estate.name),
        (gettext("Address"), estate.address),
        (gettext("Community"), estate.community.name),
        (gettext("Build year"), estate.build_year),
        (gettext("Old estate"), _yes_no(estate.is_old)),
        (gettext("Households"), estate.households),
        (gettext("Floor area (m²)"), round(estate.floor_area, 1)),
        (gettext("Open or closed"), gettext("Open") if estate.is_open else gettext("Closed")),
        (gettext("Owners' committee"), estate.get_owners_committee_display()),
        (gettext("Service status"), _status_label(estate.service_status) if shown else str(NOT_SHOWN)),
        (gettext("Service provider"), provider),
        (gettext("Management area"), str(area) if area else None),
    ]


def estate_popup(*, pk: int, user) -> dict | None:
    estate = _estate_with_status(pk, user)
    if estate is None:
        return None
    shown = in_scope(estate, user)
    fields = estate_fields(estate, shown=shown)
    if shown:  # the latest daily inspection's score (DOMAIN.md "Supervision"), where the estate's state is shown
        last = estate_last_inspections(user, estate.pk, limit=1)
        fields.append((gettext("Last inspection"), f"{last[0].inspected_on:%Y-%m-%d} · {last[0].percent}%"
                       if last else gettext("Not inspected yet.")))
    popup = _popup("estate", estate.pk, estate.name, fields, "estate-detail", estate.geom)
    complaints = estate_complaints(estate_id=estate.pk, user=user, last=3)
    if complaints is not None:
        popup["complaints"] = complaints
    return popup


def _building(pk: int, user) -> Building | None:
    return restrict(Building.objects.select_related("estate"), user, LOCATE).filter(pk=pk).first()


def building_fields(building: Building, *, shown: bool) -> list[Field]:
    return [
        (gettext("Estate"), building.estate.name),
        (gettext("Label"), building.label),
        (gettext("Floors"), building.floors),
        (gettext("Households"), building.households),
        (gettext("Build year"), building.build_year),
        (gettext("Elevator"), _yes_no(building.has_elevator)),
        (gettext("Abandonment"), building.get_abandonment_display() if shown else str(NOT_SHOWN)),
    ]


def building_popup(*, pk: int, user) -> dict | None:
    """The building's popup; `can_report`: whether `user` may report it abandoned (the role may add reports, and a
    street office only in its own street), so the map offers 上报弃管 only where the report would be accepted."""
    building = _building(pk, user)
    if building is None:
        return None
    shown = in_scope(building, user)
    fields = building_fields(building, shown=shown)
    popup = _popup("building", building.pk, str(building), fields, "building-detail", building.geom)
    popup["can_report"] = shown and may(user, AbandonmentReport, ADD)
    return popup


def management_area_fields(area: ManagementArea) -> list[Field]:
    updated = formats.date_format(timezone.localtime(area.updated_at), "SHORT_DATETIME_FORMAT")
    return [
        (gettext("Code"), area.code),
        (gettext("Name"), area.name),
        (gettext("Street"), area.street.name if area.street else None),
        (gettext("Estates"), area.estates.count()),
        (gettext("Version"), area.version),
        (gettext("Updated at"), updated),
    ]


def management_area_popup(*, pk: int, user) -> dict | None:
    area = restrict(ManagementArea.objects.select_related("street"), user, LOCATE).filter(pk=pk).first()
    if area is None:
        return None
    return _popup(
        "management_area", area.pk, str(area), management_area_fields(area), "management-area-detail", area.geom
    )


def enterprise_served(*, enterprise_id: int, on: datetime.date | None = None) -> dict:
    """How many estates and households an enterprise serves on a date (one contract per estate at a time)."""
    return contracts_active_on(on).filter(enterprise_id=enterprise_id).aggregate(
        estates=Count("estate_id", distinct=True), households=Sum("estate__households", default=0)
    )



def enterprise_fields(enterprise: Enterprise) -> list[Field]:
    served = enterprise_served(enterprise_id=enterprise.pk)
    return [
        (gettext("Unified social credit code"), enterprise.credit_code),
        (gettext("Credit grade"), enterprise.get_credit_grade_display()),
        (gettext("List status"), enterprise.get_list_status_display()),
        (gettext("Estates served today"), served["estates"]),
        (gettext("Households served"), served["households"]),
    ]


def enterprise_popup(*, pk: int, user) -> dict | None:
    enterprise = restrict(Enterprise.objects.select_related("jurisdiction"), user, LOCATE).filter(pk=pk).first()
    if enterprise is None:
        return None
    territory = getattr(enterprise, "jurisdiction", None)
    return _popup(
        "enterprise", enterprise.pk, enterprise.name, enterprise_fields(enterprise), "enterprise-detail",
        territory.geom if territory else None,
    )


def _popup(kind: str, pk: int, title: str, fields: list[Field], detail_url_name: str, geom=None) -> dict:
    popup = {
        "kind": kind,
        "id": pk,
        "title": title,
        "fields": [[label, value] for label, value in fields],
        "detail_url": reverse(detail_url_name, args=[pk]),
    }
    if geom is not None and not geom.empty:
        # CGCS2000 lon/lat is numerically WGS84 to centimetres, which is what the map draws in.
        popup["bbox"] = [round(v, 6) for v in geom.extent]
        popup["point"] = [round(v, 6) for v in geom.point_on_surface.coords]
    return popup


POPUPS = {
    "estate": estate_popup,
    "building": building_popup,
    "management_area": management_area_popup,
    "enterprise": enterprise_popup,
}


def feature_popup(*, kind: str, pk: int, user) -> dict | None:
    """The popup of one map feature for `user` in the active language, or None when kind or pk is unknown."""
    popup = POPUPS.get(kind)
    return popup(pk=pk, user=user) if popup else None


# --- detail pages ---------------------------------------------------------------------------------------------

def geometry_geojson(*, table: str, pk: int) -> dict | None:
    """The GeoJSON geometry (6 decimals) of one row of a geometry table named by the code, not the user."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ST_AsGeoJSON(geom, 6, 0) FROM {connection.ops.quote_name(table)} WHERE id = %s", [pk])
        row = cursor.fetchone()
    return json.loads(row[0]) if row and row[0] else None


def estates_geojson(*, estate_ids: list[int]) -> dict | None:
    if not estate_ids:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_AsGeoJSON(ST_Collect(geom), 6, 0) FROM layers_estate WHERE id = ANY(%s)", [estate_ids])
        row = cursor.fetchone()
    return json.loads(row[0]) if row and row[0] else None


def estate_detail(*, pk: int, user) -> dict | None:
    """The estate page: outline, name and attributes for every estate the user locates; its service, contracts,
    renovations and buildings' abandonment only where it may view them (`state_shown`)."""
    estate = _estate_with_status(pk, user)
    if estate is None:
        return None
    shown = in_scope(estate, user)
    renovations = restrict(estate.renovations.all(), user, VIEW) if shown else []
    return {
        "object": estate,
        "kind": "estate",
        "title": estate.name,
        "state_shown": shown,
        "fields": [(gettext("Code"), estate.code)] + estate_fields(estate, shown=shown),
        "geojson": geometry_geojson(table=Estate._meta.db_table, pk=pk),
        "buildings": estate.buildings.order_by(Length("label"), "label", "code"),  # 2号楼 before 10号楼
        "contracts": estate_contract_history(estate_id=pk, user=user) if shown else [],
        "renovations": [
            {"project": p, "items": [_choice_label(RenovationItem, i) for i in p.items]} for p in renovations
        ],
        "complaints": estate_complaints(estate_id=pk, user=user),
    }


def building_detail(*, pk: int, user) -> dict | None:
    building = _building(pk, user)
    if building is None:
        return None
    shown = in_scope(building, user)
    return {
        "object": building,
        "kind": "building",
        "title": str(building),
        "state_shown": shown,
        "fields": [(gettext("Code"), building.code)] + building_fields(building, shown=shown),
        "geojson": geometry_geojson(table=Building._meta.db_table, pk=pk),
        "estate": building.estate,
    }


def management_area_detail(*, pk: int, user) -> dict | None:
    area = restrict(ManagementArea.objects.select_related("street", "district"), user, LOCATE).filter(pk=pk).first()
    if area is None:
        return None
    estates = list(restrict(area.estates.with_service_status(), user, LOCATE).select_related("community")
                   .order_by("name", "code"))
    shown = pks_in_scope(Estate, [e.pk for e in estates], user, VIEW)
    return {
        "object": area,
        "kind": "management_area",
        "title": str(area),
        "fields": management_area_fields(area) + [(gettext("District"), area.district.name)],
        "geojson": geometry_geojson(table=ManagementArea._meta.db_table, pk=pk),
        "estates": [
            {"estate": e, "status": e.service_status if e.pk in shown else "not-shown",
             "status_label": _status_label(e.service_status) if e.pk in shown else str(NOT_SHOWN)} for e in estates
        ],
    }


def enterprise_detail(*, pk: int, user) -> dict | None:
    """The enterprise's register entry (district-wide) and its current contracts the user may view (a street
    office: its street's; `contracts_not_shown` counts the others, so the page never says it serves nothing)."""
    enterprise = restrict(Enterprise.objects.all(), user, LOCATE).filter(pk=pk).first()
    if enterprise is None:
        return None
    current = contracts_active_on().filter(enterprise_id=pk)
    contracts = list(
        restrict(current, user, VIEW)
        .select_related("estate__community")
        .order_by("estate__name", "estate_id")
    )
    return {
        "object": enterprise,
        "kind": "enterprise",
        "title": enterprise.name,
        "fields": enterprise_fields(enterprise) + [
            (gettext("Filing date"), enterprise.filed_on.isoformat() if enterprise.filed_on else None),
            (gettext("Contact person"), enterprise.contact_person),
            (gettext("Contact phone"), enterprise.contact_phone),
            (gettext("Address"), enterprise.address),
        ],
        "geojson": estates_geojson(estate_ids=[c.estate_id for c in contracts]),
        "contracts": contracts,
        "contracts_not_shown": current.count() - len(contracts),
    }


# Every detail page's context by kind, for `user`: objects it may locate, state where it may view
# (docs/SECURITY.md "Read scope").
DETAILS = {
    "estate": estate_detail,
    "building": building_detail,
    "management_area": management_area_detail,
    "enterprise": enterprise_detail,
}

