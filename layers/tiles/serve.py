"""One tile for one viewer: scope, ETag, If-None-Match, server-side cache, then PostGIS — shared by the Django view
(layers/tiles/views.py) and the lean WSGI lane that serves tiles under gunicorn (layers/tiles/fast.py).

- Scope: the layer's ``scope_model`` through ``permissions.scope_sql`` for the viewer's role and street, compiled
  once per process into two SQL tests: LOCATE, which features the tile holds, and VIEW, whose state it carries.
- ETag: the layer's SQL digest, the tile's data version, z/x/y, the parameters that change the tile (the date of
  dated layers; ``?v=`` cache busters are ignored) and the scope. The data version (``layers_tile_data_version``,
  migration 0028_tile18) sums the versions of the map cells the tile covers, which statement triggers on every
  source table bump for the old and new place of every row a statement writes (0012_tile_versions kept one
  version per layer, which it still gives for low zooms): an edit through any write path changes the ETag of every
  tile it touches, and only of those, so the tiles elsewhere stay cached here and in nginx's cache.
- If-None-Match equal to the current ETag → 304, decided from the version alone: the tile query is not run.
- Cache: a per-process LRU (Django's LocMemCache, the ``tiles`` alias when settings define one) keyed by the ETag.
  A key holds the data version, so an edit never needs to purge anything: stale entries are just never asked for
  again and fall off the LRU end. Per-process memory (no network hop, no extra PostgreSQL round trip as a DB
  cache would cost, ≈ the price of the tile query for small tiles) is what makes a hit cheaper than PostGIS.
  Tiles larger than ``CACHE_MAX_TILE_BYTES`` are not cached so a worker's cache stays within tens of MB.
- Prepared statements: every statement of this path is PREPAREd once per database connection and then EXECUTEd,
  so PostgreSQL plans it once (the tile SQL's planning is ≈0.3 ms of a 3 ms tile). This needs a session-level
  connection (Django's persistent connections, CONN_MAX_AGE); behind a transaction-pooling bouncer set
  TILE_PREPARED=0 (make cluster's PgBouncer pools sessions, so they stay on: docs/SCALING.md).
- Database: the request's read alias (geoapp/routing.py): the replica when one is configured and usable.
"""
from __future__ import annotations

import datetime
import gzip
import itertools
import os
import re
import weakref
from dataclasses import dataclass

import brotli
from django.conf import settings
from django.core.cache import InvalidCacheBackendError, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connections

from geoapp import tile_edge
from geoapp.routing import read_alias

from ..compression import BROTLI_QUALITY, accepts
from ..models import DISTRICT_ROLES, Role
from ..permissions import LOCATE, VIEW, inlined, scope_sql
from .registry import TileLayer

MVT_CONTENT_TYPE = "application/vnd.mapbox-vector-tile"
CACHE_CONTROL = "private, max-age=30, must-revalidate"  # the browser's; the tile cache's: tile_edge.py


def cache_control(edge_header: str | None) -> str:
    """The tile's Cache-Control: the tile cache's when the request comes from it (geoapp/tile_edge.py), else the
    browser's."""
    return tile_edge.edge_cache_control(edge_header) or CACHE_CONTROL
CACHE_MAX_TILE_BYTES = 256 * 1024
# TILE_CACHE_ENTRIES=0 turns the server-side cache off (the benchmark measures the cold path with it).
CACHE_ENTRIES = int(getattr(settings, "TILE_CACHE_ENTRIES", os.environ.get("TILE_CACHE_ENTRIES", "1000")))

PREPARED = os.environ.get("TILE_PREPARED", "1") != "0"
VERSION_SQL = "SELECT layers_tile_data_version(%(layer)s, %(z)s, %(x)s, %(y)s)"

PARAMETER = re.compile(r"%\((\w+)\)s")
PARAMETER_TYPES = {"z": "int", "x": "int", "y": "int", "limit": "int", "tolerance": "float8", "layer": "text",
                   "date": "date", "old_cutoff": "int", "uid": "int", "key": "text"}
_statements: dict[str, tuple[str, str, tuple[str, ...]]] = {}  # SQL → (name, PREPARE statement, parameter order)
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # psycopg2 connection → names prepared on it
_names = itertools.count(1)


