"""Export endpoints (docs/EXPORT.md): any map layer, in the user's scope, filtered by bbox, ids or a polygon, as a file."""
from __future__ import annotations

import tempfile
from pathlib import Path

import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, renderer_classes
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from ..io.exporters import CRS_URI, EXPORTERS, export_data, filename, get_exporter, max_features
from ..io.feature_layers import LAYERS, Filters, get_layer
from ..io.geojson_input import MAX_SELECTION_POINTS, GeometryProblem, loads, parse_polygonal
from ..params import date_param
from ..planning.area_geometry import validity_problems
from ..refusals import Invalid, NotFound
from .openapi import ErrorSerializer
from .views import parse_bbox

MAX_IDS = 10_000
MAX_POLYGON_POINTS = MAX_SELECTION_POINTS
MAX_CHARS_PER_POINT = 50  # "[126.123456789012, 45.123456789012], " with room to spare
# Parameters that are not attribute filters.
RESERVED = {"bbox", "ids", "polygon", "on"}


def parse_ids(value: str | None) -> list[int] | None:
    if value is None or value == "":
        return None
    try:
        ids = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise Invalid(_("ids must be a comma-separated list of whole numbers"), field="ids") from None
    if not ids:
        raise Invalid(_("ids must list at least one id"), field="ids")
    if len(ids) > MAX_IDS:
        raise Invalid(_("ids lists %(n)d ids; at most %(max)s can be selected")
                      % {"n": len(ids), "max": f"{MAX_IDS:,}"}, field="ids")
    return ids


def parse_polygon(value: str | None) -> GEOSGeometry | None:
    """A drawn selection: a GeoJSON or WKT Polygon/MultiPolygon in lon/lat degrees (EPSG:4490).

    GeoJSON is read by the API's one strict parser (layers/io/geojson_input.py); WKT by GEOS, then held to the same rules.
    """
    if value is None or value == "":
        return None
    if len(value) > MAX_POLYGON_POINTS * MAX_CHARS_PER_POINT:
        raise Invalid(_("polygon is %(n)s characters long; at most %(max)s points (about %(chars)s characters) are "
                        "accepted") % {"n": f"{len(value):,}", "max": f"{MAX_POLYGON_POINTS:,}",
                                       "chars": f"{MAX_POLYGON_POINTS * MAX_CHARS_PER_POINT:,}"}, field="polygon")
    if value.lstrip().startswith("{"):
        try:
            geom = parse_polygonal(loads(value), "polygon")
        except GeometryProblem as exc:
            raise Invalid(_("polygon: %(problem)s") % {"problem": exc.problem.message}, field="polygon") from None
        geometry = GEOSGeometry(memoryview(shapely.to_wkb(geom)), srid=settings.STORAGE_SRID)
    else:
        try:
            geometry = GEOSGeometry(value)
        except (GEOSException, ValueError, TypeError):
            raise Invalid(_("polygon must be a GeoJSON or WKT Polygon in longitude/latitude"),
                          field="polygon") from None
    # Plain WKT comes without an SRID: lon/lat, numerically CGCS2000 (docs/EXPORT.md).
    if geometry.srid not in (None, 4326, settings.STORAGE_SRID):
        raise Invalid(_("polygon must be in longitude/latitude (EPSG:4490 or 4326), not SRID %(srid)s")
                      % {"srid": geometry.srid}, field="polygon")
    geometry.srid = settings.STORAGE_SRID
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        raise Invalid(_("polygon must be a Polygon or MultiPolygon, not a %(type)s") % {"type": geometry.geom_type},
                      field="polygon")
    if geometry.num_points > MAX_POLYGON_POINTS:
        raise Invalid(_("polygon has %(n)d points; at most %(max)s") % {"n": geometry.num_points,
                                                                         "max": f"{MAX_POLYGON_POINTS:,}"},
                      field="polygon")
    problems = validity_problems(shapely.from_wkb(bytes(geometry.wkb)), _)
    if problems:
        raise Invalid(_("polygon: %(problem)s") % {"problem": problems[0].message}, field="polygon")
    minx, miny, maxx, maxy = geometry.extent
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise Invalid(_("polygon must be in longitude/latitude degrees"), field="polygon")
    return geometry


def parse_on(value: str | None):
    try:
        return date_param(value, default=timezone.localdate())
    except ValueError:
        raise Invalid(_("on must be a date YYYY-MM-DD"), field="on") from None


