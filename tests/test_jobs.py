"""Background jobs (docs/JOBS.md) against the real PostgreSQL and a real worker (`manage.py qcluster`, django-q2's
ORM broker): exports beyond the download limit, large imports, district-wide plan proposals; progress, cancel,
downloads, who sees which job, and a worker killed in the middle of a job (retried, or failed with a message)."""
import csv
import datetime
import io
import os
import time

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.utils import translation

from layers.models import AdminArea, Building, Estate, ImportJob, Job, TakeoverPlan
from layers.permissions import district_of
from layers.services import jobs as job_service

from .job_worker import Worker, workers  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def city(demo_city):
    """Transactional tests (the worker must see committed rows) flush the tables: reload the small demo."""


def client(username: str) -> Client:
    c = Client()
    c.force_login(User.objects.get(username=username))
    return c


def wait_for(job_id: int, predicate, *, seconds: float = 90, worker: Worker | None = None) -> Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = Job.objects.get(pk=job_id)
        if predicate(job):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} is {Job.objects.get(pk=job_id).__dict__}; "
                         f"worker: {worker.output() if worker else ''}")


def lock_is_free(job_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [job_service.LOCK_NAMESPACE, job_id])
        free = cursor.fetchone()[0]
        if free:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [job_service.LOCK_NAMESPACE, job_id])
    return free


def lock_freed(job_id: int, within: float = 10.0) -> bool:
    """The server ends a dead client's backend when it reads the closed socket: soon, but not at once on a busy box."""
    deadline = time.monotonic() + within
    while not lock_is_free(job_id):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def csv_rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


# --- exports ------------------------------------------------------------------------------------------------------

