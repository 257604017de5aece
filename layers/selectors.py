"""Reads shared by the map's endpoints and the detail pages: estate search, popups, object geometry, related lists.

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
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext

from .models import (
    AbandonmentReport,
    Building,
    Enterprise,
    Estate,
    ManagementArea,
    ProviderKind,
    RenovationItem,
    ServiceContract,
    ServiceStatus,
)
from .permissions import (
    ADD,
    LOCATE,
    NOT_SHOWN,
    VIEW,
    OutsideJurisdiction,
    get_restricted,
    in_scope,
    may,
    pks_in_scope,
    restrict,
)
from .rules import contract_active_filter

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
         WHERE name ILIKE %(pattern)s OR address ILIKE %(pattern)s
         ORDER BY name_match DESC, length(name), name, id
         LIMIT %(limit)s) AS e
  JOIN layers_adminarea c ON c.id = e.community_id
 ORDER BY e.name_match DESC, length(e.name), e.name, e.id
"""


def estate_search(*, q: str, user, on: datetime.date | None = None, limit: int = SEARCH_LIMIT) -> list[dict]:
    """Estates whose name or address contains q (case-insensitive); name matches first, shortest names first.
    Every estate is found (names are for orientation); the status is None where the user may not see it."""
    q = q.strip()[:SEARCH_MAX_CHARS]
    if not q:
        return []
    params = {"on": on or timezone.localdate(), "pattern": _like_pattern(q), "limit": limit}
    with connection.cursor() as cursor:
        cursor.execute(ESTATE_SEARCH_SQL, params)
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


# --- service contracts ----------------------------------------------------------------------------------------

def contracts_active_on(on: datetime.date | None = None) -> QuerySet[ServiceContract]:
    on = on or timezone.localdate()
    return ServiceContract.objects.filter(contract_active_filter(on))


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
    fields = estate_fields(estate, shown=in_scope(estate, user))
    return _popup("estate", estate.pk, estate.name, fields, "estate-detail", estate.geom)


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


# --- abandonment reports ----------------------------------------------------------------------------------------
# Reads of abandoned-building reports, always through permissions.restrict(): a street office sees its street only.

from django.contrib.gis.db.models.functions import PointOnSurface  # noqa: E402
from django.db.models import Prefetch  # noqa: E402
from django.http import Http404  # noqa: E402

from .models import AbandonmentEvent, AbandonmentPhoto, AbandonmentReport, ReportState  # noqa: E402
from .services.abandonment import abandonment_next_states  # noqa: E402


def _abandonment_report_queryset() -> QuerySet:
    return (
        AbandonmentReport.objects.select_related("building__estate", "street", "reported_by")
        .annotate(point=PointOnSurface("building__geom"))
        .prefetch_related("photos", Prefetch("events", AbandonmentEvent.objects.select_related("user")))
    )


def abandonment_reports(*, user, state: str | None = None) -> QuerySet:
    """The reports in the user's scope, newest first, optionally in one state (a ReportState value)."""
    reports = restrict(_abandonment_report_queryset(), user, VIEW)
    return reports.filter(state=state) if state else reports


def abandonment_report_get(*, user, pk: int) -> AbandonmentReport:
    """One report in the user's scope: PermissionDenied for a refused role, Http404 when outside or absent."""
    return get_restricted(_abandonment_report_queryset(), user, VIEW, pk=pk)


def abandonment_state_counts(*, user) -> dict[str, int]:
    """Number of reports per state in the user's scope, every state present (0 when none)."""
    counts = dict(restrict(AbandonmentReport.objects.all(), user, VIEW).values_list("state").annotate(n=Count("id")))
    return {state: counts.get(state, 0) for state in ReportState.values}


def abandonment_photo_get(*, user, pk: int):
    """A photo whose report the user may view, or Http404 (a photo of another street is as absent)."""
    photo = AbandonmentPhoto.objects.filter(
        pk=pk, report__in=restrict(AbandonmentReport.objects.all(), user, VIEW)
    ).first()
    if photo is None:
        raise OutsideJurisdiction(gettext("No such photo in your jurisdiction."))
    return photo


