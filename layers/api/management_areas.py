"""Management-area editing endpoints (docs/EDIT_API.md): strict GeoJSON parsing, JSON errors, services for writes.

DRF views (session with CSRF, or token); an anonymous caller gets 403. Bodies are read strictly from request.body
(size first, then layers.io.geojson_input.loads), then checked by the serializer the schema documents
(layers/api/openapi.py, whose geometry fields wrap the strict GeoJSON parser: the messages name the position at
fault). Refusals are answered by the API's one exception handler.
"""
from __future__ import annotations

from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response
from shapely.geometry import mapping

from ..io.geojson_input import BadInput, loads
from ..io.readers import file_size
from ..models import ManagementArea
from ..params import bbox_param
from ..permissions import VIEW, get_restricted, require, restrict
from ..selectors import areas as selectors
from ..services import management_areas as svc
from . import openapi as doc
from .drf import bytes_response
from .validation import validated, validated_query

MAX_BODY = 5 * 1024 * 1024


def ok(data, status: int = 200) -> Response:
    return Response(data, status=status)


# --- parsing ----------------------------------------------------------------------------------------------------

def parse_body(request) -> dict:
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.startswith(("multipart/", "application/x-www-form-urlencoded")):
        # A form body was parsed already (by the CSRF check): its raw bytes are gone, and it is not JSON anyway.
        raise BadInput(_("Send the body as JSON (Content-Type: application/json), not as a form."))
    if len(request.body) > MAX_BODY:
        raise BadInput(_("The body is %(size)s; at most %(max)s are accepted: simplify the boundary.")
                       % {"size": file_size(len(request.body)), "max": file_size(MAX_BODY)})
    data = loads(request.body or b"null")
    if not isinstance(data, dict):
        raise BadInput(_("The body must be a JSON object."))
    return data


def feature_body(request, serializer_class) -> tuple[object, dict]:
    """(geometry, validated properties) of a GeoJSON Feature body, checked by its documented serializer."""
    data = validated(serializer_class, parse_body(request))
    return data["geometry"], data.get("properties") or {}


def _or(value, default):
    return default if value is None else value


class AreaDeleteQuery(serializers.Serializer):
    version = doc.WholeNumber(min_value=0, help_text="The version you saw")
    reason = serializers.CharField(required=False, allow_blank=True, help_text="Why (kept in the history)")


# --- responses --------------------------------------------------------------------------------------------------

def _feature(area_id: int, warnings: list | None = None) -> dict:
    """The area as stored. After a write, call it inside the write's transaction (the views below are atomic): the row
    lock is still held, so the answer is the version this write made, not a later one (a client that took the
    later version as its base would overwrite that save without a conflict: DOMAIN.md, conflict detection)."""
    feature = selectors.management_area_feature(pk=area_id)
    if warnings is not None:
        feature["warnings"] = warnings
    return feature


# --- views ------------------------------------------------------------------------------------------------------

@extend_schema(
    methods=["GET"], tags=["management areas"], operation_id="management_areas_list",
    summary="Management areas meeting a bbox (at most 500, by code)",
    parameters=[doc.query("bbox", required=True,
                          description="minx,miny,maxx,maxy in longitude/latitude degrees")],
    responses={(200, doc.GEOJSON): doc.ManagementAreaCollectionSerializer, **doc.errors(400, 403)},
)
@extend_schema(
    methods=["POST"], tags=["management areas"],
    summary="Create a management area (planner, administrator)",
    request=doc.AreaWriteSerializer,
    responses={201: doc.ManagementAreaFeatureSerializer, **doc.errors(400, 403, 404)},
)
@api_view(["GET", "HEAD", "POST"])
@bytes_response
@transaction.atomic  # the answer is read before the row lock is let go (see _feature)
def areas(request):
    if request.method == "GET":
        require(request.user, ManagementArea, VIEW)
        bbox = bbox_param(request.GET.get("bbox"))
        if bbox is None:
            raise BadInput(_("bbox is required: minx,miny,maxx,maxy."))
        body = selectors.management_area_collection_json(
            queryset=restrict(ManagementArea.objects.all(), request.user, VIEW), bbox=bbox)
        return HttpResponse(body, content_type="application/geo+json")
    geometry, properties = feature_body(request, doc.AreaWriteSerializer)
    saved = svc.management_area_create(
        user=request.user, geometry=geometry, name=properties.get("name"), code=properties.get("code"),
        street_id=properties.get("street_id"), reason=properties.get("reason") or "")
    return ok(_feature(saved.area.pk, saved.warnings), status=201)


