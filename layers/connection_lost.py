"""What a request gets when the database fails under it (connection killed, server restarting): 503, Retry-After.

One place for every path: the DRF exception handler (layers/api/errors.py) answers the REST API with
{"error": …}, ConnectionLostMiddleware answers pages (HTML) and the plain JSON views, the tile lane
(layers/tiles/fast.py) answers tiles, and layers.views.errors.server_error (handler500) whatever failed outside a
view. A write that fails this way was rolled back by PostgreSQL with its transaction, so the message can say that nothing was saved;
the next request gets a fresh connection (CONN_HEALTH_CHECKS, geoapp/settings.py).
"""
from __future__ import annotations

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

RETRY_AFTER_SECONDS = 5
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def is_connection_lost(exc: BaseException) -> bool:
    """True for the database errors a retry can cure: a lost or refused connection, a deadlock, a cancel."""
    return isinstance(exc, (OperationalError, InterfaceError))


def _busy(exc: BaseException) -> bool:
    # SQLSTATE class 40 (deadlock, serialization failure), 55P03 (lock timeout), 57014 (statement cancelled): the
    # connection is fine, the statement was stopped.
    code = getattr(exc.__cause__, "pgcode", None) or ""
    return code.startswith("40") or code in ("55P03", "57014")


def message(exc: BaseException, method: str) -> str:
    if _busy(exc):
        return _("The database could not finish this request: nothing was saved. Please try again in a few seconds.")
    if method in SAFE_METHODS:
        return _("The database connection was lost. Please try again in a few seconds.")
    return _("The database connection was lost: nothing was saved. Please try again in a few seconds.")


def wants_json(request) -> bool:
    path = request.path_info
    return (path.startswith(("/api/", "/ogc/", "/tiles/"))
            or "json" in request.headers.get("Accept", "").split(",")[0])


def json_response(exc: BaseException, method: str) -> JsonResponse:
    response = JsonResponse({"error": message(exc, method)}, status=503, json_dumps_params={"ensure_ascii": False})
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def page_response(exc: BaseException, method: str) -> HttpResponse:
    # Rendered without the request: the page must not need the database (no user menu, no context processors).
    body = render_to_string("503.html", {"message": message(exc, method), "retry_after": RETRY_AFTER_SECONDS})
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def response_for(request, exc: BaseException) -> HttpResponse | None:
    """The 503 for `exc` if it is a lost connection (JSON or HTML as the request wants), else None."""
    if not is_connection_lost(exc):
        return None
    if wants_json(request):
        return json_response(exc, request.method)
    return page_response(exc, request.method)


def plain_reply(exc: BaseException, method: str) -> tuple[str, list, bytes]:
    """(status, headers, body) for a WSGI answer outside Django (the tile lane)."""
    body = message(exc, method).encode()
    return "503 Service Unavailable", [("Content-Type", "text/plain; charset=utf-8"),
                                       ("Content-Length", str(len(body))),
                                       ("Retry-After", str(RETRY_AFTER_SECONDS))], body


class ConnectionLostMiddleware:
    """A view that failed on the database → 503 with a plain message and Retry-After, instead of a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        return response_for(request, exc)

