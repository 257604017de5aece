"""The map page in headless Chromium: log-in, tiles render, layer switcher, estate popups, focus links, languages."""
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.utils import translation

from .browser_helpers import log_in, pixel

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def largest_estate() -> dict:
    """The estate easiest to click: the largest one, with a point inside it (lon/lat) and its extent."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT id, name, ST_X(p), ST_Y(p)
            FROM (
                SELECT e.id, e.name, ST_Transform(ST_PointOnSurface(e.geom), 4326) AS p
                FROM layers_estate e
                ORDER BY ST_Area(e.geom_web) DESC, e.id
                LIMIT 1
            ) s
            """
        )
        pk, name, lon, lat = cursor.fetchone()
    return {"id": pk, "name": name, "lon": lon, "lat": lat}




def pane_paths(page, layer_id: str) -> int:
    return page.evaluate(
        "(id) => document.querySelectorAll(`.leaflet-geoapp-${id}-pane path, .leaflet-geoapp-${id}-pane canvas`).length",
        layer_id,
    )


def wait_for_pane(page, layer_id: str):
    page.wait_for_function(
        "(id) => document.querySelectorAll(`.leaflet-geoapp-${id}-pane path, .leaflet-geoapp-${id}-pane canvas`).length > 0",
        arg=layer_id,
        timeout=15_000,
    )


def click_at(page, lat: float, lon: float):
    """Clicks the map at a lon/lat, through the page (so Leaflet sees a real mouse event)."""
    x, y = pixel(page, lon, lat)
    page.mouse.click(x, y)


def test_map_renders_tiles_and_toggles_layers(page, live_server, demo_city):
    ARTIFACTS.mkdir(exist_ok=True)
    tile_statuses: dict[str, list[int]] = {}
    tile_zooms: dict[str, set[int]] = {}
    foreign_hosts: set[str] = set()
    own_host = urlsplit(live_server.url).netloc

    def on_response(response):
        parts = urlsplit(response.url)
        if parts.path.startswith("/tiles/"):
            layer, z = parts.path.split("/")[2:4]
            tile_statuses.setdefault(layer, []).append(response.status)
            tile_zooms.setdefault(layer, set()).add(int(z))

    def on_request(request):
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https") and parts.netloc != own_host:
            foreign_hosts.add(parts.netloc)

    page.on("response", on_response)
    page.on("request", on_request)
    log_in(page, live_server)

    # The view is the district (fitted to its outline), and the estates and roads draw.
    assert page.evaluate("window.geoappMap.getZoom()") >= 11
    wait_for_pane(page, "estates")
    wait_for_pane(page, "roads")
    wait_for_pane(page, "admin_district")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(600)  # Leaflet fades new tiles in
    assert tile_statuses.get("estates") and set(tile_statuses["estates"]) == {200}
    assert tile_statuses.get("roads") and set(tile_statuses["roads"]) == {200}
    # Below their minimum zoom (docs/MAP_API.md), layers ask for nothing.
    min_zoom = {"roads": 11, "estates": 12, "buildings": 15, "management_areas": 13, "jurisdictions": 10}
    for layer, zooms in tile_zooms.items():
        assert min(zooms) >= min_zoom.get(layer, 0), (layer, zooms)
    page.screenshot(path=str(ARTIFACTS / "map-district.png"))

    # No basemap is configured: nothing at all is fetched from another host.
    assert foreign_hosts == set()
    assert page.locator(".leaflet-tile-pane img").count() == 0

    # The layer switcher hides and shows a layer's drawing.
    estates_box = page.locator("input[data-layer=estates]")
    assert estates_box.is_checked()
    estates_box.uncheck()
    page.wait_for_function("() => !document.querySelector('.leaflet-geoapp-estates-pane path')")
    assert pane_paths(page, "estates") == 0
    estates_box.check()
    wait_for_pane(page, "estates")

    # A layer off by default shows once ticked.
    page.locator("input[data-layer=jurisdictions]").check()
    page.wait_for_load_state("networkidle")
    assert set(tile_statuses.get("jurisdictions", [200])) == {200}

    assert page.errors == []


