"""Refusals and error pages outside the REST API: one middleware for Refusal, and the 403/404/500 handlers.

Pages get the message in the site layout (templates/403.html, 404.html, 500.html, refusal.html) with the status;
the JSON views outside DRF, the tiles and the OGC API get the one JSON error body {"error", …} (layers/refusals.py).
The REST API answers through its DRF exception handler (layers/api/errors.py) instead.
"""
from __future__ import annotations

import logging
import sys

from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from ..connection_lost import response_for, wants_json
from ..refusals import Refusal

logger = logging.getLogger(__name__)


def json_error(body: dict, status: int) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def page(request, template: str, status: int, context: dict | None = None) -> HttpResponse:
    return HttpResponse(render_to_string(template, context or {}, request=request), status=status)


def refusal_response(request, exc: Refusal) -> HttpResponse:
    if wants_json(request):
        return json_error(exc.body(), exc.status)
    return page(request, "refusal.html", exc.status, {"message": exc.message, "status": exc.status})


class RefusalMiddleware:
    """A Refusal raised by a page or a plain JSON view → its status and message (JSON or in the site layout)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if isinstance(exc, Refusal):
            return refusal_response(request, exc)
        return None


def _message(exception, default: str) -> str:
    """The refusal's own message when it has one in the user's language, else `default`.

    Django's resolver puts a technical dict (the path tried) in a bare 404's exception: never shown.
    """
    message = exception.args[0] if exception is not None and exception.args else None
    return message if isinstance(message, str) and message else default


def forbidden(request, exception=None):
    """handler403: the role may not do this."""
    message = _message(exception, _("Your role may not open this page or do this."))
    if wants_json(request):
        return json_error({"error": message}, 403)
    return page(request, "403.html", 403, {"message": message})


def not_found(request, exception=None):
    """handler404: {"error"} under /api/ (clients parse JSON there), the 404 page in the site layout elsewhere."""
    if wants_json(request):
        return json_error({"error": _message(exception, _("Nothing is at %(path)s: check the address (ids are whole "
                                                          "numbers).") % {"path": request.path})}, 404)
    return page(request, "404.html", 404, {"message": _message(exception, _("There is no page at this address.")),
                                          "path": request.path})


def server_error(request, *args, **kwargs):
    """handler500: a lost database connection is a 503 (layers/connection_lost.py); anything else the 500 page.

    The page is rendered with the request (navigation) when that works, and without it when it does not (the user
    menu needs the database, which may be what failed).
    """
    exc = sys.exc_info()[1]
    lost = exc is not None and response_for(request, exc)
    if lost:
        return lost
    if wants_json(request):
        return json_error({"error": _("Something went wrong on the server. Please try again, or tell the "
                                      "administrator if it happens again.")}, 500)
    try:
        return page(request, "500.html", 500)
    except Exception:  # noqa: BLE001 - the database or a context processor failed too: the page without them
        logger.exception("500 page rendered without the request")
        return HttpResponse(render_to_string("500.html"), status=500)
