"""A save whose database connection is killed mid-way: 503 with Retry-After, nothing half-written, a retry succeeds.

The save is made to wait on a row lock held by a second connection, so it is certainly in progress (inside its
transaction, after its first statements) when a third connection terminates its backend (pg_terminate_backend).
Everything runs against a live server over HTTP.
"""
import re
import threading
import time

import psycopg2
import pytest
import requests
from django.conf import settings
from django.contrib.auth.models import User
from django.db import OperationalError, connection
from django.test import Client
from django.utils import translation
from rest_framework.authtoken.models import Token

from layers.connection_lost import RETRY_AFTER_SECONDS
from layers.models import Enterprise, ManagementArea, ManagementAreaVersion, RegisterChange

WAIT_SECONDS = 15


def connect():
    db = connection.settings_dict
    return psycopg2.connect(dbname=db["NAME"], host=db["HOST"], port=db["PORT"], user=db["USER"],
                            password=db["PASSWORD"])


def kill_while_waiting_on(lock_sql: str, params: list, send, *, how: str = "pg_terminate_backend"):
    """Hold the row lock of `lock_sql`, run send() in a thread until its backend waits on that lock, terminate that
    backend (or cancel its statement: how="pg_cancel_backend"), release the lock; return send()'s result and the
    pid of that backend."""
    holder, killer = connect(), connect()
    killer.autocommit = True
    result = {}
    try:
        with holder.cursor() as cursor:
            cursor.execute(lock_sql, params)
            cursor.execute("SELECT pg_backend_pid()")
            holder_pid = cursor.fetchone()[0]
        thread = threading.Thread(target=lambda: result.update(response=send()))
        thread.start()
        deadline, waiting = time.monotonic() + WAIT_SECONDS, None
        with killer.cursor() as cursor:
            while waiting is None and time.monotonic() < deadline:
                cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                               "AND wait_event_type = 'Lock' AND %s = ANY(pg_blocking_pids(pid))", [holder_pid])
                row = cursor.fetchone()
                waiting = row[0] if row else time.sleep(0.05)
            assert waiting is not None, "the save never waited on the lock"
            cursor.execute(f"SELECT {how}(%s)", [waiting])
            assert cursor.fetchone()[0] is True
        thread.join(WAIT_SECONDS)
        assert not thread.is_alive(), "the request did not return after its connection was killed"
    finally:
        holder.rollback()
        holder.close()
        killer.close()
    return result["response"], waiting


