"""An official's journey through the complaint views (DOMAIN.md "Supervision") in headless Chromium: /dashboard/ with
the assessment ranking of the streets, then the map with the complaint points and the hotspot heat layer drawn."""
from pathlib import Path

import pytest

from .browser_helpers import log_in

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

RECORD_COMPLAINTS = """() => {
    window.__complaints = [];
    window.geoappMap.on('geoapp:complaints', (e) => window.__complaints.push({points: e.points, from: e.from, to: e.to}));
}"""

# Painted pixels of the heat layer's canvas (alpha > 0).
HEAT_PIXELS = """() => {
    const canvas = document.querySelector('canvas.leaflet-heatmap-layer');
    if (!canvas) return -1;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n += 1;
    return n;
}"""


def test_official_sees_the_ranking_and_the_hotspots(page, live_server, demo_city):
    ARTIFACTS.mkdir(exist_ok=True)
    log_in(page, live_server, "official")

    # The dashboard: the assessment ranking of the district's streets, rank 1 first, and the enterprise table.
    page.goto(f"{live_server.url}/dashboard/")
    ranking = page.locator("#assessment-ranking tbody tr")
    assert ranking.count() >= 2
    assert ranking.first.locator("td").first.inner_text().strip() == "1"
    assert page.locator("#complaints-by-enterprise tbody tr").count() >= 1
    page.locator("#complaints").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "supervision-dashboard.png"), full_page=True)

    # The map: the hotspot layer over the last year, then over one month.
    page.goto(f"{live_server.url}/")
    page.wait_for_selector("body[data-map-ready=true]")
    page.evaluate(RECORD_COMPLAINTS)
    assert page.locator("[data-legend=complaint_heat]").is_hidden()
    page.locator("input[data-layer=complaint_heat]").check()
    page.wait_for_function("() => (window.__complaints || []).length > 0", timeout=15_000)
    year = page.evaluate("() => window.__complaints.at(-1)")
    assert year["points"] > 0
    page.wait_for_function(f"() => ({HEAT_PIXELS})() > 0", timeout=15_000)
    assert page.evaluate(HEAT_PIXELS) > 100
    assert page.locator("[data-legend=complaint_heat]").is_visible()
    page.locator("input[data-layer=complaints]").check()
    page.screenshot(path=str(ARTIFACTS / "supervision-hotspots.png"))

    # A shorter range holds fewer complaints.
    start = page.input_value("#complaint-heat-to")[:8] + "01"
    page.fill("#complaint-heat-from", start)
    page.dispatch_event("#complaint-heat-from", "change")
    page.wait_for_function(f"() => window.__complaints.at(-1).from === '{start}'", timeout=15_000)
    assert page.evaluate("() => window.__complaints.at(-1).points") < year["points"]
    assert page.errors == []
