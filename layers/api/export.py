"""Export endpoints (docs/EXPORT.md): any map layer, in the user's scope, filtered by bbox, ids or a polygon, as a file."""
from __future__ import annotations

import tempfile
from pathlib import Path

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, renderer_classes
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from ..filters import MAX_IDS, filters_from
from ..io.exporters import CRS_URI, EXPORTERS, export_data, filename, get_exporter, max_features
from ..io.feature_layers import LAYERS, get_layer
from ..refusals import NotFound
from .openapi import ErrorSerializer


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
        "Any map layer, restricted to what the user may see (a street office gets every estate and building "
        "of the district but the service status, provider and abandonment of its own street's only, and only its "
        "street's abandonment reports and renovation projects), filtered by the current view (bbox), a selection (ids) or a drawn polygon "
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