def execute(cursor, sql: str, params: dict) -> None:
    """cursor.execute(sql, params) through a statement prepared once per connection (named %(x)s parameters)."""
    if not PREPARED:
        cursor.execute(sql, params)
        return
    statement = _statements.get(sql)
    if statement is None:
        order: list[str] = []

        def positional(match):
            if match[1] not in order:
                order.append(match[1])
            return f"${order.index(match[1]) + 1}"

        body = PARAMETER.sub(positional, sql).replace("%%", "%")
        name = f"geoapp_tiles_{next(_names)}"
        types = f" ({', '.join(PARAMETER_TYPES[n] for n in order)})" if order else ""
        statement = _statements[sql] = (name, f"PREPARE {name}{types} AS {body}", tuple(order))
    name, prepare, order = statement
    raw = cursor.db.connection
    done = _prepared.get(raw)
    if done is None:
        done = _prepared[raw] = set()
    if name not in done:
        cursor.execute(prepare)
        done.add(name)
    if order:
        cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(order))})", [params[n] for n in order])
    else:
        cursor.execute(f"EXECUTE {name}")


def db():
    """The connection tiles are read from: the request's read alias (geoapp/routing.py)."""
    return connections[read_alias()]


def _make_cache():
    if CACHE_ENTRIES <= 0:
        return None
    try:
        return caches["tiles"]
    except InvalidCacheBackendError:
        return LocMemCache("geoapp-tiles", {"TIMEOUT": 600, "OPTIONS": {"MAX_ENTRIES": CACHE_ENTRIES}})


tile_cache = _make_cache()


def recalled(key: str) -> bytes | None:
    """A body kept in the tile memory under `key`, or None."""
    return tile_cache.get(key) if tile_cache is not None else None


def remember(key: str, body: bytes) -> None:
    """Keep `body` under `key` in the tile memory (not a body over CACHE_MAX_TILE_BYTES)."""
    if tile_cache is not None and len(body) <= CACHE_MAX_TILE_BYTES:
        tile_cache.set(key, body)


@dataclass(frozen=True)
class Viewer:
    """Who asks, as far as tile scope goes: a role and the id of what it answers for — a street office's street, a
    district role's district, a community's community, an enterprise's enterprise."""
    role: str | None
    street_id: int | None = None
    district_id: int | None = None
    community_id: int | None = None
    enterprise_id: int | None = None

    @classmethod
    def of(cls, user) -> Viewer:
        from ..permissions import role_of

        role = role_of(user)
        profile = getattr(user, "profile", None) if role != Role.ADMINISTRATOR else None
        if profile is None:
            return cls.for_profile(role, None, None)
        return cls.for_profile(role, profile.street_id, profile.district_id, profile.community_id,
                               profile.enterprise_id)

    @classmethod
    def for_profile(cls, role: str | None, street_id: int | None, district_id: int | None,
                    community_id: int | None = None, enterprise_id: int | None = None) -> Viewer:
        """Only the area the role answers for is kept (a stale column of another role never widens a scope)."""
        return cls(role, street_id if role == Role.STREET_OFFICE else None,
                   district_id if role in DISTRICT_ROLES else None,
                   community_id if role == Role.COMMUNITY else None,
                   enterprise_id if role == Role.ENTERPRISE else None)

    @property
    def area_key(self) -> str:
        """What the viewer's scope is cut to, for cache keys and ETags."""
        if self.district_id is not None:
            return f"d{self.district_id}"
        if self.community_id is not None:
            return f"c{self.community_id}"
        if self.enterprise_id is not None:
            return f"e{self.enterprise_id}"
        return str(self.street_id)


@dataclass(frozen=True)
class Scope:
    key: str  # in the ETag: "all", "none", or the role and street the SQL is for
    sql: str  # the {scope} test: the features the viewer locates
    empty: bool = False
    visible: str = "TRUE"  # the {visible} test: the features whose state the viewer sees


ALL = Scope("all", "TRUE")
NONE = Scope("none", "FALSE", empty=True, visible="FALSE")
_scopes: dict[tuple[str, Viewer], Scope] = {}


def scope_for(layer: TileLayer, viewer: Viewer) -> Scope:
    """The viewer's scope on the layer, from permissions.restrict_role(), compiled once per process."""
    if layer.scope_model is None:
        return ALL
    key = (layer.name, viewer)
    scope = _scopes.get(key)
    if scope is None:
        scope = _scopes[key] = _compile_scope(layer, viewer)
    return scope


def _compile_scope(layer: TileLayer, viewer: Viewer) -> Scope:
    model = layer.scope_model
    column = layer.scope_column or model._meta.pk.column
    rows = _inline(model, viewer, LOCATE, f"{layer.scope_alias}.{column}")
    visible = _inline(model, viewer, VIEW, f"{layer.state_alias or layer.scope_alias}.{column}") if (
        layer.has_state) else "TRUE"
    if rows == "FALSE":
        return NONE
    if rows == visible == "TRUE":
        return ALL
    return Scope(f"{viewer.role}.{viewer.area_key}", rows, visible=visible)


