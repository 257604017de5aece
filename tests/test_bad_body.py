"""Bad bodies on the write paths that take no geometry but ids, numbers, dates or files — merge, plans and bundles,
abandonment reports with photos — and bad tile addresses: each refused with a specific 4xx, nothing written."""
from __future__ import annotations

import datetime
import json
import re

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from layers.models import AdminArea, AdminLevel, Building, Estate, ManagementArea
from layers.services.complaints import complaint_create

from .bad_geometries import BAD_BYTE
from .db_fingerprint import fingerprint
from .factories import PNG
from .test_bad_input import client, messages, raw

pytestmark = pytest.mark.django_db

PLAN_START = datetime.date(2027, 1, 1)


def two_areas():
    return list(ManagementArea.objects.order_by("code")[:2])


def _merge(body: str):
    return client().post("/api/management-areas/merge/", raw(body), content_type="application/json")


def _merge_preview(body: str):
    return client().post("/api/management-areas/merge/preview/", raw(body), content_type="application/json")


def merge_body(**changes) -> str:
    a, b = two_areas()
    body = {"ids": [a.pk, b.pk], "versions": {str(a.pk): a.version, str(b.pk): b.version}, "reason": "merge"}
    body.update(changes)
    return json.dumps(body, ensure_ascii=False)


def a_street():
    return AdminArea.objects.filter(level=AdminLevel.STREET).order_by("code").first()


def a_plan():
    from django.contrib.auth.models import User

    from layers.services.plans import plan_create

    return plan_create(user=User.objects.get(username="planner"), name="坏输入计划", start_date=PLAN_START,
                       street_id=a_street().pk)


def _json(method: str, url: str, body: str):
    return getattr(client(), method)(url, raw(body), content_type="application/json")


def plan_body(**changes) -> str:
    body = {"name": "计划", "start_date": PLAN_START.isoformat(), "street": a_street().pk}
    body.update(changes)
    return json.dumps(body, ensure_ascii=False)


def _bundle_new(estates):
    """Set up a plan, then (the returned function) send the request: the fingerprint is taken in between."""
    plan = a_plan()
    return lambda: _json("post", f"/api/plans/{plan.pk}/bundles/",
                         json.dumps({"version": plan.version, "estates": estates}))


def _bundle_patch(**changes):
    plan = a_plan()
    bundle = plan.bundles.order_by("rank").first()
    return lambda: _json("patch", f"/api/plans/{plan.pk}/bundles/{bundle.pk}/",
                         json.dumps({"version": plan.version, **changes}))


def _report(*, page=False, **fields):
    """An abandonment report through the API, or (page=True) through the abandoned-buildings page's form."""
    street = a_street()
    building = Building.objects.filter(estate__community__parent=street, abandonment="none").order_by("code").first()
    data = {"abandoned_since": "2024-03-01", "reason": "enterprise_left", "description": "无人管理", **fields}
    if page:
        return client(f"street-{street.code}").post("/abandonment/report/", {"building": building.code, **data})
    return client(f"street-{street.code}").post(f"/api/buildings/{building.pk}/abandonment-reports/", data)


def _step(**fields):
    """A step on a fresh complaint through /api/complaints/<id>/steps/ (the complaint is made before the fingerprint:
    returns the request to send)."""
    estate = Estate.objects.filter(community__parent__parent=User.objects.get(username="planner").profile.district
                                   ).order_by("code").first()
    complaint = complaint_create(user=User.objects.get(username="planner"), channel="visit",
                                 received_at=timezone.now(), caller_words="坏请求", estate_id=estate.pk)
    data = {"kind": "joint_meeting", "agenda": "议题", **fields}
    return lambda: client().post(f"/api/complaints/{complaint.pk}/steps/", data)


