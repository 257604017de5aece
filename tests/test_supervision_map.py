"""The officials' complaint layers on the map: the hotspot points of a date range in the user's complaint scope."""
import datetime

import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import Point
from django.test import Client, RequestFactory
from django.utils import timezone

from layers.models import AdminArea, Complaint, ComplaintCategory, ComplaintStatus, Estate
from layers.views.map import map_config

pytestmark = pytest.mark.django_db

URL = "/api/supervision/hotspots.json"


def _at(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


def _complaint(estate, day, lon, lat):
    street = estate.community.parent
    return Complaint.objects.create(
        channel="hotline_12345", received_at=_at(day), caller_words="楼道漏水", location=Point(lon, lat, srid=4490),
        category=ComplaintCategory.objects.get(district=street.parent, code="pm_repair"), district=street.parent,
        street=street, community=estate.community, estate=estate, status="received",
        sign_due=day, reply_due=day, close_due=day)


def _client(username):
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_hotspots_hold_the_range_and_the_scope():
    estate = Estate.objects.select_related("community__parent").order_by("id")[0]
    street = estate.community.parent
    _complaint(estate, datetime.date(2015, 3, 2), 126.9701, 45.5401)
    _complaint(estate, datetime.date(2015, 3, 20), 126.9702, 45.5402)
    _complaint(estate, datetime.date(2015, 5, 1), 126.9703, 45.5403)  # after the range
    planner = _client("planner")
    answer = planner.get(URL, {"from": "2015-03-01", "to": "2015-03-31"})
    assert answer.status_code == 200
    assert sorted(answer.json()["points"]) == [[45.5401, 126.9701], [45.5402, 126.9702]]
    # A box that holds only one of them.
    boxed = planner.get(URL, {"from": "2015-03-01", "to": "2015-03-31", "bbox": "126.97015,45.54015,126.9703,45.5403"})
    assert boxed.json()["points"] == [[45.5402, 126.9702]]
    # Another street's office sees none of them; the estate's street office sees both.
    other = AdminArea.objects.filter(level="street", parent=street.parent).exclude(pk=street.pk).order_by("code")[0]
    assert _client(f"street-{other.code}").get(URL, {"from": "2015-03-01", "to": "2015-03-31"}).json()["points"] == []
    own = _client(f"street-{street.code}").get(URL, {"from": "2015-03-01", "to": "2015-03-31"}).json()["points"]
    assert len(own) == 2


def test_hotspots_refuse_a_reversed_or_too_long_range():
    planner = _client("planner")
    assert planner.get(URL, {"from": "2015-04-01", "to": "2015-03-01"}).status_code == 400
    assert planner.get(URL, {"from": "2010-01-01", "to": "2015-03-01"}).status_code == 400


def test_the_map_offers_the_complaint_layers_with_their_colours():
    request = RequestFactory().get("/")
    request.user = User.objects.get(username="official")
    config = map_config(request)
    assert {"complaints", "complaint_heat"} <= {layer["id"] for layer in config["layers"]}
    assert config["complaints"]["hotspots"] == URL
    assert set(config["styles"]["complaintStatus"]) == set(ComplaintStatus.values)


def test_estate_popup_and_page_show_the_estates_complaints_in_the_users_scope():
    estate = Estate.objects.select_related("community__parent").order_by("id")[0]
    street = estate.community.parent
    today = timezone.localdate()
    before = Complaint.objects.filter(estate=estate, received_at__year=today.year).count()
    mine = _complaint(estate, today, 126.97, 45.54)
    planner = _client("planner")
    popup = planner.get(f"/api/features/estate/{estate.pk}/").json()["complaints"]
    assert popup["year"] == before + 1
    assert popup["last"][0]["id"] == mine.pk and popup["last"][0]["url"] == f"/complaints/{mine.pk}/"
    assert len(popup["last"]) <= 3
    page = planner.get(f"/estates/{estate.pk}/")
    assert page.status_code == 200
    assert f'href="/complaints/{mine.pk}/"' in page.content.decode()
    # A street office of another street locates the estate but sees none of its complaints.
    other = AdminArea.objects.filter(level="street", parent=street.parent).exclude(pk=street.pk).order_by("code")[0]
    office = _client(f"street-{other.code}")
    assert office.get(f"/api/features/estate/{estate.pk}/").json()["complaints"] == {"year": 0, "open": 0, "last": []}
    assert f'href="/complaints/{mine.pk}/"' not in office.get(f"/estates/{estate.pk}/").content.decode()