def test_estate_popup_by_click_search_and_focus_link(page, live_server, demo_city):
    ARTIFACTS.mkdir(exist_ok=True)
    estate = largest_estate()
    log_in(page, live_server)

    # Zoom to the estate, hide the buildings on top of it, click inside it: its popup opens with its name.
    page.locator("input[data-layer=buildings]").uncheck()
    page.evaluate(
        "([lat, lon]) => window.geoappMap.setView([lat, lon], 17, {animate: false})", [estate["lat"], estate["lon"]]
    )
    wait_for_pane(page, "estates")
    page.wait_for_load_state("networkidle")
    click_at(page, estate["lat"], estate["lon"])
    title = page.locator(".leaflet-popup .popup__title")
    title.wait_for(timeout=10_000)
    assert title.inner_text() == estate["name"]
    detail = page.locator(".leaflet-popup a.popup__detail")
    assert detail.get_attribute("href") == f"/estates/{estate['id']}/"
    with translation.override("zh-hans"):
        assert translation.gettext("Details") in detail.inner_text()

    page.locator("input[data-layer=buildings]").check()
    wait_for_pane(page, "buildings")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(600)  # Leaflet fades new tiles in
    page.screenshot(path=str(ARTIFACTS / "map-estate.png"))

    # Search by name: the result list shows it, picking it opens its popup.
    page.evaluate("() => window.geoappMap.closePopup()")
    page.fill("#search-input", estate["name"])
    page.press("#search-input", "Enter")
    result = page.locator(f"#search-results button[data-estate-id='{estate['id']}']")
    result.wait_for(timeout=10_000)
    result.click()
    page.wait_for_function(
        "(name) => { const t = document.querySelector('.leaflet-popup .popup__title'); return t && t.textContent === name; }",
        arg=estate["name"],
    )

    # A focus link opens the page on that estate's popup.
    page.goto(f"{live_server.url}/?focus=estate:{estate['id']}")
    page.wait_for_selector("body[data-map-ready=true]")
    page.wait_for_function(
        "(name) => { const t = document.querySelector('.leaflet-popup .popup__title'); return t && t.textContent === name; }",
        arg=estate["name"],
    )
    assert page.errors == []


@pytest.mark.parametrize("username", ["planner", "city"])
def test_language_names_stay_on_one_line(page, live_server, demo_city, username):
    """The fullest bars (a planner's links, the city official's role label) leave the switch its width: "简体中文"
    once broke after its third character at 1,400 px."""
    log_in(page, live_server, username)
    for width in (1400, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        heights = page.evaluate("[...document.querySelectorAll('.lang-btn')].map((b) => b.getBoundingClientRect().height)")
        assert len(heights) == 2 and max(heights) < 30, (width, heights)


def test_language_switch(page, live_server, demo_city):
    log_in(page, live_server)
    estates_row = page.locator("[data-layer-row=estates] .switcher__name")
    with translation.override("zh-hans"):
        chinese_name = translation.gettext("Estates by service status")
        chinese_search = translation.gettext("Search")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert estates_row.inner_text() == chinese_name
    assert page.locator("#search-form button").inner_text() == chinese_search

    page.click("button[data-language=en]")
    page.wait_for_selector("html[lang=en]")
    page.wait_for_selector("body[data-map-ready=true]")
    assert estates_row.inner_text() == "Estates by service status"
    assert page.locator("#search-form button").inner_text() == "Search"
    assert page.locator(".map-date").inner_text().startswith("Status as of")

    page.click("button[data-language=zh-hans]")
    page.wait_for_selector("html[lang=zh-hans]")
    page.wait_for_selector("body[data-map-ready=true]")
    assert estates_row.inner_text() == chinese_name
    assert page.errors == []
