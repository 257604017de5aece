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
from .test_mobile import media  # noqa: F401 (autouse: photos under tmp_path, English messages)

pytestmark = pytest.mark.django_db


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


def test_inspection_photos_keep_when_and_where_from_the_phone_or_from_exif(street):
    """The phone's photo_meta ("<field>#<n>") for its resized copies; a camera JPEG sent without it keeps its EXIF."""
    from .test_mobile_upkeep import jpeg_with_exif

    user = User.objects.get(username=f"street-{street.code}")
    client = login(user)
    checklist = client.get("/m/checklist/").json()["checklist"]
    estate = Estate.objects.filter(community__parent=street).order_by("pk").first()
    first = checklist["items"][0]["id"]
    meta = {f"photo_{first}#0": {"taken_at": "2026-11-30T09:15:00+08:00", "lon": 125.31, "lat": 43.87}}
    response = inspection_post(client, estate, checklist, "insp-meta", photo_meta=json.dumps(meta),
                               photos=SimpleUploadedFile("cam.jpg", jpeg_with_exif("2026:11:29 16:40:00", 43.9, 125.2,
                                                                                   "+08:00"), "image/jpeg"))
    assert response.status_code == 201, response.content
    photos = {p.item_id: p for p in InspectionPhoto.objects.filter(inspection_id=response.json()["id"])}
    phone, camera = photos[first], photos[None]
    assert phone.taken_at.isoformat() == "2026-11-30T01:15:00+00:00"
    assert (round(phone.location.x, 6), round(phone.location.y, 6)) == (125.31, 43.87)
    assert camera.taken_at.isoformat() == "2026-11-29T08:40:00+00:00"
    assert (round(camera.location.x, 4), round(camera.location.y, 4)) == (125.2, 43.9)
    # The inspection's page shows each photo's date and place.
    page = client.get(f"/inspections/{response.json()['id']}/").content.decode()
    assert "2026-11-30 09:15" in page and "43.87000, 125.31000" in page and "2026-11-29 16:40" in page


def test_a_step_photo_keeps_when_and_where_and_the_case_page_shows_them(case):
    complaint, people = case
    complaint_step(user=people["community"], complaint_id=complaint.pk, kind="signed")
    ent = login(people["enterprise"])
    meta = {"attachments#0": {"taken_at": "2026-12-01T10:05:00+08:00", "lon": 125.33, "lat": 43.86}}
    response = ent.post(f"/api/complaints/{complaint.pk}/steps/",
                        {"kind": "replied", "note": "已修复", "photo_meta": json.dumps(meta),
                         "attachments": SimpleUploadedFile("r.jpg", JPEG, "image/jpeg")}, HTTP_IDEMPOTENCY_KEY="m-1")
    assert response.status_code == 201, response.content
    attachment = ComplaintAttachment.objects.get(event__complaint=complaint)
    assert attachment.taken_at.isoformat() == "2026-12-01T02:05:00+00:00"
    assert (round(attachment.location.x, 6), round(attachment.location.y, 6)) == (125.33, 43.86)
    shown = [a for e in response.json()["events"] for a in e["attachments"]]
    assert shown[0]["point"] == [125.33, 43.86] and shown[0]["taken_at"].startswith("2026-12-01T10:05")
    page = login(people["community"]).get(f"/complaints/{complaint.pk}/").content.decode()
    assert "2026-12-01 10:05" in page and "43.86000, 125.33000" in page
