"""Production settings: the development settings with DEBUG off, hardened, and no insecure defaults."""
import os

from django.core.exceptions import ImproperlyConfigured

from geoapp.settings import *  # noqa: F403
from geoapp.settings import DEFAULT_SECRET_KEY, SECRET_KEY, env_bool, env_int

DEBUG = env_bool("DEBUG", False)
if SECRET_KEY == DEFAULT_SECRET_KEY or len(SECRET_KEY) < 32:
    raise ImproperlyConfigured(
        "SECRET_KEY is unset or the development default: set SECRET_KEY to a random string of 32+ characters."
    )
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
# HTTPS everywhere by default. A district intranet serving plain HTTP sets SECURE_SSL_REDIRECT=false,
# SECURE_HSTS_SECONDS=0 and the two *_COOKIE_SECURE=false (docs/SECURITY.md); behind a TLS proxy set
# SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO instead, so redirects do not loop.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
if os.environ.get("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = (os.environ["SECURE_PROXY_SSL_HEADER"], "https")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Static files straight from gunicorn (collected by scripts/entrypoint.sh, with their .gz and .br twins) through the
# WhiteNoise middleware of the base settings: no separate web server needed.
WHITENOISE_USE_FINDERS = False
WHITENOISE_AUTOREFRESH = False
