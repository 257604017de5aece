"""A city official's journey (DOMAIN.md "Levels": the city assesses its districts) in headless Chromium: the map's
choropleth by district with drill-down, /dashboard/ with the city's KPIs and the ranking of districts, drill-down into
a district and a street, and the printable report titled for the city."""
import datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from layers.models import AdminArea, Role, UserProfile
from layers.selectors.coverage import coverage_figures

from . import factories
from .browser_helpers import PASSWORD, log_in, pixel
from .test_coverage_map_browser import RECORD_COVERAGE, last_choropleth

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def pct(rate) -> str:
    return "–" if rate is None else f"{rate * 100:.1f}%"


def kpi(page, key: str) -> str:
    return page.locator(f'#kpis [data-v="{key}"]').first.inner_text().strip()


def wait_level(page, level: str):
    page.wait_for_selector(f'#rank-table[data-level="{level}"]', timeout=15_000)
    page.wait_for_selector("#dashboard[data-ready=true]", timeout=15_000)


@pytest.fixture
def city_official(demo_city):
    second = factories.second_district()
    user = User.objects.create_user("city-official", password=PASSWORD)
    UserProfile.objects.create(user=user, role=Role.CITY_OFFICIAL)
    return second


def test_city_official_map_dashboard_drilldown_and_report(page, live_server, city_official):
    ARTIFACTS.mkdir(exist_ok=True)
    second = city_official
    city = AdminArea.objects.get(level="city")
    today = timezone.localdate()
    districts = coverage_figures(on=today, level="district", parent_id=city.pk)
    assert len(districts["rows"]) == 2

    # The map: the choropleth opens on the districts; a click on one drills down to its streets.
    log_in(page, live_server, "city-official")
    page.evaluate(RECORD_COVERAGE)
    assert page.locator("#coverage-level").input_value() == "district"
    page.locator("input[data-layer=coverage_choropleth]").check()
    values = last_choropleth(page, today.isoformat())
    assert {int(k) for k in values} == {r["id"] for r in districts["rows"]}
    wanted = {r["id"]: r["service_rate"]["estates"] for r in districts["rows"]}
    assert values[str(second.pk)] == pytest.approx(wanted[second.pk])
    centre = second.geom.point_on_surface
    page.evaluate("([lat, lon]) => window.geoappMap.setView([lat, lon], 13, {animate: false})", [centre.y, centre.x])
    page.evaluate("() => { window.__coverage = []; }")
    x, y = pixel(page, centre.x, centre.y)
    page.mouse.click(x, y)
    page.wait_for_function("() => document.querySelector('#coverage-level').value === 'street'")
    streets = last_choropleth(page, today.isoformat())
    assert {int(k) for k in streets} >= set(AdminArea.objects.filter(parent=second).values_list("id", flat=True))
    page.wait_for_timeout(400)
    page.screenshot(path=str(ARTIFACTS / "city-map-drill.png"))

    # The dashboard: the city's KPIs and the ranking of its districts.
    page.goto(f"{live_server.url}/dashboard/")
    wait_level(page, "district")
    assert city.name in page.locator("#db-title").inner_text()
    total = districts["total"]
    assert kpi(page, "srv_e") == pct(total["service_rate"]["estates"])
    assert int(kpi(page, "none_e").replace(",", "")) == total["by_status"]["none"]
    assert page.locator("#rank-table tbody tr").count() == 2
    assert "各区" in page.locator("#rank-title").inner_text() or "districts" in page.locator("#rank-title").inner_text()
    best = max(districts["rows"], key=lambda r: r["service_rate"]["estates"] or 0)
    assert page.locator("#rank-table tbody tr").first.get_attribute("data-id") == str(best["id"])
    xlsx = page.get_attribute("#export-xlsx", "href")
    assert "level=district" in xlsx and f"parent={city.pk}" in xlsx
    response = page.request.get(f"{live_server.url}{page.get_attribute('#export-csv', 'href')}")
    assert response.status == 200 and second.name in response.text()
    page.screenshot(path=str(ARTIFACTS / "city-dashboard.png"), full_page=True)

    # Drill into the second district: its streets, its KPIs; then a street: its communities.
    page.click(f'#rank-table .drill[data-id="{second.pk}"]')
    wait_level(page, "street")
    mine = coverage_figures(on=today, level="street", parent_id=second.pk)
    assert page.locator("#rank-table tbody tr").count() == len(mine["rows"]) == 2
    assert kpi(page, "srv_e") == pct(mine["total"]["service_rate"]["estates"]) == pct(3 / 5)
    assert f"parent={second.pk}" in page.get_attribute("#export-xlsx", "href")
    street = AdminArea.objects.filter(parent=second).order_by("code").first()
    page.click(f'#rank-table .drill[data-id="{street.pk}"]')
    wait_level(page, "community")
    assert page.locator("#rank-table tbody tr").count() == street.children.count()
    crumbs = page.locator("#crumbs").inner_text()
    assert city.name in crumbs and second.name in crumbs and street.name in crumbs
    page.screenshot(path=str(ARTIFACTS / "city-dashboard-street.png"), full_page=True)

    # Back to the city, then the printable report titled for the city, its districts ranked and mapped.
    page.click('#crumbs [data-crumb="city"]')
    wait_level(page, "district")
    report = page.get_attribute("#report-link", "href")
    assert f"area={city.pk}" in report
    page.goto(f"{live_server.url}{report}")
    page.wait_for_selector("#report[data-map-ready=true]", timeout=15_000)
    assert city.name in page.locator("#report-title").inner_text()
    assert page.locator('.report-table[data-table="district"] tbody tr').count() == 2
    assert page.locator("#report-map path.leaflet-interactive").count() == 2
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})
    page.set_viewport_size({"width": 794, "height": page.evaluate("document.documentElement.scrollHeight")})
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "city-report.png"), full_page=True)
    assert page.errors == []


def test_district_official_sees_its_district(page, live_server, demo_city):
    """A district role opens on its own district, titled for it, even when the city has another district."""
    factories.second_district()
    official = User.objects.get(username="official").profile.district
    log_in(page, live_server, "official")
    page.goto(f"{live_server.url}/dashboard/")
    wait_level(page, "street")
    assert official.name in page.locator("#db-title").inner_text()
    assert page.locator("#rank-table tbody tr").count() == AdminArea.objects.filter(parent=official).count()
    page.goto(f"{live_server.url}/reports/coverage/")
    assert official.name in page.locator("#report-title").inner_text()
    assert page.locator('.report-table[data-table="street"] tbody tr').count() == official.children.count()
    assert page.errors == []
