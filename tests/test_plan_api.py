"""The takeover-plan JSON API and pages (layers/api/plans.py, views/plans.py): shapes, errors, roles, exports."""
import csv
import datetime
import io
import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from layers.io import plan_export
from layers.models import (
    AdminArea, BundleEstate, Enterprise, Job, ListStatus, ServiceContract, TakeoverPlan,
)

pytestmark = pytest.mark.django_db

START = "2027-03-01"


def client(username, language="en"):
    c = Client(HTTP_ACCEPT_LANGUAGE=language)
    c.force_login(User.objects.get(username=username))
    return c


def street():
    return AdminArea.objects.filter(level="street").order_by("code").first()


def send(c, method, url, body=None):
    return getattr(c, method)(url, json.dumps(body) if body is not None else None, content_type="application/json")


@pytest.fixture
def planner():
    return client("planner")


@pytest.fixture
def plan(planner):
    body = {"name": "接口计划", "start_date": START, "street": street().pk}
    response = send(planner, "post", "/api/plans/", body)
    assert response.status_code == 201, response.content
    return response.json()


def test_create_answers_the_plan_with_bundles_as_geojson(plan):
    assert plan["status"] == "draft" and plan["version"] == 1 and plan["can_edit"]
    assert plan["street"]["id"] == street().pk and plan["parameters"]["gap_m"] == 50.0
    features = plan["bundles"]["features"]
    assert features and [f["properties"]["rank"] for f in features] == list(range(1, len(features) + 1))
    first = features[0]
    assert first["geometry"]["type"] == "MultiPolygon"
    assert set(first["properties"]["estate_ids"]) == set(
        BundleEstate.objects.filter(bundle_id=first["id"]).values_list("estate_id", flat=True))


def test_create_refuses_bad_input_with_the_field(planner):
    plans = TakeoverPlan.objects.count()
    response = send(planner, "post", "/api/plans/", {"name": "x", "start_date": "2027-13-01"})
    assert response.status_code == 400 and response.json()["field"] == "start_date"
    response = send(planner, "post", "/api/plans/", {"name": "x", "start_date": START, "min_households": "many"})
    assert response.status_code == 400 and response.json()["field"] == "min_households"
    assert TakeoverPlan.objects.count() == plans


def test_list_and_detail(planner, plan):
    rows = planner.get("/api/plans/").json()["plans"]
    ordered = TakeoverPlan.objects.order_by("-updated_at", "-id").values_list("pk", flat=True)
    assert [r["id"] for r in rows] == list(ordered)
    row = next(r for r in rows if r["id"] == plan["id"])
    assert row["bundles"] == len(plan["bundles"]["features"])
    assert row["households"] == sum(f["properties"]["households"] for f in plan["bundles"]["features"])
    assert planner.get(f"/api/plans/{plan['id']}/").json()["version"] == 1
    assert planner.get("/api/plans/999999/").status_code == 404


def test_enterprise_from_ranked_candidates_then_conflict_on_a_stale_version(planner, plan):
    bundle = plan["bundles"]["features"][0]
    candidates = planner.get(f"/api/plans/{plan['id']}/bundles/{bundle['id']}/candidates/").json()["candidates"]
    assert candidates and [c["rank"] for c in candidates] == list(range(1, len(candidates) + 1))
    black = set(Enterprise.objects.filter(list_status=ListStatus.BLACK).values_list("pk", flat=True))
    assert not black & {c["enterprise_id"] for c in candidates}
    url = f"/api/plans/{plan['id']}/bundles/{bundle['id']}/"
    response = send(planner, "patch", url, {"version": 1, "enterprise_id": candidates[0]["enterprise_id"]})
    assert response.status_code == 200
    changed = response.json()
    assert changed["version"] == 2
    assert changed["bundles"]["features"][0]["properties"]["enterprise_id"] == candidates[0]["enterprise_id"]
    stale = send(planner, "patch", url, {"version": 1, "enterprise_id": None})
    assert stale.status_code == 409 and stale.json()["version"] == 2 and "version 2" in stale.json()["error"]


def test_black_listed_enterprise_refused(planner, plan):
    black = Enterprise.objects.filter(list_status=ListStatus.BLACK).first()
    bundle = plan["bundles"]["features"][0]
    response = send(planner, "patch", f"/api/plans/{plan['id']}/bundles/{bundle['id']}/",
                    {"version": 1, "enterprise_id": black.pk})
    assert response.status_code == 400 and black.name in response.json()["error"]
    assert TakeoverPlan.objects.get(pk=plan["id"]).version == 1


