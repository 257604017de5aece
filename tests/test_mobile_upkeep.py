"""The phone app's upkeep and its reports' photos: stored idempotent answers pruned nightly, the app version moved
by a deployment, and each photo's date and place (the phone's fields or the camera's EXIF) on both report views."""
import datetime
import json
import re
import struct

import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from layers.models import AbandonmentEvent, AbandonmentReport, AdminArea, AdminLevel, Building, IdempotentRequest
from layers.services.exif import photo_exif
from layers.views import mobile

from .factories import JPEG

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture(autouse=True)
def no_demo_reports(db):
    AbandonmentEvent.objects.all().delete()
    AbandonmentReport.objects.all().delete()


def street_and_building():
    street = AdminArea.objects.filter(level=AdminLevel.STREET).order_by("code").first()
    building = Building.objects.filter(estate__community__parent=street, abandonment="none").order_by("code").first()
    return street, building


def login(username) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(User.objects.get(username=username))
    return client


def jpeg_with_exif(taken: str, lat: float, lon: float, offset: str | None = None) -> bytes:
    """A JPEG whose APP1 Exif block (big-endian TIFF) has DateTimeOriginal, maybe OffsetTimeOriginal, and GPS."""
    def rational(value):
        d = int(value)
        m = int((value - d) * 60)
        sec = round(((value - d) * 60 - m) * 60 * 1000)
        return struct.pack(">6I", d, 1, m, 1, sec, 1000)

    def ifd(entries, start):
        """entries: (tag, type, count, payload bytes); payloads over 4 bytes go after the IFD."""
        head = struct.pack(">H", len(entries))
        extra_at = start + 2 + 12 * len(entries) + 4
        body, extra = b"", b""
        for tag, kind, count, payload in entries:
            if len(payload) <= 4:
                body += struct.pack(">HHI", tag, kind, count) + payload.ljust(4, b"\0")
            else:
                body += struct.pack(">HHII", tag, kind, count, extra_at + len(extra))
                extra += payload
        return head + body + b"\0\0\0\0" + extra

    ifd0_at = 8
    ifd0_size = 2 + 12 * 2 + 4
    exif_entries = [(0x9003, 2, 20, taken.encode() + b"\0")]
    if offset:
        exif_entries.append((0x9011, 2, 7, offset.encode() + b"\0"))
    exif_at = ifd0_at + ifd0_size
    exif_block = ifd(exif_entries, exif_at)
    gps_at = exif_at + len(exif_block)
    gps_block = ifd([(1, 2, 2, b"N\0"), (2, 5, 3, rational(lat)), (3, 2, 2, b"E\0"), (4, 5, 3, rational(lon))], gps_at)
    ifd0 = ifd([(0x8769, 4, 1, struct.pack(">I", exif_at)), (0x8825, 4, 1, struct.pack(">I", gps_at))], ifd0_at)
    tiff = b"MM\0*" + struct.pack(">I", ifd0_at) + ifd0 + exif_block + gps_block
    app1 = b"Exif\0\0" + tiff
    return b"\xff\xd8" + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + JPEG[2:]


# --- pruning the stored idempotent answers ---------------------------------------------------------------------------

def test_old_idempotent_answers_are_pruned_by_the_nightly_command(settings):
    settings.IDEMPOTENCY_KEEP_DAYS = 7
    user = User.objects.get(username="planner")
    now = timezone.now()
    ages = {"fresh": 0, "six-days": 6, "eight-days": 8, "a-month": 30}
    for key, days in ages.items():
        row = IdempotentRequest.objects.create(user=user, key=key, method="POST", path="/x/", status=201, body={})
        IdempotentRequest.objects.filter(pk=row.pk).update(created_at=now - datetime.timedelta(days=days, minutes=1))
    call_command("prune_idempotency")
    assert set(IdempotentRequest.objects.values_list("key", flat=True)) == {"fresh", "six-days"}
    settings.IDEMPOTENCY_KEEP_DAYS = 1
    call_command("prune_idempotency")
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["fresh"]


def test_a_pruned_key_runs_again_and_a_kept_one_replays():
    street, building = street_and_building()
    client = login(f"street-{street.code}")
    data = {"abandoned_since": "2025-01-01", "reason": "other"}
    url = f"/api/buildings/{building.pk}/abandonment-reports/"
    assert client.post(url, data, HTTP_IDEMPOTENCY_KEY="k1").status_code == 201
    call_command("prune_idempotency")  # a minute old: kept
    again = client.post(url, data, HTTP_IDEMPOTENCY_KEY="k1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    IdempotentRequest.objects.update(created_at=timezone.now() - datetime.timedelta(days=8))
    call_command("prune_idempotency")
    assert not IdempotentRequest.objects.exists()
    assert client.post(url, data, HTTP_IDEMPOTENCY_KEY="k1").status_code == 409  # handled for real: open report


def test_the_pruning_is_scheduled_on_migrate():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="prune_idempotency")
    assert schedule.func == "django.core.management.call_command" and "prune_idempotency" in schedule.args
    assert schedule.schedule_type == Schedule.DAILY and schedule.repeats == -1


