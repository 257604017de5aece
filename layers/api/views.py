"""JSON endpoints of the map: admin-area GeoJSON (built in SQL), estate search, popups (docs/MAP_API.md)."""
from django.http import HttpResponse, JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from ..selectors import map as selectors
from ..filters import BadParameter, parse_bbox
from ..models import AdminLevel
from ..tiles.geojson import DEFAULT_ZOOM, MAX_ZOOM, admin_areas_geojson as build_admin_areas_geojson
from . import openapi as doc
from .drf import LoggedInElseLogInPage, bytes_response


def bad_request(message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=400, json_dumps_params={"ensure_ascii": False})


def parse_zoom(value: str | None) -> int:
    if value is None or value == "":
        return DEFAULT_ZOOM
    try:
        zoom = int(float(value))  # Leaflet reports fractional zooms
    except ValueError:
        raise BadParameter(f"zoom must be a number 0–{MAX_ZOOM}") from None
    if not 0 <= zoom <= MAX_ZOOM:
        raise BadParameter(f"zoom must be a number 0–{MAX_ZOOM}")
    return zoom


def parse_level(value: str | None) -> str:
    if value not in AdminLevel.values:
        raise BadParameter(f"level must be one of {', '.join(AdminLevel.values)}")
    return value


@extend_schema(
    tags=["map"],
    summary="Administrative areas of one level as GeoJSON",
    description="Districts, streets or communities meeting the bbox (at most 500, by code), simplified for the zoom; "
                "built in PostGIS.",
    parameters=[
        doc.query("level", enum=list(AdminLevel.values), required=True),
        doc.query("bbox", description="minx,miny,maxx,maxy in longitude/latitude degrees; default: all"),
        doc.query("zoom", OpenApiTypes.NUMBER, description=f"Map zoom 0–{MAX_ZOOM} (fractions allowed); "
                                                          f"default {DEFAULT_ZOOM}"),
    ],
    responses={(200, doc.GEOJSON): doc.AdminAreaCollectionSerializer, **doc.errors(400), **doc.LOG_IN_REDIRECT},
)
@api_view(["GET", "HEAD"])
@permission_classes([LoggedInElseLogInPage])
@bytes_response
def admin_areas_geojson(request):
    try:
        level = parse_level(request.GET.get("level"))
        bbox = parse_bbox(request.GET.get("bbox"))
        zoom = parse_zoom(request.GET.get("zoom"))
    except BadParameter as exc:
        return bad_request(str(exc))
    content = build_admin_areas_geojson(level=level, bbox=bbox, zoom=zoom)
    return HttpResponse(content, content_type="application/geo+json")


@extend_schema(
    tags=["map"],
    summary="Search estates by name, address or community",
    description="Every estate of the district is found; `status` is null for an estate outside the user's "
                "jurisdiction (a street office: another street's; docs/SECURITY.md \"Read scope\").",
    parameters=[doc.query("q", description="Text to look for (case-insensitive); empty: no results")],
    responses={200: doc.SearchResultsSerializer, **doc.LOG_IN_REDIRECT},
)
@api_view(["GET", "HEAD"])
@permission_classes([LoggedInElseLogInPage])
def search(request):
    return Response({"results": selectors.estate_search(q=request.GET.get("q", ""), user=request.user)})


@extend_schema(
    tags=["map"],
    summary="The popup of a map object",
    parameters=[
        OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=["estate", "building", "management_area",
                                                                   "enterprise"]),
        OpenApiParameter("id", int, OpenApiParameter.PATH),
    ],
    responses={200: doc.PopupSerializer, 404: OpenApiResponse(doc.ErrorSerializer, description="No such object"),
               **doc.LOG_IN_REDIRECT},
)
@api_view(["GET", "HEAD"])
@permission_classes([LoggedInElseLogInPage])
def feature_popup(request, kind, pk):
    popup = selectors.feature_popup(kind=kind, pk=pk, user=request.user)
    if popup is None:
        return Response({"error": f"no {kind} {pk}"}, status=404)
    return Response(popup)