def filters_from(query, layer, *, reserved: set[str] = RESERVED) -> Filters:
    """The filters of a request's query string: bbox, ids, polygon, on, and ?<queryable>=value for the rest."""
    equals = {}
    for key in query:
        if key in reserved:
            continue
        field = layer.field(key)
        if field is None or not field.queryable:
            queryables = ", ".join(f.name for f in layer.queryables)
            raise Invalid(_("unknown parameter %(key)r; the properties of %(layer)s you can filter on are: "
                            "%(queryables)s") % {"key": key, "layer": layer.name,
                                                 "queryables": queryables}, field=key)
        equals[key] = query.get(key)
    return Filters(
        bbox=parse_bbox(query.get("bbox")),
        ids=parse_ids(query.get("ids")),
        polygon=parse_polygon(query.get("polygon")),
        on=parse_on(query.get("on")),
        equals=equals,
    )


ERROR = ErrorSerializer


@extend_schema(
    summary="The layers and formats that can be exported",
    responses={200: inline_serializer("ExportLayers", {
        "formats": serializers.ListField(child=serializers.DictField()),
        "layers": serializers.ListField(child=serializers.DictField()),
        "max_features": serializers.IntegerField(),
    })},
)
@api_view(["GET"])
@renderer_classes([JSONRenderer])
def export_layers(request):
    return Response({
        "formats": [{"name": e.name, "label": e.label, "extension": e.extension, "content_type": e.content_type}
                    for e in EXPORTERS.values()],
        "layers": [
            {"name": layer.name, "title": str(layer.title), "dated": layer.dated,
             "fields": [{"name": f.name, "type": f.type, "shapefile_name": f.shapefile_name} for f in layer.fields],
             "queryables": [f.name for f in layer.queryables]}
            for layer in LAYERS.values()
        ],
        "max_features": max_features(),
    })


@extend_schema(
    summary="Export one layer as a file",
    description=(
        "Any map layer, restricted to what the user may see (a street office gets only its street's buildings "
        "and abandonment reports), filtered by the current view (bbox), a selection (ids) or a drawn polygon "
        "(all filters combine), as GeoPackage, zipped Shapefile (UTF-8 with .cpg, short field names), GeoJSON, "
        "CSV (UTF-8 with BOM, WKT column) or XLSX. Coordinates are EPSG:4490 (CGCS2000). Any other query "
        "parameter is an equality filter on a queryable property, e.g. ?street_code=230112001."
    ),
    parameters=[
        OpenApiParameter("layer", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(LAYERS)),
        OpenApiParameter("fmt", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(EXPORTERS),
                         description="file format"),
        OpenApiParameter("bbox", OpenApiTypes.STR, description="minlon,minlat,maxlon,maxlat (EPSG:4490 degrees)"),
        OpenApiParameter("ids", OpenApiTypes.STR, description=f"comma-separated ids, at most {MAX_IDS:,}"),
        OpenApiParameter("polygon", OpenApiTypes.STR, description="GeoJSON or WKT Polygon in lon/lat"),
        OpenApiParameter("on", OpenApiTypes.DATE, description="estates: the service status on this date (today)"),
    ],
    responses={
        **{(200, exporter.content_type.split(";")[0]): OpenApiResponse(
            OpenApiTypes.OBJECT if exporter.content_type.endswith("json") else OpenApiTypes.BINARY,
            description="the file") for exporter in EXPORTERS.values()},
        400: ERROR, 403: ERROR, 404: ERROR,
        413: OpenApiResponse(ERROR, description="more features than the export limit"),
    },
)
@api_view(["GET"])
@renderer_classes([JSONRenderer])
def export_layer(request, layer: str, fmt: str):
    feature_layer = get_layer(layer)
    if feature_layer is None:
        raise NotFound(_("unknown layer %(layer)r; layers: %(layers)s") % {"layer": layer, "layers": ", ".join(LAYERS)})
    exporter = get_exporter(fmt)
    if exporter is None:
        raise NotFound(_("unknown format %(format)r; formats: %(formats)s")
                       % {"format": fmt, "formats": ", ".join(EXPORTERS)})
    filters = filters_from(request.query_params, feature_layer)
    data = export_data(layer=feature_layer, user=request.user, filters=filters, exporter=exporter)
    with tempfile.TemporaryDirectory(prefix="export-") as directory:
        path = exporter.write(data, Path(directory))
        # The open file outlives the directory (POSIX): the response streams it, then closes it.
        handle = open(path, "rb")
    response = FileResponse(handle, as_attachment=True, filename=filename(data, exporter),
                            content_type=exporter.content_type)
    response["Content-Crs"] = f"<{CRS_URI}>"
    response["X-Feature-Count"] = str(len(data.rows))
    response["Access-Control-Expose-Headers"] = "Content-Disposition, X-Feature-Count, Content-Crs"
    return response