def default_language(text: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return translation.gettext(text)


LOST_ON_SAVE = "The database connection was lost: nothing was saved. Please try again in a few seconds."


@pytest.mark.django_db(transaction=True)
def test_rest_save_killed_midway_is_a_503_then_a_retry_saves(demo_city, live_server):
    area = ManagementArea.objects.order_by("pk").first()
    planner = User.objects.get(username="planner")
    token, _ = Token.objects.get_or_create(user=planner)
    history_before = ManagementAreaVersion.objects.filter(area_id=area.pk).count()
    url = f"{live_server.url}/api/management-areas/{area.pk}/"
    body = {"type": "Feature", "geometry": None, "properties": {"version": area.version, "name": "断线重试"}}
    headers = {"Authorization": f"Token {token.key}"}

    response, pid = kill_while_waiting_on("SELECT 1 FROM layers_managementarea WHERE id = %s FOR UPDATE", [area.pk],
                                          lambda: requests.put(url, json=body, headers=headers, timeout=30))

    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response.json() == {"error": default_language(LOST_ON_SAVE)}  # the default language (Chinese)
    # Nothing half-written: same version, name and history.
    stored = ManagementArea.objects.get(pk=area.pk)
    assert (stored.version, stored.name, stored.updated_at) == (area.version, area.name, area.updated_at)
    assert ManagementAreaVersion.objects.filter(area_id=area.pk).count() == history_before

    english = requests.put(url, json={**body, "properties": {**body["properties"], "version": "x"}},
                           headers={**headers, "Accept-Language": "en"}, timeout=30)
    assert english.status_code == 400  # the server is still fine: a bad request is refused as usual
    retry = requests.put(url, json=body, headers=headers, timeout=30)
    assert retry.status_code == 200, retry.text
    assert retry.json()["properties"]["version"] == area.version + 1
    assert ManagementAreaVersion.objects.filter(area_id=area.pk).count() == history_before + 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        assert cursor.fetchone()[0] == 0  # the killed backend is gone, the retry ran on a new connection


@pytest.mark.django_db(transaction=True)
def test_page_save_killed_midway_is_a_503_page_then_a_retry_saves(demo_city, live_server):
    enterprise = Enterprise.objects.order_by("pk").first()
    changes_before = RegisterChange.objects.filter(enterprise=enterprise).count()
    client = Client()
    client.force_login(User.objects.get(username="planner"))
    session = requests.Session()
    session.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
    session.headers["Accept-Language"] = "en"
    url = f"{live_server.url}/enterprises/{enterprise.pk}/edit/"
    form_page = session.get(url, timeout=30)
    assert form_page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form_page.text)[1]
    form = {"csrfmiddlewaretoken": token, "name": enterprise.name + "（更名）", "credit_code": enterprise.credit_code,
            "filed_on": enterprise.filed_on.isoformat() if enterprise.filed_on else "",
            "contact_person": enterprise.contact_person or "", "contact_phone": enterprise.contact_phone or "",
            "address": enterprise.address or "", "reason": "断线测试"}
    post = lambda: session.post(url, data=form, headers={"Referer": url}, allow_redirects=False, timeout=30)  # noqa: E731

    response, _ = kill_while_waiting_on("SELECT 1 FROM layers_enterprise WHERE id = %s FOR UPDATE", [enterprise.pk],
                                        post)

    assert response.status_code == 503, response.text[:500]
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response.headers["Content-Type"].startswith("text/html")
    assert LOST_ON_SAVE in response.text  # in the user's language (English here)
    enterprise_now = Enterprise.objects.get(pk=enterprise.pk)
    assert enterprise_now.name == enterprise.name
    assert RegisterChange.objects.filter(enterprise=enterprise).count() == changes_before

    retry = post()
    assert retry.status_code == 302, retry.text[:500]
    assert Enterprise.objects.get(pk=enterprise.pk).name == form["name"]
    assert RegisterChange.objects.filter(enterprise=enterprise).count() == changes_before + 1


@pytest.mark.django_db(transaction=True)
def test_rest_save_cancelled_midway_is_a_503_saying_so(demo_city, live_server):
    """A statement cancelled by the server (as a deadlock victim or a timeout would be): 503, its own message."""
    area = ManagementArea.objects.order_by("pk").first()
    token, _ = Token.objects.get_or_create(user=User.objects.get(username="planner"))
    history_before = ManagementAreaVersion.objects.filter(area_id=area.pk).count()
    url = f"{live_server.url}/api/management-areas/{area.pk}/"
    body = {"type": "Feature", "geometry": None, "properties": {"version": area.version, "name": "取消重试"}}
    headers = {"Authorization": f"Token {token.key}", "Accept-Language": "en"}

    response, pid = kill_while_waiting_on("SELECT 1 FROM layers_managementarea WHERE id = %s FOR UPDATE", [area.pk],
                                          lambda: requests.put(url, json=body, headers=headers, timeout=30),
                                          how="pg_cancel_backend")

    assert response.status_code == 503 and response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response.json() == {"error": "The database could not finish this request: nothing was saved. Please try "
                                        "again in a few seconds."}
    assert ManagementArea.objects.get(pk=area.pk).version == area.version
    assert ManagementAreaVersion.objects.filter(area_id=area.pk).count() == history_before
    assert requests.put(url, json=body, headers=headers, timeout=30).status_code == 200


class LosesTheConnection:
    """A middleware failing on the database before any view runs (as a session save can)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise OperationalError("server closed the connection unexpectedly")


@pytest.mark.django_db
def test_connection_lost_outside_a_view_is_a_503_too(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.test_connection_lost.LosesTheConnection"]
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    page = client.get("/enterprises/")
    assert page.status_code == 503 and page["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "The database connection was lost. Please try again" in page.content.decode()
    api = client.post("/api/management-areas/", {}, content_type="application/json")
    assert api.status_code == 503 and api.json() == {"error": LOST_ON_SAVE}
