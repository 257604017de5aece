"""JSON endpoints of the map: admin-area GeoJSON (built in SQL), estate search, popups (docs/MAP_API.md)."""
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from ..models import AdminLevel
from ..refusals import NotFound
from ..selectors import map as selectors
from ..tiles.geojson import DEFAULT_ZOOM, MAX_ZOOM, admin_areas_geojson as build_admin_areas_geojson
from . import openapi as doc
from .drf import LoggedInElseLogInPage, bytes_response
from .validation import BBoxParam, Number, validated_query


# How a popup's kind reads in a refusal.
POPUP_KINDS = {"estate": gettext_lazy("estate"), "building": gettext_lazy("building"),
               "management_area": gettext_lazy("management area"), "enterprise": gettext_lazy("enterprise")}


class ZoomParam(Number):
    """A map zoom 0–MAX_ZOOM; Leaflet reports fractional zooms, read as the whole zoom below."""

    def to_internal_value(self, data):
        return int(super().to_internal_value(data))


class AdminAreasQuery(serializers.Serializer):
    level = serializers.ChoiceField(choices=AdminLevel.choices)
    bbox = BBoxParam(required=False, help_text="minx,miny,maxx,maxy in longitude/latitude degrees; default: all")
    zoom = ZoomParam(required=False, default=DEFAULT_ZOOM, min_value=0, max_value=MAX_ZOOM,
                     help_text=f"Map zoom 0–{MAX_ZOOM} (fractions allowed); default {DEFAULT_ZOOM}")


@extend_schema(
    tags=["map"],
    summary="Administrative areas of one level as GeoJSON",
    description="Districts, streets or communities meeting the bbox (at most 500, by code), simplified for the zoom; "
                "built in PostGIS.",
    parameters=[AdminAreasQuery],
    responses={(200, doc.GEOJSON): doc.AdminAreaCollectionSerializer, **doc.errors(400), **doc.LOG_IN_REDIRECT},
)
@api_view(["GET", "HEAD"])
@permission_classes([LoggedInElseLogInPage])
@bytes_response
def admin_areas_geojson(request):
    query = validated_query(AdminAreasQuery, request)
    content = build_admin_areas_geojson(level=query["level"], bbox=query.get("bbox"), zoom=query["zoom"],
                                        user=request.user)
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
        raise NotFound(_("There is no such %(kind)s on the map (it may have been deleted meanwhile).")
                       % {"kind": POPUP_KINDS.get(kind, kind)})
    return Response(popup)