# (name, send, statuses, keyword); a bundle_ or step_ case's function sets a plan or a complaint up and returns the
# request to send.
CASES = [
    ("merge-truncated_json", lambda: _merge(merge_body()[:25]), (400,), r"JSON"),
    ("merge-ids_as_words", lambda: _merge(merge_body(ids=["first", "second"])), (400,), r"whole number"),
    ("merge-version_nan", lambda: _merge(merge_body().replace('"reason"', '"tolerance": NaN, "reason"')), (400,),
     r"NaN"),
    ("merge-tolerance_as_text", lambda: _merge(merge_body(tolerance="5 m")), (400,), r"number"),
    ("merge-invalid_utf8", lambda: _merge(merge_body(reason=f"合并{BAD_BYTE}")), (400,), r"UTF-8"),
    ("merge-lone_surrogate_escape", lambda: _merge(merge_body().replace('"merge"', '"\\udcff"')), (400,),
     r"surrogate"),
    ("merge_preview-truncated_json", lambda: _merge_preview(merge_body()[:25]), (400,), r"JSON"),
    ("merge_preview-ids_as_words", lambda: _merge_preview(merge_body(ids=["first", "second"])), (400,),
     r"whole number"),
    ("merge_preview-tolerance_as_text", lambda: _merge_preview(merge_body(tolerance="5 m")), (400,), r"number"),
    ("merge_preview-one_id", lambda: _merge_preview(merge_body(ids=[1])), (400,), r"ids"),
    ("plan_create-truncated_json", lambda: _json("post", "/api/plans/", plan_body()[:20]), (400,), r"JSON"),
    ("plan_create-nan", lambda: _json("post", "/api/plans/", plan_body().replace('"name"', '"gap_m": NaN, "name"')),
     (400,), r"NaN|JSON"),
    ("plan_create-bad_date", lambda: _json("post", "/api/plans/", plan_body(start_date="2027-02-30")), (400,),
     r"start_date"),
    ("plan_create-name_as_a_list", lambda: _json("post", "/api/plans/", plan_body(name=[None, None])), (400,),
     r"name must be text"),
    ("plan_create-street_as_a_word", lambda: _json("post", "/api/plans/", plan_body(street="金城街道")), (400,),
     r"street must be a street office's id"),
    ("plan_create-gap_as_text", lambda: _json("post", "/api/plans/", plan_body(gap_m="wide")), (400,), r"gap_m"),
    ("plan_create-invalid_utf8", lambda: _json("post", "/api/plans/", plan_body(name=f"计划{BAD_BYTE}")), (400,),
     r"UTF-8"),
    ("plan_create-lone_surrogate_escape",
     lambda: _json("post", "/api/plans/", plan_body(name="计划").replace('"计划"', '"\\udcff"')), (400,),
     r"surrogate"),
    ("bundle_create-estates_as_words", lambda: _bundle_new(["one", "two"]), (400,), r"estate"),
    ("bundle_create-estates_not_a_list", lambda: _bundle_new("12,13"), (400,), r"estate|list"),
    ("bundle_update-add_not_a_list", lambda: _bundle_patch(add="12"), (400,), r"add|list"),
    ("bundle_update-version_as_text", lambda: _bundle_patch(version="latest", add=[]), (400,), r"version"),
    ("report-photo_not_an_image",
     lambda: _report(photos=[SimpleUploadedFile("area.geojson", b'{"type": "Polygon"}')]), (400,),
     r"not a JPEG, PNG or WebP"),
    ("report-photo_empty", lambda: _report(photos=[SimpleUploadedFile("empty.png", b"")]), (400,), r"empty"),
    ("report-bad_date", lambda: _report(abandoned_since="2024-02-30"), (400,), r"abandoned_since"),
    ("report_page-photo_not_an_image",
     lambda: _report(page=True, photos=[SimpleUploadedFile("area.geojson", b'{"type": "Polygon"}')]), (400,),
     r"not a JPEG, PNG or WebP"),
    ("report_page-bad_date", lambda: _report(page=True, abandoned_since="2024-02-30"), (400,),
     r"Enter the date the building was left"),
    # NUL characters (PostgreSQL cannot store them) in JSON strings, form fields, multipart fields and file names.
    ("merge-nul_in_reason", lambda: _merge(merge_body(reason="合并\x00")), (400,), r"NUL.*reason"),
    ("plan_create-nul_in_name", lambda: _json("post", "/api/plans/", plan_body(name="计划\x00")), (400,),
     r"NUL.*name"),
    ("area_create-nul_in_name", lambda: _json("post", "/api/management-areas/", json.dumps(
        {"type": "Feature", "properties": {"name": "区域\x00", "reason": "x"}, "geometry": None})), (400,),
     r"NUL.*properties.name"),
    ("token-nul_in_username", lambda: client().post("/api/token/", {"username": "plan\x00ner", "password": "x"}),
     (400,), r"NUL.*username"),
    ("login-nul_in_username", lambda: Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/accounts/login/", {"username": "plan\x00ner", "password": "x"}), (400,), r"NUL.*username"),
    ("plan_page-nul_in_name", lambda: client().post("/plans/", {"name": "计划\x00", "start_date": "2027-01-01"}),
     (400,), r"NUL.*name"),
    ("enterprise_page-nul_in_address", lambda: client().post("/enterprises/new/", {"name": "企业", "address": "\x00"}),
     (400,), r"NUL.*address"),
    ("report-nul_in_description", lambda: _report(description="无人\x00管理"), (400,), r"NUL.*description"),
    ("report_page-nul_in_description", lambda: _report(page=True, description="无人\x00管理"), (400,),
     r"NUL.*description"),
    ("import-nul_in_target", lambda: client().post("/api/imports/", {
        "file": SimpleUploadedFile("a.geojson", b'{"type": "FeatureCollection", "features": []}'),
        "target": "estates\x00"}), (400,), r"NUL.*target"),
    # Numbers that are not finite: as JSON numbers too large for a float, and as text.
    ("merge-tolerance_1e309", lambda: _merge(merge_body().replace('"reason"', '"tolerance": 1e309, "reason"')),
     (400,), r"finite"),
    ("merge-tolerance_inf_text", lambda: _merge(merge_body(tolerance="inf")), (400,), r"tolerance.*finite"),
    ("plan_create-gap_1e309", lambda: _json("post", "/api/plans/", plan_body().replace('"name"', '"gap_m": 1e309, "name"')),
     (400,), r"finite"),
    ("plan_create-gap_inf_text", lambda: _json("post", "/api/plans/", plan_body(gap_m="inf")), (400,),
     r"gap_m.*finite"),
    ("plan_create-min_households_1e309_text", lambda: _json("post", "/api/plans/", plan_body(min_households="1e309")),
     (400,), r"min_households.*finite"),
    ("plan_create-max_floor_area_nan_text", lambda: _json("post", "/api/plans/", plan_body(max_floor_area="nan")),
     (400,), r"max_floor_area.*finite"),
    ("plan_create-seed_400_digits", lambda: _json("post", "/api/plans/", plan_body().replace(
        '"name"', '"seed": %s, "name"' % ("9" * 400))), (400,), r"too large"),
    ("plan_page-min_households_inf", lambda: client().post("/plans/", {
        "name": "计划", "start_date": "2027-01-01", "min_households": "-inf"}), (400,), r"min_households.*finite"),
    ("assign-enterprise_id_inf_text", lambda: _json("post", "/api/service/assign/", json.dumps(
        {"provider_kind": "enterprise", "enterprise_id": "inf", "start_date": "2025-01-01", "estate_ids": [1]})),
     (400,), r"enterprise_id.*finite"),
    ("step_unknown_kind", lambda: _step(kind="fly"), (400,), r"kind"),
    ("step_attachment_not_a_file_type",
     lambda: _step(attachments=[SimpleUploadedFile("a.pdf", b"<html><script>x</script>")]), (400,), r"not one of"),
    ("step_attachment_empty", lambda: _step(attachments=[SimpleUploadedFile("e.png", b"")]), (400,), r"empty"),
    ("step_attachment_zip_not_office", lambda: _step(attachments=[SimpleUploadedFile("a.docx", b"PK\x03\x04junk")]),
     (400,), r"not one of"),
    ("step_bad_meeting_date", lambda: _step(kind="decided", meeting_on="2026-02-30", decision="x"), (400,),
     r"meeting_on"),
    ("step_nul_in_note", lambda: _step(note="备注\x00"), (400,), r"NUL.*note"),
    ("step_rating_unknown", lambda: _step(kind="rated", rating="great"), (400,), r"rating"),
    ("tile-zoom_40", lambda: client().get("/tiles/estates/40/0/0.mvt"), (400,), r"zoom"),
    ("tile-x_out_of_range", lambda: client().get("/tiles/estates/3/9/1.mvt"), (400,), r"out of range"),
    ("tile-bad_date", lambda: client().get("/tiles/estates/3/6/2.mvt?date=2024-99-99"), (400,), r"date"),
]




@pytest.mark.parametrize("name, send, statuses, keyword", CASES, ids=[c[0] for c in CASES])
def test_bad_body_is_refused_specifically_and_writes_nothing(name, send, statuses, keyword):
    if name.startswith(("bundle_", "step_")):
        send = send()
    before = fingerprint()
    response = send()
    assert fingerprint() == before, "a refused request wrote something"
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    said = messages(response)
    assert re.search(keyword, said, re.I), f"{keyword!r} not in {said[:300]!r}"


def test_the_controls_are_accepted():
    """The same requests without their defect succeed (so the refusals above are the defects')."""
    assert _merge(merge_body()).status_code in (200, 400)  # two areas that may not touch: a rule, not input
    assert _json("post", "/api/plans/", plan_body()).status_code == 201
    assert _report(photos=[SimpleUploadedFile("ok.png", PNG)]).status_code == 201
    assert client().get("/tiles/estates/3/6/2.mvt?date=2024-01-01").status_code == 200
    assert _step(attachments=[SimpleUploadedFile("ok.png", PNG)])().status_code == 201