def test_invalid_edit_answers_the_problems(planner, plan):
    bundle = max(plan["bundles"]["features"], key=lambda f: f["properties"]["estate_count"])
    ids = bundle["properties"]["estate_ids"]
    response = send(planner, "patch", f"/api/plans/{plan['id']}/bundles/{bundle['id']}/",
                    {"version": 1, "remove": ids[1:]})
    assert response.status_code == 400
    body = response.json()
    assert body["problems"] and body["problems"][0]["code"] in ("too_small", "not_contiguous")
    assert all(p["message"] and p["bundle_id"] == bundle["id"] for p in body["problems"])
    assert set(BundleEstate.objects.filter(bundle_id=bundle["id"]).values_list("estate_id", flat=True)) == set(ids)


def test_approve_discard_and_read_only(planner, plan):
    enterprise = Enterprise.objects.exclude(list_status=ListStatus.BLACK).order_by("pk").first()
    version = 1
    for f in plan["bundles"]["features"]:
        response = send(planner, "patch", f"/api/plans/{plan['id']}/bundles/{f['id']}/",
                        {"version": version, "enterprise_id": enterprise.pk})
        version = response.json()["version"]
    coverage = planner.get(f"/api/plans/{plan['id']}/coverage/").json()
    moved = coverage["total"]["moved"]["households"]
    assert moved == sum(f["properties"]["households"] for f in plan["bundles"]["features"])
    response = send(planner, "post", f"/api/plans/{plan['id']}/approve/", {"version": version})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved" and not response.json()["can_edit"]
    estates = BundleEstate.objects.filter(plan_id=plan["id"]).count()
    assert ServiceContract.objects.filter(bundle__plan_id=plan["id"], mode="bundled").count() == estates
    versions = planner.get(f"/api/plans/{plan['id']}/versions/").json()["versions"]
    assert versions[0]["status"] == "approved" and versions[0]["version"] == version + 1
    again = send(planner, "delete", f"/api/plans/{plan['id']}/?version={version + 1}")
    assert again.status_code == 409


def test_discard(planner, plan):
    response = planner.delete(f"/api/plans/{plan['id']}/?version=1")
    assert response.status_code == 200 and response.json()["status"] == "discarded"


def test_exports(planner, plan):
    per_bundle = planner.get(f"/api/plans/{plan['id']}/export.geojson")
    assert per_bundle.status_code == 200 and "attachment" in per_bundle["Content-Disposition"]
    data = json.loads(per_bundle.content)
    assert len(data["features"]) == len(plan["bundles"]["features"])
    per_estate = json.loads(planner.get(f"/api/plans/{plan['id']}/export.geojson?per=estate").content)
    assert {f["id"] for f in per_estate["features"]} == set(
        BundleEstate.objects.filter(plan_id=plan["id"]).values_list("estate_id", flat=True))
    assert planner.get(f"/api/plans/{plan['id']}/export.geojson?per=street").status_code == 400
    chinese = client("planner", "zh-hans")
    raw = chinese.get(f"/api/plans/{plan['id']}/export.csv").content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    from django.utils import translation

    with translation.override("zh-hans"):
        assert rows[0] == plan_export.headings()
    assert len(rows) - 1 == len(per_estate["features"])


def test_roles(plan):
    official = client("official")
    assert official.get(f"/api/plans/{plan['id']}/").status_code == 200
    assert official.get(f"/api/plans/{plan['id']}/").json()["can_edit"] is False
    bundle = plan["bundles"]["features"][0]
    assert send(official, "patch", f"/api/plans/{plan['id']}/bundles/{bundle['id']}/",
                {"version": 1, "enterprise_id": None}).status_code == 403
    street_office = client(f"street-{street().code}")
    assert street_office.get("/api/plans/").status_code == 403
    assert street_office.get(f"/api/plans/{plan['id']}/").status_code == 403
    assert street_office.get("/plans/").status_code == 403
    page = official.get(f"/plans/{plan['id']}/")
    assert page.status_code == 200 and b'data-can-edit="false"' in page.content
    assert b'id="approve-plan"' not in page.content
    assert Client().get("/api/plans/").status_code in (401, 403)


