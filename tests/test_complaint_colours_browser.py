"""Complaint points on the map coloured by status or by category (docs/COMPLAINTS.md "Officials' view"): the tiles
carry category, status and overdue; in headless Chromium an official switches the legend to categories, the tiles
are drawn again in the category colours and the legend lists the categories, the overdue ring in both."""
import math
from pathlib import Path

import mapbox_vector_tile
import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from layers.models import Complaint
from layers.services.complaints import DEFAULT_CATEGORIES
from layers.views.map import COMPLAINT_CATEGORY_COLOURS, COMPLAINT_STATUS_COLOURS

from .browser_helpers import log_in

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

# Pixels of the complaint layer's canvases within a distance of one of the given colours.
NEAR_PIXELS = """(colours) => {
    const rgb = colours.map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));
    let n = 0;
    for (const canvas of document.querySelectorAll('.leaflet-geoapp-complaints-pane canvas')) {
        if (!canvas.width || !canvas.height) continue;
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < data.length; i += 4) {
            if (data[i + 3] < 200) continue;
            if (rgb.some(([r, g, b]) => Math.abs(r - data[i]) + Math.abs(g - data[i + 1]) + Math.abs(b - data[i + 2]) < 30)) n += 1;
        }
    }
    return n;
}"""


def _tile_of(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


@pytest.mark.django_db
def test_the_complaint_tiles_carry_category_status_and_overdue():
    complaint = Complaint.objects.filter(location__isnull=False, close_due__lt=timezone.localdate(),
                                         closed_at__isnull=True).select_related("category").first()
    assert complaint is not None  # the demo year has open cases past their close-by date
    x, y = _tile_of(complaint.location.x, complaint.location.y, 15)
    client = Client()
    client.force_login(User.objects.get(username="planner"))
    answer = client.get(f"/tiles/complaints/15/{x}/{y}.mvt")
    assert answer.status_code == 200
    features = mapbox_vector_tile.decode(answer.content)["complaints"]["features"]
    mine = [f["properties"] for f in features if f["properties"]["id"] == complaint.pk]
    assert len(mine) == 1
    assert mine[0]["category"] == complaint.category.code and mine[0]["status"] == complaint.status
    assert mine[0]["overdue"] is True
    # Every category of the default routing table has its own colour, none a status colour.
    codes = [code for code, *_rest in DEFAULT_CATEGORIES]
    assert set(COMPLAINT_CATEGORY_COLOURS) == set(codes)
    assert len(set(COMPLAINT_CATEGORY_COLOURS.values())) == len(codes)
    assert not set(COMPLAINT_CATEGORY_COLOURS.values()) & set(COMPLAINT_STATUS_COLOURS.values())


@pytest.mark.browser
def test_an_official_colours_the_complaint_points_by_category(live_server, demo_city, page):
    ARTIFACTS.mkdir(exist_ok=True)
    log_in(page, live_server, "official")
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/tiles/complaints/" in r.url else None)
    page.locator("input[data-layer=complaints]").check()
    page.evaluate("() => window.geoappMap.setZoom(13, {animate: false})")
    statuses = list(COMPLAINT_STATUS_COLOURS.values())
    categories = list(COMPLAINT_CATEGORY_COLOURS.values())
    page.wait_for_function(f"() => ({NEAR_PIXELS})({statuses}) > 50", timeout=20_000)
    legend = page.locator("[data-legend=complaints]")
    assert legend.locator("[data-colour-by=status] li").count() == len(COMPLAINT_STATUS_COLOURS) + 1
    before = page.evaluate(NEAR_PIXELS, categories)
    page.screenshot(path=str(ARTIFACTS / "complaint-colours-status.png"))

    asked = len(requests)
    legend.locator("input[value=category]").check()
    page.wait_for_function(f"() => ({NEAR_PIXELS})({categories}) > {before} + 50", timeout=20_000)
    assert len(requests) > asked  # the tiles were drawn again
    items = legend.locator("[data-colour-by=category] li")
    assert items.count() == len(DEFAULT_CATEGORIES) + 2  # the categories, another category, overdue
    names = items.all_inner_texts()
    assert all(any(name in text for text in names) for _code, name, *_rest in DEFAULT_CATEGORIES)
    assert "超期" in names[-1] or "逾期" in names[-1]
    # The symboliser now fills by category; an overdue case keeps its red ring.
    style = page.evaluate("""async () => {
        const { makeStyles } = await import('/static/layers/js/styles.js');
        const s = makeStyles(window.geoappConfig.styles).tiles.complaints;
        return [s({category: 'pm_fire', status: 'received', overdue: false}, 15),
                s({category: 'pm_fire', status: 'received', overdue: true}, 15)];
    }""")
    assert style[0]["fillColor"] == COMPLAINT_CATEGORY_COLOURS["pm_fire"]
    assert style[1]["color"] != style[0]["color"] and style[1]["radius"] > style[0]["radius"]
    page.screenshot(path=str(ARTIFACTS / "complaint-colours-category.png"))
    assert page.errors == []