def _inline(model, viewer: Viewer, action: str, column: str) -> str:
    """permissions.scope_sql() with its parameters inlined, ready for the tile SQL."""
    sql, params = scope_sql(model, role=viewer.role, street=viewer.street_id, action=action, column=column,
                            district=viewer.district_id, community=viewer.community_id,
                            enterprise=viewer.enterprise_id)
    return inlined(sql, params)  # the tile SQL goes through psycopg2's named-parameter substitution


def etag_of(layer: TileLayer, *, version, z: int, x: int, y: int, on: datetime.date | None, scope: Scope) -> str:
    date = on.isoformat() if (layer.dated and on is not None) else "-"
    return f'"{layer.name}.{layer.version}.{version}.{z}.{x}.{y}.{date}.{scope.key}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))


def data_version(layer: TileLayer, z: int, x: int, y: int):
    """The tile's data version; 0 for a layer without versions (its tile query reads NULL: never a 304, never a
    cache hit)."""
    with db().cursor() as cursor:
        execute(cursor, VERSION_SQL, {"layer": layer.name, "z": z, "x": x, "y": y})
        row = cursor.fetchone()
    return row[0] if row and row[0] is not None else 0


@dataclass(frozen=True)
class Answer:
    status: int  # 200 or 304
    etag: str
    body: bytes


def answer(*, layer: TileLayer, z: int, x: int, y: int, on: datetime.date | None, viewer: Viewer,
           if_none_match: str | None, version=None) -> Answer:
    """The tile (or a 304) for a valid z/x/y; `version` is the tile's data version when the caller read it."""
    scope = scope_for(layer, viewer)
    if version is None:
        version = data_version(layer, z, x, y)
    etag = etag_of(layer, version=version, z=z, x=x, y=y, on=on, scope=scope)
    if etag_matches(if_none_match, etag):
        return Answer(304, etag, b"")
    if z < layer.min_zoom or scope.empty:
        return Answer(200, etag, b"")
    body = recalled(etag)
    if body is None:
        with db().cursor() as cursor:
            execute(cursor, layer.versioned_tile_sql(z, scope.sql, scope.visible), layer.params(z=z, x=x, y=y, on=on))
            read_version, tile = cursor.fetchone()
        body = bytes(tile) if tile is not None else b""
        if read_version != version:  # an edit committed in between: name the tile after what it shows
            etag = etag_of(layer, version=read_version, z=z, x=x, y=y, on=on, scope=scope)
        remember(etag, body)
    return Answer(200, etag, body)


def compress(body: bytes, coding: str) -> bytes:
    """A tile's body in `coding` ("br" or "gzip"; gzip without a time stamp, so equal tiles give equal bytes)."""
    return brotli.compress(body, quality=BROTLI_QUALITY) if coding == "br" else gzip.compress(body, 6, mtime=0)


def coding_for(accept_encoding: str | None) -> str | None:
    """The coding a tile is sent in for this Accept-Encoding: Brotli, else gzip, else none."""
    if not accept_encoding:
        return None
    return "br" if accepts(accept_encoding, "br") else "gzip" if accepts(accept_encoding, "gzip") else None


COMPRESS_MIN_BYTES = 200  # a smaller tile gains less than the Content-Encoding header costs


def encoded(answer: Answer, accept_encoding: str | None) -> tuple[str, bytes, str | None]:
    """(ETag, body, Content-Encoding or None) of a 200 answer for a client that accepts `accept_encoding`.

    MVT is protobuf, but its repeated keys, values and small integers shrink to about a third with Brotli or gzip
    (docs/BENCHMARKS.md, "Bytes on the wire"). The compressed body is cached beside the tile under its own key; the
    ETag becomes weak (one ETag names the tile whatever its coding, so If-None-Match still answers 304). A tile holds
    no secret and reflects no input, so BREACH does not apply.
    """
    coding = coding_for(accept_encoding)
    if answer.status != 200 or len(answer.body) < COMPRESS_MIN_BYTES or coding is None:
        return answer.etag, answer.body, None
    key = f"{answer.etag}|{coding}"
    body = recalled(key)
    if body is None:
        body = compress(answer.body, coding)
        remember(key, body)
    return "W/" + answer.etag, body, coding
