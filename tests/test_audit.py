"""The audit log: what is recorded, that the database refuses to change it, and who may read it (/audit/, admin)."""
import datetime

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client

from layers.credit_code import check_character
from layers.models import AdminArea, AdminLevel, AuditEvent, AuditKind, Estate
from tests import import_files as files

pytestmark = pytest.mark.django_db

PASSWORD = "demo12345"


def client_for(username) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.get(username=username))
    return client


def new_events(since: int):
    return list(AuditEvent.objects.filter(id__gt=since).order_by("id"))


def last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def street_user() -> tuple[User, AdminArea]:
    street = AdminArea.objects.filter(level=AdminLevel.STREET).order_by("code").first()
    return User.objects.get(username=f"street-{street.code}"), street


# --- what is recorded ---------------------------------------------------------------------------------------------

def test_login_logout_and_failed_login_are_recorded():
    start = last_id()
    client = Client()
    client.post("/accounts/login/", {"username": "planner", "password": "wrong"}, REMOTE_ADDR="10.0.0.7")
    client.post("/accounts/login/", {"username": "planner", "password": PASSWORD}, REMOTE_ADDR="10.0.0.7")
    client.post("/accounts/logout/", REMOTE_ADDR="10.0.0.7")
    events = new_events(start)
    assert [(e.kind, e.username, e.ip) for e in events] == [
        ("login_failed", "planner", "10.0.0.7"), ("login", "planner", "10.0.0.7"), ("logout", "planner", "10.0.0.7")]
    assert events[1].user == User.objects.get(username="planner") and events[0].user is None


def test_client_address_from_the_proxy_header(settings):
    settings.AUDIT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    start = last_id()
    Client().post("/accounts/login/", {"username": "nobody", "password": "x"},
                  REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="192.168.5.9, 127.0.0.1")
    assert [(e.kind, e.ip) for e in new_events(start)] == [("login_failed", "192.168.5.9")]


def test_a_successful_write_is_one_change_event_and_reads_write_nothing():
    client = client_for("planner")
    start = last_id()
    client.get("/enterprises/")
    client.get("/api/enterprises/")
    assert new_events(start) == []
    response = client.post("/api/management-areas/validate/", {"type": "Polygon", "coordinates": []},
                           content_type="application/json")
    assert response.status_code == 400 and new_events(start) == [], "a refused (400) write is not a change"
    code = "91230112MA1B2C3D4"
    code += check_character(code)
    response = client.post("/api/enterprises/", {"name": "审计测试物业", "credit_code": code, "credit_grade": "A"},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    (event,) = new_events(start)
    assert (event.kind, event.username, event.method, event.path, event.status) == (
        "change", "planner", "POST", "/api/enterprises/", 201)
    assert event.object_type == "api:enterprise-list"


def test_refusals_are_recorded_403_401_and_jurisdiction_404():
    start = last_id()
    response = client_for("official").post("/api/enterprises/", {}, content_type="application/json")
    assert response.status_code == 403
    anonymous = Client().post("/api/management-areas/", {}, content_type="application/json")
    assert anonymous.status_code in (401, 403)
    user, street = street_user()
    outside = Estate.objects.exclude(community__parent=street).order_by("pk").first()
    response = client_for(user.username).get(f"/api/estates/{outside.pk}/contracts/")
    assert response.status_code == 404
    Client().get("/no-such-page/")  # an ordinary 404 is not a refusal
    events = [e for e in new_events(start) if e.kind != "login"]  # force_login logs in
    assert [(e.kind, e.username, e.status) for e in events] == [
        ("refused", "official", 403), ("refused", "", anonymous.status_code), ("refused", user.username, 404)]
    assert "may not" in events[0].detail and "jurisdiction" in events[2].detail
    assert events[2].object_id == str(outside.pk)


def test_another_streets_report_is_a_recorded_refusal():
    from layers.models import AbandonmentReport, Building
    from layers.services.abandonment import abandonment_report_create

    user, street = street_user()
    other = AdminArea.objects.filter(level=AdminLevel.STREET).exclude(pk=street.pk).order_by("code").first()
    other_user = User.objects.get(username=f"street-{other.code}")
    building = Building.objects.filter(estate__community__parent=other).order_by("pk").first()
    report = abandonment_report_create(user=other_user, building_id=building.pk, reason="other", description="",
                                       photos=[], abandoned_since=datetime.date.today())
    start = last_id()
    response = client_for(user.username).get(f"/api/abandonment-reports/{report.pk}/")
    assert response.status_code == 404
    assert [(e.kind, e.status) for e in new_events(start) if e.kind != "login"] == [("refused", 404)]
    assert AbandonmentReport.objects.filter(pk=report.pk).exists()


def test_management_commands_write_one_event_per_run(tmp_path):
    start = last_id()
    call_command("refresh_jurisdictions")
    records = files.estate_records(list(Estate.objects.order_by("code")[:2]), prefix="AUD-")
    path = files.shapefile_zip(tmp_path, records, cpg=False)
    call_command("import_layer", str(path), target="estates", dry_run=True, user="planner", verbosity=0)
    call_command("import_layer", str(path), "--target", "estates", "--mapping", "name=小区名称,code=小区编码",
                 "--user", "planner", stdout=open(tmp_path / "out.txt", "w"))
    events = new_events(start)
    assert [(e.kind, e.method, e.path) for e in events] == [
        ("change", "command", "manage.py refresh_jurisdictions"), ("change", "command", "manage.py import_layer")]
    assert events[1].username == "planner" and "2 new" in events[1].detail and "estates.zip" in events[1].detail


# --- append-only ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sql", ["UPDATE layers_auditevent SET detail = 'edited'",
                                 "DELETE FROM layers_auditevent"])
