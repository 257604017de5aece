"""Vector tile endpoint: /tiles/<layer>/<z>/<x>/<y>.mvt, one registered layer per tile, built by PostGIS.

A bad address is refused with a Refusal, answered as {"error"} JSON by layers.views.errors.RefusalMiddleware."""
import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from geoapp import tile_edge

from .. import catalogue
from ..params import date_param
from ..refusals import Invalid, NotFound
from . import serve
from .registry import MAX_ZOOM


def tile_problem(z: int, x: int, y: int) -> str | None:
    """Why z/x/y is not a tile of the Web-Mercator pyramid, or None."""
    if not 0 <= z <= MAX_ZOOM:
        return _("zoom %(z)d is out of range 0–%(max)d") % {"z": z, "max": MAX_ZOOM}
    side = 1 << z
    if not (0 <= x < side and 0 <= y < side):
        return _("tile %(x)d/%(y)d is out of range 0–%(last)d at zoom %(z)d") % {"x": x, "y": y, "last": side - 1,
                                                                                "z": z}
    return None


def parse_date(value: str | None) -> datetime.date | None:
    """The ?date= of a request (today when absent); None when it is not a YYYY-MM-DD date."""
    try:
        return date_param(value, default=timezone.localdate())
    except ValueError:
        return None


def tile_response(answer: serve.Answer, accept_encoding: str | None = None, edge: str | None = None) -> HttpResponse:
    etag, body, coding = serve.encoded(answer, accept_encoding)
    if answer.status == 304:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type=serve.MVT_CONTENT_TYPE)
        if coding:
            response["Content-Encoding"] = coding
    response["ETag"] = etag
    response["Cache-Control"] = serve.cache_control(edge)
    patch_vary_headers(response, ("Accept-Encoding",))
    return response


@require_safe
@login_required
def tile(request, layer, z, x, y):
    """The Django path (runserver, tests, any request the lean WSGI lane in fast.py hands over)."""
    tile_layer = catalogue.tile_layer(layer)
    if tile_layer is None:
        raise NotFound(_("unknown tile layer %(layer)r") % {"layer": layer})
    problem = tile_problem(z, x, y)
    if problem:
        raise Invalid(problem)
    on = None
    if tile_layer.dated:
        on = parse_date(request.GET.get("date"))
        if on is None:
            raise Invalid(_("date must be YYYY-MM-DD"), field="date")
    return tile_response(serve.answer(
        layer=tile_layer, z=z, x=x, y=y, on=on, viewer=serve.Viewer.of(request.user),
        if_none_match=request.headers.get("If-None-Match"),
    ), request.headers.get("Accept-Encoding"), request.headers.get(tile_edge.EDGE_HEADER))
