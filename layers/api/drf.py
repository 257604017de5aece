"""How the project's DRF views treat anonymous callers and Accept headers (docs/API.md, "Authentication").

Every API view authenticates by session (browser, CSRF checked on writes) or by token (`Authorization: Token …`,
no CSRF). What an anonymous caller gets depends on who calls the endpoint (kept from before the DRF views):
- the map, search, popup and coverage endpoints send the browser to the log-in page (302), like the pages;
- the editing endpoints answer 403 {"error"} (DRF's default with session authentication first);
- the abandoned-building endpoints answer 401 {"error"} with `WWW-Authenticate: Token` (token authentication first).
"""
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import ParseError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated

from ..io.geojson_input import BadInput, loads

TOKEN_FIRST = [TokenAuthentication, SessionAuthentication]


class LoggedInElseLogInPage(IsAuthenticated):
    """Logged in (session or token); an anonymous caller is redirected to the log-in page (layers.api.errors)."""


class AnyAccept(DefaultContentNegotiation):
    """For views that answer with bytes of their own type (GeoJSON built in SQL, XLSX, CSV): never 406.

    The renderer chosen only renders errors; a client asking for `application/geo+json` still gets its bytes.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Exception:  # noqa: BLE001 - NotAcceptable: fall back to JSON for error bodies
            return renderers[0], renderers[0].media_type


def bytes_response(view):
    """Mark a function view (below @api_view) as answering with its own bytes: any Accept header is fine."""
    view.content_negotiation_class = AnyAccept
    return view


class StrictJSONParser(JSONParser):
    """Every JSON body of the API read by one rule (layers.io.geojson_input.loads): UTF-8, no NaN or Infinity, no
    unpaired surrogates — refused with 400 {"error"} saying which, instead of DRF's generic parse error or a 500
    when a lone surrogate reaches the database."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return loads(stream.read() if stream is not None else b"")
        except BadInput as exc:
            raise ParseError(str(exc)) from None
