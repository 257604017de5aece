"""Response compression: Brotli where the client accepts it, else gzip, for text-like answers only (docs/BENCHMARKS.md).

Django's GZipMiddleware does the gzip half, with its BREACH mitigation (random bytes in the gzip header, "Heal the
Breach") and its handling of streaming bodies and ETags; Brotli (the `brotli` package, already a requirement) is
added in the same shape. Bodies that are already compressed formats (zip, GeoPackage, images, MVT tiles, which the
tile lane and its cache answer, layers/tiles/fast.py) are left alone.

BREACH: a compressed body that reflects attacker-chosen input beside a secret leaks the secret through its length.
The secrets in our bodies are the CSRF token, which Django masks anew for every response (so it never repeats), and
the API token of POST /api/token/, which is marked `no_compression` below and never compressed. Session cookies are
headers, which are not compressed.
"""
from __future__ import annotations

import re

import brotli
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import patch_vary_headers
from django.utils.regex_helper import _lazy_re_compile

# Text formats worth compressing: pages, styles, scripts, JSON/GeoJSON, CSV, SVG, XML (OGC, schema).
COMPRESSIBLE = _lazy_re_compile(
    r"^(text/|application/(json|geo\+json|problem\+json|javascript|ecmascript|xml|schema\+json|vnd\.oai\.openapi)"
    r"|application/[\w.+-]*\+(json|xml)|image/svg\+xml)", re.IGNORECASE)
MIN_LENGTH = 200  # as GZipMiddleware: below this the headers cost more than compression saves
BROTLI_QUALITY = 5  # dynamic answers: 11 (the maximum) costs ~20× the time for a few % fewer bytes


def accepts(accept_encoding: str, coding: str) -> bool:
    """Whether an Accept-Encoding header accepts `coding` (q=0 refuses it)."""
    for part in accept_encoding[:300].split(","):
        name, _sep, params = part.strip().partition(";")
        if name.strip().lower() != coding:
            continue
        q = params.strip().lower()
        return not (q.startswith("q=") and q[2:].strip() in ("0", "0.", "0.0", "0.00", "0.000"))
    return False


def no_compression(view):
    """Mark a view whose answer holds a secret beside user input: never compressed (BREACH)."""
    view.no_compression = True
    return view


def _brotli_stream(chunks):
    compressor = brotli.Compressor(quality=BROTLI_QUALITY)
    for chunk in chunks:
        out = compressor.process(chunk)
        if out:
            yield out
    yield compressor.finish()


class CompressionMiddleware(GZipMiddleware):
    """Brotli for clients that accept it, gzip (Django's, with its BREACH padding) for the others."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "no_compression", False) or getattr(getattr(view_func, "cls", None),
                                                                     "no_compression", False):
            request._no_compression = True

    def process_response(self, request, response):
        if getattr(request, "_no_compression", False) or response.has_header("Content-Encoding"):
            return response
        if not COMPRESSIBLE.match(response.get("Content-Type", "")):
            return response
        if not accepts(request.META.get("HTTP_ACCEPT_ENCODING", ""), "br"):
            return super().process_response(request, response)
        if not response.streaming and len(response.content) < MIN_LENGTH:
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        if response.streaming:
            if response.is_async:
                return super().process_response(request, response)  # gzip's async path; we serve WSGI
            response.streaming_content = _brotli_stream(response.streaming_content)
            del response.headers["Content-Length"]
        else:
            compressed = brotli.compress(response.content, quality=BROTLI_QUALITY)
            if len(compressed) >= len(response.content):
                return response
            response.content = compressed
            response.headers["Content-Length"] = str(len(compressed))
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response.headers["ETag"] = "W/" + etag  # a strong ETag names the identity bytes (RFC 9110 8.8.1)
        response.headers["Content-Encoding"] = "br"
        return response
