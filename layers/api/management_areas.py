"""Management-area editing endpoints (docs/EDIT_API.md): strict GeoJSON parsing, JSON errors, services for writes.

DRF views (session with CSRF, or token); an anonymous caller gets 403. Bodies are parsed here, strictly, from
request.body (not DRF's parsers): the messages name the position at fault. Refusals (BadInput, the services'
ValidationFailed and Conflict, PermissionDenied, Http404) are answered by the API's one exception handler.
"""
from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import api_view
from rest_framework.response import Response
from shapely.geometry import LineString, mapping

from ..io.geojson_input import BadInput, check_crs, loads, parse_geometry
from ..io.readers import file_size
from ..models import ManagementArea
from ..params import bbox_param, number_param
from ..permissions import VIEW, get_restricted, require, restrict
from ..selectors import areas as selectors
from ..services import management_areas as svc
from . import openapi as doc
from .drf import bytes_response

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


def parse_int(value, what: str, *, required: bool = True) -> int | None:
    if (value is None or value == "") and required:
        raise BadInput(_("%(what)s is missing.") % {"what": what})
    return number_param(value, what, integer=True, minimum=0)


def parse_float(value, what: str, default: float) -> float:
    return float(number_param(value, what, default=default))


def parse_text(value, what: str, *, max_length: int | None = None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadInput(_("%(what)s must be text.") % {"what": what})
    if max_length and len(value.strip()) > max_length:
        raise BadInput(_("%(what)s is longer than %(n)d characters.") % {"what": what, "n": max_length})
    return value


def parse_feature(data: dict) -> tuple[object, dict]:
    """(geometry, properties) of a GeoJSON Feature body."""
    if data.get("type") != "Feature":
        raise BadInput(_("The body must be a GeoJSON Feature ({\"type\": \"Feature\", \"geometry\", \"properties\"})."))
    check_crs(data, "the feature")
    properties = data.get("properties") or {}
    if not isinstance(properties, dict):
        raise BadInput(_("\"properties\" must be an object."))
    return parse_geometry(data.get("geometry")), properties


def parse_line(value) -> LineString:
    if value is None:
        raise BadInput(_("\"line\" is missing: draw the line to cut along."))
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    line = parse_geometry(value, "line")
    if not isinstance(line, LineString) or line.is_empty:
        raise BadInput(_("\"line\" must be a GeoJSON LineString with at least two points."))
    return line


# --- responses --------------------------------------------------------------------------------------------------

def _feature(area_id: int, warnings: list | None = None) -> dict:
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
def areas(request):
    if request.method == "GET":
        require(request.user, ManagementArea, VIEW)
        bbox = bbox_param(request.GET.get("bbox"))
        if bbox is None:
            raise BadInput(_("bbox is required: minx,miny,maxx,maxy."))
        body = selectors.management_area_collection_json(
            queryset=restrict(ManagementArea.objects.all(), request.user, VIEW), bbox=bbox)
        return HttpResponse(body, content_type="application/geo+json")
    geometry, properties = parse_feature(parse_body(request))
    saved = svc.management_area_create(
        user=request.user, geometry=geometry,
        name=parse_text(properties.get("name"), "properties.name", max_length=100),
        code=parse_text(properties.get("code"), "properties.code", max_length=32),
        street_id=parse_int(properties.get("street_id"), "properties.street_id", required=False),
        reason=parse_text(properties.get("reason"), "properties.reason") or "")
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
    parameters=[doc.query("version", int, required=True, description="The version you saw"),
                doc.query("reason", description="Why (kept in the history)")],
    responses={204: OpenApiResponse(description="Deleted"), **doc.errors(400, 403, 404, 409)},
)
@api_view(["GET", "HEAD", "PUT", "DELETE"])
def area(request, pk: int):
    if request.method == "GET":
        found = get_restricted(ManagementArea.objects.all(), request.user, VIEW, pk=pk)
        return ok(_feature(found.pk))
    if request.method == "DELETE":
        svc.management_area_delete(user=request.user, area_id=pk,
                                   base_version=parse_int(request.GET.get("version"), "version"),
                                   reason=request.GET.get("reason", ""))
        return HttpResponse(status=204)
    data = parse_body(request)
    geometry, properties = parse_feature(data)
    saved = svc.management_area_update(
        user=request.user, area_id=pk, base_version=parse_int(properties.get("version"), "properties.version"),
        geometry=geometry, name=parse_text(properties.get("name"), "properties.name", max_length=100),
        code=parse_text(properties.get("code"), "properties.code", max_length=32),
        street_id=parse_int(properties.get("street_id"), "properties.street_id", required=False),
        reason=parse_text(properties.get("reason"), "properties.reason") or "")
    return ok(_feature(saved.area.pk, saved.warnings))


