"""Every way to present a password honours the login lock (docs/SECURITY.md, "Login locking").

The paths are enumerated: the settings, the URL map and the source are checked against PATHS, so a path added
later fails here until it goes through the locking backend and gets its own row below.
"""
import base64
import json
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib import admin
from django.contrib.auth.models import User
from django.contrib.auth.views import LoginView
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import translation
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from layers.models import AuditEvent, AuditKind, Role, UserProfile
from tests import factories as f

ROOT = Path(__file__).resolve().parent.parent
NAME = "lockpaths"
PASSWORD = "right-password-123"
WRONG = "wrong-password"
LOCKED_EN = "Too many failed logins for this user name"
LOCKED_ZH = "该用户名登录失败次数过多"
LOCKING_BACKEND = "layers.security.login_lock.LockingBackend"
LOCKING_BASIC = "layers.security.login_lock.LockingBasicAuthentication"
ITEMS = "/ogc/collections/estates/items?limit=5"
LOGIN_KINDS = [AuditKind.LOGIN, AuditKind.LOGIN_FAILED, AuditKind.LOGIN_LOCKED]


@pytest.fixture
def account(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast wrong guesses
    settings.LOGIN_MAX_FAILURES, settings.LOGIN_LOCK_MINUTES, settings.LOGIN_FAILURE_WINDOW_MINUTES = 5, 15, 15
    user = User.objects.create_user(NAME, password=PASSWORD, is_staff=True)
    UserProfile.objects.create(user=user, role=Role.PLANNER, district=f.district())
    return user


def login_kinds() -> list[str]:
    return list(AuditEvent.objects.filter(username=NAME, kind__in=LOGIN_KINDS).order_by("id")
                .values_list("kind", flat=True))


def basic_header(password: str, username: str = NAME) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


# --- the paths ----------------------------------------------------------------------------------------------------
# Each: attempt(password, language) -> (status, body text, whether it logged in or returned data).

def form_path(url):
    def attempt(password, language="en"):
        client = Client()
        response = client.post(url, {"username": NAME, "password": password}, HTTP_ACCEPT_LANGUAGE=language)
        return response.status_code, response.content.decode(), "_auth_user_id" in client.session
    return attempt


def token_attempt(password, language="en"):
    response = Client().post("/api/token/", {"username": NAME, "password": password}, HTTP_ACCEPT_LANGUAGE=language)
    return response.status_code, response.content.decode(), response.status_code == 200 and "token" in response.json()


def ogc_basic_attempt(password, language="en"):
    response = Client(HTTP_AUTHORIZATION=basic_header(password), HTTP_ACCEPT_LANGUAGE=language).get(ITEMS)
    body = response.content.decode()
    return response.status_code, body, response.status_code == 200 and '"features"' in body


class Probe(APIView):
    """An API view with HTTP Basic, as /api/ would have if Basic were enabled there."""

    def get(self, request):
        return Response({"username": request.user.username, "data": "secret"})


def api_basic_attempt(password, language="en"):
    from layers.security.login_lock import LockingBasicAuthentication

    view = Probe.as_view(authentication_classes=[LockingBasicAuthentication])
    request = APIRequestFactory().get("/api/probe/", HTTP_AUTHORIZATION=basic_header(password),
                                      HTTP_ACCEPT_LANGUAGE=language)
    with translation.override(language):
        response = view(request)
        response.render()
    body = response.content.decode()
    return response.status_code, body, response.status_code == 200 and "secret" in body


PATHS = {
    "login page": form_path("/accounts/login/"),
    "admin log-in": form_path("/admin/login/"),
    "token endpoint": token_attempt,
    "OGC API HTTP Basic": ogc_basic_attempt,
    "API HTTP Basic": api_basic_attempt,
}
# What each path answers a locked user (docs/SECURITY.md): the page with the message, or 429 with it in the body.
LOCKED_STATUS = {"login page": 200, "admin log-in": 200, "token endpoint": 429, "OGC API HTTP Basic": 429,
                 "API HTTP Basic": 429}


# --- enumeration: nothing checks a password outside the paths above --------------------------------------------

def test_the_locking_backend_is_the_only_authentication_backend():
    assert list(django_settings.AUTHENTICATION_BACKENDS) == [LOCKING_BACKEND]


def drf_views():
    """(route, view class) of every DRF view in the URL map."""
    found = []

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                cls = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
                if cls is not None and issubclass(cls, APIView):
                    found.append((prefix + str(pattern.pattern), cls))
    walk(get_resolver().url_patterns, "")
    return found


def test_api_authentication_classes_take_no_password_or_are_the_locking_basic():
    """Session and token carry no password; HTTP Basic on /api/ must be the locking class (covered above)."""
    from layers.security.login_lock import LockingBasicAuthentication

    allowed = {SessionAuthentication, TokenAuthentication, LockingBasicAuthentication}
    assert set(api_settings.DEFAULT_AUTHENTICATION_CLASSES) <= allowed
    views = drf_views()
    assert len(views) > 20  # the walk found the API
    for route, cls in views:
        assert set(cls.authentication_classes) <= allowed, route


def test_every_log_in_form_is_the_locking_one():
    from layers.security.login_lock import LockingFormMixin

    match = resolve("/accounts/login/")
    assert issubclass(match.func.view_class, LoginView)
    assert issubclass(match.func.view_initkwargs["authentication_form"], LockingFormMixin)
    assert issubclass(admin.site.login_form, LockingFormMixin)


# Source that takes a password or an Authorization header, and the PATHS row that tests it.
PASSWORD_SOURCE = re.compile(r"authenticate\(|check_password|BasicAuthentication|AuthenticationForm|AuthTokenSerializer"
                             r"|ObtainAuthToken|HTTP_AUTHORIZATION|[^_]login\(|get_authorization_header")
KNOWN_SOURCES = {
    "layers/security/login_lock.py": {"login page", "admin log-in", "API HTTP Basic", "OGC API HTTP Basic"},
    "layers/api/tokens.py": {"token endpoint"},
    "layers/ogc/views.py": {"OGC API HTTP Basic"},
    # Reads the Basic user name only to refuse a NUL character before any authentication (no password checked).
    "layers/security/middleware.py": set(),
}


def test_every_module_that_checks_a_password_is_a_known_path():
    found = set()
    for directory in ("layers", "geoapp"):
        for path in (ROOT / directory).rglob("*.py"):
            if "migrations" not in path.parts and PASSWORD_SOURCE.search(path.read_text(encoding="utf-8")):
                found.add(path.relative_to(ROOT).as_posix())
    assert found == set(KNOWN_SOURCES), "a new place takes a password: send it through the locking backend and " \
                                        "add it to PATHS"
    assert set().union(*KNOWN_SOURCES.values()) == set(PATHS)


# --- each path: failures count, a lock refuses the right password, no data ------------------------------------

@pytest.mark.parametrize("name", list(PATHS))
def test_wrong_passwords_lock_and_the_right_one_is_then_refused(account, settings, name):
    attempt = PATHS[name]
    status, body, ok = attempt(PASSWORD)
    assert ok, f"{name}: the right password works before the lock ({status})"
    for _ in range(5):
        status, body, ok = attempt(WRONG)
        assert not ok and LOCKED_EN not in body
    kinds = login_kinds()
    assert kinds[-5:] == [AuditKind.LOGIN_FAILED] * 5, f"{name}: wrong passwords count ({kinds})"
    status, body, ok = attempt(PASSWORD)
    assert not ok and status == LOCKED_STATUS[name], (name, status)
    assert LOCKED_EN in body and "15 more minutes" in body
    assert '"features"' not in body and "secret" not in body
    # Further tries are logged as locked and do not prolong the lock.
    attempt(WRONG)
    assert login_kinds()[-7:] == [AuditKind.LOGIN_FAILED] * 5 + [AuditKind.LOGIN_LOCKED] * 2
    settings.LOGIN_LOCK_MINUTES = 0  # the lock has run out
    assert attempt(PASSWORD)[2], f"{name}: the right password works again after the lock"


@pytest.mark.parametrize("name", ["token endpoint", "OGC API HTTP Basic", "API HTTP Basic"])
def test_locked_api_answer_carries_the_chinese_message(account, name):
    for _ in range(5):
        PATHS[name](WRONG, "zh-hans")
    status, body, ok = PATHS[name](PASSWORD, "zh-hans")
    assert not ok and status == 429
    assert LOCKED_ZH in json.loads(body)["error"]


def test_failures_on_different_paths_add_up(account):
    PATHS["login page"](WRONG)
    PATHS["OGC API HTTP Basic"](WRONG)
    PATHS["token endpoint"](WRONG)
    PATHS["API HTTP Basic"](WRONG)
    PATHS["admin log-in"](WRONG)
    for name, attempt in PATHS.items():
        status, body, ok = attempt(PASSWORD)
        assert not ok and LOCKED_EN in body, name


def test_ogc_remembered_credentials_do_not_outlast_a_later_lock(account):
    """The OGC API remembers an accepted Basic header for minutes; a lock that starts later still refuses it."""
    client = Client(HTTP_AUTHORIZATION=basic_header(PASSWORD), HTTP_ACCEPT_LANGUAGE="en")
    assert client.get(ITEMS).status_code == 200
    for _ in range(5):
        PATHS["login page"](WRONG)
    response = client.get(ITEMS)
    assert response.status_code == 429 and LOCKED_EN in response.json()["error"]
    assert "features" not in response.json()
    assert login_kinds()[-1] == AuditKind.LOGIN_LOCKED


def test_a_locked_answer_says_when_to_retry(account):
    for _ in range(5):
        PATHS["OGC API HTTP Basic"](WRONG)
    response = Client(HTTP_AUTHORIZATION=basic_header(PASSWORD)).get(ITEMS)
    assert response.status_code == 429
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60
    assert "WWW-Authenticate" not in response  # no password prompt while locked
    response = Client().post("/api/token/", {"username": NAME, "password": PASSWORD})
    assert response.status_code == 429 and 14 * 60 < int(response["Retry-After"]) <= 15 * 60


def test_a_basic_success_is_a_login_that_resets_the_count(account):
    for _ in range(4):
        PATHS["login page"](WRONG)
    assert PATHS["OGC API HTTP Basic"](PASSWORD)[2]
    assert login_kinds()[-1] == AuditKind.LOGIN
    for _ in range(4):
        PATHS["token endpoint"](WRONG)
    assert PATHS["login page"](PASSWORD)[2], "4 failures after a Basic success must not lock"
