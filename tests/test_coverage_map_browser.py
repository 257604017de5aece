"""The coverage layers of the map in headless Chromium: choropleth by rate, date control, heatmap, hexagons,
and the change between two dates (docs/COVERAGE_API.md)."""
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone, translation

from .browser_helpers import log_in

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
OLD_DATE = "2016-01-01"

RECORD_COVERAGE = """() => {
    window.__coverage = [];
    window.geoappMap.on('geoapp:coverage', (e) => window.__coverage.push(
        {layer: e.layer, date: e.date, since: e.since || null, values: e.values || null, points: e.points ?? null}));
}"""


def last_choropleth(page, date, since=None):
    """The values of the last choropleth drawn for that date (and comparison date), waiting for it."""
    page.wait_for_function(
        """([date, since]) => (window.__coverage || []).some(
            (e) => e.layer === 'choropleth' && e.date === date && e.since === since)""",
        arg=[date, since],
        timeout=15_000,
    )
    return page.evaluate(
        """([date, since]) => window.__coverage.filter(
            (e) => e.layer === 'choropleth' && e.date === date && e.since === since).pop().values""",
        [date, since],
    )


def choropleth_fills(page) -> list[str]:
    return page.evaluate(
        "() => [...document.querySelectorAll('.leaflet-geoapp-coverage_choropleth-pane path')]"
        ".map((p) => p.getAttribute('fill'))"
    )


def test_coverage_layers_date_and_change(page, live_server, demo_city):
    ARTIFACTS.mkdir(exist_ok=True)
    today = timezone.localdate().isoformat()
    estate_dates: list[str | None] = []
    hex_statuses: list[int] = []
    heat_statuses: list[int] = []

    def on_response(response):
        parts = urlsplit(response.url)
        if parts.path.startswith("/tiles/coverage_hex/"):
            hex_statuses.append(response.status)
        elif "uncovered-households" in parts.path:
            heat_statuses.append(response.status)

    def on_request(request):
        # Counted when asked, not when answered: a tile asked before the date change may answer after it.
        parts = urlsplit(request.url)
        if parts.path.startswith("/tiles/estates/"):
            estate_dates.append((parse_qs(parts.query).get("date") or [None])[0])

    page.on("response", on_response)
    page.on("request", on_request)
    log_in(page, live_server)
    page.evaluate(RECORD_COVERAGE)
    with translation.override("zh-hans"):
        as_of = translation.gettext("Status as of %(date)s").split("%(date)s")[0].strip()
        change_unit = translation.gettext("+/− percentage points")

    # Every coverage layer is off at first, and so is its legend.
    for layer in ("coverage_choropleth", "coverage_heat", "coverage_hex"):
        assert not page.locator(f"input[data-layer={layer}]").is_checked()
        assert page.locator(f"[data-legend={layer}]").is_hidden()
    assert page.input_value("#coverage-date") == today

    # The choropleth: street polygons in several classes, the legend lists the class breaks.
    page.locator("input[data-layer=coverage_choropleth]").check()
    values_today = last_choropleth(page, today)
    assert len(values_today) >= 2
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-geoapp-coverage_choropleth-pane path').length >= 2"
    )
    fills = choropleth_fills(page)
    assert len(set(fills)) >= 2, fills
    legend = page.locator("[data-legend=coverage_choropleth]")
    assert legend.is_visible()
    legend_text = legend.inner_text()
    for label in ("0–20 %", "20–40 %", "40–60 %", "60–80 %", "80–100 %"):
        assert label in legend_text
    # The official's view: areas, not single estates or buildings.
    page.locator("input[data-layer=buildings]").uncheck()
    page.locator("input[data-layer=estates]").uncheck()
    page.wait_for_timeout(400)
    page.screenshot(path=str(ARTIFACTS / "coverage-choropleth.png"))
    page.locator("input[data-layer=estates]").check()

    # Another date: the estates tiles, the choropleth and the badge follow.
    page.wait_for_load_state("networkidle")
    estate_dates.clear()
    page.fill("#coverage-date", OLD_DATE)
    values_then = last_choropleth(page, OLD_DATE)
    page.wait_for_load_state("networkidle")
    assert estate_dates and set(estate_dates) == {OLD_DATE}
    assert values_then != values_today
    assert "2016" in page.locator("#status-date").inner_text()
    assert page.locator("#status-date").inner_text().startswith(as_of)
    assert "2016" in page.locator(".map-date").inner_text()

    # The heatmap of uncovered households and the hexagons, for that date.
    page.locator("input[data-layer=coverage_heat]").check()
    page.wait_for_selector(".leaflet-heatmap-layer", state="attached", timeout=15_000)
    # (A hexagon tile is awaited: "networkidle" reached once returns at once and would not wait for it.)
    with page.expect_response(lambda r: urlsplit(r.url).path.startswith("/tiles/coverage_hex/"), timeout=30_000):
        page.locator("input[data-layer=coverage_hex]").check()
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-geoapp-coverage_hex-pane canvas').length > 0", timeout=15_000
    )
    page.wait_for_load_state("networkidle")
    assert heat_statuses and set(heat_statuses) == {200}
    assert hex_statuses and set(hex_statuses) == {200}
    assert page.locator("[data-legend=coverage_heat]").is_visible()
    assert page.locator("[data-legend=coverage_hex]").is_visible()
    # Panning reloads the heatmap for the new view.
    before = len(heat_statuses)
    page.evaluate("() => window.geoappMap.panBy([200, 0], {animate: false})")
    page.wait_for_timeout(300)
    page.wait_for_load_state("networkidle")
    assert len(heat_statuses) > before
    page.evaluate("() => window.geoappMap.panBy([-200, 0], {animate: false})")
    page.locator("input[data-layer=coverage_hex]").uncheck()
    page.locator("input[data-layer=coverage_choropleth]").uncheck()
    page.locator("input[data-layer=estates]").uncheck()
    page.fill("#coverage-date", today)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(600)
    page.screenshot(path=str(ARTIFACTS / "coverage-heat.png"))
    page.locator("input[data-layer=coverage_heat]").uncheck()

    # The change since an earlier date: diverging colours, the legend in percentage points.
    page.check("#coverage-compare")
    page.fill("#coverage-since", OLD_DATE)
    assert page.locator("input[data-layer=coverage_choropleth]").is_checked()
    change = last_choropleth(page, today, OLD_DATE)
    assert change and any(v is not None for v in change.values())
    legend = page.locator("[data-legend=coverage_choropleth]")
    assert legend.get_attribute("data-mode") == "change"
    assert change_unit in legend.inner_text()
    page.wait_for_timeout(400)
    page.screenshot(path=str(ARTIFACTS / "coverage-change.png"))

    assert page.errors == []
