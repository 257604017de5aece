"""A planner's hands on the map in headless Chromium: wheel zoom by whole levels, double-click zoom without a popup,
hover tooltips that do not stay behind when the map moves, and the editor's zoom hint, "only management areas" and cancel button."""
from pathlib import Path

import pytest
from django.db import connection
from django.utils import translation

from .browser_helpers import log_in, pixel

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def largest_estate() -> dict:
    """The largest estate and a point inside it (lon/lat)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT id, name, ST_X(p), ST_Y(p) FROM (
                SELECT e.id, e.name, ST_Transform(ST_PointOnSurface(e.geom), 4326) AS p
                FROM layers_estate e ORDER BY ST_Area(e.geom_web) DESC, e.id LIMIT 1) s
            """
        )
        pk, name, lon, lat = cursor.fetchone()
    return {"id": pk, "name": name, "lon": lon, "lat": lat}


def largest_area() -> dict:
    """The largest management area and a point inside it (lon/lat)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT id, name, ST_X(p), ST_Y(p) FROM (
                SELECT a.id, a.name, ST_Transform(ST_PointOnSurface(a.geom), 4326) AS p
                FROM layers_managementarea a ORDER BY ST_Area(a.geom_web) DESC, a.id LIMIT 1) s
            """
        )
        pk, name, lon, lat = cursor.fetchone()
    return {"id": pk, "name": name, "lon": lon, "lat": lat}


def zoom(page) -> float:
    return page.evaluate("() => window.geoappMap.getZoom()")


def go_to(page, lon, lat, z):
    page.evaluate("([lat, lon, z]) => window.geoappMap.setView([lat, lon], z, {animate: false})", [lat, lon, z])


def settle(page):
    """Until the zoom animation (and any wheel debounce) is over."""
    page.wait_for_timeout(700)
    page.wait_for_function("() => !window.geoappMap._animatingZoom")


