"""JSON endpoints of the map: admin-area GeoJSON (built in SQL), estate search, popups (docs/MAP_API.md)."""
import math

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from .. import selectors
from ..models import AdminLevel
from ..tiles.geojson import DEFAULT_ZOOM, MAX_ZOOM, admin_areas_geojson as build_admin_areas_geojson


class BadParameter(ValueError):
    pass


def bad_request(message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=400)


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """minx,miny,maxx,maxy in lon/lat degrees, or None when absent."""
    if value is None or value == "":
        return None
    parts = value.split(",")
    if len(parts) != 4:
        raise BadParameter("bbox must be minx,miny,maxx,maxy")
    try:
        minx, miny, maxx, maxy = (float(p) for p in parts)
    except ValueError:
        raise BadParameter("bbox must be four numbers: minx,miny,maxx,maxy") from None
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise BadParameter("bbox must be finite numbers")
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90):
        raise BadParameter("bbox must be in lon/lat degrees (-180..180, -90..90)")
    if minx >= maxx or miny >= maxy:
        raise BadParameter("bbox must have minx < maxx and miny < maxy")
    return minx, miny, maxx, maxy


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


@require_safe
@login_required
def admin_areas_geojson(request):
    try:
        level = parse_level(request.GET.get("level"))
        bbox = parse_bbox(request.GET.get("bbox"))
        zoom = parse_zoom(request.GET.get("zoom"))
    except BadParameter as exc:
        return bad_request(str(exc))
    content = build_admin_areas_geojson(level=level, bbox=bbox, zoom=zoom)
    return HttpResponse(content, content_type="application/geo+json")


@require_safe
@login_required
def search(request):
    return JsonResponse({"results": selectors.estate_search(q=request.GET.get("q", ""))})


@require_safe
@login_required
def feature_popup(request, kind, pk):
    popup = selectors.feature_popup(kind=kind, pk=pk)
    if popup is None:
        return JsonResponse({"error": f"no {kind} {pk}"}, status=404)
    return JsonResponse(popup)