@extend_schema(
    methods=["GET"], tags=["management areas"], summary="One management area as an editing Feature",
    responses={200: doc.ManagementAreaFeatureSerializer, **doc.errors(403, 404)},
)
@extend_schema(
    methods=["PUT"], tags=["management areas"],
    summary="Redraw or rename an area; `properties.version` is the version you edited",
    request=doc.AreaWriteSerializer,
    responses={200: doc.ManagementAreaFeatureSerializer, **doc.errors(400, 403, 404, 409)},
)
@extend_schema(
    methods=["DELETE"], tags=["management areas"], summary="Delete an area (its estates become unassigned)",
    parameters=[AreaDeleteQuery],
    responses={204: OpenApiResponse(description="Deleted"), **doc.errors(400, 403, 404, 409)},
)
@api_view(["GET", "HEAD", "PUT", "DELETE"])
@transaction.atomic  # the answer is read before the row lock is let go (see _feature)
def area(request, pk: int):
    if request.method == "GET":
        found = get_restricted(ManagementArea.objects.all(), request.user, VIEW, pk=pk)
        return ok(_feature(found.pk))
    if request.method == "DELETE":
        query = validated_query(AreaDeleteQuery, request)
        svc.management_area_delete(user=request.user, area_id=pk, base_version=query["version"],
                                   reason=query.get("reason", ""))
        return HttpResponse(status=204)
    geometry, properties = feature_body(request, doc.AreaWriteSerializer)
    if properties.get("version") is None:
        raise BadInput(_("%(what)s is missing.") % {"what": "properties.version"}, field="properties.version")
    saved = svc.management_area_update(
        user=request.user, area_id=pk, base_version=properties["version"], geometry=geometry,
        name=properties.get("name"), code=properties.get("code"), street_id=properties.get("street_id"),
        reason=properties.get("reason") or "")
    return ok(_feature(saved.area.pk, saved.warnings))


@extend_schema(
    tags=["management areas"], summary="Check a boundary without saving: problems and warnings",
    request=doc.AreaCheckSerializer,
    responses={200: doc.ValidationResultSerializer, **doc.errors(400, 403, 404)},
)
@api_view(["POST"])
def validate(request):
    geometry, properties = feature_body(request, doc.AreaCheckSerializer)
    result = svc.management_area_validate(user=request.user, geometry=geometry, area_id=properties.get("id"))
    return ok({"ok": result.ok, "problems": [p.as_dict() for p in result.problems], "warnings": result.warnings})


@extend_schema(
    tags=["management areas"],
    summary="Clip a boundary to the district and its neighbours (snapping within `tolerance` metres)",
    request=doc.AreaCheckSerializer,
    responses={200: doc.ClippedFeatureSerializer, **doc.errors(400, 403, 404)},
)
@api_view(["POST"])
def clip(request):
    data = parse_body(request)
    checked = validated(doc.AreaCheckSerializer, data)
    properties = checked.get("properties") or {}
    clipped = svc.management_area_clip(
        user=request.user, geometry=checked["geometry"], area_id=properties.get("id"),
        tolerance_m=_or(properties.get("tolerance"), 1.0))
    sent = data.get("properties") or {}  # echoed unchanged
    return ok({"type": "Feature", "id": sent.get("id"), "geometry": mapping(clipped), "properties": sent})


@extend_schema(
    tags=["management areas"], summary="Split an area along a line into two",
    request=doc.AreaSplitSerializer,
    responses={200: doc.AreaSplitResultSerializer, **doc.errors(400, 403, 404, 409)},
)
@api_view(["POST"])
@transaction.atomic  # the answer is read before the row lock is let go (see _feature)
def split(request, pk: int):
    data = validated(doc.AreaSplitSerializer, parse_body(request))
    kept, new = svc.management_area_split(
        user=request.user, area_id=pk, base_version=data["version"], line=data["line"],
        reason=data.get("reason") or "", new_name=data.get("name"), tolerance_m=_or(data.get("tolerance"), 1.0))
    return ok({"features": [_feature(kept.area.pk), _feature(new.area.pk)], "warnings": kept.warnings + new.warnings})


