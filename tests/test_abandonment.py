"""Abandoned-building reports: street offices report inside their street only, the district decides, nothing leaks."""
import datetime
import json
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from layers.models import AbandonmentEvent, AbandonmentPhoto, AbandonmentReport, AdminArea, AdminLevel, Building
from layers.services import abandonment as service

from .factories import JPEG, PNG, WEBP

pytestmark = pytest.mark.django_db



def jpeg(name="door.jpg", data=JPEG):
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.LANGUAGE_CODE = "en"
    return tmp_path


@pytest.fixture(autouse=True)
def no_demo_reports(db):
    """Start from no reports (inside the test's rolled-back transaction), so each test sees only its own."""
    AbandonmentEvent.objects.all().delete()
    AbandonmentReport.objects.all().delete()


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def streets():
    streets = list(AdminArea.objects.filter(level=AdminLevel.STREET).order_by("code"))
    assert len(streets) >= 2, "the demo city needs two streets"
    return streets


def managed_building(street) -> Building:
    building = (Building.objects.filter(estate__community__parent=street, abandonment="none")
                .order_by("code").first())
    assert building is not None, f"no managed building in {street}"
    return building


@pytest.fixture
def street(streets):
    return streets[0]


@pytest.fixture
def other_street(streets):
    return streets[1]


@pytest.fixture
def building(street):
    return managed_building(street)


@pytest.fixture
def outside_building(other_street):
    return managed_building(other_street)


def login(username) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.get(username=username))
    return client


@pytest.fixture
def street_client(street):
    return login(f"street-{street.code}")


@pytest.fixture
def other_street_client(other_street):
    return login(f"street-{other_street.code}")


@pytest.fixture
def planner_client():
    return login("planner")


def report_url(building) -> str:
    return f"/api/buildings/{building.pk}/abandonment-reports/"


def post_report(client, building, photos=(), **fields):
    data = {"abandoned_since": "2024-03-01", "reason": "enterprise_left", "description": "No cleaning since March",
            **fields}
    if photos:
        data["photos"] = list(photos)
    return client.post(report_url(building), data)


def transition(client, report_id, to, note=""):
    return client.post(f"/api/abandonment-reports/{report_id}/transition/", json.dumps({"to": to, "note": note}),
                       content_type="application/json")


def assert_nothing_stored(building, media):
    assert not AbandonmentReport.objects.exists()
    assert not AbandonmentEvent.objects.exists()
    assert not AbandonmentPhoto.objects.exists()
    assert stored_files(media) == []
    fresh = Building.objects.get(pk=building.pk)
    assert (fresh.abandonment, fresh.abandoned_since) == (building.abandonment, building.abandoned_since)


# --- reporting ------------------------------------------------------------------------------------------------

def test_street_office_reports_a_building_in_its_street(street_client, street, building, media):
    response = post_report(street_client, building, photos=[jpeg(), SimpleUploadedFile("x.bin", PNG),
                                                            SimpleUploadedFile("w", WEBP)])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["building_id"] == building.pk and body["street"] == street.name
    assert body["state"] == "reported" and body["abandoned_since"] == "2024-03-01"
    assert body["transitions"] == []  # a street office does not decide
    assert len(body["point"]) == 2
    assert [e["to"] for e in body["events"]] == ["reported"]

    report = AbandonmentReport.objects.get(pk=body["id"])
    assert report.street == street and report.reported_by.username == f"street-{street.code}"
    fresh = Building.objects.get(pk=building.pk)
    assert fresh.abandonment == "reported" and fresh.abandoned_since.isoformat() == "2024-03-01"
    assert list(report.events.values_list("from_state", "to_state")) == [("", "reported")]

    photos = list(report.photos.order_by("id"))
    assert [p.content_type for p in photos] == ["image/jpeg", "image/png", "image/webp"]
    files = stored_files(media)
    assert len(files) == 3
    # Generated names: nothing the client sent ends up in the path.
    assert all("door" not in f.name and "x.bin" not in f.name for f in files)
    assert (media / photos[0].image.name).read_bytes() == JPEG

    served = street_client.get(body["photos"][0])
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content) == JPEG


def test_street_office_outside_its_street_gets_404_and_nothing_is_stored(street_client, street, outside_building, media):
    response = post_report(street_client, outside_building, photos=[jpeg()])
    assert response.status_code == 404
    assert response.json()["error"] == f"Building {outside_building} is not in your street ({street.name})."
    assert_nothing_stored(outside_building, media)


