"""POST /api/service/selection/: the streets of a selection and the caretaker agencies that may serve it; the
assignment still refuses a street agency outside its street, in Chinese."""
import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from layers.models import CaretakerAgency, CaretakerKind, Estate, ListStatus, ServiceContract

pytestmark = pytest.mark.django_db


def client(username="planner", language="zh-hans"):
    c = Client(HTTP_ACCEPT_LANGUAGE=language)
    c.force_login(User.objects.get(username=username))
    return c


def post(c, url, body):
    return c.post(url, json.dumps(body), content_type="application/json")


def uncovered_by_street() -> dict[int, Estate]:
    """One uncovered estate per street (the first by code)."""
    found = {}
    for estate in Estate.objects.uncovered().select_related("community__parent").order_by("code"):
        found.setdefault(estate.community.parent_id, estate)
    assert len(found) >= 2
    return found


def test_one_street_offers_its_own_agency_and_the_custodians():
    street_id, estate = next(iter(uncovered_by_street().items()))
    response = post(client(), "/api/service/selection/", {"estate_ids": [estate.pk]})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["count"] == 1 and data["estate_ids"] == [estate.pk]
    assert data["streets"] == [{"id": street_id, "name": estate.community.parent.name, "count": 1,
                                "households": estate.households}]
    expected = set(CaretakerAgency.objects.filter(kind=CaretakerKind.CUSTODIAN_ENTERPRISE).values_list("pk", flat=True))
    expected |= set(CaretakerAgency.objects.filter(kind=CaretakerKind.STREET_AGENCY, street_id=street_id)
                    .values_list("pk", flat=True))
    assert set(data["agency_ids"]) == expected


def test_several_streets_offer_no_street_agency_and_no_black_listed_custodian():
    picked = list(uncovered_by_street().values())[:2]
    custodian = CaretakerAgency.objects.filter(kind=CaretakerKind.CUSTODIAN_ENTERPRISE).order_by("pk").first()
    custodian.enterprise.list_status = ListStatus.BLACK
    custodian.enterprise.save(update_fields=["list_status"])
    response = post(client(), "/api/service/selection/", {"estate_ids": [e.pk for e in picked]})
    assert response.status_code == 200, response.content
    data = response.json()
    assert {s["id"] for s in data["streets"]} == {e.community.parent_id for e in picked}
    offered = CaretakerAgency.objects.filter(pk__in=data["agency_ids"])
    assert offered.exists()
    assert not offered.filter(kind=CaretakerKind.STREET_AGENCY).exists()
    assert custodian.pk not in data["agency_ids"]


def test_street_office_may_not_ask():
    estate = next(iter(uncovered_by_street().values()))
    office = User.objects.filter(username__startswith="street-").order_by("username").first()
    assert post(client(office.username), "/api/service/selection/", {"estate_ids": [estate.pk]}).status_code == 403


def test_assigning_another_streets_agency_is_refused_in_chinese():
    estate = next(iter(uncovered_by_street().values()))
    other = (CaretakerAgency.objects.filter(kind=CaretakerKind.STREET_AGENCY)
             .exclude(street_id=estate.community.parent_id).order_by("pk").first())
    body = {"estate_ids": [estate.pk], "provider_kind": "caretaker_agency", "caretaker_agency_id": other.pk,
            "start_date": "2026-01-01"}
    response = post(client(), "/api/service/assign/", body)
    assert response.status_code == 400
    message = response.json()["error"]
    assert "仅服务本街道" in message and estate.name in message and other.street.name in message
    assert not ServiceContract.objects.filter(estate=estate, caretaker_agency=other).exists()
