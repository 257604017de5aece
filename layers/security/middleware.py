"""Three middlewares: the Content-Security-Policy header on HTML responses, 413 for oversized request bodies, and 400
for requests carrying a NUL character (docs/reliability/badinput.md)."""
import base64
import binascii
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse, JsonResponse, QueryDict
from django.utils.translation import gettext as _

from ..io.geojson_input import BadInput, NulInText, loads
from ..io.readers import file_size
from ..refusals import Invalid
from ..views.errors import refusal_response


def basemap_origins() -> list[str]:
    """The scheme://host[:port] of each basemap tile URL (settings.BASEMAP_TILES), for img-src."""
    origins = []
    for layer in settings.BASEMAP_TILES:
        # Leaflet's {s} sub-domains (a., b., c.) are one wildcard.
        parts = urlsplit(layer["url"].replace("{s}", "*"))
        if parts.scheme and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))


def content_security_policy(nonce: str) -> str:
    # The nonce admits only django-leaflet's own map-setup <script> (leaflet_map renders it inline; the templates
    # pass csp_nonce=request.csp_nonce), never an injected one. Styles stay 'unsafe-inline': Leaflet positions
    # tiles and markers with style attributes.
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        " ".join(["img-src 'self' data: blob:", *basemap_origins()]),
        "style-src 'self' 'unsafe-inline'",
    ])


class ContentSecurityPolicy:
    """Every HTML response gets the policy; `request.csp_nonce` (django-leaflet's name) is fresh per request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html") and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = content_security_policy(request.csp_nonce)
        return response


def body_limit(request) -> int:
    """Uploads (multipart) may be as large as an import file or a report's photos; other bodies are forms or JSON."""
    if request.META.get("CONTENT_TYPE", "").startswith("multipart/form-data"):
        return settings.UPLOAD_MAX_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class RequestSizeLimit:
    """413 with the limit and the size sent, from the Content-Length header, before any of the body is read.

    A chunked body without Content-Length meets Django's own limits while it is read (DATA_UPLOAD_MAX_MEMORY_SIZE).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        limit = body_limit(request)
        if declared > limit:
            message = _("The request is %(size)s; at most %(max)s may be sent.") % {
                "size": file_size(declared), "max": file_size(limit)}
            if "text/html" in request.META.get("HTTP_ACCEPT", ""):
                return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
            return JsonResponse({"error": message}, status=413)
        return self.get_response(request)


NUL = "\x00"


def _named(name: str) -> str:
    return name.replace(NUL, "\\x00")


def nul_message(where: str) -> str:
    return _("The request contains a NUL character (\\x00, %%00) in %(where)s; no text may contain it: remove it "
             "and send again.") % {"where": where}


def _in_pairs(pairs, where: str) -> str | None:
    for key, values in pairs:
        if NUL in key or any(NUL in value for value in values):
            return nul_message(where % {"name": _named(key)})
    return None


def _basic_user(header: str) -> str:
    """The user name and password of an `Authorization: Basic …` header, decoded as DRF decodes them; "" if none."""
    scheme, _sep, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        raw = base64.b64decode(encoded.strip(), validate=False)
    except (binascii.Error, ValueError):
        return ""
    return raw.decode("utf-8", "replace")


def _body_nul(request) -> str | None:
    content_type = request.content_type or ""
    if content_type == "application/x-www-form-urlencoded":
        data = request.POST if request.method == "POST" else QueryDict(request.body, encoding=request.encoding)
    elif content_type == "multipart/form-data" and request.method == "POST":
        data = request.POST  # parsed here as the CSRF check would; DRF reuses it (request._request.POST)
        for name, files in request.FILES.lists():
            if NUL in name or any(NUL in (f.name or "") for f in files):
                return nul_message(_("the name of the uploaded file “%(name)s”") % {"name": _named(name)})
    elif "json" in content_type and request.body and b"\\u0000" in request.body.lower():
        try:
            loads(request.body)  # the one JSON reader refuses NUL in strings and says where
        except NulInText as exc:
            return str(exc)
        except BadInput:
            pass  # another defect: the view's reader names it
        return None
    else:
        return None
    return _in_pairs(data.lists(), _("the form field “%(name)s”"))


def nul_problem(request) -> str | None:
    """Why the request is refused when it carries a NUL character (U+0000), saying where; None when it carries none.

    PostgreSQL cannot store NUL in text ("A string literal cannot contain NUL (0x00) characters"), so a NUL in a
    parameter, a form field, a JSON string, a cookie or a user name would fail as a server error wherever it met
    a query; no text this service reads may contain it.
    """
    if NUL in request.path:
        return nul_message(_("the address"))
    found = _in_pairs(request.GET.lists(), _("the query parameter “%(name)s”"))
    if found:
        return found
    for key, value in request.META.items():
        if (key.startswith("HTTP_") or key == "CONTENT_TYPE") and isinstance(value, str) and NUL in value:
            return nul_message(_("the header %(name)s") % {"name": key.removeprefix("HTTP_").replace("_", "-").title()})
    if NUL in _basic_user(request.META.get("HTTP_AUTHORIZATION", "")):
        return nul_message(_("the user name or password of the Authorization header"))
    found = _in_pairs(((k, [v]) for k, v in request.COOKIES.items()), _("the cookie “%(name)s”"))
    if found:
        return found
    return _body_nul(request)


class RequestInput:
    """400 for a request carrying a NUL character anywhere it could be read as text, answered as every refusal is
    (layers/views/errors.refusal_response: {"error"} under /api/, /ogc/ and /tiles/, the site's page elsewhere)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            problem = nul_problem(request)
        except Exception:  # noqa: BLE001 - an unreadable body: the view meets the same error and answers it
            problem = None
        if problem is not None:
            return refusal_response(request, Invalid(problem, code="nul"))
        return self.get_response(request)


class RolePaths:
    """A role confined to a few pages (permissions.ROLE_PATHS, an enterprise) gets 403 anywhere else, and its home
    page instead of the map."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.core.exceptions import PermissionDenied
        from django.http import HttpResponseRedirect

        from ..connection_lost import response_for
        from ..permissions import ROLE_HOME, may_open, role_of

        user = getattr(request, "user", None)
        try:
            role = role_of(user) if user is not None and user.is_authenticated else None
        except Exception as exc:  # the user's row is read here first: a lost database answers 503 (a retry cures it)
            answer = response_for(request, exc)
            if answer is None:
                raise
            return answer
        if role is not None:
            if not may_open(role, request.path_info):
                if request.path_info == "/" and role in ROLE_HOME:
                    return HttpResponseRedirect(ROLE_HOME[role])
                raise PermissionDenied(_("Your role may not open this page or do this."))
        return self.get_response(request)
