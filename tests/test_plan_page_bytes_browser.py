"""What a planner's browser receives for a street's plan page: every text answer compressed (Brotli), the whole
page under 150 KB on the wire, and the plan map zooming one level per wheel notch like the main map."""
import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from layers.models import AdminArea
from layers.services import plans as services

from .browser_helpers import log_in

pytestmark = [pytest.mark.browser]

TEXT_TYPES = ("text/", "application/json", "application/geo+json", "javascript")


def test_street_plan_page_is_compressed_and_small(page, live_server, demo_city):
    planner = User.objects.get(username="planner")
    street = AdminArea.objects.filter(level="street").order_by("code").first()
    plan = services.plan_create(user=planner, name="传输量", start_date=timezone.localdate(), street_id=street.pk)
    log_in(page, live_server, "planner")

    answers = []
    page.on("requestfinished", lambda request: answers.append(request))
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    page.wait_for_selector("#plan[data-ready=true]", timeout=30_000)
    page.wait_for_selector("#plan[data-estate-tiles=loaded]", timeout=30_000)
    page.wait_for_load_state("networkidle")

    ours = [r for r in answers if r.url.startswith(live_server.url)]
    assert ours, "the page made no request"
    wire = sum(r.sizes()["responseBodySize"] for r in ours)
    assert wire < 150_000, f"{wire:,} bytes on the wire"

    # Static files come from the test server's own static handler here; their compression (WhiteNoise) is tested in
    # test_compression.py.
    texts = [r for r in ours if "/static/" not in r.url and any(t in (r.response().headers.get("content-type") or "") for t in TEXT_TYPES)
             and r.sizes()["responseBodySize"] > 1_000]
    assert texts, "no text answer over 1 KB"
    plain = [r.url for r in texts if r.response().headers.get("content-encoding") not in ("br", "gzip")]
    assert plain == [], f"sent uncompressed: {plain}"
    assert any(r.response().headers.get("content-encoding") == "br" for r in texts)

    # One wheel notch over the plan map: exactly one level, as on the main map.
    page.evaluate("() => window.geoappMap.setZoom(15, {animate: false})")
    box = page.locator("#plan-map, .leaflet-container").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -100)
    page.wait_for_timeout(700)
    page.wait_for_function("() => !window.geoappMap._animatingZoom")
    assert page.evaluate("() => window.geoappMap.getZoom()") == 16
    assert page.errors == []
