"""GET/POST /api/complaints/ and POST /api/complaints/import/ (docs/COMPLAINTS.md "Intake")."""
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from layers.models import Complaint, Estate, Job, JobKind, Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_demo_complaints")]

XLSX = Path(__file__).resolve().parents[1] / "fixtures" / "hotline_orders.xlsx"


def logged_in(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def planner():
    return User.objects.get(username="planner")


def upload(client, path=XLSX, **fields):
    with open(path, "rb") as handle:
        return client.post("/api/complaints/import/", {"file": handle, **fields})


def test_dry_run_then_commit_then_nothing_more():
    client = logged_in(planner())
    dry = upload(client)
    assert dry.status_code == 200, dry.content
    assert dry.json()["to_add"] == 40 and not Complaint.objects.exists()
    done = upload(client, dry_run="false")
    assert done.status_code == 200 and done.json()["added"] == 40
    again = upload(client, dry_run="false")
    assert again.json()["added"] == 0 and again.json()["already_there"] == 40
    assert Complaint.objects.count() == 40


def test_a_bad_file_is_refused_with_the_row_in_chinese(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("工单编号,受理时间,来电内容,地址\nZ1,2099-01-01 08:00,漏水,某路1号\n", encoding="utf-8")
    response = upload(logged_in(planner()), bad, dry_run="false")
    assert response.status_code == 400
    assert "第 2 行" in response.json()["error"] and "受理时间" in response.json()["error"]
    assert response.json()["report"]["counts"]["error"] == 1
    assert not Complaint.objects.exists()


def test_a_large_import_runs_as_a_job(settings, demo_city):
    """The worker's task run in this process; its progress connection needs the rows committed (demo_city)."""
    settings.IMPORT_JOB_ROWS = 10
    before = Complaint.objects.count()  # the demo's year of complaints
    response = upload(logged_in(planner()), dry_run="false")
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["job"]["id"])
    assert job.kind == JobKind.COMPLAINT_IMPORT and Path(job.params["path"]).is_file()
    from layers.services.jobs import job_run
    job_run(job.pk)
    job.refresh_from_db()
    assert job.status == "done", job.message
    assert job.result["added"] == 40 and Complaint.objects.count() == before + 40
    assert job.done == job.total == 40  # the progress bar full: one report per chunk, the last one included
    assert not Path(job.params["path"]).exists()


def test_create_lists_and_filters():
    user = planner()
    client = logged_in(user)
    estate = Estate.objects.filter(community__parent__parent=user.profile.district).order_by("code").first()
    created = client.post("/api/complaints/", {"channel": "visit", "caller_words": "楼道灯坏了一个月",
                                               "estate": estate.pk}, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["estate"]["id"] == estate.pk and body["category"]["code"] == "other"  # none chosen
    assert body["links"]["case"] == f"/complaints/{body['id']}/"
    unmatched = client.post("/api/complaints/", {"channel": "online", "caller_words": "垃圾没人清运"},
                            content_type="application/json")
    assert unmatched.status_code == 201 and unmatched.json()["to_confirm"] is True
    listed = client.get("/api/complaints/").json()
    assert listed["count"] == 2
    assert [c["id"] for c in client.get("/api/complaints/?to_confirm=true").json()["complaints"]] == \
        [unmatched.json()["id"]]
    assert client.get("/api/complaints/?channel=visit").json()["count"] == 1
    assert client.get("/api/complaints/?overdue=true").json()["count"] == 0
    assert client.get("/api/complaints/?status=closed").json()["count"] == 0
    assert client.get("/api/complaints/?date_from=2099-01-01").json()["count"] == 0
    assert client.get(f"/api/complaints/?street={estate.community.parent_id}").json()["count"] == 1
    assert client.get("/api/complaints/?overdue=maybe").status_code == 400


def test_a_community_worker_sees_only_its_community():
    user = planner()
    client = logged_in(user)
    upload(client, dry_run="false")
    community = Complaint.objects.filter(community__isnull=False).values_list("community", flat=True).first()
    worker = User.objects.create_user("c-test", password="x")
    from layers.models import UserProfile
    UserProfile.objects.create(user=worker, role=Role.COMMUNITY, community_id=community)
    listed = logged_in(worker).get("/api/complaints/").json()
    assert listed["count"] == Complaint.objects.filter(community_id=community).count() >= 1
    assert {c["community"]["id"] for c in listed["complaints"]} == {community}


def test_who_may_not_take_in_complaints_is_refused():
    official = User.objects.filter(profile__role=Role.OFFICIAL).first()
    response = logged_in(official).post("/api/complaints/", {"channel": "visit", "caller_words": "x"},
                                        content_type="application/json")
    assert response.status_code == 403