def zh(text: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(text)


def test_one_wheel_notch_zooms_one_level(page, live_server, demo_city):
    estate = largest_estate()
    log_in(page, live_server, "planner")
    go_to(page, estate["lon"], estate["lat"], 14)
    x, y = pixel(page, estate["lon"], estate["lat"])
    page.mouse.move(x, y)

    # One notch of a mouse wheel (100 px in Chromium) zooms in by exactly one level.
    page.mouse.wheel(0, -100)
    settle(page)
    assert zoom(page) == 15

    # Three notches in quick succession (while the map still animates) make three levels, not a jump to the end.
    for _ in range(3):
        page.mouse.wheel(0, -100)
        page.wait_for_timeout(60)
    settle(page)
    assert zoom(page) == 18

    # And back out, notch by notch.
    page.mouse.wheel(0, 100)
    settle(page)
    assert zoom(page) == 17
    page.mouse.wheel(0, 100)
    page.wait_for_timeout(60)
    page.mouse.wheel(0, 100)
    settle(page)
    assert zoom(page) == 15

    # A notch right after the zoom is asked, before its animation starts (Leaflet starts it on the next frame):
    # it counts from the level asked, not from the level the map still shows.
    start = page.evaluate("""() => new Promise((resolve) => {
        const map = window.geoappMap, box = map.getContainer().getBoundingClientRect();
        const notch = () => map.getContainer().dispatchEvent(new WheelEvent("wheel", {
            deltaY: -100, clientX: box.left + box.width / 2, clientY: box.top + box.height / 2, bubbles: true,
            cancelable: true }));
        const start = map.getZoom();
        notch();  // applied after wheelDebounceTime: the timer below runs right after it, in the same turn
        setTimeout(() => { notch(); resolve(start); }, map.options.wheelDebounceTime);
    })""")
    settle(page)
    assert zoom(page) == start + 2
    assert page.errors == []


def test_double_click_zooms_without_a_popup(page, live_server, demo_city):
    estate = largest_estate()
    log_in(page, live_server, "planner")
    page.locator("input[data-layer=buildings]").uncheck()
    go_to(page, estate["lon"], estate["lat"], 16)
    page.wait_for_function("() => document.querySelectorAll('.leaflet-geoapp-estates-pane path').length > 0",
                           timeout=15_000)
    page.wait_for_load_state("networkidle")

    x, y = pixel(page, estate["lon"], estate["lat"])
    page.mouse.dblclick(x, y)
    settle(page)
    assert zoom(page) == 17
    page.wait_for_timeout(500)
    assert page.locator(".leaflet-popup").count() == 0

    # A single click still opens the estate's popup.
    page.wait_for_load_state("networkidle")
    x, y = pixel(page, estate["lon"], estate["lat"])
    page.mouse.click(x, y)
    title = page.locator(".leaflet-popup .popup__title")
    title.wait_for(timeout=10_000)
    assert title.inner_text() == estate["name"]
    assert page.errors == []


def test_hover_tooltip_does_not_outlive_the_hover(page, live_server, demo_city):
    # The service page's worklist outlines carry hover tooltips and are not redrawn when the map moves.
    log_in(page, live_server, "planner")
    page.goto(f"{live_server.url}/service/")
    page.wait_for_selector("body[data-map-ready=true]")
    page.wait_for_selector("body[data-worklist-ready=true]")
    page.evaluate("() => window.geoappService.layers.setVisible('buildings', false)")  # they lie above the outlines
    row = page.locator("#worklist-rows [data-estate-id]").first
    estate_id = int(row.get_attribute("data-estate-id"))
    name, lon, lat = page.evaluate(
        """(id) => {
            let found = null;
            window.geoappMap.eachLayer((l) => {
                if (l.feature && l.feature.properties && l.feature.properties.id === id && l.getBounds) found = l;
            });
            window.geoappMap.fitBounds(found.getBounds(), {maxZoom: 17, animate: false});
            const c = found.getBounds().getCenter();
            return [found.feature.properties.name, c.lng, c.lat];
        }""",
        estate_id,
    )
    page.wait_for_timeout(300)

    def hover():
        x, y = pixel(page, lon, lat)
        page.mouse.move(x - 6, y - 6)
        page.mouse.move(x, y, steps=3)
        page.locator(".leaflet-tooltip").filter(has_text=name).wait_for(timeout=5_000)

    # The map moves away under a still mouse (a fitted view, the keyboard): the name does not stay behind.
    hover()
    page.evaluate("() => window.geoappMap.panBy([700, 500], {animate: false})")
    page.wait_for_timeout(500)
    assert page.locator(".leaflet-tooltip").filter(has_text=name).count() == 0

    # Nor after a zoom.
    page.evaluate("() => window.geoappMap.panBy([-700, -500], {animate: false})")
    page.wait_for_timeout(300)
    hover()
    page.evaluate("() => window.geoappMap.setZoom(13)")
    settle(page)
    assert page.locator(".leaflet-tooltip").filter(has_text=name).count() == 0
    assert page.errors == []


def test_editor_zoom_hint_only_areas_and_cancel(page, live_server, demo_city):
    ARTIFACTS.mkdir(exist_ok=True)
    area = largest_area()
    log_in(page, live_server, "planner")
    go_to(page, area["lon"], area["lat"], 13)
    page.click("[data-action=open-editor]")

    # The hint names the current level next to the level needed, and follows the zoom.
    hint = page.locator("[data-zoom-hint]")
    hint.wait_for()
    edit_zoom = page.evaluate("() => window.geoappConfig.layers.find((d) => d.id === 'management_areas').editMinZoom")
    expected = zh("The map is at level %(current)s; zoom in to level %(zoom)s or closer to edit management areas.")
    assert hint.inner_text() == expected % {"current": 13, "zoom": edit_zoom}
    page.evaluate("() => window.geoappMap.setZoom(14, {animate: false})")
    page.wait_for_function("() => document.querySelector('[data-zoom-hint]').textContent.includes('14')")
    assert hint.inner_text() == expected % {"current": 14, "zoom": edit_zoom}
    page.screenshot(path=str(ARTIFACTS / "editor-zoom-hint.png"))

    # "Only management areas": estates and buildings leave the map (and their switcher boxes), and come back.
    visible = "(id) => window.geoappMap.hasLayer(window.geoappEditor.layers.entries.get(id).layer)"
    go_to(page, area["lon"], area["lat"], 16)
    page.wait_for_selector("body[data-edit-areas-loaded]", timeout=15_000)
    assert page.evaluate(visible, "estates") and page.evaluate(visible, "buildings")
    only = page.locator("input[data-action=only-areas]")
    assert zh("Show only management areas") in page.locator(".editor__check").inner_text()
    only.check()
    assert not page.evaluate(visible, "estates") and not page.evaluate(visible, "buildings")
    assert page.evaluate(visible, "management_areas")
    assert not page.locator("input[data-layer=estates]").is_checked()
    assert not page.locator("input[data-layer=buildings]").is_checked()
    page.wait_for_timeout(400)
    page.screenshot(path=str(ARTIFACTS / "editor-only-areas.png"))
    page.locator("input[data-action=only-areas]").uncheck()
    assert page.evaluate(visible, "estates") and page.evaluate(visible, "buildings")
    assert page.locator("input[data-layer=estates]").is_checked()

    # Closing the editor gives the layers back too.
    page.locator("input[data-action=only-areas]").check()
    page.click("[data-action=close-editor]")
    assert page.evaluate(visible, "estates") and page.evaluate(visible, "buildings")

    # The cancel button says "Cancel" until the boundary was changed, then "Discard changes".
    page.evaluate("() => { delete document.body.dataset.editAreasLoaded; }")
    page.click("[data-action=open-editor]")
    page.wait_for_selector("body[data-edit-areas-loaded]", timeout=15_000)
    page.evaluate("(id) => window.geoappEditor.select(window.geoappEditor.features.get(id))", area["id"])
    page.click("[data-action=edit-boundary]")
    discard = page.locator("[data-action=discard]")
    assert discard.inner_text() == zh("Cancel")
    page.evaluate(
        """() => {
            const layer = window.geoappEditor.state.session.layer;
            const rings = layer.getLatLngs();
            const ring = Array.isArray(rings[0][0]) ? rings[0][0] : rings[0];
            ring[0] = L.latLng(ring[0].lat + 0.00005, ring[0].lng);
            layer.setLatLngs(rings);
            layer.fire("pm:edit");
        }"""
    )
    assert page.locator("[data-action=discard]").inner_text() == zh("Discard changes")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-action=discard]")
    page.wait_for_selector("[data-action=edit-boundary]")
    assert page.errors == []
