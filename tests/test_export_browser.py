"""A planner exports what the map shows: pan, pick estates + GeoPackage, download, open the file with GDAL."""
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyogrio
import pytest
from django.contrib.gis.geos import Polygon

from layers.models import Estate

from .browser_helpers import log_in, pixel

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def map_bounds(page) -> tuple[float, float, float, float]:
    return tuple(page.evaluate(
        "() => { const b = window.geoappMap.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }"))


def settled_bounds(page) -> tuple[float, float, float, float]:
    """The map's bounds once it has stopped moving (a drag ends with Leaflet's inertia: the view glides on)."""
    bounds = map_bounds(page)
    for _ in range(50):
        page.wait_for_timeout(200)
        again = map_bounds(page)
        if again == bounds:
            return bounds
        bounds = again
    raise AssertionError("the map did not stop moving")


def test_planner_exports_the_current_view_of_estates_as_geopackage(page, live_server, demo_city, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    log_in(page, live_server, "planner")
    # Zoom in one step and pan: the view is now a part of the district, not all of it.
    page.evaluate("() => window.geoappMap.setZoom(window.geoappMap.getZoom() + 1, { animate: false })")
    before = map_bounds(page)
    box = page.locator("#map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx - 180, cy + 90, steps=8)
    page.mouse.up()
    view = settled_bounds(page)
    assert view[0] > before[0] and view[1] > before[1], "the map did not pan east and north"

    panel = page.locator("#export-panel")
    panel.scroll_into_view_if_needed()
    assert page.locator("#export-layer").input_value() == "estates"
    page.select_option("#export-format", "gpkg")
    assert page.locator("input[name=scope][value=view]").is_checked()
    panel.screenshot(path=str(ARTIFACTS / "export-control.png"))
    with page.expect_download() as download_info:
        page.click("#export-submit")
    download = download_info.value
    assert download.suggested_filename.startswith("estates-") and download.suggested_filename.endswith(".gpkg")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    page.wait_for_function("() => document.getElementById('export-panel').dataset.state === 'done'")

    # The request carried the map's view, and the file holds exactly the estates meeting it.
    query = parse_qs(urlsplit(panel.get_attribute("data-last-url")).query)
    bbox = tuple(float(v) for v in query["bbox"][0].split(","))
    assert all(abs(a - b) < 1e-5 for a, b in zip(bbox, view))
    assert query["on"] == [page.locator("#coverage-date").input_value()]
    expected = set(Estate.objects.filter(geom__intersects=Polygon.from_bbox(bbox)).values_list("pk", flat=True))
    assert 0 < len(expected) < Estate.objects.count()
    frame = pyogrio.read_dataframe(target)
    assert set(frame["id"].astype(int)) == expected
    assert pyogrio.read_info(target)["crs"] == "EPSG:4490"
    assert set(frame["name"]) == set(Estate.objects.filter(pk__in=expected).values_list("name", flat=True))
    assert panel.get_attribute("data-last-count") == str(len(expected))
    page.screenshot(path=str(ARTIFACTS / "export-done.png"))
    assert not page.errors, page.errors


def test_a_drawn_area_exports_the_buildings_inside_it_as_csv(page, live_server, demo_city, tmp_path):
    log_in(page, live_server, "official")
    page.evaluate("() => window.geoappMap.setZoom(15, { animate: false })")
    page.wait_for_timeout(200)
    west, south, east, north = map_bounds(page)
    w, h = east - west, north - south
    corners = [(west + w * 0.3, south + h * 0.3), (west + w * 0.7, south + h * 0.3), (west + w * 0.5, south + h * 0.7)]
    page.select_option("#export-layer", "buildings")
    page.select_option("#export-format", "csv")
    page.check("input[name=scope][value=polygon]")
    page.click("#export-draw")
    for lon, lat in corners:
        x, y = pixel(page, lon, lat)
        page.mouse.click(x, y)
        page.wait_for_timeout(350)  # apart enough not to be a double-click
    page.click("#export-draw")  # finish
    assert page.locator("#export-panel").get_attribute("data-drawn-points") == "3"
    assert not page.locator(".leaflet-popup").count(), "a click while drawing opened a popup"
    with page.expect_download() as download_info:
        page.click("#export-submit")
    target = tmp_path / "b.csv"
    download_info.value.save_as(target)
    text = target.read_text(encoding="utf-8-sig")
    ids = {int(line.split(",", 1)[0]) for line in text.splitlines()[1:]}
    from layers.models import Building

    drawn = Polygon([*corners, corners[0]], srid=4490)
    expected = set(Building.objects.filter(geom__intersects=drawn).values_list("pk", flat=True))
    # The browser rounds corners to 7 decimals (1 cm): compare with a tolerance of the features on the edge.
    assert expected and len(ids ^ expected) <= 1
    assert not page.errors, page.errors
