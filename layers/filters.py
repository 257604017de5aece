"""The filters of a feature-layer request, read from its query string: bbox, ids, polygon, date, property values.

One reading for the export API (layers/api/export.py) and OGC API – Features (layers/ogc/views.py), so both accept
and refuse the same requests (docs/EXPORT.md, docs/OGC_API.md).
"""
from __future__ import annotations

import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.utils import timezone
from django.utils.translation import gettext as _

from .io.feature_layers import Filters
from .io.geojson_input import MAX_SELECTION_POINTS, GeometryProblem, loads, parse_polygonal
from .params import bbox_param, date_param, number_param
from .planning.area_geometry import validity_problems
from .refusals import Invalid

MAX_IDS = 10_000
MAX_POLYGON_POINTS = MAX_SELECTION_POINTS
MAX_CHARS_PER_POINT = 50  # "[126.123456789012, 45.123456789012], " with room to spare
# Parameters that are not attribute filters.
RESERVED = {"bbox", "ids", "polygon", "on"}


def parse_ids(value: str | None) -> list[int] | None:
    if value is None or value == "":
        return None
    ids = [number_param(part, "ids", integer=True) for part in value.split(",") if part.strip()]
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
        bbox=bbox_param(query.get("bbox")),
        ids=parse_ids(query.get("ids")),
        polygon=parse_polygon(query.get("polygon")),
        on=parse_on(query.get("on")),
        equals=equals,
    )
