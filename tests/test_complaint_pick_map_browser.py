"""Picking a complaint's estate on the map in headless Chromium (docs/COMPLAINTS.md "Intake"): a community worker taps
an estate of its community in the entry form (another community's estate is grey and refused), a planner taps the
estate of an order waiting in the "to confirm" list."""
import datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.contrib.gis.db.models.functions import PointOnSurface
from django.utils import timezone

from layers.models import AdminArea, Complaint, Estate, Role, UserProfile
from layers.services.complaints import complaint_create

from .browser_helpers import PASSWORD
from .test_complaints_browser import log_in_to_complaints

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"complaint-pick-{name}.png"), full_page=True)


def inside(estate):
    """A lon/lat inside the estate's outline."""
    point = Estate.objects.annotate(p=PointOnSurface("geom")).get(pk=estate.pk).p
    return point.x, point.y


def tap_estate(page, map_id, estate, zoom=17):
    """Centres the picker on a point inside the estate, waits for its tiles and taps that point."""
    lon, lat = inside(estate)
    page.locator(f"#{map_id}").scroll_into_view_if_needed()
    page.evaluate("([id, lat, lon, zoom]) => window.geoappPickers[id].setView([lat, lon], zoom, {animate: false})",
                  [map_id, lat, lon, zoom])
    page.wait_for_function(
        """(id) => {
            const tiles = [...document.querySelectorAll(`#${id} .leaflet-tile`)];
            return tiles.length > 0 && tiles.every((t) => t.classList.contains('leaflet-tile-loaded'))
                && document.querySelector(`#${id} .leaflet-tile path`) !== null;
        }""", arg=map_id, timeout=20_000)
    x, y = page.evaluate(
        """([id, lat, lon]) => {
            const map = window.geoappPickers[id];
            const p = map.latLngToContainerPoint([lat, lon]);
            const r = map.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y];
        }""", [map_id, lat, lon])
    page.mouse.click(x, y)


def test_a_community_worker_picks_the_estate_on_the_map(live_server, demo_city, page):
    community = (AdminArea.objects.filter(level="community", estates__isnull=False).order_by("code").first())
    estate = Estate.objects.filter(community=community).order_by("code").first()
    other = (Estate.objects.filter(community__parent=community.parent).exclude(community=community)
             .order_by("code").first())
    worker = User.objects.create_user("community-map", password=PASSWORD)
    UserProfile.objects.create(user=worker, role=Role.COMMUNITY, community=community)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_to_complaints(page, live_server, "community-map")
    page.click("[data-tab=new]")
    page.wait_for_selector("#cp-entry-map[data-ready=true]")
    page.select_option("#cp-channel", "visit")
    page.fill("#cp-words", "小区门口垃圾堆了三天没人清运")

    # Another community's estate: drawn grey, tapping it picks nothing and says why.
    tap_estate(page, "cp-entry-map", other)
    page.wait_for_selector(f"#cp-entry-map[data-refused='{other.pk}']")
    assert "不在您的辖区内" in page.text_content(".picker__status")
    assert page.input_value("#cp-estate") == ""

    # Its own estate: picked, outlined, named under the map.
    tap_estate(page, "cp-entry-map", estate)
    page.wait_for_selector(f"#cp-entry-map[data-picked='{estate.pk}']")
    assert page.input_value("#cp-estate") == str(estate.pk)
    assert estate.name in page.text_content("#cp-estate-picked")
    page.locator("#cp-entry-map").scroll_into_view_if_needed()
    shot(page, "entry-phone")
    page.click("#cp-entry button[type=submit]")
    page.wait_for_selector("#cp-entry-status a")
    complaint = Complaint.objects.get(created_by=worker)
    assert (complaint.estate_id, complaint.community_id, complaint.street_id) == (
        estate.pk, community.pk, community.parent_id)
    assert complaint.location is not None
    assert page.errors == []


def test_a_planner_confirms_an_order_by_tapping_its_estate(live_server, demo_city, page):
    planner = User.objects.get(username="planner")
    district = planner.profile.district
    order = complaint_create(user=planner, channel="hotline_12345", order_no="MAP-0001",
                             received_at=timezone.now() - datetime.timedelta(hours=3),
                             caller_words="楼顶漏水，雨天家里滴水", address_text="幸福路附近老小区")
    assert order.estate_id is None
    target = Estate.objects.filter(community__parent__parent=district).order_by("-code").first()
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in_to_complaints(page, live_server, "planner")
    page.click("[data-tab=confirm]")
    card = f"#cp-confirm-list [data-complaint='{order.pk}']"
    page.wait_for_selector(card)
    page.wait_for_selector("#cp-confirm-map[data-ready=true]")
    page.click(f"{card} [data-action=pick-on-map]")
    assert "MAP-0001" in page.text_content("#cp-confirm-for")
    assert "is-active" in page.get_attribute(card, "class")
    tap_estate(page, "cp-confirm-map", target)
    page.wait_for_selector(f"#cp-confirm-map[data-picked='{target.pk}']")
    page.wait_for_selector("#cp-confirm-pickbar:not([hidden])")
    assert target.name in page.text_content("#cp-confirm-picked")
    assert "MAP-0001" in page.text_content("#cp-confirm-picked")
    shot(page, "confirm")
    order.refresh_from_db()
    assert order.estate_id is None  # nothing is written before the person confirms
    with page.expect_navigation():
        page.click("#cp-confirm-pick")
    page.wait_for_selector("#cp-confirm-list[data-state=ready]")
    order.refresh_from_db()
    assert (order.estate_id, order.community_id) == (target.pk, target.community_id)
    assert target.name in page.text_content(".rg-messages")
    assert page.locator(card).count() == 0
    assert page.errors == []
