"""Detail pages of single objects: attribute table, a small map of the object, related lists."""
import json
import re

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from layers.models import Building, Enterprise, Estate, ManagementArea

pytestmark = pytest.mark.django_db


@pytest.fixture
def planner_client(client):
    client.force_login(User.objects.get(username="planner"))
    return client


def embedded_geojson(html: str):
    match = re.search(r'<script id="object-geojson" type="application/json">(.*?)</script>', html, re.S)
    assert match, "no object-geojson script"
    return json.loads(match.group(1))


def assert_detail_page(html: str, kind: str, pk: int):
    assert '<table class="attrs">' in html
    assert 'id="detailmap"' in html
    assert re.search(r'<script type="module" src="[^"]*/layers/js/detail_map\.js"', html)
    assert f'href="/?focus={kind}:{pk}"' in html
    assert "//unpkg.com" not in html and "//cdn" not in html


def test_estate_page_lists_its_buildings(planner_client):
    estate = Estate.objects.filter(buildings__isnull=False).order_by("id").first()
    response = planner_client.get(f"/estates/{estate.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert estate.name in html
    assert_detail_page(html, "estate", estate.pk)
    for building in estate.buildings.all():
        assert f'href="/buildings/{building.pk}/"' in html
        assert building.label in html
    assert embedded_geojson(html)["type"] == "MultiPolygon"


def test_estate_page_lists_its_contracts(planner_client):
    estate = Estate.objects.filter(contracts__enterprise__isnull=False).order_by("id").first()
    assert estate is not None, "no enterprise contract in the demo"
    html = planner_client.get(f"/estates/{estate.pk}/").content.decode()
    for contract in estate.contracts.filter(enterprise__isnull=False):
        assert f'href="/enterprises/{contract.enterprise_id}/"' in html
        assert contract.start_date.isoformat() in html


def test_estate_page_lists_its_renovations(planner_client):
    estate = Estate.objects.filter(renovations__isnull=False).order_by("id").first()
    assert estate is not None, "no renovation in the demo"
    html = planner_client.get(f"/estates/{estate.pk}/").content.decode()
    for project in estate.renovations.all():
        assert project.name in html


def test_building_page_links_its_estate(planner_client):
    building = Building.objects.select_related("estate").order_by("id").first()
    response = planner_client.get(f"/buildings/{building.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert_detail_page(html, "building", building.pk)
    assert f'href="/estates/{building.estate_id}/"' in html
    assert embedded_geojson(html)["type"] == "Polygon"


def test_management_area_page_lists_its_estates(planner_client):
    area = ManagementArea.objects.filter(estates__isnull=False).order_by("id").first()
    response = planner_client.get(f"/management-areas/{area.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert area.name in html
    assert_detail_page(html, "management_area", area.pk)
    for estate in area.estates.all():
        assert f'href="/estates/{estate.pk}/"' in html


def test_enterprise_page_lists_its_current_contracts(planner_client):
    from layers.selectors.contracts import contracts_active_on

    contract = contracts_active_on(timezone.localdate()).filter(enterprise__isnull=False).first()
    enterprise = contract.enterprise if contract else Enterprise.objects.order_by("id").first()
    response = planner_client.get(f"/enterprises/{enterprise.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert enterprise.name in html
    assert_detail_page(html, "enterprise", enterprise.pk)
    for current in contracts_active_on(timezone.localdate()).filter(enterprise=enterprise):
        assert f'href="/estates/{current.estate_id}/"' in html
    if contract:
        assert embedded_geojson(html) is not None


@pytest.mark.parametrize("prefix", ["estates", "buildings", "management-areas", "enterprises"])
def test_unknown_object_is_404(planner_client, prefix):
    assert planner_client.get(f"/{prefix}/987654321/").status_code == 404


@pytest.mark.parametrize("prefix", ["estates", "buildings", "management-areas", "enterprises"])
def test_anonymous_is_sent_to_log_in(client, prefix):
    response = client.get(f"/{prefix}/1/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