def test_unknown_building_answers_like_one_outside_the_street(street_client, street, media):
    response = post_report(street_client, Building(pk=999_999_999))
    assert response.status_code == 404
    assert "is not in your street" in response.json()["error"]


def test_official_may_not_report(building, media):
    response = post_report(login("official"), building, photos=[jpeg()])
    assert response.status_code == 403
    assert_nothing_stored(building, media)


def test_planner_may_report_anywhere(planner_client, outside_building):
    assert post_report(planner_client, outside_building).status_code == 201


def test_not_logged_in_gets_401(building, media):
    assert post_report(Client(), building).status_code == 401
    assert Client().get("/api/abandonment-reports/").status_code == 401


def test_csrf_token_is_required(street, building, media):
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username=f"street-{street.code}"))
    assert post_report(client, building).status_code == 403
    assert_nothing_stored(building, media)


def test_a_text_file_named_jpg_is_refused(street_client, building, media):
    fake = SimpleUploadedFile("photo.jpg", b"just some text, not an image", content_type="image/jpeg")
    response = post_report(street_client, building, photos=[jpeg(), fake])
    assert response.status_code == 400
    assert response.json()["field"] == "photos" and "photo.jpg" in response.json()["error"]
    assert_nothing_stored(building, media)


def test_a_photo_too_big_is_refused(settings, street_client, building, media):
    settings.ABANDONMENT_PHOTO_MAX_BYTES = 100
    response = post_report(street_client, building, photos=[jpeg()])
    assert response.status_code == 400 and response.json()["field"] == "photos"
    assert_nothing_stored(building, media)


def test_too_many_photos_are_refused(settings, street_client, building, media):
    photos = [jpeg(f"p{i}.jpg") for i in range(settings.ABANDONMENT_PHOTOS_MAX + 1)]
    response = post_report(street_client, building, photos=photos)
    assert response.status_code == 400 and response.json()["field"] == "photos"
    assert_nothing_stored(building, media)


@pytest.mark.parametrize("fields, field", [
    ({"abandoned_since": "1 March"}, "abandoned_since"),
    ({"abandoned_since": ""}, "abandoned_since"),
    ({"abandoned_since": "2999-01-01"}, "abandoned_since"),
    ({"reason": "bored"}, "reason"),
    ({"description": "x" * 2001}, "description"),
])
def test_malformed_input_names_the_field(street_client, building, media, fields, field):
    response = post_report(street_client, building, **fields)
    assert response.status_code == 400
    assert response.json()["field"] == field and response.json()["error"]
    assert_nothing_stored(building, media)


def test_a_second_open_report_is_refused(street_client, planner_client, building):
    first = post_report(street_client, building).json()
    second = post_report(street_client, building)
    assert second.status_code == 409  # the building changed since the reporter looked (docs/MOBILE.md)
    assert f"no. {first['id']}" in second.json()["error"] and second.json()["report_id"] == first["id"]
    assert AbandonmentReport.objects.count() == 1
    # Once the first is closed, the building can be reported again.
    assert transition(planner_client, first["id"], "rejected", "cleaned weekly").status_code == 200
    assert post_report(street_client, building).status_code == 201


def test_files_written_before_a_late_failure_are_deleted(monkeypatch, street, building, media):
    def refuse(*args, **kwargs):
        raise PermissionDenied("moved out of scope")

    monkeypatch.setattr(service, "recheck", refuse)
    with pytest.raises(PermissionDenied):
        service.abandonment_report_create(
            user=User.objects.get(username=f"street-{street.code}"), building_id=building.pk,
            abandoned_since=datetime.date(2024, 1, 1),
            reason="other", photos=[jpeg(), jpeg("b.jpg")],
        )
    assert_nothing_stored(building, media)


# --- transitions ----------------------------------------------------------------------------------------------

@pytest.fixture
def report_id(street_client, building):
    return post_report(street_client, building).json()["id"]


def test_planner_moves_a_report_through_its_life(planner_client, report_id, building):
    planner = transition(planner_client, report_id, "verified", "seen on site")
    assert planner.status_code == 200 and planner.json()["transitions"] == ["under_caretaker", "resolved"]
    assert Building.objects.get(pk=building.pk).abandonment == "verified"
    assert transition(planner_client, report_id, "under_caretaker").status_code == 200
    assert Building.objects.get(pk=building.pk).abandonment == "under_caretaker"
    done = transition(planner_client, report_id, "resolved", "enterprise signed")
    assert done.status_code == 200 and done.json()["transitions"] == []
    fresh = Building.objects.get(pk=building.pk)
    assert fresh.abandonment == "resolved" and fresh.abandoned_since.isoformat() == "2024-03-01"
    steps = list(AbandonmentEvent.objects.filter(report_id=report_id).values_list("from_state", "to_state", "note"))
    assert steps == [("", "reported", "No cleaning since March"), ("reported", "verified", "seen on site"),
                     ("verified", "under_caretaker", ""), ("under_caretaker", "resolved", "enterprise signed")]


