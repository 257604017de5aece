"""The plan page does not wait for its plan's JSON: the map's tiles, the coverage and the versions are asked beside
it, the map shows the bundles, and the bundle list (rendered in chunks after its first rows) ends up whole."""
import time

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from layers.models import AdminArea
from layers.selectors import plans as plan_reads
from layers.services import plans as services
from layers.views import plans as plan_views

from .browser_helpers import log_in

pytestmark = [pytest.mark.browser]

SLOW = 1.5  # seconds the plan's JSON takes here


def test_map_and_side_requests_do_not_wait_for_the_plan_json(page, live_server, demo_city, monkeypatch):
    planner = User.objects.get(username="planner")
    street = AdminArea.objects.filter(level="street").order_by("code").first()
    plan = services.plan_create(user=planner, name="不等待", start_date=timezone.localdate(), street_id=street.pk)
    bundles = plan.bundles.count()
    assert bundles > 3
    monkeypatch.setattr(plan_views, "PLAN_LIST_FIRST", 2)  # a short first part: the rest of the list comes later
    free_estate_ids = plan_reads.free_estate_ids

    def slow(plan):
        time.sleep(SLOW)
        return free_estate_ids(plan)

    monkeypatch.setattr(plan_reads, "free_estate_ids", slow)  # the plan's JSON (?view=page) is slow
    log_in(page, live_server, "planner")
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    page.wait_for_selector("#plan[data-ready=true]", timeout=30_000)
    page.wait_for_selector("#plan[data-estate-tiles=loaded]", timeout=30_000)

    timing = page.evaluate("""() => performance.getEntriesByType("resource").map((e) => ({
        url: e.name, start: e.startTime, end: e.responseEnd }))""")
    plan_json = [t for t in timing if t["url"].endswith(f"/api/plans/{plan.pk}/?view=page")]
    assert len(plan_json) == 1, plan_json  # the preloaded answer is the one plan.js reads: asked once
    for tail in ("/coverage/", "/versions/"):
        assert len([t for t in timing if t["url"].endswith(f"/api/plans/{plan.pk}{tail}")]) == 1
    tiles = [t for t in timing if f"/plans/{plan.pk}/tiles/plan/" in t["url"]]
    side = [t for t in timing if t["url"].endswith((f"/api/plans/{plan.pk}/coverage/",
                                                     f"/api/plans/{plan.pk}/versions/"))]
    assert tiles and len(side) == 2
    # asked while the plan's JSON was still on its way
    assert max(t["start"] for t in tiles + side) < plan_json[0]["end"] - SLOW * 1000 / 3, (plan_json, tiles, side)

    # The whole list, its rows in rank order, and the map drawing the bundles in their colours.
    page.wait_for_selector("#bundle-list[data-list=complete]")
    ranks = page.eval_on_selector_all("#bundle-list li", "(items) => items.map((li) => Number(li.dataset.rank))")
    assert ranks == sorted(ranks) and len(ranks) == bundles
    palette = set(page.evaluate("() => JSON.parse(document.getElementById('plan-config').textContent).palette"))
    fills = page.eval_on_selector_all(".leaflet-plan-estates-pane path",
                                      "(paths) => paths.map((p) => p.getAttribute('fill'))")
    assert palette & set(fills), set(fills)
    assert page.locator("#coverage-table tbody tr").count() >= 1
    assert page.locator("#version-list li").count() >= 1
    # The territories come in the same tiles: hovering one (where no estate lies above it) names its enterprise.
    spot = page.evaluate("""() => {
        for (const path of document.querySelectorAll(".leaflet-plan-estates-pane path[fill='#4f6d8a']")) {
            const r = path.getBoundingClientRect();
            for (let i = 1; i < 20; i++) for (let j = 1; j < 20; j++) {
                const x = r.left + (r.width * i) / 20, y = r.top + (r.height * j) / 20;
                if (document.elementFromPoint(x, y) === path) return [x, y];
            }
        }
        return null; }""")
    assert spot, "no territory to hover"
    page.mouse.move(spot[0] - 3, spot[1] - 3)
    page.mouse.move(*spot)
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.wait_for(timeout=5_000)
    assert tooltip.get_attribute("data-estate-id") == ""
    assert any(name in tooltip.inner_text() for name in page.evaluate(
        "() => Object.values(window.geoappPlan.enterprises).map((e) => e[0])"))
    page.mouse.move(5, 5)
    # a row far down the list selects its bundle
    last = page.locator("#bundle-list li").last
    last.click()
    assert page.get_attribute("#plan", "data-selected") == last.get_attribute("data-bundle-id")
    assert "is-selected" in last.get_attribute("class")
    assert page.locator("#bundle-list li.is-selected").count() == 1
    assert page.errors == []
