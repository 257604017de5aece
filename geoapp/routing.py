"""Read replica routing (docs/SCALING.md "Topology"): read-only work goes to the `replica` database, everything else
— every write, and what a user reads right after writing — to `default`, the primary.

- Which requests read from the replica: GET/HEAD under ``REPLICA_READ_PATHS`` (tiles, dashboards, reports, OGC API,
  coverage figures and exports). Pages that edit (the editor, the history panel, record details, lists) and every
  POST/PUT/PATCH/DELETE — the version check of an edit included — read the primary.
- Read-after-write: a request that may write sets the cookie ``geoapp_pin`` for ``REPLICA_PIN_SECONDS``; while the
  browser sends it, that user's reads all go to the primary (so the map the planner just edited shows the edit even
  if the replica is behind). The cookie only ever sends more reads to the primary, so it needs no signature.
- A replica is used only while it answers and its replay lag is under ``REPLICA_MAX_LAG_SECONDS``; this is checked
  at most every ``REPLICA_CHECK_SECONDS`` per process. A read that loses its replica connection mid-request is run
  again on the primary (GET/HEAD only: nothing was written), and the replica is left alone until the next check.
- Without a `replica` database (DATABASE_REPLICA_URL unset: make run, make test) every alias is `default`.
- Some tables are always read from the primary: sessions (a log-in is read by the next request), the job queue.
"""
from __future__ import annotations

import contextvars
import threading
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
PIN_COOKIE = "geoapp_pin"
SAFE_METHODS = ("GET", "HEAD")
PRIMARY_APPS = {"sessions", "django_q"}  # read right after being written by another request of the same user
# pg_last_xact_replay_timestamp() stops when the primary is idle: a replica that has replayed all it received is
# not behind, however old its last transaction.
LAG_SQL = """
SELECT pg_is_in_recovery(),
       CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END
"""

_reads: contextvars.ContextVar[str] = contextvars.ContextVar("geoapp_reads", default=DEFAULT_DB_ALIAS)


def configured() -> bool:
    return REPLICA in connections.settings


def read_alias() -> str:
    """The alias this request reads from: `replica` or `default`."""
    return _reads.get()


def use(alias: str):
    """Make `alias` the read alias of the current request (a token for reset())."""
    return _reads.set(alias)


def reset(token) -> None:
    _reads.reset(token)


class Health:
    """Whether the replica may be used: answered and lag below the limit at the last check (per process)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.checked = float("-inf")
        self.usable = False
        self.lag: float | None = None

    def measure(self) -> float:
        """Seconds the replica is behind the primary (raises if it does not answer)."""
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(LAG_SQL)
            _in_recovery, lag = cursor.fetchone()
        return float(lag)

    def ok(self) -> bool:
        now = time.monotonic()
        if now - self.checked < settings.REPLICA_CHECK_SECONDS:
            return self.usable
        with self.lock:
            if now - self.checked < settings.REPLICA_CHECK_SECONDS:
                return self.usable
            try:
                self.lag = self.measure()
                self.usable = self.lag <= settings.REPLICA_MAX_LAG_SECONDS
            except Exception:  # noqa: BLE001 — down, refused, timed out: any failure means "not now"
                self.lag = None
                self.usable = False
                close_replica()
            self.checked = time.monotonic()
            return self.usable

    def down(self) -> None:
        """A query on the replica failed: use the primary until the next check."""
        with self.lock:
            self.usable = False
            self.checked = time.monotonic()
        close_replica()


health = Health()


def close_replica() -> None:
    try:
        connections[REPLICA].close()
    except Exception:  # noqa: BLE001 — closing a connection whose server is gone may fail: it is gone anyway
        pass


def replica_read_path(path: str) -> bool:
    return path.startswith(tuple(settings.REPLICA_READ_PATHS))


def pinned(cookies) -> bool:
    """The user wrote within REPLICA_PIN_SECONDS (the cookie holds the Unix time the pin ends)."""
    try:
        return float(cookies.get(PIN_COOKIE, "0")) > time.time()
    except ValueError:
        return False


def alias_for(method: str, path: str, cookies) -> str:
    """Where the reads of one request go."""
    if not configured() or method not in SAFE_METHODS or not replica_read_path(path) or pinned(cookies):
        return DEFAULT_DB_ALIAS
    return REPLICA if health.ok() else DEFAULT_DB_ALIAS


def pin(response) -> None:
    seconds = settings.REPLICA_PIN_SECONDS
    response.set_cookie(PIN_COOKIE, f"{time.time() + seconds:.0f}", max_age=seconds, httponly=True,
                        samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)


class ReplicaRouter:
    """DATABASE_ROUTERS entry: reads where the request's alias says, writes and migrations on the primary."""

    def db_for_read(self, model, **hints):
        if model._meta.app_label in PRIMARY_APPS:
            return DEFAULT_DB_ALIAS
        return _reads.get()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, two copies of it

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


class ReplicaMiddleware:
    """Chooses the request's read alias and pins a writer to the primary. A read on the replica that ends in 503
    (its connection lost, a statement cancelled by recovery) is run again on the primary: a GET wrote nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        alias = alias_for(request.method, request.path_info, request.COOKIES)
        response = self.respond(request, alias)
        if alias == REPLICA and response.status_code == 503:
            health.down()
            response = self.respond(request, DEFAULT_DB_ALIAS)
        if request.method not in SAFE_METHODS and request.method != "OPTIONS" and configured():
            pin(response)
        return response

    def respond(self, request, alias: str):
        token = use(alias)
        try:
            request.read_alias = alias
            response = self.get_response(request)
        finally:
            reset(token)
        if alias == REPLICA and response.streaming:  # an export streams after this returns: keep its reads there
            response.streaming_content = reading(alias, response.streaming_content)
        return response


def reading(alias: str, chunks):
    """The chunks of a streamed body, produced with `alias` as the read alias."""
    iterator = iter(chunks)
    while True:
        token = use(alias)
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            reset(token)
        yield chunk
