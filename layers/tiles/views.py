"""Vector tile endpoint: /tiles/<layer>/<z>/<x>/<y>.mvt, one registered layer per tile, built by PostGIS."""
import datetime

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.views.decorators.http import require_safe

from ..params import date_param
from .registry import MAX_ZOOM, TileLayer, get_layer

MVT_CONTENT_TYPE = "application/vnd.mapbox-vector-tile"


def tile_problem(z: int, x: int, y: int) -> str | None:
    """Why z/x/y is not a tile of the Web-Mercator pyramid, or None."""
    if not 0 <= z <= MAX_ZOOM:
        return f"zoom {z} is out of range 0–{MAX_ZOOM}"
    side = 1 << z
    if not (0 <= x < side and 0 <= y < side):
        return f"tile {x}/{y} is out of range 0–{side - 1} at zoom {z}"
    return None


def parse_date(value: str | None) -> datetime.date | None:
    """The ?date= of a request (today when absent); None when it is not a YYYY-MM-DD date."""
    try:
        return date_param(value, default=timezone.localdate())
    except ValueError:
        return None


def tile_bytes(*, layer: TileLayer, z: int, x: int, y: int, on: datetime.date | None = None) -> bytes:
    """The MVT of one layer in one tile; b"" below the layer's minimum zoom or when the tile is empty."""
    if z < layer.min_zoom:
        return b""
    with connection.cursor() as cursor:
        cursor.execute(layer.tile_sql(), layer.params(z=z, x=x, y=y, on=on))
        row = cursor.fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""


def mvt_response(content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=MVT_CONTENT_TYPE)
    response["Cache-Control"] = "private, max-age=60"
    return response


@require_safe
@login_required
def tile(request, layer, z, x, y):
    tile_layer = get_layer(layer)
    if tile_layer is None:
        raise Http404(f"unknown tile layer {layer!r}")
    problem = tile_problem(z, x, y)
    if problem:
        return HttpResponseBadRequest(problem, content_type="text/plain; charset=utf-8")
    on = None
    if tile_layer.dated:
        on = parse_date(request.GET.get("date"))
        if on is None:
            return HttpResponseBadRequest("date must be YYYY-MM-DD", content_type="text/plain; charset=utf-8")
    return mvt_response(tile_bytes(layer=tile_layer, z=z, x=x, y=y, on=on))
