"""Hotline-address matching against the test demo (layers/selectors/address.py, GET /api/address-match/)."""
import csv
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from layers.demo.addresses import CSV_FIELDS, labelled_addresses
from layers.demo.city import generate_city
from layers.models import Building, Estate
from layers.permissions import street_of
from layers.selectors.address import confidence, match_addresses

from .conftest import DEMO_SEED

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
# The targets of docs/ADDRESS_MATCHING.md.
MIN_AUTOMATIC, MIN_ACCURACY = 0.85, 0.95


@pytest.fixture(scope="module")
def labelled():
    """Addresses drawn from the test's own demo city (small, DEMO_SEED), as the committed set is from the default."""
    return labelled_addresses(generate_city(scale="small", seed=DEMO_SEED), 500, seed=4)


def user(name="planner"):
    return get_user_model().objects.get(username=name)


def test_labelled_set_is_located_automatically_and_correctly(labelled):
    started = time.perf_counter()
    results = match_addresses([a.address for a in labelled], user=user())
    seconds = time.perf_counter() - started
    automatic = [(a, r) for a, r in zip(labelled, results) if r.matched]
    right = [a for a, r in automatic if r.estate.estate_code == a.estate_code]
    print(f"\n{len(labelled)} labelled addresses in {seconds:.2f} s: automatic {len(automatic) / len(labelled):.1%}, "
          f"top-1 among automatic {len(right) / max(1, len(automatic)):.1%}")
    assert len(automatic) / len(labelled) >= MIN_AUTOMATIC
    assert len(right) / len(automatic) >= MIN_ACCURACY
    buildings = [(a, r) for a, r in automatic if a.building_code and r.estate.estate_code == a.estate_code]
    found = [a for a, r in buildings if r.building_id == Building.objects.get(code=a.building_code).pk]
    assert len(found) / len(buildings) >= MIN_ACCURACY


def test_each_written_form_finds_its_estate():
    estate = Estate.objects.filter(name__endswith="小区").exclude(address="").order_by("code").first()
    building = estate.buildings.order_by("code").first()
    road_and_number = estate.address
    forms = [
        f"阿城区{estate.community.parent.name}{road_and_number}{building.label}3单元",
        (road_and_number + estate.name + building.label).translate(str.maketrans("0123456789", "０１２３４５６７８９")),
        f"{estate.name}{building.label}2单元301室",
    ]
    for result in match_addresses(forms, user=user()):
        assert result.matched, result
        assert result.estate.estate_id == estate.pk
        assert result.building_id == building.pk


def test_nonsense_is_to_confirm():
    result = match_addresses(["不知道在哪里"], user=user())[0]
    assert not result.matched
    assert result.confidence < 0.6


def test_confidence_falls_when_two_estates_fit_equally():
    assert confidence([1.0, 1.0]) == 0.0
    assert confidence([1.0, 0.5]) == 1.0
    assert confidence([0.9]) == pytest.approx(0.9)
    assert confidence([]) == 0.0


def test_a_street_office_matches_only_inside_its_street():
    office = get_user_model().objects.filter(username__startswith="street-").order_by("username").first()
    street = street_of(office)
    outside = Estate.objects.exclude(community__parent=street).order_by("code").first()
    result = match_addresses([outside.name], user=office)[0]
    assert result.estate is None or result.estate.estate_id != outside.pk
    inside = Estate.objects.filter(community__parent=street).order_by("code").first()
    assert match_addresses([inside.name], user=office)[0].estate.estate_id == inside.pk


def test_api_returns_the_best_estate_with_confidence():
    estate = Estate.objects.exclude(address="").order_by("code")[5]
    client = Client()
    client.force_login(user("official"))
    response = client.get("/api/address-match/", {"q": f"{estate.address}{estate.name}"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "matched"
    assert body["estate"]["code"] == estate.code
    assert 0.6 <= body["confidence"] <= 1
    assert body["candidates"][0]["id"] == estate.pk
    assert client.get("/api/address-match/").status_code == 400


def test_committed_labelled_set_is_well_formed():
    with open(ROOT / "fixtures" / "address_labelled.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == CSV_FIELDS
    assert len(rows) >= 500
    assert all(r["estate_code"].startswith("E") and r["address"] for r in rows)
    assert len({r["kind"] for r in rows}) >= 8
