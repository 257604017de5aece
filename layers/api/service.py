"""JSON endpoints for assigning service (docs/SERVICE_API.md): assign, end, worklists, nearby candidates, history.

Views parse and answer; the rules live in services.contracts, the reads in selectors (worklists, candidates,
contracts).
Refusals are answered by the API's one exception handler, {"error": message, "code": …}: 400 bad input or a refused
rule, 403 role, 404 outside the user's scope, 409 when the estate is already served (overlap with an existing
contract: the services' ValidationError with code "overlap").
"""
from __future__ import annotations

import json

import shapely
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import api_view
from rest_framework.response import Response

from ..io.geojson_input import MAX_SELECTION_POINTS, parse_geometry
from ..models import Estate, ProviderKind, ServiceContract
from ..models.geo import SRID
from ..params import date_param, number_param
from ..permissions import ADD, CHANGE, VIEW, get_restricted, require
from ..planning import candidates as scoring
from ..refusals import Invalid
from ..selectors.candidates import MAX_DISTANCE_M, nearby_candidates, territories_geojson
from ..selectors.contracts import (
    contract_provider_name,
    contract_with_parties,
    estate_service_history,
    estates_in_selection,
)
from ..selectors.worklists import MAX_PER_PAGE, NAMES, PER_PAGE, worklist_counts, worklist_get
from ..services.contracts import contract_end, contract_snapshot, contracts_assign
from . import service_schema as doc



def _date(value, field: str, *, required: bool = False):
    if value in (None, ""):
        if required:
            raise Invalid(_("%(field)s is required (YYYY-MM-DD).") % {"field": field}, code=field)
        return None
    try:
        return date_param(str(value), default=None)
    except ValueError:
        raise Invalid(_("%(field)s must be a date as YYYY-MM-DD, not %(value)r.") % {"field": field, "value": value},
                      code=field) from None


def _int(value, field: str, *, required: bool = False):
    if value in (None, ""):
        if required:
            raise Invalid(_("%(field)s is required.") % {"field": field}, code=field)
        return None
    return number_param(value, field, integer=True)


def parse_selection(value) -> MultiPolygon:
    """A drawn box or lasso: a GeoJSON Polygon/MultiPolygon (or a Feature of one) in lon/lat, made valid.

    Read by the API's one strict parser (layers/io/geojson_input.py); a lasso that crosses itself is a gesture, not an
    error, so it is repaired rather than refused.
    """
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    try:
        parsed = parse_geometry(value, "selection")
    except Invalid as exc:  # BadInput or GeometryProblem: the same message, naming the selection
        raise Invalid(exc.message, code="selection") from None
    if parsed is None or parsed.geom_type not in ("Polygon", "MultiPolygon"):
        raise Invalid(_("selection must be a GeoJSON Polygon or MultiPolygon (the box or lasso drawn on the map), "
                        "not a %(type)s.") % {"type": parsed.geom_type if parsed is not None else "null"},
                      code="selection")
    points = len(shapely.get_coordinates(parsed))
    if points > MAX_SELECTION_POINTS:
        raise Invalid(_("The selection has %(n)d points; at most %(max)d are accepted.")
                      % {"n": points, "max": MAX_SELECTION_POINTS}, code="selection")
    geom = GEOSGeometry(memoryview(shapely.to_wkb(parsed)), srid=SRID)  # CGCS2000 ≈ WGS84 (docs/MAP_API.md)
    if not geom.valid:
        geom = geom.make_valid()  # a lasso crossing itself
    polygons = [g for g in (geom if geom.geom_type in ("MultiPolygon", "GeometryCollection") else [geom])
                if isinstance(g, Polygon) and g.area > 0]
    if not polygons:
        raise Invalid(_("The selection encloses no area."), code="selection")
    return MultiPolygon(*polygons, srid=SRID)


def contract_data(contract: ServiceContract) -> dict:
    return {**contract_snapshot(contract), "provider": contract_provider_name(contract),
            "provider_kind_label": str(contract.get_provider_kind_display()), "mode_label": str(contract.get_mode_display()),
            "estate_name": contract.estate.name, "estate_code": contract.estate.code,
            "created_by": contract.created_by.get_username() if contract.created_by_id else None,
            "created_at": contract.created_at.isoformat() if contract.created_at else None}


