"""The phone app's Inspect and Complaints tabs on the server: the checklist and estates kept for offline use, the
worklist of open cases in the user's scope, one inspection and one complaint step per Idempotency-Key (a lost answer
replayed, a 409 on a closed case kept as 409)."""
import json

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from layers.models import (AdminArea, AdminLevel, Complaint, ComplaintAttachment, ComplaintEvent, Estate,
                           IdempotentRequest, Inspection, InspectionPhoto, ProviderKind, Role, ServiceContract,
                           UserProfile)
from layers.services.complaint_steps import complaint_step
from layers.services.complaints import complaint_create

from .factories import JPEG

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.LANGUAGE_CODE = "en"
    return tmp_path


def login(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user if isinstance(user, User) else User.objects.get(username=user))
    return client


def make_user(name, role, **area):
    user = User.objects.create_user(name, password="x")
    UserProfile.objects.create(user=user, role=role, **area)
    return user


@pytest.fixture
def street():
    return AdminArea.objects.filter(level=AdminLevel.STREET).order_by("code").first()


def test_the_checklist_comes_with_the_estates_of_the_users_street_only(street):
    client = login(f"street-{street.code}")
    response = client.get("/m/checklist/")
    assert response.status_code == 200
    data = response.json()
    assert data["canInspect"] is True
    items = data["checklist"]["items"]
    assert items and all(item["max_score"] > 0 for item in items)
    assert sum(item["max_score"] for item in items) == sum(
        i.max_score for i in Inspection._meta.get_field("checklist").related_model.objects.get(
            pk=data["checklist"]["id"]).items.all())
    ids = {e["id"] for e in data["estates"]}
    assert ids == set(Estate.objects.filter(community__parent=street).values_list("pk", flat=True))
    assert all(len(e["at"]) == 2 for e in data["estates"])


def test_an_official_gets_no_checklist():
    official = User.objects.filter(profile__role=Role.OFFICIAL).first() or make_user(
        "off-m", Role.OFFICIAL, district=AdminArea.objects.filter(level=AdminLevel.DISTRICT).first())
    assert login(official).get("/m/checklist/").status_code == 403
    assert login(official).get("/m/complaints/").status_code == 403


def inspection_post(client, estate, checklist, key, **extra):
    scores = {str(item["id"]): item["max_score"] - 1 for item in checklist["items"]}
    first = checklist["items"][0]["id"]
    scores[str(first)] = {"score": 0, "note": "楼道堆物"}
    data = {"estate": str(estate.pk), "scores": json.dumps(scores), "lon": "125.3", "lat": "43.88",
            "accuracy_m": "7.5", f"photo_{first}": SimpleUploadedFile("a.jpg", JPEG, "image/jpeg"),
            "photos": SimpleUploadedFile("b.jpg", JPEG, "image/jpeg"), **extra}
    return client.post("/api/inspections/", data, HTTP_IDEMPOTENCY_KEY=key)