def test_an_export_refused_as_too_large_runs_as_a_job_and_its_file_is_downloaded(settings, workers):
    settings.EXPORT_MAX_FEATURES = 10
    planner = client("planner")
    refused = planner.get("/api/export/buildings.csv")
    assert refused.status_code == 413
    worker = workers()
    started = planner.post("/api/export/buildings.csv/job/")
    assert started.status_code == 202, started.content
    job_id = started.json()["id"]
    assert started.json()["status"] == "queued"
    job = wait_for(job_id, lambda j: j.finished, worker=worker)
    assert job.status == "done", job.message
    buildings = Building.objects.count()
    assert job.done == job.total == buildings
    detail = planner.get(f"/api/jobs/{job_id}/").json()
    assert detail["percent"] == 100 and detail["links"]["download"] == f"/api/jobs/{job_id}/download/"
    download = planner.get(detail["links"]["download"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    rows = csv_rows(b"".join(download.streaming_content))
    assert len(rows) == buildings
    assert {r["code"] for r in rows} == set(Building.objects.values_list("code", flat=True))
    # Another user cannot download it; the administrator can.
    assert client(f"street-{Estate.objects.first().community.parent.code}").get(
        detail["links"]["download"]).status_code == 404
    assert client("admin").get(detail["links"]["download"]).status_code == 200


def test_an_export_job_refuses_a_bad_filter_at_once():
    response = client("planner").post("/api/export/buildings.csv/job/?no_such_field=1")
    assert response.status_code == 400
    assert not Job.objects.exists()


def test_cancelling_a_running_export_keeps_no_file(settings, workers):
    total = Building.objects.count()
    worker = workers(JOBS_CHUNK_ROWS=max(1, total // 20), JOBS_CHUNK_PAUSE=0.5)
    planner = client("planner")
    job_id = planner.post("/api/export/buildings.gpkg/job/").json()["id"]
    wait_for(job_id, lambda j: j.status == "running" and j.done > 0, worker=worker)
    cancelled = planner.post(f"/api/jobs/{job_id}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["cancel_requested"] is True
    job = wait_for(job_id, lambda j: j.finished, worker=worker)
    assert job.status == "cancelled"
    assert job.done < total
    assert not job.result_file
    assert planner.get(f"/api/jobs/{job_id}/download/").status_code == 400
    assert planner.post(f"/api/jobs/{job_id}/cancel/").status_code == 409


def test_a_queued_job_is_cancelled_at_once_and_never_runs():
    planner = client("planner")
    job_id = planner.post("/api/export/buildings.csv/job/").json()["id"]
    assert planner.post(f"/api/jobs/{job_id}/cancel/").json()["status"] == "cancelled"
    job_service.job_run(job_id)  # what the worker does when the queue entry comes round
    job = Job.objects.get(pk=job_id)
    assert job.status == "cancelled" and job.attempts == 0 and not job.result_file


# --- a worker that dies ---------------------------------------------------------------------------------------------

def start_slow_export(workers):
    total = Building.objects.count()
    worker = workers(JOBS_CHUNK_ROWS=max(1, total // 30), JOBS_CHUNK_PAUSE=0.4)
    job_id = client("planner").post("/api/export/buildings.csv/job/").json()["id"]
    wait_for(job_id, lambda j: j.status == "running" and j.done > 0, worker=worker)
    assert not lock_is_free(job_id)  # the worker holds it
    worker.kill()
    return job_id, total


def test_a_job_whose_worker_is_killed_runs_again_on_the_next_worker(workers):
    job_id, total = start_slow_export(workers)
    job = Job.objects.get(pk=job_id)
    assert job.status == "running" and 0 < job.done < total  # left behind by the dead worker
    assert lock_freed(job_id)  # PostgreSQL released its lock with the connection
    worker = workers()
    job = wait_for(job_id, lambda j: j.finished, worker=worker)
    assert job.status == "done", job.message
    assert job.attempts == 2
    assert job.done == job.total == total
    assert len(csv_rows(job.result_file.read())) == total


def test_a_job_whose_worker_is_killed_on_its_last_attempt_is_marked_failed(settings, workers):
    job_id, _total = start_slow_export(workers)
    worker = workers(JOBS_MAX_ATTEMPTS=1)
    job = wait_for(job_id, lambda j: j.finished, worker=worker)
    assert job.status == "failed"
    with translation.override("zh-hans"):
        assert job.message == job_service._stopped_message(1)
    assert "中断" in job.message  # Chinese, for the planner
    assert not job.result_file
    card = client("planner").get(f"/api/jobs/{job_id}/").json()
    assert card["status_label"] == "失败" and card["message"] == job.message


# --- imports ----------------------------------------------------------------------------------------------------------

def estates_csv(estates, suffix: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["小区编码", "小区名称", "户数"])
    for estate in estates:
        writer.writerow([estate.code, estate.name + suffix, estate.households])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def checked_import(planner: Client, content: bytes) -> int:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = planner.post("/api/imports/", {"file": SimpleUploadedFile("estates.csv", content, "text/csv"),
                                            "target": "estates"})
    assert upload.status_code == 201, upload.content
    record = upload.json()
    check = planner.post(f"/api/imports/{record['id']}/check/", {"mapping": record["mapping"]},
                         content_type="application/json")
    if check.status_code == 202:  # a large file: its dry run is a job too, run here as the worker would
        job_service.job_run(check.json()["job"]["id"])
        check = planner.get(f"/api/imports/{record['id']}/")
    assert check.status_code == 200 and check.json()["report"]["summary"]["errors"] == 0, check.content
    return record["id"]


def uploaded_import(planner: Client, content: bytes) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = planner.post("/api/imports/", {"file": SimpleUploadedFile("estates.csv", content, "text/csv"),
                                            "target": "estates"})
    assert upload.status_code == 201, upload.content
    return upload.json()


def test_a_large_dry_run_is_checked_by_the_worker_with_progress(settings, monkeypatch):
    from layers.services.imports import importers

    settings.IMPORT_JOB_ROWS = 20
    monkeypatch.setattr(importers, "CHECK_CHUNK", 20)
    planner = client("planner")
    estates = list(Estate.objects.order_by("code")[:60])
    record = uploaded_import(planner, estates_csv(estates, "（检查）"))
    bad = planner.post(f"/api/imports/{record['id']}/check/", {"mapping": record["mapping"], "gcj02": "maybe"},
                       content_type="application/json")
    assert bad.status_code == 400 and not Job.objects.exists()  # a wrong choice is refused before any job
    response = planner.post(f"/api/imports/{record['id']}/check/", {"mapping": record["mapping"]},
                            content_type="application/json")
    assert response.status_code == 202, response.content
    job_id = response.json()["job"]["id"]
    assert ImportJob.objects.get(pk=record["id"]).status == "uploaded"  # not checked yet
    again = planner.post(f"/api/imports/{record['id']}/check/", {"mapping": record["mapping"]},
                         content_type="application/json")
    assert again.status_code == 409  # one job per import at a time
    steps = []
    real = job_service.Channel.progress

    def recorded(channel, done, total=None, message=None):
        steps.append((done, total))
        return real(channel, done, total, message)

    monkeypatch.setattr(job_service.Channel, "progress", recorded)
    job_service.job_run(job_id)
    job = Job.objects.get(pk=job_id)
    assert job.status == "done", job.message
    assert steps == [(0, 60), (20, 60), (40, 60)] and job.done == job.total == 60
    checked = planner.get(f"/api/imports/{record['id']}/").json()
    assert checked["status"] == "checked" and checked["report"]["summary"]["rows"] == 60
    assert checked["report"]["summary"]["update"] == 60 and job.result["summary"]["errors"] == 0
    assert Estate.objects.get(pk=estates[0].pk).name == estates[0].name  # a dry run writes no row


def test_a_small_dry_run_stays_in_the_request(settings):
    settings.IMPORT_JOB_ROWS = 1000
    planner = client("planner")
    record = uploaded_import(planner, estates_csv(list(Estate.objects.order_by("code")[:3]), "（小）"))
    response = planner.post(f"/api/imports/{record['id']}/check/", {"mapping": record["mapping"]},
                            content_type="application/json")
    assert response.status_code == 200 and "job" not in response.json()
    assert response.json()["report"]["summary"]["rows"] == 3 and not Job.objects.exists()


def test_a_small_import_is_still_committed_in_the_request(settings):
    settings.IMPORT_JOB_ROWS = 1000
    planner = client("planner")
    estates = list(Estate.objects.order_by("code")[:3])
    record_id = checked_import(planner, estates_csv(estates, "（小）"))
    response = planner.post(f"/api/imports/{record_id}/commit/", {}, content_type="application/json")
    assert response.status_code == 200 and "job" not in response.json()
    assert Estate.objects.get(pk=estates[0].pk).name == estates[0].name + "（小）"
    assert not Job.objects.exists()


def test_a_large_import_is_committed_by_the_worker_with_progress(settings, workers):
    settings.IMPORT_JOB_ROWS = 20
    planner = client("planner")
    estates = list(Estate.objects.order_by("code")[:60])
    record_id = checked_import(planner, estates_csv(estates, "（批量）"))
    response = planner.post(f"/api/imports/{record_id}/commit/", {"reason": "批量改名"},
                            content_type="application/json")
    assert response.status_code == 202, response.content
    job_id = response.json()["job"]["id"]
    assert Estate.objects.get(pk=estates[0].pk).name == estates[0].name  # not yet
    worker = workers()
    job = wait_for(job_id, lambda j: j.finished, worker=worker)
    assert job.status == "done", job.message
    assert job.done == job.total == 60
    assert job.result["updated"] == 60
    assert ImportJob.objects.get(pk=record_id).status == "committed"
    assert Estate.objects.get(pk=estates[-1].pk).name == estates[-1].name + "（批量）"
    # Committed once: a second commit is refused, and so is a second job.
    assert planner.post(f"/api/imports/{record_id}/commit/", {}, content_type="application/json").status_code == 409


def test_a_cancelled_import_writes_no_row(settings, workers):
    """The import runs in one transaction: cancelled while it checks, it rolls back every row."""
    settings.IMPORT_JOB_ROWS = 20
    planner = client("planner")
    estates = list(Estate.objects.order_by("code")[:60])
    record_id = checked_import(planner, estates_csv(estates, "（取消）"))
    job_id = planner.post(f"/api/imports/{record_id}/commit/", {}, content_type="application/json").json()["job"]["id"]
    worker = workers(JOBS_CHUNK_PAUSE=3)  # the worker pauses after its first progress report
    wait_for(job_id, lambda j: j.status == "running", worker=worker)
    assert planner.post(f"/api/jobs/{job_id}/cancel/").status_code == 200
    job = wait_for(job_id, lambda j: j.finished, worker=worker)
    assert job.status == "cancelled"
    assert not Estate.objects.filter(name__endswith="（取消）").exists()
    assert ImportJob.objects.get(pk=record_id).status == "checked"  # it can be committed again


# --- plan proposals ---------------------------------------------------------------------------------------------------

def test_a_district_wide_proposal_runs_as_a_job_and_links_to_its_plan():
    planner = client("planner")
    response = planner.post("/api/plans/", {"name": "全区连片", "start_date": "2026-07-01", "background": True},
                            content_type="application/json")
    assert response.status_code == 202, response.content
    job_id = response.json()["job"]["id"]
    assert not TakeoverPlan.objects.filter(name="全区连片").exists()
    job_service.job_run(job_id)  # the worker's task, in this process
    job = Job.objects.get(pk=job_id)
    assert job.status == "done", job.message
    plan = TakeoverPlan.objects.get(name="全区连片")
    assert plan.street is None and plan.bundles.exists()
    assert plan.name == "全区连片" and job.result["plan"] == plan.pk
    assert planner.get(f"/api/jobs/{job_id}/").json()["links"]["result"] == f"/plans/{plan.pk}/"


def test_the_plan_page_form_proposes_as_a_job_in_three_steps_and_the_page_links_the_plan(monkeypatch):
    planner = client("planner")
    street = AdminArea.objects.filter(level="street", parent=district_of(User.objects.get(username="planner")))\
        .order_by("code").first()
    made = planner.post("/plans/", {"name": "表单连片", "start_date": "2026-07-01", "street": street.pk,
                                    "min_households": "800", "max_households": "4000"})
    job_id = Job.objects.get(title__contains="表单连片").pk
    assert made.status_code == 302 and made["Location"] == f"/plans/?job={job_id}"
    steps = []
    real = job_service.Channel.progress

    def recorded(channel, done, total=None, message=None):
        steps.append((done, total, message))
        return real(channel, done, total, message)

    monkeypatch.setattr(job_service.Channel, "progress", recorded)
    job_service.job_run(job_id)
    job = Job.objects.get(pk=job_id)
    plan = TakeoverPlan.objects.get(name="表单连片")
    assert job.status == "done" and job.done == job.total == 3 and job.result["plan"] == plan.pk
    assert [(done, total) for done, total, _ in steps] == [(0, 3), (1, 3), (2, 3)]
    assert plan.street_id == street.pk and plan.parameters["max_households"] == 4000
    page = planner.get(f"/plans/?job={job_id}")
    assert f'"result": "/plans/{plan.pk}/"'.encode() in page.content  # plan_list.js opens it


def test_a_proposal_job_with_a_bad_parameter_fails_with_the_reason_and_writes_nothing():
    planner = client("planner")
    plans = TakeoverPlan.objects.count()
    job_id = planner.post("/api/plans/", {"name": "  ", "start_date": "2026-07-01", "background": True},
                          content_type="application/json").json()["job"]["id"]
    job_service.job_run(job_id)
    job = Job.objects.get(pk=job_id)
    assert job.status == "failed"
    with translation.override("zh-hans"):
        assert str(translation.gettext("Give the plan a name.")) in job.message
    assert TakeoverPlan.objects.count() == plans


# --- expired result files -------------------------------------------------------------------------------------------

def finished_export(days_ago: float, name: str) -> Job:
    from django.core.files.base import ContentFile
    from django.utils import timezone

    job = Job(kind="export", title=name, user=User.objects.get(username="planner"), status="done",
              result_name=name, finished_at=timezone.now() - datetime.timedelta(days=days_ago),
              params={"language": "zh-hans"}, result={"features": 1})
    job.result_file.save(name, ContentFile(b"code,WKT\r\n"), save=False)
    job.save()
    return job


def test_result_files_older_than_the_setting_are_deleted_and_the_job_says_so(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.JOBS_RESULT_DAYS = 7
    old, recent = finished_export(8, "old.csv"), finished_export(6, "recent.csv")
    old_path, recent_path = old.result_file.path, recent.result_file.path
    planner = client("planner")
    assert planner.get(f"/api/jobs/{old.pk}/download/").status_code == 200
    job_service.jobs_sweep()  # the sweep before each job deletes them
    old.refresh_from_db()
    recent.refresh_from_db()
    assert not os.path.exists(old_path) and not old.result_file and old.result["expired_at"]
    assert os.path.exists(recent_path) and recent.result_file.name
    with translation.override("zh-hans"):
        assert "old.csv" in old.message and "7" in old.message and "过期" in old.message
    card = planner.get(f"/api/jobs/{old.pk}/").json()
    assert "download" not in card["links"] and card["message"] == old.message
    refused = planner.get(f"/api/jobs/{old.pk}/download/")
    assert refused.status_code == 400 and "过期" in refused.json()["error"]
    assert planner.get(f"/api/jobs/{recent.pk}/download/").status_code == 200
    assert job_service.jobs_expire_results() == 0  # nothing left to delete
    settings.JOBS_RESULT_DAYS = 5
    assert job_service.jobs_expire_results() == 1 and not os.path.exists(recent_path)


def test_the_worker_schedules_the_expiry_hourly_once():
    from django_q.models import Schedule

    job_service.ensure_expiry_schedule()
    job_service.ensure_expiry_schedule()
    schedule = Schedule.objects.get(func=job_service.EXPIRE_TASK)
    assert schedule.schedule_type == Schedule.HOURLY and schedule.repeats == -1


# --- who sees which job -----------------------------------------------------------------------------------------------

def test_the_job_list_shows_each_user_their_own_jobs():
    planner, official = client("planner"), client("official")
    mine = planner.post("/api/export/buildings.csv/job/").json()["id"]
    theirs = official.post("/api/export/estates.csv/job/").json()["id"]
    street = client(f"street-{Estate.objects.first().community.parent.code}")
    street_job = street.post("/api/export/estates.csv/job/").json()["id"]
    assert [j["id"] for j in planner.get("/api/jobs/").json()["jobs"]] == [mine]
    assert [j["id"] for j in street.get("/api/jobs/").json()["jobs"]] == [street_job]
    # Officials and administrators read every job; only the administrator (and the owner) cancels.
    assert {j["id"] for j in official.get("/api/jobs/").json()["jobs"]} == {mine, theirs, street_job}
    assert {j["id"] for j in client("admin").get("/api/jobs/").json()["jobs"]} == {mine, theirs, street_job}
    assert official.post(f"/api/jobs/{mine}/cancel/").status_code == 404
    assert client("admin").post(f"/api/jobs/{mine}/cancel/").status_code == 200
    page = planner.get("/jobs/")
    assert page.status_code == 200
    assert f'"id": {mine}' in page.content.decode() and f'"id": {theirs}' not in page.content.decode()
