"""The lean lane for vector tiles: a WSGI wrapper (geoapp/wsgi.py) that answers a valid, logged-in tile request
without the Django request cycle, and hands every other request — and any tile request it is not sure about — to
Django unchanged.

Why: a tile costs PostGIS a few milliseconds; the full stack around it (URL resolution, eight middlewares, the
session load, the user load, the profile load: three queries before the tile query) cost as much again. Here a
tile costs one query for the session, the user, the role and street, and the tile's data version together, then
the tile query (or none: a 304 or a cache hit, layers/tiles/serve.py).

What it keeps from the full stack, so permissions and headers are the same:
- authentication as django.contrib.auth does it: the session row (unexpired), the user id in it, the user active,
  and the session's password hash (a password change logs the session out); anything else (no cookie, expired,
  logged out, another backend, SECRET_KEY_FALLBACKS) → Django, which redirects to the log-in page
  (tests/test_tile_cache.py compares each case with the full stack); with SESSION_SAVE_EVERY_REQUEST on, every
  tile goes to Django, which renews the session (the lane does not write sessions);
- the scope from permissions.scope_sql() for the user's role and street (serve.scope_for): features located, state
  shown;
- host validation (ALLOWED_HOSTS), the HTTPS redirect when SECURE_SSL_REDIRECT is on (→ Django), and the
  security headers SecurityMiddleware and XFrameOptionsMiddleware add; ``Vary: Cookie`` as the session adds (and Accept-Encoding: tiles are compressed, serve.encoded);
- the same answers for bad input, because bad input goes to Django: unknown layer, z/x/y out of range, bad date,
  a NUL character in the query or the session cookie.
- the read alias of geoapp/routing.py: the replica when configured, usable and the user is not pinned to the
  primary by a recent write; a replica lost under a tile is dropped and the tile read again from the primary;
The session key → user id decoding is cached per process (a session key never changes user: log-in cycles it),
re-checked against the stored session data on every request.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.db import connections
from django.http.cookie import parse_cookie
from django.http.request import split_domain_port, validate_host
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.module_loading import import_string

from geoapp import routing

from ..connection_lost import is_connection_lost, plain_reply
from ..models import Role
from . import serve
from ..catalogue import tile_layer
from .views import parse_date, tile_problem

TILE_PATH = re.compile(r"/tiles/([a-z_]{1,40})/(\d{1,2})/(\d{1,8})/(\d{1,8})\.mvt")


def uses_model_backend_users(path: str) -> bool:
    """Whether a backend finds a session's user as ModelBackend does (by id, active only): then the lane may too."""
    backend = import_string(path)
    return issubclass(backend, ModelBackend) and backend.get_user is ModelBackend.get_user and \
        backend.user_can_authenticate is ModelBackend.user_can_authenticate


SESSION_HASH_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"

SESSION_SQL = "SELECT session_data FROM django_session WHERE session_key = %s AND expire_date > clock_timestamp()"
VIEWER_SQL = """
SELECT s.session_data, u.password, u.is_active, u.is_superuser, p.role, p.street_id, p.district_id, p.community_id,
       p.enterprise_id,
       layers_tile_data_version(%(layer)s, %(z)s, %(x)s, %(y)s)
  FROM django_session s
  JOIN auth_user u ON u.id = %(uid)s
  LEFT JOIN layers_userprofile p ON p.user_id = u.id
 WHERE s.session_key = %(key)s AND s.expire_date > clock_timestamp()
"""