# --- the app version ------------------------------------------------------------------------------------------------

def test_a_new_release_changes_the_worker_and_its_caches(settings):
    street, _building = street_and_building()
    client = login(f"street-{street.code}")
    settings.MOBILE_APP_RELEASE = "r1"
    first = client.get("/m/sw.js").content.decode()
    version = mobile.app_version()
    assert f'const VERSION = "{version}"' in first
    settings.MOBILE_APP_RELEASE = "r2"
    second = client.get("/m/sw.js").content.decode()
    assert mobile.app_version() != version and version not in second
    assert client.get("/m/").context["config"]["version"] == mobile.app_version()
    assert f"应用版本 {mobile.app_version()}" in client.get("/m/").content.decode()


def test_the_page_leaves_the_map_library_to_after_the_first_list():
    street, _building = street_and_building()
    page = login(f"street-{street.code}").get("/m/")
    html = page.content.decode()
    tags = re.findall(r"<(?:script|link)\b[^>]*>", html)
    assert tags and not [t for t in tags if "leaflet" in t.lower()]  # no script, style or preload of the map
    urls = page.context["config"]["urls"]
    assert urls["leaflet"].endswith("leaflet/leaflet.js") and urls["vectorGrid"].endswith(".js")
    centre = page.context["config"]["area"]["centre"]
    assert street.geom.transform(4326, clone=True).contains(Point(*centre, srid=4326))


# --- photos with date and place -------------------------------------------------------------------------------------

def test_exif_date_and_gps_are_read():
    taken_at, where = photo_exif(jpeg_with_exif("2026:11:30 14:05:09", 45.5315, 126.9603))
    assert taken_at == datetime.datetime(2026, 11, 30, 6, 5, 9, tzinfo=datetime.timezone.utc)  # Asia/Shanghai
    assert abs(where[0] - 126.9603) < 1e-4 and abs(where[1] - 45.5315) < 1e-4
    with_offset, _ = photo_exif(jpeg_with_exif("2026:11:30 14:05:09", 45.5, 126.9, offset="+09:00"))
    assert with_offset == datetime.datetime(2026, 11, 30, 5, 5, 9, tzinfo=datetime.timezone.utc)
    assert photo_exif(JPEG) == (None, None)
    assert photo_exif(b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00MM\x00*\xff\xff") == (None, None)  # broken: absent


def test_a_desktop_upload_keeps_the_cameras_date_and_place_on_the_page():
    street, building = street_and_building()
    client = login(f"street-{street.code}")
    photo = jpeg_with_exif("2026:11:30 14:05:09", 45.53151, 126.96032)
    response = client.post("/abandonment/report/", {
        "building": building.code, "reason": "other", "abandoned_since": "2025-01-01", "description": "",
        "photos": [SimpleUploadedFile("IMG_1.jpg", photo, content_type="image/jpeg"),
                   SimpleUploadedFile("plain.jpg", JPEG, content_type="image/jpeg")]})
    assert response.status_code == 302, response.content.decode()[:2000]
    report = AbandonmentReport.objects.get(building=building)
    with_exif, plain = report.photos.order_by("pk")
    assert with_exif.taken_at == datetime.datetime(2026, 11, 30, 6, 5, 9, tzinfo=datetime.timezone.utc)
    assert abs(with_exif.location.x - 126.96032) < 1e-5 and plain.taken_at is None and plain.location is None
    html = client.get("/abandonment/").content.decode()
    assert "2026-11-30 14:05" in html and "45.53151, 126.96032" in html
    assert "日期不详" in html and "地点不详" in html  # the photo without EXIF says so


def test_the_phones_photo_fields_win_and_the_api_gives_them():
    street, building = street_and_building()
    client = login(f"street-{street.code}")
    photo = jpeg_with_exif("2020:01:01 00:00:00", 10.0, 10.0)
    meta = [{"taken_at": "2026-12-03T09:15:00+08:00", "lon": 126.961, "lat": 45.532}]
    response = client.post(f"/api/buildings/{building.pk}/abandonment-reports/", {
        "abandoned_since": "2025-01-01", "reason": "other", "photo_meta": json.dumps(meta),
        "photos": [SimpleUploadedFile("a.jpg", photo, content_type="image/jpeg")]})
    assert response.status_code == 201, response.content
    detail = client.get(f"/api/abandonment-reports/{response.json()['id']}/").json()
    [shown] = detail["photo_details"]
    assert shown["taken_at"].startswith("2026-12-03T09:15:00") and shown["point"] == [126.961, 45.532]
    assert shown["url"] == detail["photos"][0]
    assert client.get(shown["url"]).status_code == 200
