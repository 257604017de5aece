"""The service page's map opens on the user's own area (permissions.area_of), as the main map does: a district
planner on its district, not on the outlines of every district it can see."""
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from layers.models import AdminArea, Role, UserProfile

from . import factories as f
from .browser_helpers import PASSWORD, log_in

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def opened_on(page):
    """The service map's centre (lon, lat) and its visible box once the page is ready."""
    page.wait_for_selector("body[data-map-ready=true]", timeout=30_000)
    return page.evaluate("""(() => { const m = window.geoappMap, c = m.getCenter(), b = m.getBounds();
        return [[c.lng, c.lat], [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]]; })()""")


def test_the_service_map_opens_on_the_users_own_district(page, live_server, demo_city):
    district, _street, _community = f.other_district("T777")
    User.objects.create_user("planner-s", password=PASSWORD)
    UserProfile.objects.create(user=User.objects.get(username="planner-s"), role=Role.PLANNER, district=district)
    log_in(page, live_server, "planner-s")
    page.goto(f"{live_server.url}/service/")
    home = page.evaluate("JSON.parse(document.getElementById('map-config').textContent).home")
    minx, miny, maxx, maxy = district.geom.extent
    assert home["level"] == "district" and home["name"] == district.name
    (lon, lat), (west, south, east, north) = opened_on(page)
    assert minx <= lon <= maxx and miny <= lat <= maxy, (lon, lat, district.geom.extent)
    # The whole first district is not in view: the map is not fitted to every outline.
    first = User.objects.get(username="planner").profile.district
    fx0, fy0, fx1, fy1 = first.geom.extent
    assert not (west <= fx0 and east >= fx1 and south <= fy0 and north >= fy1)


def test_a_street_office_opens_on_its_street_not_its_district(page, live_server, demo_city):
    """The worklists are held back, so that what shows is the first view, before the lists are fitted."""
    first = User.objects.get(username="planner").profile.district
    centre = first.geom.centroid
    # A street of the district whose box does not hold the district's centre: fitted to the district, the view
    # would be centred outside it.
    street = next(s for s in AdminArea.objects.filter(level="street", parent=first).order_by("code")
                  if not (s.geom.extent[0] <= centre.x <= s.geom.extent[2]
                          and s.geom.extent[1] <= centre.y <= s.geom.extent[3]))
    user = User.objects.create_user("street-home", password=PASSWORD)
    UserProfile.objects.create(user=user, role=Role.STREET_OFFICE, street=street)
    log_in(page, live_server, "street-home")
    page.route("**/api/service/worklists/**", lambda route: route.abort())
    page.goto(f"{live_server.url}/service/")
    (lon, lat), (west, south, east, north) = opened_on(page)
    minx, miny, maxx, maxy = street.geom.extent
    assert minx <= lon <= maxx and miny <= lat <= maxy, (lon, lat, street.geom.extent)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "service-street-home.png"))