class TileLane:
    def __init__(self, app):
        self.app = app
        self.sessions: dict[str, tuple[str, int, str]] = {}  # key → (session data, user id, password hash)
        self.headers = [("Vary", "Cookie, Accept-Encoding")]
        if settings.SECURE_CONTENT_TYPE_NOSNIFF:
            self.headers.append(("X-Content-Type-Options", "nosniff"))
        if settings.SECURE_REFERRER_POLICY:
            policy = settings.SECURE_REFERRER_POLICY
            self.headers.append(("Referrer-Policy", policy if isinstance(policy, str) else ",".join(policy)))
        if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
            self.headers.append(("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY))
        self.headers.append(("X-Frame-Options", getattr(settings, "X_FRAME_OPTIONS", "DENY").upper()))
        self.hsts = None
        if settings.SECURE_HSTS_SECONDS:
            self.hsts = f"max-age={settings.SECURE_HSTS_SECONDS}" + (
                "; includeSubDomains" if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS else "") + (
                "; preload" if settings.SECURE_HSTS_PRELOAD else "")
        self.allowed_hosts = list(settings.ALLOWED_HOSTS) or (
            [".localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])
        self.cookie_name = settings.SESSION_COOKIE_NAME
        # SESSION_SAVE_EVERY_REQUEST (an idle timeout): Django renews the session on every request, tiles included;
        # the lane never writes a session, so it leaves every tile to Django rather than let panning time out.
        self.session_engine_ok = (settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
                                  and not settings.SESSION_SAVE_EVERY_REQUEST)
        self.backends_ok = all(uses_model_backend_users(path) for path in settings.AUTHENTICATION_BACKENDS) and not \
            getattr(settings, "SECRET_KEY_FALLBACKS", None)

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if (method == "GET" or method == "HEAD") and self.session_engine_ok and self.backends_ok:
            match = TILE_PATH.fullmatch(environ.get("PATH_INFO", ""))
            if match:
                alias = routing.alias_for(method, environ.get("PATH_INFO", ""),
                                          parse_cookie(environ.get("HTTP_COOKIE", "")))
                try:
                    reply = self.serve_on(alias, environ, match)
                except Exception as exc:
                    if not is_connection_lost(exc):
                        raise
                    reply = None
                    if alias == routing.REPLICA:  # the replica went away under the tile: read it from the primary
                        routing.health.down()
                        try:
                            reply = self.serve_on("default", environ, match)
                        except Exception as again:
                            if not is_connection_lost(again):
                                raise
                            exc = again
                    if reply is None:
                        reply = plain_reply(exc, method)  # as ConnectionLostMiddleware answers through Django
                if reply is not None:
                    status, headers, body = reply
                    start_response(status, headers)
                    return [body] if method == "GET" else [b""]
        return self.app(environ, start_response)

    def secure(self, environ) -> bool:
        header = settings.SECURE_PROXY_SSL_HEADER
        if header:
            name, value = header
            if environ.get(name) is not None:
                return environ[name].split(",")[0].strip() == value
        return environ.get("wsgi.url_scheme") == "https"

    def serve_on(self, alias: str, environ, match):
        token = routing.use(alias)
        try:
            return self.serve(environ, match)
        finally:
            routing.reset(token)

    def serve(self, environ, match):
        """(status, headers, body), or None to let Django answer."""
        layer = tile_layer(match[1])
        if layer is None:
            return None
        z, x, y = int(match[2]), int(match[3]), int(match[4])
        if tile_problem(z, x, y):
            return None
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        domain, _port = split_domain_port(host)
        if not domain or not validate_host(domain, self.allowed_hosts):
            return None
        is_secure = self.secure(environ)
        if settings.SECURE_SSL_REDIRECT and not is_secure:
            return None
        query = environ.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            return None  # Django's RequestInput middleware refuses a NUL (layers/security/middleware.py)
        on = None
        if layer.dated:
            date = None
            for name, value in parse_qsl(query) if query else ():
                if name == "date":
                    date = value
            on = parse_date(date)
            if on is None:
                return None
        key = parse_cookie(environ.get("HTTP_COOKIE", "")).get(self.cookie_name)
        if not key or "\x00" in key:  # PostgreSQL cannot take NUL: Django refuses it (as for the query above)
            return None
        connection = serve.db()
        if not connection.in_atomic_block:  # what Django's request_started does (never inside a test's transaction)
            connection.close_if_unusable_or_obsolete()
        viewer_version = self.viewer(key, layer.name, z, x, y)
        if viewer_version is None:
            return None
        viewer, version = viewer_version
        answer = serve.answer(layer=layer, z=z, x=x, y=y, on=on, viewer=viewer,
                              if_none_match=environ.get("HTTP_IF_NONE_MATCH"), version=version)
        etag, body, coding = serve.encoded(answer, environ.get("HTTP_ACCEPT_ENCODING"))
        headers = [("ETag", etag), ("Cache-Control", serve.cache_control(environ.get("HTTP_X_TILE_EDGE"))),
                   *self.headers]
        if self.hsts and is_secure:
            headers.append(("Strict-Transport-Security", self.hsts))
        if answer.status == 304:
            return "304 Not Modified", headers, b""
        headers += [("Content-Type", serve.MVT_CONTENT_TYPE), ("Content-Length", str(len(body)))]
        if coding:
            headers.append(("Content-Encoding", coding))
        return "200 OK", headers, body

    def viewer(self, key: str, layer: str, z: int, x: int, y: int):
        """(Viewer, the tile's data version) for a live session of an active user, else None."""
        known = self.sessions.get(key)
        if known is None:
            known = self.decode(key)
            if known is None:
                return None
        data, uid, session_hash = known
        with serve.db().cursor() as cursor:
            serve.execute(cursor, VIEWER_SQL, {"layer": layer, "z": z, "x": x, "y": y, "uid": uid, "key": key})
            row = cursor.fetchone()
        if row is None:
            self.sessions.pop(key, None)
            return None
        (current, password, is_active, is_superuser, role, street_id, district_id, community_id, enterprise_id,
         version) = row
        if current != data:  # the session was written since: read it again
            self.sessions.pop(key, None)
            known = self.decode(key, data=current)
            if known is None or known[1] != uid:
                return None
            session_hash = known[2]
        if not is_active or not constant_time_compare(
                session_hash, salted_hmac(SESSION_HASH_SALT, password, algorithm="sha256").hexdigest()):
            return None
        if is_superuser:
            role = Role.ADMINISTRATOR
        from ..permissions import ROLE_PATHS

        if role in ROLE_PATHS:  # a role confined to a few pages: Django answers (layers/security/middleware.RolePaths)
            return None
        return serve.Viewer.for_profile(role, street_id, district_id, community_id, enterprise_id), version

    def decode(self, key: str, data: str | None = None):
        from django.contrib.sessions.backends.db import SessionStore

        if data is None:
            with serve.db().cursor() as cursor:
                cursor.execute(SESSION_SQL, [key])
                row = cursor.fetchone()
            if row is None:
                return None
            data = row[0]
        session = SessionStore().decode(data)
        try:
            uid = int(session[SESSION_KEY])
        except (KeyError, TypeError, ValueError):
            return None
        # A session made by a backend Django would no longer accept goes the full way (django.contrib.auth.get_user).
        if session.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS or not session.get(HASH_SESSION_KEY):
            return None
        known = (data, uid, session[HASH_SESSION_KEY])
        if len(self.sessions) > 10000:
            self.sessions.clear()
        self.sessions[key] = known
        return known