def _user_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def abandonment_report_data(*, report: AbandonmentReport, user) -> dict:
    """A report as docs/EDIT_API.md describes it; `transitions` are the states `user` may move it to."""
    point = getattr(report, "point", None)
    return {
        "id": report.pk,
        "building_id": report.building_id,
        "building": str(report.building),
        "estate": report.building.estate.name,
        "estate_id": report.building.estate_id,
        "street": report.street.name,
        "street_id": report.street_id,
        "state": report.state,
        "state_label": str(report.get_state_display()),
        "reason": report.reason,
        "reason_label": str(report.get_reason_display()),
        "description": report.description,
        "abandoned_since": report.abandoned_since.isoformat(),
        "reported_by": _user_name(report.reported_by),
        "created_at": timezone.localtime(report.created_at).isoformat(),
        "point": [round(point.x, 6), round(point.y, 6)] if point is not None else None,
        "photos": [reverse("abandonment-photo", args=[photo.pk]) for photo in report.photos.all()],
        "events": [
            {
                "from": event.from_state,
                "to": event.to_state,
                "to_label": str(event.get_to_state_display()),
                "note": event.note,
                "user": _user_name(event.user),
                "at": timezone.localtime(event.created_at).isoformat(),
            }
            for event in report.events.all()
        ],
        "transitions": abandonment_next_states(user=user, state=report.state),
    }


# --- management-area editing ----------------------------------------------------------------------------------
# Geometries travel as WKB (bytes) in storage SRID; callers (layers.services.management_areas) hold shapely objects.

AREA_FEATURE_SQL = """
SELECT json_build_object(
  'type', 'Feature', 'id', m.id, 'geometry', ST_AsGeoJSON(m.geom, 15)::json,
  'properties', json_build_object(
    'id', m.id, 'code', m.code, 'name', m.name, 'street_id', m.street_id, 'street', s.name,
    'district_id', m.district_id, 'version', m.version, 'updated_at', m.updated_at,
    'estates', (SELECT COALESCE(json_agg(json_build_object('id', e.id, 'name', e.name) ORDER BY e.name, e.id), '[]')
                  FROM layers_estate e WHERE e.management_area_id = m.id)))::text
  FROM layers_managementarea m LEFT JOIN layers_adminarea s ON s.id = m.street_id
 WHERE m.id = ANY(%(ids)s)
 ORDER BY m.code
"""


def management_area_features(*, ids: list[int]) -> list[dict]:
    """Editing Features (docs/EDIT_API.md) of the areas `ids`, by code; ids must already be restricted."""
    if not ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(AREA_FEATURE_SQL, {"ids": list(ids)})
        return [json.loads(row[0]) for row in cursor.fetchall()]


def management_area_feature(*, pk: int) -> dict | None:
    features = management_area_features(ids=[pk])
    return features[0] if features else None


def management_area_collection_json(*, queryset: QuerySet, bbox: tuple[float, float, float, float],
                                    limit: int = 500) -> str:
    """A FeatureCollection (text) of the areas of `queryset` (already restricted) whose box meets `bbox`."""
    from django.contrib.gis.geos import Polygon

    box = Polygon.from_bbox(bbox)
    box.srid = ManagementArea._meta.get_field("geom").srid
    ids = list(queryset.filter(geom__bboverlaps=box).order_by("code").values_list("pk", flat=True)[: limit + 1])
    truncated = len(ids) > limit
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(json_agg(f::json), '[]')::text FROM ({AREA_FEATURE_SQL}) AS q(f)", {"ids": ids[:limit]}
        )
        features = cursor.fetchone()[0]
    return f'{{"type": "FeatureCollection", "truncated": {"true" if truncated else "false"}, "features": {features}}}'


def management_area_last_change(*, area_id: int):
    """The newest ManagementAreaVersion of an area (who saved the version now current, and when), or None."""
    from .models import ManagementAreaVersion

    return (ManagementAreaVersion.objects.filter(area_id=area_id).select_related("user")
            .order_by("-version", "-id").first())


def management_area_history(*, area_id: int) -> list[dict]:
    """Every recorded change of an area, newest first, with the boundary after each change as GeoJSON."""
    from django.contrib.gis.db.models.functions import AsGeoJSON

    from .models import ChangeAction, ManagementAreaVersion

    rows = (ManagementAreaVersion.objects.filter(area_id=area_id).select_related("user")
            .annotate(geometry=AsGeoJSON("geom_after", precision=15)).order_by("-version", "-id"))
    return [
        {
            "version": r.version,
            "action": r.action,
            "action_label": _choice_label(ChangeAction, r.action),
            "reason": r.reason,
            "user": r.user.get_username() if r.user else None,
            "changed_at": r.changed_at.isoformat(),
            "geometry": json.loads(r.geometry) if r.geometry else None,
            "attributes": r.attrs_after,
        }
        for r in rows
    ]