@extend_schema(
    summary="Assign a service to estates (one, a list, or those inside a drawn box/lasso); all or none",
    request=doc.AssignRequestSerializer,
    responses={201: doc.AssignResponseSerializer,
               200: OpenApiResponse(doc.AssignResponseSerializer, description="dry_run: what would be assigned"),
               **doc.service_errors(400, 403, 409)},
    tags=["service"],
)
@api_view(["POST"])
def assign(request):
    require(request.user, ServiceContract, ADD)  # a refused role learns that before any input error
    body = request.data if isinstance(request.data, dict) else {}
    estate_ids = body.get("estate_ids")
    selection = body.get("selection")
    if (estate_ids is None) == (selection is None):
        raise Invalid(_("Give either estate_ids or a selection polygon."), code="estate_ids")
    start_date = _date(body.get("start_date"), "start_date", required=True)
    end_date = _date(body.get("end_date"), "end_date")
    if selection is not None:
        estate_ids = estates_in_selection(parse_selection(selection), start_date=start_date,
                                          include_served=bool(body.get("include_served")))
        if not estate_ids:
            raise Invalid(_("No estate without service lies inside the selection."), code="selection")
    elif not isinstance(estate_ids, list):
        raise Invalid(_("estate_ids must be a list of estate ids."), code="estate_ids")
    ids = [_int(i, "estate_ids", required=True) for i in estate_ids]
    provider_kind = body.get("provider_kind")
    if not isinstance(provider_kind, str):
        raise Invalid(_("provider_kind is required: %(choices)s.") % {"choices": ", ".join(ProviderKind.values)},
                      code="provider_kind")
    note = body.get("note") or ""
    if not isinstance(note, str):
        raise Invalid(_("note must be text."), code="note")
    arguments = dict(
        user=request.user, estate_ids=ids, provider_kind=provider_kind, mode=body.get("mode") or "",
        start_date=start_date, end_date=end_date, enterprise_id=_int(body.get("enterprise_id"), "enterprise_id"),
        caretaker_agency_id=_int(body.get("caretaker_agency_id"), "caretaker_agency_id"), note=note,
        replace=bool(body.get("replace")),
    )
    dry_run = bool(body.get("dry_run"))
    with transaction.atomic():
        contracts = contracts_assign(**arguments)
        households = sum(c.estate.households for c in contracts)
        data = {"count": len(contracts), "households": households,
                "estate_ids": [c.estate_id for c in contracts], "dry_run": dry_run}
        if dry_run:
            # What would be assigned, then nothing kept: the same checks and triggers as a real assignment.
            data["estates"] = [{"id": c.estate_id, "name": c.estate.name, "households": c.estate.households}
                               for c in contracts]
            transaction.set_rollback(True)
            return Response(data, status=200)
        data["contracts"] = [contract_data(c) for c in contracts]
    return Response(data, status=201)


@extend_schema(summary="End a service contract on a date", request=doc.EndRequestSerializer,
               responses={200: doc.ContractSerializer, **doc.service_errors(400, 403, 404)}, tags=["service"])
@api_view(["POST"])
def end(request, pk: int):
    require(request.user, ServiceContract, CHANGE)
    body = request.data if isinstance(request.data, dict) else {}
    end_date = _date(body.get("end_date"), "end_date", required=True)
    reason = body.get("reason")
    if not isinstance(reason, str):
        raise Invalid(_("reason is required: why the contract ends."), code="reason")
    contract = contract_end(user=request.user, contract_id=pk, end_date=end_date, reason=reason)
    return Response(contract_data(contract_with_parties(pk=contract.pk)))


def _worklist_json(wl, *, counts: dict | None = None) -> dict:
    return {
        "name": wl.name, "title": wl.title, "date": wl.on.isoformat(),
        "street": {"id": wl.street.pk, "name": wl.street.name} if wl.street else None,
        "count": wl.count, "households": wl.households, "buildings": wl.buildings,
        "page": wl.page, "pages": wl.pages, "per_page": wl.per_page, "rows": wl.rows,
        "features": wl.features, "features_truncated": wl.features_truncated,
        **({"counts": counts} if counts is not None else {}),
    }


