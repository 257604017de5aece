"""Deployment security (docs/SECURITY.md): check --deploy, login locking, session expiry, request-size limits, CSP."""
import datetime
import os
import re
import subprocess
import sys

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from layers.models import AuditEvent, AuditKind, ImportJob, ManagementArea, Role, TakeoverPlan, UserProfile
from tests import factories as f
from tests.test_settings import GOOD_SECRET, ROOT, SETTINGS_VARIABLES

PASSWORD = "right-password-123"
WRONG = "wrong-password"


# --- manage.py check --deploy ---------------------------------------------------------------------------------

def check_deploy(**env) -> subprocess.CompletedProcess:
    # conftest.py sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; a deployment must not (async.E001).
    clean = {k: v for k, v in os.environ.items() if k not in (*SETTINGS_VARIABLES, "DJANGO_ALLOW_ASYNC_UNSAFE")}
    clean.update({"DJANGO_SETTINGS_MODULE": "geoapp.settings_production", "ALLOWED_HOSTS": "example.org", **env})
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120)


def test_production_settings_pass_check_deploy():
    result = check_deploy(SECRET_KEY=GOOD_SECRET)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_with_the_development_secret():
    result = check_deploy(SECRET_KEY="dev-insecure-secret-key-change-me")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_plain_http_intranet_settings_are_reported_by_check_deploy():
    """The documented intranet switches work, and check --deploy names what they give up."""
    result = check_deploy(SECRET_KEY=GOOD_SECRET, SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout and "security.W008" in result.stderr + result.stdout


# --- login locking ------------------------------------------------------------------------------------------------

@pytest.fixture
def account(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast wrong guesses
    settings.LOGIN_MAX_FAILURES, settings.LOGIN_LOCK_MINUTES, settings.LOGIN_FAILURE_WINDOW_MINUTES = 5, 15, 15
    user = User.objects.create_user("locktest", password=PASSWORD)
    UserProfile.objects.create(user=user, role=Role.PLANNER, district=f.district())
    return user


def page_login(client, password, path="/accounts/login/"):
    return client.post(path, {"username": "locktest", "password": password}, HTTP_ACCEPT_LANGUAGE="en")


def token_login(client, password):
    return client.post("/api/token/", {"username": "locktest", "password": password}, HTTP_ACCEPT_LANGUAGE="en")


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def kinds(username="locktest") -> list[str]:
    return list(AuditEvent.objects.filter(username=username).order_by("id").values_list("kind", flat=True))


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_login_page_locks_after_failures_even_with_the_right_password(account, settings, path):
    if path.startswith("/admin"):
        account.is_staff = True
        account.save()
    client = Client()
    for _ in range(5):
        assert page_login(client, WRONG, path).status_code == 200 and not logged_in(client)
    response = page_login(client, PASSWORD, path)
    assert response.status_code == 200 and not logged_in(client)
    assert "Too many failed logins" in response.content.decode() and "15 more minutes" in response.content.decode()
    assert kinds() == ["login_failed"] * 5 + ["login_locked"]
    settings.LOGIN_LOCK_MINUTES = 0  # the lock has run out
    assert page_login(client, PASSWORD, path).status_code == 302 and logged_in(client)
    assert kinds()[-1] == "login"


def test_a_success_resets_the_count(account):
    client = Client()
    for _ in range(4):
        page_login(client, WRONG)
    assert page_login(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        page_login(client, WRONG)
    assert page_login(client, PASSWORD).status_code == 302, "4 failures after a success must not lock"


def test_token_endpoint_locks_with_429(account, settings):
    client = Client()
    for _ in range(5):
        assert token_login(client, WRONG).status_code == 400
    response = token_login(client, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed logins" in response.json()["error"] and "token" not in response.json()
    settings.LOGIN_LOCK_MINUTES = 0
    response = token_login(client, PASSWORD)
    assert response.status_code == 200 and response.json()["token"]
    assert kinds() == ["login_failed"] * 5 + ["login_locked", "login"]


def old_failures(count: int, *, minutes_ago: float, spread_minutes: float = 0):
    now = timezone.now()
    for i in range(count):
        AuditEvent.objects.create(kind=AuditKind.LOGIN_FAILED, username="locktest",
                                  time=now - datetime.timedelta(minutes=minutes_ago + i * spread_minutes))


def test_lock_ends_lock_minutes_after_the_last_failure(account):
    old_failures(5, minutes_ago=14)
    assert token_login(Client(), PASSWORD).status_code == 429
    # Five failures 16 minutes ago (another name: the log itself cannot be edited): that lock is over.
    account2 = User.objects.create_user("locktest2", password=PASSWORD)
    now = timezone.now()
    for _ in range(5):
        AuditEvent.objects.create(kind=AuditKind.LOGIN_FAILED, username=account2.username,
                                  time=now - datetime.timedelta(minutes=16))
    response = Client().post("/api/token/", {"username": "locktest2", "password": PASSWORD})
    assert response.status_code == 200


def test_failures_spread_wider_than_the_window_do_not_lock(account):
    old_failures(5, minutes_ago=1, spread_minutes=4)  # 5 failures over 16 minutes; the window is 15
    assert token_login(Client(), PASSWORD).status_code == 200


def test_lock_is_per_user_name(account):
    for _ in range(5):
        token_login(Client(), WRONG)
    other = User.objects.create_user("someone-else", password=PASSWORD)
    assert Client().post("/api/token/", {"username": other.username, "password": PASSWORD}).status_code == 200


# --- sessions -------------------------------------------------------------------------------------------------------

def test_session_cookie_is_httponly_lax_and_expires(account, settings):
    client = Client()
    response = page_login(client, PASSWORD)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    assert client.get("/dashboard/").status_code == 200


def test_an_expired_session_is_logged_out(account):
    client = Client()
    page_login(client, PASSWORD)
    assert client.get("/dashboard/").status_code == 200
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get("/dashboard/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- request size ---------------------------------------------------------------------------------------------------

@pytest.fixture
def planner_client(db):
    client = Client()
    client.force_login(User.objects.get(username="planner"))
    return client


def test_an_oversized_upload_gets_413_before_it_is_read(planner_client, settings):
    settings.UPLOAD_MAX_BYTES = 2000
    jobs = ImportJob.objects.count()
    body = b"x" * 3000
    from django.core.files.uploadedfile import SimpleUploadedFile
    response = planner_client.post("/api/imports/", {"target": "estates", "file": SimpleUploadedFile("a.geojson", body)},
                                   HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 413
    error = response.json()["error"]
    assert re.search(r"The request is 3 KB; at most 2 KB may be sent", error), error
    assert ImportJob.objects.count() == jobs


def test_a_declared_length_over_the_limit_is_refused_without_reading(planner_client, settings):
    """Only the header is looked at: a body that claims 60 MB is refused although 2 bytes were sent."""
    response = planner_client.post("/api/management-areas/", "{}", content_type="application/json",
                                   CONTENT_LENGTH=str(60 * 1024 * 1024), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 413
    assert response.json()["error"] == "The request is 60.0 MB; at most 10.0 MB may be sent."


def test_an_oversized_form_post_from_a_page_gets_a_plain_text_413(planner_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    areas = ManagementArea.objects.count()
    response = planner_client.post("/enterprises/new/", "name=" + "x" * 200,
                                   content_type="application/x-www-form-urlencoded", HTTP_ACCEPT="text/html",
                                   HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 413 and response["Content-Type"].startswith("text/plain")
    assert "at most 100 B may be sent" in response.content.decode()
    assert ManagementArea.objects.count() == areas


def test_upload_limit_covers_imports_and_photos(settings):
    assert settings.UPLOAD_MAX_BYTES > settings.IMPORT_MAX_BYTES
    assert settings.UPLOAD_MAX_BYTES > settings.ABANDONMENT_PHOTOS_MAX * settings.ABANDONMENT_PHOTO_MAX_BYTES


# --- Content-Security-Policy ----------------------------------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)([^>]*)>", re.I)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


def main_pages() -> list[str]:
    plan = TakeoverPlan.objects.order_by("pk").first()
    area = ManagementArea.objects.order_by("pk").first()
    pages = ["/", "/dashboard/", "/reports/coverage/", "/service/", "/enterprises/", "/enterprises/new/", "/plans/",
             "/imports/", "/abandonment/", "/audit/", "/api/docs/", "/admin/", f"/management-areas/{area.pk}/",
             f"/admin/layers/managementarea/{area.pk}/change/", "/admin/layers/auditevent/"]
    if plan is not None:
        pages.append(f"/plans/{plan.pk}/")
    return pages


def csp_nonce(header: str) -> str:
    match = re.search(r"script-src 'self' 'nonce-([^']+)'(;|$)", header)
    assert match, header
    return match.group(1)


@pytest.mark.django_db
def test_every_page_has_the_policy_and_no_unnonced_inline_script():
    client = Client()
    login_page = client.get("/accounts/login/")
    client.force_login(User.objects.get(username="admin"))
    for path, response in [("/accounts/login/", login_page), *((p, client.get(p)) for p in main_pages())]:
        assert response.status_code == 200, path
        header = response["Content-Security-Policy"]
        for directive in ("default-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'self'",
                          "img-src 'self' data: blob:", "style-src 'self' 'unsafe-inline'"):
            assert directive in header, (path, directive)
        nonce = csp_nonce(header)
        html = response.content.decode()
        for attributes in INLINE_SCRIPT.findall(html):
            assert 'type="application/json"' in attributes or f'nonce="{nonce}"' in attributes, (path, attributes)
        assert not EVENT_HANDLER.search(html), (path, EVENT_HANDLER.search(html).group(0))


@pytest.mark.django_db
def test_nonce_is_new_per_request_and_json_has_no_policy(planner_client):
    first, second = planner_client.get("/"), planner_client.get("/")
    assert csp_nonce(first["Content-Security-Policy"]) != csp_nonce(second["Content-Security-Policy"])
    assert "Content-Security-Policy" not in planner_client.get("/api/search/?q=a")


@pytest.mark.django_db
def test_basemap_origins_are_allowed_images(planner_client, settings):
    settings.BASEMAP_TILES = [{"name": "osm", "url": "https://{s}.tile.example.org/{z}/{x}/{y}.png"},
                              {"name": "gov", "url": "http://10.1.2.3:8080/wmts/{z}/{x}/{y}"}]
    header = planner_client.get("/")["Content-Security-Policy"]
    assert "img-src 'self' data: blob: http://10.1.2.3:8080 https://*.tile.example.org;" in header


# --- upload types ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("head, expected", [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00", "image/jpeg"),
    (b"\xff\xd8\xff\xdb\x00\x43\x00\x08\x06\x06\x07\x06\x05", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8L", "image/webp"),
    (b"\xff\xd8\xff<html><script>", None),  # a JPEG prefix in front of a page
    (b"\x89PNG\r\n\x1a\n<svg onload=x>", None),
    (b"RIFF\x24\x00\x00\x00WEBPtext", None),
    (b"GIF89a\x01\x00\x01\x00\x00\x00\x00\x00", None),
    (b"<?xml version='1.0'", None),
])
def test_photos_must_be_real_jpeg_png_or_webp(head, expected):
    from layers.services.abandonment import photo_type
    assert photo_type(head[:16]) == expected