def management_area_overlaps(*, wkb: bytes, exclude_ids: list[int]) -> list[tuple[int, str, bytes]]:
    """(id, code, WKB of the overlap) for every area whose interior overlaps the geometry."""
    with connection.cursor() as cursor:
        cursor.execute(
            """WITH g AS (SELECT ST_GeomFromWKB(%(wkb)s, %(srid)s) AS geom)
               SELECT m.id, m.code, ST_AsBinary(ST_CollectionExtract(ST_Intersection(m.geom, g.geom), 3))
                 FROM layers_managementarea m, g
                WHERE m.geom && g.geom AND ST_Relate(m.geom, g.geom, '2********') AND m.id <> ALL(%(exclude)s)
                ORDER BY m.code LIMIT 50""",
            {"wkb": wkb, "srid": ManagementArea._meta.get_field("geom").srid, "exclude": list(exclude_ids)},
        )
        return [(pk, code, bytes(g)) for pk, code, g in cursor.fetchall()]


def management_area_neighbours(*, wkb: bytes, exclude_ids: list[int], distance: float = 0.0) -> list[bytes]:
    """WKB of the areas within `distance` (degrees) of the geometry, for clipping and snapping."""
    with connection.cursor() as cursor:
        cursor.execute(
            """WITH g AS (SELECT ST_GeomFromWKB(%(wkb)s, %(srid)s) AS geom)
               SELECT ST_AsBinary(m.geom) FROM layers_managementarea m, g
                WHERE m.geom && ST_Expand(g.geom, %(d)s) AND ST_DWithin(m.geom, g.geom, %(d)s)
                  AND m.id <> ALL(%(exclude)s)""",
            {"wkb": wkb, "srid": ManagementArea._meta.get_field("geom").srid, "exclude": list(exclude_ids),
             "d": distance},
        )
        return [bytes(row[0]) for row in cursor.fetchall()]


def district_for_geometry(*, wkb: bytes) -> tuple[int, bytes] | None:
    """(id, WKB boundary) of the district holding most of the geometry, or None when it meets no district."""
    with connection.cursor() as cursor:
        cursor.execute(
            """WITH g AS (SELECT ST_GeomFromWKB(%(wkb)s, %(srid)s) AS geom)
               SELECT a.id, ST_AsBinary(a.geom) FROM layers_adminarea a, g
                WHERE a.level = 'district' AND a.geom && g.geom AND ST_Intersects(a.geom, g.geom)
                ORDER BY ST_Area(ST_Intersection(a.geom, g.geom)) DESC, a.id LIMIT 1""",
            {"wkb": wkb, "srid": ManagementArea._meta.get_field("geom").srid},
        )
        row = cursor.fetchone()
        return (row[0], bytes(row[1])) if row else None


def district_outside_part(*, wkb: bytes, district_id: int) -> bytes | None:
    """WKB of the part of the geometry outside the district, or None when it lies inside."""
    with connection.cursor() as cursor:
        cursor.execute(
            """WITH g AS (SELECT ST_GeomFromWKB(%(wkb)s, %(srid)s) AS geom)
               SELECT CASE WHEN ST_CoveredBy(g.geom, a.geom) THEN NULL
                           ELSE ST_AsBinary(ST_CollectionExtract(ST_Difference(g.geom, a.geom), 3)) END
                 FROM layers_adminarea a, g WHERE a.id = %(district)s""",
            {"wkb": wkb, "srid": ManagementArea._meta.get_field("geom").srid, "district": district_id},
        )
        row = cursor.fetchone()
        return bytes(row[0]) if row and row[0] is not None else None


def street_for_geometry(*, wkb: bytes, district_id: int) -> int | None:
    """The street of the district holding most of the geometry."""
    with connection.cursor() as cursor:
        cursor.execute(
            """WITH g AS (SELECT ST_GeomFromWKB(%(wkb)s, %(srid)s) AS geom)
               SELECT a.id FROM layers_adminarea a, g
                WHERE a.level = 'street' AND a.parent_id = %(district)s AND a.geom && g.geom
                  AND ST_Intersects(a.geom, g.geom)
                ORDER BY ST_Area(ST_Intersection(a.geom, g.geom)) DESC, a.id LIMIT 1""",
            {"wkb": wkb, "srid": ManagementArea._meta.get_field("geom").srid, "district": district_id},
        )
        row = cursor.fetchone()
        return row[0] if row else None


def estates_cut_by(*, wkb: bytes, limit: int = 100) -> list[dict]:
    """Estates partly inside and partly outside the geometry (rule 1: an estate should not be split)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """WITH g AS (SELECT ST_GeomFromWKB(%(wkb)s, %(srid)s) AS geom)
               SELECT e.id, e.name FROM layers_estate e, g
                WHERE e.geom && g.geom AND ST_Relate(e.geom, g.geom, '2********') AND NOT ST_CoveredBy(e.geom, g.geom)
                ORDER BY e.name, e.id LIMIT %(limit)s""",
            {"wkb": wkb, "srid": ManagementArea._meta.get_field("geom").srid, "limit": limit},
        )
        return [{"id": pk, "name": name} for pk, name in cursor.fetchall()]