@extend_schema(
    tags=["management areas"], summary="Check a boundary without saving: problems and warnings",
    request=doc.AreaCheckSerializer,
    responses={200: doc.ValidationResultSerializer, **doc.errors(400, 403, 404)},
)
@api_view(["POST"])
def validate(request):
    geometry, properties = parse_feature(parse_body(request))
    result = svc.management_area_validate(
        user=request.user, geometry=geometry,
        area_id=parse_int(properties.get("id"), "properties.id", required=False))
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
    geometry, properties = parse_feature(data)
    clipped = svc.management_area_clip(
        user=request.user, geometry=geometry, area_id=parse_int(properties.get("id"), "properties.id", required=False),
        tolerance_m=parse_float(properties.get("tolerance"), "properties.tolerance", 1.0))
    return ok({"type": "Feature", "id": properties.get("id"), "geometry": mapping(clipped), "properties": properties})


@extend_schema(
    tags=["management areas"], summary="Split an area along a line into two",
    request=doc.AreaSplitSerializer,
    responses={200: doc.AreaSplitResultSerializer, **doc.errors(400, 403, 404, 409)},
)
@api_view(["POST"])
def split(request, pk: int):
    data = parse_body(request)
    kept, new = svc.management_area_split(
        user=request.user, area_id=pk, base_version=parse_int(data.get("version"), "version"),
        line=parse_line(data.get("line")), reason=parse_text(data.get("reason"), "reason") or "",
        new_name=parse_text(data.get("name"), "name", max_length=100),
        tolerance_m=parse_float(data.get("tolerance"), "tolerance", 1.0))
    return ok({"features": [_feature(kept.area.pk), _feature(new.area.pk)], "warnings": kept.warnings + new.warnings})


@extend_schema(
    tags=["management areas"], summary="Merge two touching areas (the first keeps its id and name)",
    request=doc.AreaMergeSerializer,
    responses={200: doc.ManagementAreaFeatureSerializer, **doc.errors(400, 403, 404, 409)},
)
@api_view(["POST"])
def merge(request):
    data = parse_body(request)
    ids = data.get("ids")
    if not isinstance(ids, list) or len(ids) != 2:
        raise BadInput(_("\"ids\" must list the two areas to merge: [kept, removed]."))
    ids = [parse_int(i, "ids[]") for i in ids]
    versions = data.get("versions")
    if not isinstance(versions, dict):
        raise BadInput(_("\"versions\" must map each area id to the version you edited."))
    versions = {str(k): parse_int(v, f"versions.{k}") for k, v in versions.items()}
    saved = svc.management_area_merge(
        user=request.user, area_ids=ids, base_versions=versions, reason=parse_text(data.get("reason"), "reason") or "",
        tolerance_m=parse_float(data.get("tolerance"), "tolerance", 0.0))
    return ok(_feature(saved.area.pk, saved.warnings))


@extend_schema(
    tags=["management areas"], summary="Every recorded change of an area, newest first",
    responses={200: doc.AreaHistorySerializer, **doc.errors(403, 404)},
)
@api_view(["GET", "HEAD"])
def history(request, pk: int):
    found = get_restricted(ManagementArea.objects.all(), request.user, VIEW, pk=pk)
    return ok({"versions": selectors.management_area_history(area_id=found.pk)})


@extend_schema(
    tags=["management areas"], summary="Bring back an earlier version of an area (saved as a new version)",
    request=doc.AreaRestoreSerializer,
    responses={200: doc.ManagementAreaFeatureSerializer, **doc.errors(400, 403, 404, 409)},
)
@api_view(["POST"])
def restore(request, pk: int):
    data = parse_body(request)
    saved = svc.management_area_restore(
        user=request.user, area_id=pk, version=parse_int(data.get("version"), "version"),
        base_version=parse_int(data.get("base_version"), "base_version"),
        reason=parse_text(data.get("reason"), "reason") or "")
    return ok(_feature(saved.area.pk, saved.warnings))