def test_one_inspection_per_key_with_position_and_item_photos(street):
    user = User.objects.get(username=f"street-{street.code}")
    client = login(user)
    checklist = client.get("/m/checklist/").json()["checklist"]
    estate = Estate.objects.filter(community__parent=street).order_by("pk").first()
    before = Inspection.objects.count()
    first = inspection_post(client, estate, checklist, "insp-key-1")
    assert first.status_code == 201, first.content
    again = inspection_post(client, estate, checklist, "insp-key-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Inspection.objects.count() == before + 1
    inspection = Inspection.objects.get(pk=first.json()["id"])
    assert inspection.inspector == user and inspection.accuracy_m == 7.5 and inspection.location is not None
    assert inspection.total_score == sum(i["max_score"] - 1 for i in checklist["items"][1:])
    photos = InspectionPhoto.objects.filter(inspection=inspection)
    assert photos.count() == 2
    assert set(photos.values_list("item_id", flat=True)) == {checklist["items"][0]["id"], None}
    assert IdempotentRequest.objects.filter(user=user, key="insp-key-1", path="/api/inspections/").count() == 1
    # A new key is a new inspection (the same estate may be inspected twice a day).
    assert inspection_post(client, estate, checklist, "insp-key-2").status_code == 201
    assert Inspection.objects.count() == before + 2


def test_a_refused_inspection_is_replayed_as_refused(street):
    client = login(f"street-{street.code}")
    checklist = client.get("/m/checklist/").json()["checklist"]
    other = Estate.objects.exclude(community__parent=street).order_by("pk").first()
    before = Inspection.objects.count()
    first = inspection_post(client, other, checklist, "insp-out")
    assert first.status_code == 404
    assert inspection_post(client, other, checklist, "insp-out").status_code == 404
    assert Inspection.objects.count() == before


@pytest.fixture
def case(no_demo_complaints):
    contract = (ServiceContract.objects.filter(provider_kind=ProviderKind.ENTERPRISE, end_date__isnull=True)
                .select_related("estate__community__parent").order_by("pk").first())
    estate = contract.estate
    community = estate.community
    people = {
        "community": make_user("cw-m", Role.COMMUNITY, community=community),
        "street": make_user("so-m", Role.STREET_OFFICE, street=community.parent),
        "enterprise": make_user("ent-m", Role.ENTERPRISE, enterprise=contract.enterprise),
    }
    complaint = complaint_create(user=people["community"], channel="visit", received_at=timezone.now(),
                                 caller_words="楼道灯不亮", estate_id=estate.pk)
    return complaint, people


def test_the_worklist_holds_the_open_cases_in_scope_with_the_steps_allowed(case):
    complaint, people = case
    rows = login(people["community"]).get("/m/complaints/").json()["cases"]
    assert [row["id"] for row in rows] == [complaint.pk]
    assert rows[0]["steps"] == ["signed"] and rows[0]["due"] == complaint.sign_due.isoformat()
    assert login(people["street"]).get("/m/complaints/").json()["cases"][0]["steps"] == []  # community level
    complaint_step(user=people["community"], complaint_id=complaint.pk, kind="signed")
    complaint_step(user=people["enterprise"], complaint_id=complaint.pk, kind="replied", note="已更换灯泡")
    row = login(people["community"]).get("/m/complaints/").json()["cases"][0]
    assert row["steps"] == ["checked"] and row["reply"] == "已更换灯泡" and row["status"] == "replied"
    labels = [label for _v, label in login(people["community"]).get("/m/complaints/").json()["ratings"]]
    assert labels == ["Satisfied", "Basically satisfied", "Unsatisfied"]
    # Another street's office sees none of it.
    other = AdminArea.objects.filter(level=AdminLevel.STREET).exclude(pk=complaint.street_id).order_by("code").first()
    assert complaint.pk not in [r["id"] for r in login(f"street-{other.code}").get("/m/complaints/").json()["cases"]]
    # A closed case leaves the list.
    for kind, extra in (("checked", {"note": "灯已亮"}), ("rated", {"rating": "satisfied"}), ("closed", {})):
        complaint_step(user=people["community"], complaint_id=complaint.pk, kind=kind, **extra)
    assert login(people["community"]).get("/m/complaints/").json()["cases"] == []


def test_one_step_per_key_and_a_closed_case_answers_409_again(case):
    complaint, people = case
    client = login(people["community"])
    url = f"/api/complaints/{complaint.pk}/steps/"
    first = client.post(url, {"kind": "signed"}, HTTP_IDEMPOTENCY_KEY="step-1")
    assert first.status_code == 201
    assert client.post(url, {"kind": "signed"}, HTTP_IDEMPOTENCY_KEY="step-1").status_code == 201
    assert ComplaintEvent.objects.filter(complaint=complaint, kind="signed").count() == 1
    ent = login(people["enterprise"])
    reply = {"kind": "replied", "note": "现场已修复", "attachments": SimpleUploadedFile("r.jpg", JPEG, "image/jpeg")}
    assert ent.post(url, reply, HTTP_IDEMPOTENCY_KEY="step-2").status_code == 201
    reply["attachments"] = SimpleUploadedFile("r.jpg", JPEG, "image/jpeg")
    assert ent.post(url, reply, HTTP_IDEMPOTENCY_KEY="step-2").status_code == 201
    assert ComplaintEvent.objects.filter(complaint=complaint, kind="replied").count() == 1
    assert ComplaintAttachment.objects.filter(event__complaint=complaint).count() == 1
    for kind, extra in (("checked", {"note": "灯已亮"}), ("rated", {"rating": "basically"}), ("closed", {})):
        complaint_step(user=people["community"], complaint_id=complaint.pk, kind=kind, **extra)
    late = client.post(url, {"kind": "note", "note": "补充"}, HTTP_IDEMPOTENCY_KEY="step-3")
    assert late.status_code == 409 and late.json()["code"] == "closed"
    replay = client.post(url, {"kind": "note", "note": "补充"}, HTTP_IDEMPOTENCY_KEY="step-3")
    assert replay.status_code == 409 and replay["Idempotent-Replayed"] == "true"
    assert Complaint.objects.get(pk=complaint.pk).rating == "basically"
