"""A whole city in the browser (DOMAIN.md "Levels"): the city official reads every district and changes nothing; two
district planners never see each other's data; each map opens on the user's own area."""
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from layers.models import Estate, Role, UserProfile

from . import factories as f
from .browser_helpers import PASSWORD, log_in

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture
def second_district(demo_city):
    """A second district of the demo city with an estate, and its own planner (password as the demo's)."""
    district, _street, community = f.other_district("T888")
    estate = f.estate(community_area=community, name="乙区测试小区", build_year=1990)
    planner = User.objects.create_user("planner-b", password=PASSWORD)
    UserProfile.objects.create(user=planner, role=Role.PLANNER, district=district)
    return district, estate


def api_status(page, url, method="GET"):
    return page.evaluate("""async ([url, method]) => {
        const token = (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || "";
        const r = await fetch(url, {method, headers: {"X-CSRFToken": token, "Content-Type": "application/json"},
                                    body: method === "GET" ? undefined : "{}"});
        return r.status; }""", [url, method])


def test_city_official_reads_every_district_and_changes_nothing(page, live_server, second_district):
    district, estate = second_district
    log_in(page, live_server, "city")
    home = page.evaluate("window.geoappConfig.home")
    assert home["level"] == "city" and home["name"] == "哈尔滨市"
    assert page.evaluate("window.geoappConfig.permissions.canEditAreas") is False
    assert page.locator('.topbar__nav a[data-nav="imports"]').count() == 0
    found = page.evaluate("async () => (await (await fetch('/api/search/?q=乙区测试')).json()).results.map(r => r.id)")
    assert found == [estate.pk]  # the other district's estate too
    first = Estate.objects.filter(community__parent__parent__code="230112").order_by("code").first()
    assert api_status(page, f"/api/features/estate/{first.pk}/") == 200
    assert api_status(page, f"/api/features/estate/{estate.pk}/") == 200
    assert api_status(page, "/api/service/assign/", "POST") == 403
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "city-official-map.png"))
    page.goto(f"{live_server.url}/dashboard/")
    assert "哈尔滨市" in page.locator("h1").inner_text()
    page.screenshot(path=str(ARTIFACTS / "city-official-dashboard.png"))
    assert [e for e in page.errors if "status of 403" not in e] == []  # the refused write above is the only one


def test_two_district_planners_cannot_see_each_others_data(page, live_server, second_district, browser):
    district, estate = second_district
    first = Estate.objects.filter(community__parent__parent__code="230112").order_by("code").first()
    log_in(page, live_server, "planner")
    home = page.evaluate("window.geoappConfig.home")
    assert home["level"] == "district" and home["name"] == "阿城区"
    assert page.evaluate("async () => (await (await fetch('/api/search/?q=乙区测试')).json()).results") == []
    assert api_status(page, f"/api/features/estate/{estate.pk}/") == 404
    assert page.goto(f"{live_server.url}/estates/{estate.pk}/").status == 404
    page.goto(f"{live_server.url}/dashboard/")
    assert "阿城区" in page.locator("h1").inner_text()

    other = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN").new_page()
    log_in(other, live_server, "planner-b")
    home = other.evaluate("window.geoappConfig.home")
    minx, miny, maxx, maxy = district.geom.extent
    assert home["name"] == district.name and home["bbox"] == [round(v, 6) for v in (minx, miny, maxx, maxy)]
    centre = other.evaluate("(() => { const c = window.geoappMap.getCenter(); return [c.lng, c.lat]; })()")
    assert minx <= centre[0] <= maxx and miny <= centre[1] <= maxy  # opened on its own district, not the first
    assert api_status(other, f"/api/features/estate/{first.pk}/") == 404
    assert api_status(other, f"/api/features/estate/{estate.pk}/") == 200
    names = other.evaluate("async () => (await (await fetch('/api/search/?q=小区')).json()).results.map(r => r.name)")
    assert names == ["乙区测试小区"]
    other.goto(f"{live_server.url}/dashboard/")
    assert district.name in other.locator("h1").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    other.screenshot(path=str(ARTIFACTS / "second-district-planner-dashboard.png"))
    other.context.close()