@extend_schema(
    tags=["management areas"], summary="Merge two touching areas (the first keeps its id and name)",
    request=doc.AreaMergeSerializer,
    responses={200: doc.ManagementAreaFeatureSerializer, **doc.errors(400, 403, 404, 409)},
)
@api_view(["POST"])
@transaction.atomic  # the answer is read before the row lock is let go (see _feature)
def merge(request):
    data = validated(doc.AreaMergeSerializer, parse_body(request))
    saved = svc.management_area_merge(
        user=request.user, area_ids=data["ids"], base_versions={str(k): v for k, v in data["versions"].items()},
        reason=data.get("reason") or "", tolerance_m=_or(data.get("tolerance"), 0.0))
    return ok(_feature(saved.area.pk, saved.warnings))


@extend_schema(
    tags=["management areas"],
    summary="A dry run of a merge: the gap, the filled part and the merged boundary (writes nothing)",
    request=doc.AreaMergePreviewSerializer,
    responses={200: doc.AreaMergePreviewResultSerializer, **doc.errors(400, 403, 404)},
)
@api_view(["POST"])
def merge_preview(request):
    data = validated(doc.AreaMergePreviewSerializer, parse_body(request))
    plan = svc.management_area_merge_preview(user=request.user, area_ids=data["ids"],
                                             tolerance_m=data.get("tolerance"))
    return ok({"ok": not plan.problems, "gap_m": round(plan.gap_m, 1), "max_gap_m": svc.merge_max_gap_m(),
               "tolerance": plan.tolerance_m, "bridge": mapping(plan.bridge) if plan.bridge is not None else None,
               "bridge_area_m2": round(plan.bridge_area_m2), "merged": mapping(plan.merged),
               "problems": [p.as_dict() for p in plan.problems], "warnings": plan.warnings})


@extend_schema(
    tags=["management areas"],
    summary="Every recorded change of an area, newest first; a removed area's too, with what it was merged into",
    responses={200: doc.AreaHistorySerializer, **doc.errors(403, 404)},
)
@api_view(["GET", "HEAD"])
def history(request, pk: int):
    removed = selectors.management_area_removed(area_id=pk) if is_removed(request.user, pk) else None
    if removed is None:
        pk = get_restricted(ManagementArea.objects.all(), request.user, VIEW, pk=pk).pk
    return ok({"versions": selectors.management_area_history(area_id=pk), "removed": removed})


def is_removed(user, pk: int) -> bool:
    """A user who may view areas asks about one that no longer exists and whose history lies in the user's
    scope (its district's)."""
    require(user, ManagementArea, VIEW)
    return selectors.removed_area_in_scope(area_id=pk, user=user)


@extend_schema(
    tags=["management areas"], summary="Bring back an earlier version of an area (saved as a new version)",
    request=doc.AreaRestoreSerializer,
    responses={200: doc.ManagementAreaFeatureSerializer, **doc.errors(400, 403, 404, 409)},
)
@api_view(["POST"])
@transaction.atomic  # the answer is read before the row lock is let go (see _feature)
def restore(request, pk: int):
    data = validated(doc.AreaRestoreSerializer, parse_body(request))
    saved = svc.management_area_restore(
        user=request.user, area_id=pk, version=data["version"], base_version=data["base_version"],
        reason=data.get("reason") or "")
    return ok(_feature(saved.area.pk, saved.warnings))


@extend_schema(
    tags=["management areas"],
    summary="Preview: your edit (from `base_version`) applied onto the current boundary; writes nothing",
    request=doc.AreaRebaseSerializer,
    responses={200: doc.AreaRebaseResultSerializer, **doc.errors(400, 403, 404)},
)
@api_view(["POST"])
def rebase(request, pk: int):
    data = validated(doc.AreaRebaseSerializer, parse_body(request))
    merged, current = svc.management_area_rebase(
        user=request.user, area_id=pk, base_version=data["base_version"], geometry=data["geometry"],
        choices=data.get("choices") or {})
    return ok({
        "geometry": mapping(merged.geometry), "current": _feature(current.pk), "base_version": data["base_version"],
        "places": [p.as_dict() for p in merged.places], "unresolved": merged.unresolved,
        "mine_changed": merged.mine_changed,
        "overwrite": {"corners": merged.their_corners, "area_m2": round(merged.their_area_m2, 1)},
    })