def test_rejection_leaves_the_building_managed(planner_client, report_id, building):
    assert transition(planner_client, report_id, "rejected", "not abandoned").status_code == 200
    fresh = Building.objects.get(pk=building.pk)
    assert fresh.abandonment == "none" and fresh.abandoned_since is None


def test_an_invalid_transition_names_the_current_and_allowed_states(planner_client, report_id, building):
    response = transition(planner_client, report_id, "resolved")
    assert response.status_code == 400
    message = response.json()["error"]
    assert "Reported abandoned" in message and "Verified abandoned" in message and "Rejected" in message
    assert Building.objects.get(pk=building.pk).abandonment == "reported"
    assert AbandonmentEvent.objects.filter(report_id=report_id).count() == 1

    transition(planner_client, report_id, "rejected")
    closed = transition(planner_client, report_id, "verified")
    assert closed.status_code == 400 and "cannot change any more" in closed.json()["error"]


@pytest.mark.parametrize("body, field", [("not json", "body"), ("[1]", "body"), ("{}", "to"),
                                         ('{"to": "flying"}', "to"), ('{"to": "verified", "note": 5}', "note")])
def test_malformed_transition_names_the_field(planner_client, report_id, body, field):
    response = planner_client.post(f"/api/abandonment-reports/{report_id}/transition/", body,
                                   content_type="application/json")
    assert response.status_code == 400 and response.json()["field"] == field


def test_street_office_cannot_transition(street_client, report_id, building):
    assert transition(street_client, report_id, "verified").status_code == 403
    assert transition(login("official"), report_id, "verified").status_code == 403
    assert AbandonmentReport.objects.get(pk=report_id).state == "reported"
    assert Building.objects.get(pk=building.pk).abandonment == "reported"


# --- reads: list, detail, page, photos ------------------------------------------------------------------------

@pytest.fixture
def two_reports(street_client, other_street_client, building, outside_building):
    mine = post_report(street_client, building, photos=[jpeg()]).json()
    theirs = post_report(other_street_client, outside_building, photos=[jpeg()]).json()
    return mine, theirs


def test_list_is_scoped_to_the_street(street_client, planner_client, two_reports):
    mine, theirs = two_reports
    assert [r["id"] for r in street_client.get("/api/abandonment-reports/").json()["reports"]] == [mine["id"]]
    assert {r["id"] for r in planner_client.get("/api/abandonment-reports/").json()["reports"]} == {
        mine["id"], theirs["id"]}
    assert street_client.get(f"/api/abandonment-reports/{theirs['id']}/").status_code == 404
    assert street_client.get(f"/api/abandonment-reports/{mine['id']}/").json()["id"] == mine["id"]
    official = login("official").get("/api/abandonment-reports/").json()["reports"]
    assert len(official) == 2 and all(r["transitions"] == [] for r in official)


def test_list_filters_by_state(planner_client, two_reports):
    mine, theirs = two_reports
    transition(planner_client, mine["id"], "verified")
    verified = planner_client.get("/api/abandonment-reports/?state=verified").json()["reports"]
    assert [r["id"] for r in verified] == [mine["id"]]
    bad = planner_client.get("/api/abandonment-reports/?state=lost")
    assert bad.status_code == 400 and bad.json()["field"] == "state"


def test_list_query_count_does_not_grow_with_reports(django_assert_max_num_queries, planner_client, two_reports):
    with django_assert_max_num_queries(8):
        planner_client.get("/api/abandonment-reports/")


