"""Settings for development and tests; every deployment value comes from the environment.

geoapp.settings_production builds on this module and refuses insecure defaults.
"""
import json
import os
import warnings
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

DEFAULT_SECRET_KEY = "dev-insecure-secret-key-change-me"
DEFAULT_DATABASE_URL = "postgis://geoapp:geoapp@127.0.0.1:55432/geoapp"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: expected true/false")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: expected an integer") from None


def env_basemaps(name: str) -> list[dict]:
    """BASEMAP_TILES: a JSON list of {"name", "url", "attribution"?, "maxZoom"?}, or one bare URL.

    Empty (the default) means no basemap: the map draws its own roads and boundaries.
    """
    value = os.environ.get(name, "").strip()
    if not value:
        return []
    if not value.startswith("["):
        return [{"name": "basemap", "url": value, "attribution": ""}]
    try:
        layers = json.loads(value)
    except json.JSONDecodeError as exc:
        raise ImproperlyConfigured(f"{name} is not valid JSON: {exc}") from None
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict) or "url" not in layer:
            raise ImproperlyConfigured(f"{name}[{i}] needs a 'url'")
        layer.setdefault("name", f"basemap {i + 1}")
        layer.setdefault("attribution", "")
    return layers


SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]

# Storage SRID of every geometry column: CGCS2000 by default (DOMAIN.md, Coordinates).
STORAGE_SRID = env_int("STORAGE_SRID", 4490)
# An estate built in this year or earlier is old (004 §1: built before the end of 2010).
OLD_ESTATE_CUTOFF_YEAR = env_int("OLD_ESTATE_CUTOFF_YEAR", 2010)
# Import limits (docs/IMPORT.md); a front web server's body limit must be at least IMPORT_MAX_BYTES.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 50 * 1024 * 1024)
IMPORT_MAX_ZIP_ENTRIES = env_int("IMPORT_MAX_ZIP_ENTRIES", 50)
IMPORT_MAX_UNCOMPRESSED_BYTES = env_int("IMPORT_MAX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 100_000)
BASEMAP_TILES = env_basemaps("BASEMAP_TILES")

# Background jobs (docs/JOBS.md): django-q2 on its ORM broker (a table of this database), run by `manage.py qcluster`.
IMPORT_JOB_ROWS = env_int("IMPORT_JOB_ROWS", 2000)  # an import of more rows is committed by the worker
EXPORT_JOB_MAX_FEATURES = env_int("EXPORT_JOB_MAX_FEATURES", 1_000_000)  # the most one export job writes
JOBS_RESULT_DAYS = env_int("JOBS_RESULT_DAYS", 7)  # days a finished job's file is kept, then deleted
JOBS_MAX_ATTEMPTS = env_int("JOBS_MAX_ATTEMPTS", 2)  # runs of a job whose worker died, before it is marked failed
JOBS_CHUNK_ROWS = env_int("JOBS_CHUNK_ROWS", 5000)  # rows between two progress reports and cancel checks
JOBS_CHUNK_PAUSE = float(os.environ.get("JOBS_CHUNK_PAUSE", "0") or 0)  # seconds after each chunk (tests, demos)
JOBS_TIMEOUT = env_int("JOBS_TIMEOUT", 3600)  # seconds a job may run before django-q2 stops its worker process
Q_CLUSTER = {
    "name": "geoapp",
    "orm": "default",
    "workers": env_int("JOBS_WORKERS", 1),
    "timeout": JOBS_TIMEOUT,
    # The queue entry of a job whose worker died comes back after `retry` seconds; jobs_sweep() (layers/services/
    # jobs.py) finds such a job at once through its advisory lock, so this is only the last resort.
    "retry": JOBS_TIMEOUT + 60,
    "max_attempts": 1,
    "ack_failures": True,
    "save_limit": 100,
    "poll": 0.5,
    "catch_up": False,
    "label": "Django Q2",
}

# Security (docs/SECURITY.md). Login throttling: LOGIN_MAX_FAILURES wrong passwords for one user name within
# LOGIN_FAILURE_WINDOW_MINUTES lock that name for LOGIN_LOCK_MINUTES, whatever password comes next.
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
LOGIN_FAILURE_WINDOW_MINUTES = env_int("LOGIN_FAILURE_WINDOW_MINUTES", 15)
LOGIN_LOCK_MINUTES = env_int("LOGIN_LOCK_MINUTES", 15)
# The one password check, shared by every way to log in; it refuses a locked user name (docs/SECURITY.md).
AUTHENTICATION_BACKENDS = ["layers.security.login_lock.LockingBackend"]
# A session lasts a working day from log-in; SESSION_SAVE_EVERY_REQUEST=true makes that an idle timeout
# instead, at the cost of one session write per request (the map sends hundreds of tile requests).
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_SAVE_EVERY_REQUEST = env_bool("SESSION_SAVE_EVERY_REQUEST", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Request bodies: a form or JSON body (a drawn geometry) up to REQUEST_MAX_BYTES; a multipart upload (an import
# file, report photos) up to UPLOAD_MAX_BYTES. Larger ones get 413 before the body is read.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("REQUEST_MAX_BYTES", 10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # Django's default: larger uploaded files are spooled to a temporary file

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",  # `make run` too serves static through WhiteNoise and compression
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "leaflet",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "layers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "geoapp.routing.ReplicaMiddleware",  # reads to the replica, writers pinned to the primary (docs/SCALING.md)
    "layers.compression.CompressionMiddleware",  # Brotli or gzip for text answers (docs/BENCHMARKS.md, "Bytes")
    # Static files: precompressed .br/.gz from collectstatic in production; in development (DEBUG, files from the
    # app folders) the compression middleware above compresses them on the fly.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "layers.security.middleware.ContentSecurityPolicy",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "layers.security.middleware.RequestSizeLimit",
    "layers.security.middleware.RequestInput",  # NUL anywhere in the request, unreadable parameters → 400
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "layers.security.middleware.RolePaths",  # an enterprise user: its complaints only (permissions.ROLE_PATHS)
    "geoapp.tile_edge.TileScopeCookieMiddleware",  # the signed scope cookie of the tile cache (TILE_EDGE_SECRET)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "layers.security.audit.AuditMiddleware",
    "layers.connection_lost.ConnectionLostMiddleware",  # a lost database connection → 503, not 500
    "layers.views.errors.RefusalMiddleware",  # a Refusal raised outside the REST API → its status and message
]

ROOT_URLCONF = "geoapp.urls"
WSGI_APPLICATION = "geoapp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL),
        engine="django.contrib.gis.db.backends.postgis",
        conn_max_age=60,
        # A persistent connection that died (PostgreSQL restarted, backend terminated) is replaced at the start
        # of the next request instead of failing it.
        conn_health_checks=True,
    )
}
# JIT compilation costs hundreds of milliseconds on the aggregate queries of tiles and coverage figures,
# which run in a few milliseconds without it: the map's queries are many and short.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
# Several machines (docs/SCALING.md "Topology"): DATABASE_REPLICA_URL names a hot standby of the default database;
# geoapp/routing.py sends read-only work there while it answers and is less than REPLICA_MAX_LAG_SECONDS behind
# (checked at most every REPLICA_CHECK_SECONDS), and a user's reads to the primary for REPLICA_PIN_SECONDS after a
# write. Unset (make run, make test): every query goes to the default database, as before.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], engine="django.contrib.gis.db.backends.postgis", conn_max_age=60,
        conn_health_checks=True,
    )
    DATABASES["replica"].setdefault("OPTIONS", {}).update({"options": "-c jit=off", "connect_timeout": 3})
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # tests: the replica is the test database itself
DATABASE_ROUTERS = ["geoapp.routing.ReplicaRouter"]
REPLICA_MAX_LAG_SECONDS = float(os.environ.get("REPLICA_MAX_LAG_SECONDS", "5") or 5)
REPLICA_CHECK_SECONDS = float(os.environ.get("REPLICA_CHECK_SECONDS", "2") or 2)
REPLICA_PIN_SECONDS = env_int("REPLICA_PIN_SECONDS", 15)
# GET requests that only read (tiles, dashboards, reports, OGC API, coverage figures and exports): replica reads.
REPLICA_READ_PATHS = [p.strip() for p in os.environ.get(
    "REPLICA_READ_PATHS", "/tiles/,/dashboard/,/reports/,/ogc/,/api/coverage/,/api/export/").split(",") if p.strip()]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Forced grouping (floatformat:"0g", intcomma) writes 12,345 in Chinese too (Django's zh_Hans groups nothing).
FORMAT_MODULE_PATH = ["geoapp.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = DEBUG  # development serves the app folders; production the collected, compressed files
# Development has no collected folder until collectstatic runs: WhiteNoise's "No directory at" warning is expected.
warnings.filterwarnings("ignore", message="No directory at")

# The REST API (docs/API.md): session auth for the browser, tokens for scripts; OpenAPI 3 by drf-spectacular,
# its Swagger UI served from drf-spectacular-sidecar (no CDN).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "EXCEPTION_HANDLER": "layers.api.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "layers.api.drf.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "老旧小区物业管理覆盖 API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "DESCRIPTION": "REST API of the old-estate coverage map (docs/API.md). Log in (session cookie, CSRF token on "
                   "writes) or send `Authorization: Token <key>` (POST /api/token/). Errors: {\"error\": \"…\"}.",
    "SCHEMA_PATH_PREFIX": r"/api/",
    "TAGS": [  # the order of the docs page; endpoints of other tags follow
        {"name": "map", "description": "Map layers, search, popups (docs/MAP_API.md)"},
        {"name": "tiles", "description": "Vector tiles (docs/MAP_API.md)"},
        {"name": "coverage", "description": "Coverage figures, trend, exports, heatmap (docs/COVERAGE_API.md)"},
        {"name": "management areas", "description": "Drawing and editing management areas (docs/EDIT_API.md)"},
        {"name": "abandoned buildings", "description": "Reports and their steps (docs/EDIT_API.md)"},
        {"name": "enterprises", "description": "The enterprise register and credit evaluations (docs/ENTERPRISE_REGISTER.md)"},
        {"name": "service", "description": "Assigning service, worklists, nearby custody (docs/SERVICE_API.md)"},
        {"name": "plans", "description": "Bundled-takeover plans (docs/PLANS.md)"},
        {"name": "imports", "description": "Importing files: dry run, then commit (docs/IMPORT.md)"},
        {"name": "supervision", "description": "Hotline addresses located on estates (docs/ADDRESS_MATCHING.md)"},
        {"name": "authentication", "description": "API tokens (docs/API.md)"},
    ],
    # The tile endpoint is a plain Django view (kept fast); its schema comes from layers.api.openapi.TileSchema.
    "PREPROCESSING_HOOKS": ["layers.api.openapi.add_plain_views"],
    # Enums stay inline where they are used: no shared "TypeEnum"/"StateEnum" components whose names collide.
    "POSTPROCESSING_HOOKS": [],
    # No validator badge: Swagger UI would fetch it from validator.swagger.io (the intranet has no internet).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (45.54, 126.96),
    "DEFAULT_ZOOM": 12,
    "MIN_ZOOM": 8,
    "MAX_ZOOM": 19,
    "TILES": [(layer["name"], layer["url"], {"attribution": layer["attribution"]}) for layer in BASEMAP_TILES],
    "ATTRIBUTION_PREFIX": "",
    "RESET_VIEW": False,
}

# Debian 12 ships GDAL 3.6, which cannot block network access from spatial references (gis.W001).
# Django's GDAL sees only WKB/GeoJSON with a known SRID; imported files are read by pyogrio's own bundled GDAL.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# Uploaded files (abandoned-building photos) and job results (exports). With several app servers MEDIA_ROOT is a
# path every one of them mounts (NFS, a shared volume; make cluster: .cluster/media), docs/SCALING.md.
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# The shared tile cache in front of several app servers (geoapp/tile_edge.py): the secret nginx checks the signed
# scope cookie with, and that cookie's life. Empty: no cookie (one app server, no tile cache in front).
TILE_EDGE_SECRET = os.environ.get("TILE_EDGE_SECRET", "")
TILE_EDGE_SCOPE_SECONDS = env_int("TILE_EDGE_SCOPE_SECONDS", 300)
# How long the cache answers a tile without asking the app, then how long after that it may still answer the tile it
# holds at once while it revalidates it in the background (geoapp/tile_edge.py edge_cache_control).
TILE_EDGE_FRESH = env_int("TILE_EDGE_FRESH", 5)
TILE_EDGE_STALE = env_int("TILE_EDGE_STALE", 5)
ABANDONMENT_PHOTO_MAX_BYTES = env_int("ABANDONMENT_PHOTO_MAX_BYTES", 5 * 1024 * 1024)
ABANDONMENT_PHOTOS_MAX = 5
# The phone app (docs/MOBILE.md): the most an offline map download (tiles z14–18 and layer data) may take.
MOBILE_OFFLINE_MAX_BYTES = env_int("MOBILE_OFFLINE_MAX_BYTES", 30 * 1024 * 1024)
# Stored answers to idempotent requests (the phone's outbox) older than this are pruned every night: an outbox
# retries within minutes or days, never weeks (docs/MOBILE.md "Outbox and idempotency").
IDEMPOTENCY_KEEP_DAYS = env_int("IDEMPOTENCY_KEEP_DAYS", 7)
# The deployment's name (a release tag or commit), part of the phone app's version with the hash of its files: a new
# value makes every phone install the new service worker and offer "Update now" (docs/MOBILE.md "Versions").
MOBILE_APP_RELEASE = os.environ.get("MOBILE_APP_RELEASE", "")
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", max(IMPORT_MAX_BYTES, ABANDONMENT_PHOTOS_MAX * ABANDONMENT_PHOTO_MAX_BYTES)
                           + 1024 * 1024)

# Merging two management areas may fill the gap between them (a road, docs/EDIT_API.md) up to this many metres;
# demo neighbours are 10–50 m apart. Farther apart, the merge is refused with the distance.
MANAGEMENT_AREA_MERGE_MAX_GAP_M = env_int("MANAGEMENT_AREA_MERGE_MAX_GAP_M", 50)

# Behind a TLS-terminating proxy that sets X-Forwarded-Proto: SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO.
# The client address in the audit log: AUDIT_IP_HEADER=HTTP_X_REAL_IP (or HTTP_X_FORWARDED_FOR) behind a proxy.
AUDIT_IP_HEADER = os.environ.get("AUDIT_IP_HEADER", "")

# Hotline addresses (docs/ADDRESS_MATCHING.md): a match whose confidence (0–1) is below this is "to confirm".
ADDRESS_MATCH_THRESHOLD = float(os.environ.get("ADDRESS_MATCH_THRESHOLD", "0.6"))