@extend_schema(
    summary="A worklist: estates still needing a service, paged, with GeoJSON features for the map",
    parameters=[
        OpenApiParameter("name", str, OpenApiParameter.PATH, enum=list(NAMES)),
        OpenApiParameter("street", int, description="Limit to one street (street offices: always their own)."),
        OpenApiParameter("date", OpenApiTypes.DATE, description="State on this date (default today)."),
        OpenApiParameter("page", int), OpenApiParameter("per_page", int, description=f"Default {PER_PAGE}, max "
                                                                                      f"{MAX_PER_PAGE}."),
        OpenApiParameter("features", bool, description="0: no map features (default 1)."),
    ],
    responses={200: doc.WorklistSerializer, **doc.service_errors(400, 403, 404)}, tags=["service"],
)
@api_view(["GET"])
def worklist(request, name: str):
    street_id = _int(request.query_params.get("street"), "street")
    on = _date(request.query_params.get("date"), "date")
    page = _int(request.query_params.get("page"), "page") or 1
    per_page = _int(request.query_params.get("per_page"), "per_page") or PER_PAGE
    with_features = request.query_params.get("features", "1") not in ("0", "false")
    wl = worklist_get(user=request.user, name=name, street_id=street_id, on=on, page=page, per_page=per_page,
                      with_features=with_features)
    counts = worklist_counts(user=request.user, street_id=street_id, on=on, known=wl)
    return Response(_worklist_json(wl, counts=counts))


def _visible_estate(user, pk: int) -> Estate:
    """The estate, if the user may see its service: a street office only in its own street (404 elsewhere)."""
    require(user, ServiceContract, VIEW)
    return get_restricted(Estate.objects.select_related("community__parent"), user, VIEW, pk=pk)


@extend_schema(
    summary="Nearby custody: enterprises ranked for an estate, with their territories (GeoJSON) for the map",
    parameters=[OpenApiParameter("limit", int, description="Default 10, at most 30."),
                OpenApiParameter("date", OpenApiTypes.DATE)],
    responses={200: doc.CandidatesSerializer, **doc.service_errors(400, 403, 404)}, tags=["service"],
)
@api_view(["GET"])
def candidates(request, pk: int):
    estate = _visible_estate(request.user, pk)
    limit = min(max(_int(request.query_params.get("limit"), "limit") or 10, 1), 30)
    on = _date(request.query_params.get("date"), "date")
    ranked = nearby_candidates(geom=estate.geom, on=on, limit=limit, households=estate.households)
    shapes = territories_geojson(enterprise_ids=[c.enterprise_id for c in ranked], on=on)
    return Response({
        "estate": {"id": estate.pk, "name": estate.name, "code": estate.code, "households": estate.households,
                   "geometry": json.loads(estate.geom.json)},
        "max_distance_m": MAX_DISTANCE_M,
        "weights": {"distance": scoring.WEIGHT_DISTANCE, "credit": scoring.WEIGHT_CREDIT,
                    "capacity": scoring.WEIGHT_CAPACITY},
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": c.enterprise_id, "geometry": shapes.get(c.enterprise_id),
             "properties": {"enterprise_id": c.enterprise_id, "name": c.name, "rank": c.rank,
                            "score": round(c.score, 4), "distance_m": round(c.distance_m, 1), "grade": c.grade,
                            "households_served": c.households_served, "list_status": c.list_status}}
            for c in ranked
        ],
    })


@extend_schema(summary="An estate's service history: its contracts and every recorded assignment or end",
               responses={200: doc.HistorySerializer, **doc.service_errors(403, 404)}, tags=["service"])
@api_view(["GET"])
def estate_contracts(request, pk: int):
    estate = _visible_estate(request.user, pk)
    history = estate_service_history(estate=estate, user=request.user)
    return Response({
        "estate": {"id": estate.pk, "name": estate.name, "code": estate.code, "status": history["status"]},
        "contracts": [contract_data(c) for c in history["contracts"]],
        "changes": [{"id": ch.pk, "action": ch.action, "action_label": ch.get_action_display(),
                     "contract_id": ch.contract_id, "before": ch.before, "after": ch.after, "reason": ch.reason,
                     "user": ch.user.get_username() if ch.user_id else None, "at": ch.changed_at.isoformat()}
                    for ch in history["changes"]],
    })
