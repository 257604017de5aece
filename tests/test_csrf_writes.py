"""CSRF on every write: each URL pattern × POST/PUT/PATCH/DELETE, as a logged-in administrator with a session.

Without the CSRF token every write is refused with 403 and nothing is written (the permission matrix's fingerprint
of the written tables); with the token none is refused for CSRF. The one documented exception: POST /api/token/
(no session involved), and calls authenticated by an API token instead of a cookie.
"""
import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import NoReverseMatch, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token

from tests.test_permission_matrix import fingerprint

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("post", "put", "patch", "delete")
# Writes that need no CSRF token, by design (docs/SECURITY.md): the token endpoint authenticates by password.
CSRF_EXEMPT = {"api:token"}
# A value per URL parameter. Objects with id 1 exist in the demo city (the refused pass must have something to
# hit); the accepted pass uses ids that do not exist, so it is cheap and writes nothing either.
PARAMETERS = {"layer": "estates", "z": 0, "x": 0, "y": 0, "kind": "estate", "name": "uncovered", "fmt": "geojson",
              "collection_id": "estates", "feature_id": 1, "app_label": "layers", "uidb64": "MQ", "token": "x-y"}
MISSING_ID = 987654321
# Every admin route is refused without the token; with it, one model's routes stand for all the others (the admin
# wraps each view in the same csrf_protect, AdminSite.admin_view) — rendering every changelist would take 20 s.
ADMIN_SAMPLE = ("admin:layers_managementarea_", "admin:auth_user_")


def url_patterns(patterns=None, namespace=""):
    """(view name, parameter names) of every URL pattern, included ones too."""
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            yield from url_patterns(p.url_patterns, f"{namespace}{p.namespace}:" if p.namespace else namespace)
        elif p.name:
            names = p.pattern.converters.keys() if hasattr(p.pattern, "converters") else p.pattern.regex.groupindex
            yield f"{namespace}{p.name}", list(names)


def url(view_name: str, parameters: list[str], object_id) -> str | None:
    kwargs = {n: PARAMETERS.get(n, object_id) for n in parameters}
    try:
        return reverse(view_name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def write_cases():
    seen = set()
    for view_name, parameters in url_patterns():
        # The admin writes only by POST (its other methods render pages); the app's JSON endpoints use all four.
        methods = ("post",) if view_name.startswith("admin:") else WRITE_METHODS
        for method in methods:
            if (view_name, method) not in seen:
                seen.add((view_name, method))
                yield view_name, parameters, method


def logged_in(admin) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    return client


def test_every_write_needs_the_csrf_token():
    admin = User.objects.get(username="admin")
    cases = list(write_cases())
    unreachable = [(v, m) for v, p, m in cases if url(v, p, 1) is None]
    assert len(unreachable) <= 2, unreachable  # admin:view_on_site-like routes only
    before = fingerprint()
    client = logged_in(admin)
    not_refused, refused = [], 0
    for view_name, parameters, method in cases:
        path = url(view_name, parameters, 1)
        if path is None or view_name in CSRF_EXEMPT:
            continue
        response = getattr(client, method)(path, "{}", content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
        if response.status_code != 403:
            not_refused.append((method.upper(), path, response.status_code))
        refused += 1
    assert not_refused == []
    assert fingerprint() == before, "a write without the CSRF token changed data"

    csrf_refused, accepted = [], 0
    client = None
    for view_name, parameters, method in cases:
        path = url(view_name, parameters, MISSING_ID)
        if path is None or (view_name.startswith("admin:layers_") or view_name.startswith("admin:auth_")) \
                and not view_name.startswith(ADMIN_SAMPLE):
            continue
        if client is None or "_auth_user_id" not in client.session:  # a log-out ends the session: log in again
            client = logged_in(admin)
            client.get("/accounts/login/")  # sets the csrftoken cookie
        token = client.cookies["csrftoken"].value
        response = getattr(client, method)(path, "{}", content_type="application/json", HTTP_X_CSRFTOKEN=token,
                                           HTTP_ACCEPT_LANGUAGE="en")
        if response.status_code == 403 and "CSRF" in response.content.decode():
            csrf_refused.append((method.upper(), path))
        elif response.status_code != 405:
            accepted += 1
    assert csrf_refused == []
    print(f"CSRF: {refused} (route, method) pairs refused without the token; {accepted} accept a write with it")
    assert accepted >= 60, f"only {accepted} (route, method) pairs accept writes: is the URL walk broken?"


def test_token_authenticated_writes_need_no_csrf_token():
    """Scripts send `Authorization: Token …` and no cookie: CSRF does not apply (no browser session to ride)."""
    planner = User.objects.get(username="planner")
    key = Token.objects.get_or_create(user=planner)[0].key
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/management-areas/", {}, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content  # validation, not CSRF
    assert "CSRF" not in response.content.decode()
