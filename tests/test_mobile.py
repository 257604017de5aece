"""The phone app's server side: idempotent report creation, 409 on an open report, position and distance kept with
the report, photo capture fields, and the near-me selector scoped like everything else."""
import datetime
import json

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from layers.models import AbandonmentEvent, AbandonmentReport, AdminArea, AdminLevel, Building, IdempotentRequest
from layers.selectors.nearby import nearby

from .factories import JPEG

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.LANGUAGE_CODE = "en"
    return tmp_path


@pytest.fixture(autouse=True)
def no_demo_reports(db):
    AbandonmentEvent.objects.all().delete()
    AbandonmentReport.objects.all().delete()


@pytest.fixture
def streets():
    return list(AdminArea.objects.filter(level=AdminLevel.STREET).order_by("code"))


def login(username) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.get(username=username))
    return client


def building_in(street) -> Building:
    return Building.objects.filter(estate__community__parent=street, abandonment="none").order_by("code").first()


def lonlat_of(building) -> tuple[float, float]:
    point = building.geom.point_on_surface.transform(4326, clone=True)
    return point.x, point.y


def post_report(client, building, key=None, **extra):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    data = {"abandoned_since": "2025-01-01", "reason": "enterprise_left", "description": "门卫撤走", **extra}
    return client.post(f"/api/buildings/{building.pk}/abandonment-reports/", data, **headers)


def test_same_key_twice_creates_one_report_and_gives_the_same_answer(streets):
    street = streets[0]
    client = login(f"street-{street.code}")
    building = building_in(street)
    first = post_report(client, building, key="k-1")
    assert first.status_code == 201, first.content
    again = post_report(client, building, key="k-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert AbandonmentReport.objects.filter(building=building).count() == 1
    assert IdempotentRequest.objects.filter(key="k-1").count() == 1


def test_without_the_key_a_second_report_is_a_409_conflict_naming_the_open_report(streets):
    street = streets[0]
    client = login(f"street-{street.code}")
    building = building_in(street)
    first = post_report(client, building)
    assert first.status_code == 201
    second = post_report(client, building, key="other")
    assert second.status_code == 409
    assert second.json()["report_id"] == first.json()["id"]
    # The refusal is the stored first answer of that key too: a retry gets the same 409, nothing new.
    retry = post_report(client, building, key="other")
    assert retry.status_code == 409 and retry.json() == second.json()
    assert AbandonmentReport.objects.filter(building=building).count() == 1


def test_another_user_with_the_same_key_is_independent(streets):
    a, b = streets[0], streets[1]
    first = post_report(login(f"street-{a.code}"), building_in(a), key="shared")
    second = post_report(login(f"street-{b.code}"), building_in(b), key="shared")
    assert first.status_code == 201 and second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert IdempotentRequest.objects.filter(key="shared").count() == 2


def test_a_key_reused_for_another_building_is_refused(streets):
    street = streets[0]
    client = login(f"street-{street.code}")
    buildings = list(Building.objects.filter(estate__community__parent=street, abandonment="none").order_by("code")[:2])
    assert post_report(client, buildings[0], key="k").status_code == 201
    reused = post_report(client, buildings[1], key="k")
    assert reused.status_code == 422
    assert not AbandonmentReport.objects.filter(building=buildings[1]).exists()


def test_position_accuracy_distance_and_photo_fields_are_stored(streets):
    street = streets[0]
    client = login(f"street-{street.code}")
    building = building_in(street)
    lon, lat = lonlat_of(building)
    far_lat = lat + 0.005  # about 550 m north
    meta = [{"taken_at": "2026-12-03T09:15:00+08:00", "lon": lon, "lat": far_lat}]
    response = post_report(client, building, key="pos", lon=str(lon), lat=str(far_lat), accuracy_m="12.5",
                           photos=[SimpleUploadedFile("a.jpg", JPEG, content_type="image/jpeg")],
                           photo_meta=json.dumps(meta))
    assert response.status_code == 201, response.content
    report = AbandonmentReport.objects.get(pk=response.json()["id"])
    assert report.accuracy_m == 12.5
    assert 450 < report.distance_m < 600
    assert response.json()["distance_m"] == round(report.distance_m, 1)
    photo = report.photos.get()
    assert photo.taken_at == datetime.datetime(2026, 12, 3, 1, 15, tzinfo=datetime.timezone.utc)
    assert abs(photo.location.y - far_lat) < 1e-6
    inside = building_in(street)  # the first is reported now; the next managed one
    lon2, lat2 = lonlat_of(inside)
    near = post_report(client, inside, lon=str(lon2), lat=str(lat2))
    assert near.status_code == 201 and near.json()["distance_m"] == 0


def test_near_me_lists_the_nearest_first_inside_the_street_only(streets):
    street, other = streets[0], streets[1]
    user = User.objects.get(username=f"street-{street.code}")
    building = building_in(street)
    lon, lat = lonlat_of(building)
    found = nearby(user=user, lon=lon, lat=lat)
    assert found["buildings"][0]["id"] == building.pk and found["buildings"][0]["distance_m"] == 0
    distances = [b["distance_m"] for b in found["buildings"]]
    assert distances == sorted(distances)
    ids = [b["id"] for b in found["buildings"]]
    assert Building.objects.filter(pk__in=ids).exclude(estate__community__parent=street).count() == 0
    # From a point in the other street, the street office still gets only its own street's buildings.
    olon, olat = lonlat_of(building_in(other))
    far = nearby(user=user, lon=olon, lat=olat)
    assert far["buildings"] and all(
        Building.objects.get(pk=b["id"]).estate.community.parent_id == street.pk for b in far["buildings"])
    assert far["buildings"][0]["distance_m"] > 0
    planner = User.objects.get(username="planner")
    assert nearby(user=planner, lon=olon, lat=olat)["buildings"][0]["distance_m"] == 0


def test_the_page_and_the_worker(streets):
    client = login(f"street-{streets[0].code}")
    page = client.get("/m/")
    assert page.status_code == 200
    config = page.context["config"]
    assert config["canReport"] is True and config["area"]["name"] == streets[0].name
    worker = client.get("/m/sw.js")
    assert worker.status_code == 200 and config["version"] in worker.content.decode()
    assert "workbox-sw.js" in worker.content.decode()
    assert login("official").get("/m/").status_code == 403
