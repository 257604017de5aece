"""Two middlewares: the Content-Security-Policy header on HTML responses, and 413 for oversized request bodies."""
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from ..io.readers import file_size


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
