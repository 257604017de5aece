"""The scope cookie of the shared tile cache in front of the app servers (nginx proxy_cache, docs/SCALING.md).

nginx keys a cached tile by the viewer's tile scope — the role and the area (street, district, community or enterprise) that decide what a tile holds
(layers/tiles/serve.py, Viewer) — so users of one scope share tiles and no one gets a tile of another scope. nginx
cannot ask the database who the user is, so the app hands the browser a signed cookie naming the scope:

    geoapp_tile_scope = <scope>~<expires>~<signature>
    signature = base64url(md5("<expires><scope><session key> <TILE_EDGE_SECRET>")), no padding

which nginx checks with its secure_link module (secure_link_md5 over the same string; scripts/cluster/nginx.conf):
a cookie whose signature does not match the session cookie sent with it, or whose time is up, or that is missing,
makes nginx pass the tile request to the app and store nothing. A copied cookie is useless without the session it
was made for; a user's scope change or log-out reaches the cache within TILE_EDGE_SCOPE_SECONDS at most (the
cookie's life), and only for tiles of a scope that user had. The cookie is set on page answers (never on tiles:
nginx does not store an answer that sets a cookie) and renewed when half its life is gone. Without
TILE_EDGE_SECRET (make run, make test) nothing is set.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time

from django.conf import settings

COOKIE = "geoapp_tile_scope"
EDGE_HEADER = "X-Tile-Edge"  # nginx sends the edge secret in it on the tile requests it caches (nginx.conf)


def edge_cache_control(header: str | None) -> str | None:
    """The Cache-Control of a tile answered to the tile cache itself (the edge secret in EDGE_HEADER), else None.

    nginx keeps the tile TILE_EDGE_FRESH seconds; for TILE_EDGE_STALE seconds more it answers the tile it holds at
    once and asks the app in the background (`stale-while-revalidate`, `proxy_cache_background_update`): a 304 from
    the tile's data version, or the new tile. So a viewer of another scope than the editor's gets a tile at most
    FRESH + STALE seconds older than the data; the editor's scope gets the new one at once (routing.py's pin passes
    the cache and the answer replaces the entry). nginx hides this header from the browser and sends the browser's
    (layers/tiles/serve.py CACHE_CONTROL, 30 s) instead."""
    secret = getattr(settings, "TILE_EDGE_SECRET", "")
    if not secret or not header or not hmac.compare_digest(header.encode(), secret.encode()):
        return None
    return f"max-age={settings.TILE_EDGE_FRESH}, stale-while-revalidate={settings.TILE_EDGE_STALE}"


def scope_token(viewer) -> str:
    """What the cache key holds for the viewer: every field of serve.Viewer that changes a tile."""
    return f"{viewer.role or 'none'}.{viewer.area_key}"


def signature(scope: str, expires: int, session_key: str, secret: str) -> str:
    digest = hashlib.md5(f"{expires}{scope}{session_key} {secret}".encode(), usedforsecurity=False).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def cookie_value(scope: str, session_key: str, *, secret: str, now: float, seconds: int) -> str:
    expires = int(now) + seconds
    return f"{scope}~{expires}~{signature(scope, expires, session_key, secret)}"


def verify(value: str | None, session_key: str | None, *, secret: str, now: float) -> str | None:
    """The scope the cookie proves for this session, or None — what nginx's secure_link decides."""
    if not value or not session_key:
        return None
    try:
        scope, expires, sig = value.split("~")
        expires_at = int(expires)
    except ValueError:
        return None
    if expires_at < now or not hmac.compare_digest(sig, signature(scope, expires_at, session_key, secret)):
        return None
    return scope


def wanted(request) -> str | None:
    """The cookie value the request's user should hold now, or None to leave the cookie alone."""
    secret = getattr(settings, "TILE_EDGE_SECRET", "")
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    if not secret or user is None or not user.is_authenticated or session is None or not session.session_key:
        return None
    from layers.tiles.serve import Viewer

    scope = scope_token(Viewer.of(user))
    seconds = settings.TILE_EDGE_SCOPE_SECONDS
    now = time.time()
    current = request.COOKIES.get(COOKIE)
    if verify(current, session.session_key, secret=secret, now=now + seconds / 2) == scope:
        return None  # still good for more than half its life
    return cookie_value(scope, session.session_key, secret=secret, now=now, seconds=seconds)


class TileScopeCookieMiddleware:
    """Sets or renews the signed scope cookie on page answers of a logged-in user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith("/tiles/") or response.status_code >= 400:
            return response
        value = wanted(request)
        if value is not None:
            response.set_cookie(COOKIE, value, max_age=settings.TILE_EDGE_SCOPE_SECONDS, httponly=True,
                                samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
        return response
