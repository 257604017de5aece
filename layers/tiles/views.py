"""Vector tile endpoint: /tiles/<layer>/<z>/<x>/<y>.mvt, one registered layer per tile, built by PostGIS."""
import datetime

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseNotModified
from django.utils import timezone
from django.views.decorators.http import require_safe

from ..params import date_param
from . import serve
from .registry import MAX_ZOOM, get_layer


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


def tile_response(answer: serve.Answer) -> HttpResponse:
    if answer.status == 304:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(answer.body, content_type=serve.MVT_CONTENT_TYPE)
    response["ETag"] = answer.etag
    response["Cache-Control"] = serve.CACHE_CONTROL
    return response


@require_safe
@login_required
def tile(request, layer, z, x, y):
    """The Django path (runserver, tests, any request the lean WSGI lane in fast.py hands over)."""
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
    return tile_response(serve.answer(
        layer=tile_layer, z=z, x=x, y=y, on=on, viewer=serve.Viewer.of(request.user),
        if_none_match=request.headers.get("If-None-Match"),
    ))