def test_the_database_refuses_update_and_delete(sql):
    AuditEvent.objects.create(kind=AuditKind.CHANGE, username="x", detail="original")
    count = AuditEvent.objects.count()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(detail="original").delete()
    assert AuditEvent.objects.count() == count
    assert AuditEvent.objects.filter(detail="original").exists()


def test_deleting_a_user_keeps_its_events():
    user = User.objects.create_user("leaver", password="x")
    AuditEvent.objects.create(kind=AuditKind.LOGIN, user=user, username="leaver")
    user.delete()
    assert AuditEvent.objects.filter(username="leaver", kind="login").exists()


# --- who may read it -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("username, status", [("admin", 200), ("planner", 403), ("official", 403)])
def test_audit_page_is_for_administrators(username, status):
    assert client_for(username).get("/audit/").status_code == status


def test_audit_page_refuses_street_offices_and_sends_anonymous_to_log_in():
    assert client_for(street_user()[0].username).get("/audit/").status_code == 403
    response = Client().get("/audit/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_audit_page_filters_and_pages():
    AuditEvent.objects.create(kind=AuditKind.LOGIN_FAILED, username="filter-me", detail="first")
    for i in range(105):
        AuditEvent.objects.create(kind=AuditKind.CHANGE, username="pager", detail=f"row {i}")
    client = client_for("admin")
    html = client.get("/audit/?kind=login_failed&user=filter-me").content.decode()
    assert html.count('data-kind="login_failed"') == 1 and 'data-kind="change"' not in html
    first = client.get("/audit/?user=pager").content.decode()
    assert first.count("<tr data-kind") == 100 and 'data-action="next"' in first and "row 104" in first
    second = client.get("/audit/?user=pager&page=2").content.decode()
    assert second.count("<tr data-kind") == 5 and 'data-action="next"' not in second and "row 0<" in second
    tomorrow = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    assert "<tr data-kind" not in client.get(f"/audit/?user=pager&from={tomorrow}").content.decode()
    bad = client.get("/audit/?from=yesterday").content.decode()
    assert "“yesterday” is not a date" in bad


def test_admin_shows_the_log_read_only():
    event = AuditEvent.objects.create(kind=AuditKind.CHANGE, username="x", detail="in the admin")
    client = client_for("admin")
    assert "in the admin" in client.get("/admin/layers/auditevent/").content.decode()
    assert client.get(f"/admin/layers/auditevent/{event.pk}/change/").status_code == 200  # a view-only page
    assert client.post(f"/admin/layers/auditevent/{event.pk}/change/", {"detail": "edited"}).status_code == 403
    assert client.post(f"/admin/layers/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/layers/auditevent/add/").status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).detail == "in the admin"
