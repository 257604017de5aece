"""JSON endpoints for assigning service (docs/SERVICE_API.md): assign, end, worklists, nearby candidates, history.

Views read their input with the serializers the schema documents (layers/api/service_schema.py) and answer; the
rules live in services.contracts, the reads in selectors (worklists, candidates, contracts).
Refusals are answered by the API's one exception handler, {"error": message, "code": …}: 400 bad input or a refused
rule, 403 role, 404 outside the user's scope, 409 when the estate is already served (overlap with an existing
contract: the service's Conflict with code "overlap").
"""
from __future__ import annotations

import json

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import api_view
from rest_framework.response import Response

from ..models import Estate, ServiceContract
from ..permissions import ADD, CHANGE, VIEW, get_restricted, require
from ..planning import candidates as scoring
from ..refusals import Invalid
from ..selectors.candidates import MAX_DISTANCE_M, nearby_candidates, territories_geojson
from ..selectors.contracts import (
    agencies_serving,
    contract_provider_name,
    contract_with_parties,
    estate_service_history,
    estates_in_selection,
    selection_streets,
)
from ..selectors.worklists import NAMES, PER_PAGE, worklist_counts, worklist_get
from ..services.contracts import contract_end, contract_snapshot, contracts_assign
from . import service_schema as doc
from .validation import validated_body, validated_query



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
    body = validated_body(doc.AssignRequestSerializer, request)
    start_date = body["start_date"]
    ids = body.get("estate_ids")
    if "selection" in body:
        ids = estates_in_selection(body["selection"], start_date=start_date, include_served=body["include_served"])
        if not ids:
            raise Invalid(_("No estate without service lies inside the selection."), field="selection",
                          code="selection")
    arguments = dict(
        user=request.user, estate_ids=ids, provider_kind=body["provider_kind"], mode=body.get("mode") or "",
        start_date=start_date, end_date=body.get("end_date"), enterprise_id=body.get("enterprise_id"),
        caretaker_agency_id=body.get("caretaker_agency_id"), note=body.get("note") or "", replace=body["replace"],
    )
    dry_run = body["dry_run"]
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


@extend_schema(
    summary="What a selection holds before assigning: its estates, their streets, the caretaker agencies that may "
            "serve them",
    request=doc.SelectionRequestSerializer,
    responses={200: doc.SelectionResponseSerializer, **doc.service_errors(400, 403)},
    tags=["service"],
)
@api_view(["POST"])
def selection(request):
    require(request.user, ServiceContract, ADD)  # the assignment form's read: only for who may assign
    body = validated_body(doc.SelectionRequestSerializer, request)
    if "selection" in body:
        ids = estates_in_selection(body["selection"], start_date=body.get("start_date") or timezone.localdate(),
                                   include_served=body["include_served"])
    else:
        ids = list(Estate.objects.filter(pk__in=body["estate_ids"]).order_by("pk").values_list("pk", flat=True))
    streets = selection_streets(estate_ids=ids)
    return Response({
        "count": len(ids), "households": sum(s["households"] for s in streets), "estate_ids": ids,
        "streets": streets,
        "agency_ids": list(agencies_serving(street_ids=[s["id"] for s in streets]).values_list("pk", flat=True))
        if ids else [],
    })


@extend_schema(summary="End a service contract on a date", request=doc.EndRequestSerializer,
               responses={200: doc.ContractSerializer, **doc.service_errors(400, 403, 404)}, tags=["service"])
@api_view(["POST"])
def end(request, pk: int):
    require(request.user, ServiceContract, CHANGE)
    body = validated_body(doc.EndRequestSerializer, request)
    contract = contract_end(user=request.user, contract_id=pk, end_date=body["end_date"], reason=body["reason"])
    return Response(contract_data(contract_with_parties(pk=contract.pk)))


def _worklist_json(wl, *, counts: dict | None = None) -> dict:
    return {
        "name": wl.name, "title": wl.title, "date": wl.on.isoformat(),
        "street": {"id": wl.street.pk, "name": wl.street.name} if wl.street else None,
        "count": wl.count, "households": wl.households, "buildings": wl.buildings,
        "page": wl.page, "pages": wl.pages, "per_page": wl.per_page, "rows": wl.rows,
        "features": wl.features, "ids": wl.ids, "names": wl.names, "bbox": wl.bbox, "ids_truncated": wl.ids_truncated,
        **({"counts": counts} if counts is not None else {}),
    }


@extend_schema(
    summary="A worklist: estates still needing a service, paged, with the page's outlines and the whole list's ids, "
            "names and extent for the map",
    parameters=[OpenApiParameter("name", str, OpenApiParameter.PATH, enum=list(NAMES)), doc.WorklistQuery],
    responses={200: doc.WorklistSerializer, **doc.service_errors(400, 403, 404)}, tags=["service"],
)
@api_view(["GET"])
def worklist(request, name: str):
    query = validated_query(doc.WorklistQuery, request)
    street_id, on = query.get("street"), query.get("date")
    page, per_page = query.get("page") or 1, query.get("per_page") or PER_PAGE
    wl = worklist_get(user=request.user, name=name, street_id=street_id, on=on, page=page, per_page=per_page,
                      with_map=query["features"])
    counts = worklist_counts(user=request.user, street_id=street_id, on=on, known=wl)
    return Response(_worklist_json(wl, counts=counts))


def _visible_estate(user, pk: int) -> Estate:
    """The estate, if the user may see its service: a street office only in its own street (404 elsewhere)."""
    require(user, ServiceContract, VIEW)
    return get_restricted(Estate.objects.select_related("community__parent"), user, VIEW, pk=pk)


@extend_schema(
    summary="Nearby custody: enterprises ranked for an estate, with their territories (GeoJSON) for the map",
    parameters=[doc.CandidatesQuery],
    responses={200: doc.CandidatesSerializer, **doc.service_errors(400, 403, 404)}, tags=["service"],
)
@api_view(["GET"])
def candidates(request, pk: int):
    estate = _visible_estate(request.user, pk)
    query = validated_query(doc.CandidatesQuery, request)
    limit = min(max(query.get("limit") or 10, 1), 30)
    on = query.get("date")
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