def test_pages_for_the_planner(planner, plan):
    page = planner.get("/plans/")
    assert page.status_code == 200 and f'data-plan-id="{plan["id"]}"'.encode() in page.content
    assert b'id="new-plan-form"' in page.content
    detail = planner.get(f"/plans/{plan['id']}/")
    assert detail.status_code == 200 and b'id="approve-plan"' in detail.content
    bad = planner.post("/plans/", {"name": "x", "start_date": "tomorrow"})
    assert bad.status_code == 400 and b'data-field="start_date"' in bad.content
    blank = planner.post("/plans/", {"name": "  ", "start_date": START})  # checked before any job starts
    assert blank.status_code == 400 and b'data-field="name"' in blank.content
    assert not Job.objects.exists()
    made = planner.post("/plans/", {"name": "表单计划", "start_date": START, "street": street().pk,
                                    "min_households": "800", "max_households": "4000", "gap_m": "50", "seed": "0"})
    # The bundles are proposed by the worker (docs/JOBS.md): the list follows the job, the plan comes later.
    job = Job.objects.get()
    assert made.status_code == 302 and made["Location"] == f"/plans/?job={job.pk}"
    assert job.kind == "plan_proposal" and job.status == "queued" and job.params["street_id"] == street().pk
    assert job.params["parameters"]["min_households"] == 800 and not TakeoverPlan.objects.filter(name="表单计划")
    following = planner.get(made["Location"])
    assert following.status_code == 200 and f'data-job="{job.pk}"'.encode() in following.content
    assert b'id="plan-job-config"' in following.content and b"plan_list.js" in following.content
    assert planner.get("/plans/?job=x").status_code == 400
    assert client("official").get(f"/plans/?job={job.pk}").status_code == 200  # officials read every job
    other = User.objects.filter(username__startswith="planner-").exclude(pk=job.user_id).first()
    assert client(other.username).get(f"/plans/?job={job.pk}").status_code == 404  # another planner's job


def test_schema_documents_the_plan_endpoints():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    assert {"post", "get"} <= set(paths["/api/plans/"])
    assert "patch" in paths["/api/plans/{id}/bundles/{bid}/"]
    assert "requestBody" in paths["/api/plans/{id}/approve/"]["post"]


def test_start_date_in_the_past_is_allowed_for_records():
    # A plan can record a takeover that already began; the uncovered estates are those of that date on.
    c = client("planner")
    day = (datetime.date.today() - datetime.timedelta(days=10)).isoformat()
    response = send(c, "post", "/api/plans/", {"name": "回溯", "start_date": day, "street": street().pk})
    assert response.status_code == 201 and response.json()["start_date"] == day


def test_plans_are_per_district(planner, plan):
    """A second district's planner (DOMAIN.md "Levels"): the form offers its own streets, the list shows its own
    plans, a plan without a street is for its district, and the plan page opens on that district."""
    from layers.models import Role, UserProfile
    from layers.services.plans import plan_create

    from . import factories as f

    district = f.second_district()
    other = User.objects.create_user("planner-second")
    UserProfile.objects.create(user=other, role=Role.PLANNER, district=district)
    c = client("planner-second", "zh-hans")
    page = c.get("/plans/")
    options = {s.pk for s in page.context["streets"]}
    assert options == set(AdminArea.objects.filter(level="street", parent=district).values_list("pk", flat=True))
    assert f"全区（{district.name}）" in page.content.decode()
    assert f'data-plan-id="{plan["id"]}"' not in page.content.decode()  # the first district's plan
    mine = plan_create(user=other, name="二区计划", start_date=datetime.date(2027, 3, 1))
    assert mine.district_id == district.pk and mine.street_id is None
    listed = c.get("/plans/").content.decode()
    assert f'data-plan-id="{mine.pk}"' in listed and f"{district.name}全区" in listed
    bounds = c.get(f"/plans/{mine.pk}/").context["config"]["bounds"]
    minx, miny, maxx, maxy = district.geom.extent
    assert bounds == [[miny, minx], [maxy, maxx]]
    # The first district's planner sees neither the plan nor the second district's streets.
    assert planner.get(f"/plans/{mine.pk}/").status_code == 404
    assert not set(planner.get("/plans/").context["streets"]) & set(AdminArea.objects.filter(parent=district))