def test_page_is_scoped_to_the_street(street_client, planner_client, two_reports, building, outside_building):
    mine, theirs = two_reports
    page = street_client.get("/abandonment/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'id="report-{mine["id"]}"' in html and f'id="report-{theirs["id"]}"' not in html
    assert f'href="/?focus=building:{building.pk}"' in html
    assert "Report an abandoned building" in html and 'name="csrfmiddlewaretoken"' in html
    assert 'name="to"' not in html  # no decision buttons for a street office

    html = planner_client.get("/abandonment/").content.decode()
    assert f'id="report-{theirs["id"]}"' in html and 'value="verified"' in html and 'value="rejected"' in html
    html = planner_client.get("/abandonment/?state=verified").content.decode()
    assert f'id="report-{mine["id"]}"' not in html

    html = login("official").get("/abandonment/").content.decode()
    assert f'id="report-{mine["id"]}"' in html and "Report an abandoned building" not in html


def test_page_buttons_move_reports_on(planner_client, street_client, report_id, building):
    response = planner_client.post(f"/abandonment/{report_id}/decide/",
                                   {"to": "verified", "note": "checked", "next": "/abandonment/?state=reported"})
    assert response.status_code == 302 and response["Location"] == "/abandonment/?state=reported"
    assert Building.objects.get(pk=building.pk).abandonment == "verified"
    refused = planner_client.post(f"/abandonment/{report_id}/decide/", {"to": "rejected"}, follow=True)
    assert "it can only become" in refused.content.decode()
    assert street_client.post(f"/abandonment/{report_id}/decide/", {"to": "resolved"}).status_code == 403


def test_page_form_reports_a_building_by_code(street_client, street, building, outside_building, media):
    form = {"building": building.code, "abandoned_since": "2023-11-30", "reason": "developer_left",
            "description": "", "photos": [jpeg()]}
    response = street_client.post("/abandonment/report/", form)
    assert response.status_code == 302
    assert Building.objects.get(pk=building.pk).abandonment == "reported"
    assert len(stored_files(media)) == 1

    refused = street_client.post("/abandonment/report/", {**form, "building": outside_building.code, "photos": []})
    assert refused.status_code == 400 and "not in your street" in refused.content.decode()
    assert AbandonmentReport.objects.count() == 1


def test_map_link_opens_the_form_for_a_building(street_client, building, outside_building):
    html = street_client.get(f"/abandonment/?building={building.pk}").content.decode()
    assert f'value="{building.code}"' in html and '<details class="ab-card" id="report-form" open>' in html
    html = street_client.get(f"/abandonment/?building={outside_building.pk}").content.decode()
    assert outside_building.code not in html


def test_photo_view_refuses_another_street(street_client, other_street_client, planner_client, two_reports):
    mine, _ = two_reports
    url = mine["photos"][0]
    assert street_client.get(url).status_code == 200
    assert planner_client.get(url).status_code == 200
    assert other_street_client.get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the log-in page


def test_uploads_are_not_served_from_media_url(street_client, two_reports):
    photo = AbandonmentPhoto.objects.first()
    assert street_client.get(f"/media/{photo.image.name}").status_code == 404


def test_admin_shows_reports_read_only(two_reports):
    admin = login("admin")
    report = AbandonmentReport.objects.first()
    assert admin.get("/admin/layers/abandonmentreport/").status_code == 200
    assert admin.get(f"/admin/layers/abandonmentreport/{report.pk}/change/").status_code == 200
    assert admin.get("/admin/layers/abandonmentreport/add/").status_code == 403
    event = AbandonmentEvent.objects.first()
    page = admin.get(f"/admin/layers/abandonmentevent/{event.pk}/change/")
    assert page.status_code == 200 and 'name="note"' not in page.content.decode()
    assert admin.get(f"/admin/layers/abandonmentphoto/{AbandonmentPhoto.objects.first().pk}/change/").status_code == 200


def test_long_lists_come_in_pages(planner_client, street, streets):
    """The demo's thousands of reports are never sent at once: the API and the page are paginated."""
    from layers.api.abandonment import REPORTS_PER_PAGE
    from layers.views.abandonment import REPORTS_PER_PAGE as PAGE_ROWS

    buildings = Building.objects.filter(abandonment="none").order_by("code")[: REPORTS_PER_PAGE + 5]
    AbandonmentReport.objects.bulk_create(
        AbandonmentReport(building=b, street=b.estate.community.parent, abandoned_since="2024-01-01",
                          reason="other", reported_by=User.objects.get(username="planner"))
        for b in buildings.select_related("estate__community")
    )
    first = planner_client.get("/api/abandonment-reports/").json()
    assert first["count"] == REPORTS_PER_PAGE + 5 and first["pages"] == 2 and len(first["reports"]) == REPORTS_PER_PAGE
    second = planner_client.get("/api/abandonment-reports/?page=2").json()
    assert len(second["reports"]) == 5
    assert not {r["id"] for r in first["reports"]} & {r["id"] for r in second["reports"]}
    page = planner_client.get("/abandonment/")
    assert len(page.context["rows"]) == PAGE_ROWS and page.context["page"].paginator.num_pages > 1
