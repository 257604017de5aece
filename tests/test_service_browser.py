"""The service page in headless Chromium: a planner assigns a caretaker to a drawn box, takes a nearby candidate for
an uncovered estate, and works the renovated-without-enterprise list down; each checked in the database and on the page."""
from pathlib import Path

import pytest
from django.contrib.gis.geos import Polygon
from django.db import connection
from django.utils import timezone

from layers.models import (
    CaretakerAgency,
    CaretakerKind,
    EnterpriseJurisdiction,
    Estate,
    ServiceContract,
)

from .browser_helpers import log_in, pixel

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def open_service_page(page, live_server, username="planner"):
    log_in(page, live_server, username)
    page.goto(f"{live_server.url}/service/")
    page.wait_for_selector("body[data-map-ready=true]")
    page.wait_for_selector("body[data-worklist-ready=true]")


def count_of(page, name):
    return int(page.get_attribute(f"[data-count-of={name}]", "data-count"))


def status(estate_id):
    return Estate.objects.with_service_status().get(pk=estate_id).service_status


def uncovered_in_box(box: Polygon) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.id FROM layers_estate e WHERE ST_Intersects(ST_PointOnSurface(e.geom), ST_GeomFromEWKT(%s)) "
            "AND layers_service_status(e.id, %s) = 'none'",
            [box.ewkt, timezone.localdate()],
        )
        return {row[0] for row in cursor.fetchall()}


def test_planner_draws_a_box_around_uncovered_estates_and_assigns_a_caretaker(demo_city, live_server, page):
    ARTIFACTS.mkdir(exist_ok=True)
    # Two uncovered estates next to each other (nearest pair): the box spans both.
    uncovered = list(Estate.objects.uncovered().order_by("code"))
    first = uncovered[0]
    second = min(uncovered[1:], key=lambda e: e.geom.distance(first.geom))
    minx, miny, maxx, maxy = first.geom.union(second.geom).extent
    pad = 0.0002
    box = Polygon.from_bbox((minx - pad, miny - pad, maxx + pad, maxy + pad))
    box.srid = 4490
    expected = uncovered_in_box(box)
    assert {first.pk, second.pk} <= expected
    agency = CaretakerAgency.objects.filter(kind=CaretakerKind.CUSTODIAN_ENTERPRISE).order_by("pk").first()

    open_service_page(page, live_server)
    page.screenshot(path=str(ARTIFACTS / "service_worklists.png"))
    before = count_of(page, "uncovered")
    page.evaluate("([b]) => window.geoappMap.fitBounds([[b[1], b[0]], [b[3], b[2]]], {padding: [120, 120], animate: false})",
                  [box.extent])
    page.wait_for_timeout(300)
    tile_requests = []
    page.on("request", lambda r: tile_requests.append(r.url) if "/tiles/estates/" in r.url and "v=" in r.url else None)

    page.click("#select-box")
    x0, y0 = pixel(page, box.extent[0], box.extent[3])
    x1, y1 = pixel(page, box.extent[2], box.extent[1])
    page.mouse.move(x0, y0, steps=3)
    page.mouse.click(x0, y0)
    page.mouse.move(x1, y1, steps=8)
    page.mouse.click(x1, y1)
    page.wait_for_selector("#service-card[data-card=assign]")
    page.select_option("#assign-provider", "caretaker_agency")
    page.select_option("#assign-agency", str(agency.pk))
    page.fill("#assign-note", "街道托底")
    page.click("#assign-check")
    page.wait_for_selector("#assign-status[data-state=ok]")
    assert not ServiceContract.objects.filter(estate_id__in=expected, start_date=timezone.localdate()).exists()
    page.screenshot(path=str(ARTIFACTS / "service_box_assign.png"))
    page.click("#assign-submit")
    page.wait_for_selector("#assign-status[data-assigned]")
    page.wait_for_selector("body[data-worklist-ready=true]")

    assigned = set(map(int, page.get_attribute("#service-card", "data-assigned-estates").split(",")))
    assert assigned == expected
    contracts = ServiceContract.objects.filter(estate_id__in=expected, caretaker_agency=agency, note="街道托底")
    assert contracts.count() == len(expected)
    assert all(status(pk) == "caretaker" for pk in expected)
    page.wait_for_function(f"() => Number(document.querySelector('[data-count-of=uncovered]').dataset.count) === {before - len(expected)}")
    assert page.locator(f"#worklist-rows [data-estate-id='{first.pk}']").count() == 0
    page.wait_for_timeout(500)
    assert tile_requests, "the estates' tiles were not asked for again (no recolouring)"
    page.screenshot(path=str(ARTIFACTS / "service_box_assigned.png"))
    assert not page.errors, page.errors


def test_planner_assigns_the_first_nearby_candidate(demo_city, live_server, page):
    ARTIFACTS.mkdir(exist_ok=True)
    open_service_page(page, live_server)
    row = page.locator("#worklist-rows li[data-estate-id]").first
    estate_id = int(row.get_attribute("data-estate-id"))
    row.locator("[data-action=nearby]").click()
    page.wait_for_selector("#candidate-list li[data-enterprise-id]")
    candidates = page.locator("#candidate-list li[data-enterprise-id]")
    assert candidates.count() >= 2
    ranks = [int(candidates.nth(i).get_attribute("data-rank")) for i in range(candidates.count())]
    assert ranks == list(range(1, len(ranks) + 1))
    first_enterprise = int(candidates.first.get_attribute("data-enterprise-id"))
    # The candidates' territories are drawn on the map, the first in the first candidate colour.
    assert page.locator(".leaflet-overlay-pane path[stroke='#e6007e']").count() >= 1
    assert page.locator(".service__rank").count() == candidates.count()  # each rank pinned on its territory
    assert page.locator(".service__rank").first.inner_text() == "1"
    page.screenshot(path=str(ARTIFACTS / "service_candidates.png"))

    candidates.first.locator("[data-action=pick]").click()
    page.wait_for_selector("#service-card[data-card=assign]")
    assert page.input_value("#assign-provider") == "enterprise"
    assert page.input_value("#assign-enterprise") == str(first_enterprise)
    assert page.input_value("#assign-mode") == "nearby"
    page.click("#assign-submit")
    page.wait_for_selector("#assign-status[data-assigned='1']")

    contract = ServiceContract.objects.get(estate_id=estate_id, start_date=timezone.localdate())
    assert contract.mode == "nearby" and contract.enterprise_id == first_enterprise
    assert status(estate_id) == "enterprise"
    territory = EnterpriseJurisdiction.objects.get(pk=first_enterprise)
    assert territory.geom.covers(Estate.objects.get(pk=estate_id).geom.point_on_surface)
    page.wait_for_selector("body[data-worklist-ready=true]")
    assert page.locator(f"#worklist-rows [data-estate-id='{estate_id}']").count() == 0
    assert not page.errors, page.errors


def test_renovated_estate_listed_until_a_fallback_is_assigned(demo_city, live_server, page):
    open_service_page(page, live_server)
    page.click("[data-worklist=renovated]")
    page.wait_for_selector("body[data-worklist-ready=true]")
    page.wait_for_selector("#worklist-rows li[data-estate-id]")
    before = count_of(page, "renovated")
    row = page.locator("#worklist-rows li[data-estate-id]").first
    estate_id = int(row.get_attribute("data-estate-id"))
    assert status(estate_id) not in ("enterprise", "caretaker")
    page.screenshot(path=str(ARTIFACTS / "service_renovated.png"))
    # From the map: the row's "map" button zooms to the estate and opens its popup, whose button opens the form.
    row.locator("[data-action=show]").click()
    page.wait_for_selector(".leaflet-popup [data-action=popup-assign]")
    page.click(".leaflet-popup [data-action=popup-assign]")
    page.wait_for_selector("#service-card[data-card=assign]")
    assert str(Estate.objects.get(pk=estate_id).name) in page.inner_text("#assign-target")
    page.select_option("#assign-provider", "district_fallback")
    # Self-governed estates on this list need the replace box (their self-governance ends where the fallback starts).
    if status(estate_id) == "self_governed":
        page.check("#assign-replace")
    page.click("#assign-submit")
    page.wait_for_selector("#assign-status[data-assigned='1']")
    page.wait_for_selector("body[data-worklist-ready=true]")
    assert status(estate_id) == "caretaker"
    assert ServiceContract.objects.get(estate_id=estate_id, start_date=timezone.localdate()).provider_kind == \
        "district_fallback"
    page.wait_for_function(f"() => Number(document.querySelector('[data-count-of=renovated]').dataset.count) === {before - 1}")
    assert page.locator(f"#worklist-rows [data-estate-id='{estate_id}']").count() == 0
    assert not page.errors, page.errors


def test_street_office_sees_its_street_and_no_assign_action(demo_city, live_server, page):
    ARTIFACTS.mkdir(exist_ok=True)
    from django.contrib.auth.models import User

    street = User.objects.get(username="street-230112001").profile.street
    open_service_page(page, live_server, "street-230112001")
    assert page.locator("#worklist-street").count() == 0
    assert page.locator("#select-box").count() == 0
    rows = page.locator("#worklist-rows li[data-estate-id]")
    assert rows.count() > 0
    ids = [int(rows.nth(i).get_attribute("data-estate-id")) for i in range(rows.count())]
    assert set(Estate.objects.filter(pk__in=ids).values_list("community__parent", flat=True)) == {street.pk}
    assert page.locator("#worklist-rows [data-action=assign]").count() == 0
    page.screenshot(path=str(ARTIFACTS / "service_street_office.png"))
    assert not page.errors, page.errors


def test_planner_ends_a_contract_from_the_estate_popup(demo_city, live_server, page):
    today = timezone.localdate()
    contract = (ServiceContract.objects.filter(end_date__isnull=True, start_date__lt=today, provider_kind="enterprise",
                                               estate__build_year__lte=2010)
                .select_related("estate").order_by("estate__code").first())
    estate = contract.estate
    # A point of the estate outside its buildings (the buildings' layer lies above the estates').
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(ST_Difference(e.geom, "
            "COALESCE(ST_Buffer(ST_Union(b.geom), 0.00003), 'POLYGON EMPTY'::geometry))) AS p "
            "FROM layers_estate e LEFT JOIN layers_building b ON b.estate_id = e.id WHERE e.id = %s GROUP BY e.id) s",
            [estate.pk],
        )
        lon, lat = cursor.fetchone()
    open_service_page(page, live_server)
    before = count_of(page, "uncovered")
    page.evaluate("([lat, lon]) => window.geoappMap.setView([lat, lon], 17, {animate: false})", [lat, lon])
    page.wait_for_timeout(1500)  # the estates' tiles at that zoom
    page.mouse.click(*pixel(page, lon, lat))
    page.wait_for_selector(".leaflet-popup [data-action=popup-history]")
    page.click(".leaflet-popup [data-action=popup-history]")
    row = page.locator(f"#service-card[data-card=history] [data-contract-id='{contract.pk}']")
    row.wait_for()
    row.locator("[data-field=end_date]").fill(today.isoformat())
    row.locator("[data-field=reason]").fill("企业退出")
    row.locator("[data-action=end]").click()
    page.wait_for_function(f"() => Number(document.querySelector('[data-count-of=uncovered]').dataset.count) === {before + 1}")
    contract.refresh_from_db()
    assert contract.end_date == today and status(estate.pk) == "none"
    from django.contrib.auth.models import User

    from layers.selectors.worklists import worklist_get

    listed = worklist_get(user=User.objects.get(username="planner"), name="uncovered", per_page=200)
    assert estate.pk in listed.ids
    # The history now shows the contract ended today.
    page.wait_for_selector(f"[data-contract-id='{contract.pk}']:not(:has([data-action=end]))")
    page.screenshot(path=str(ARTIFACTS / "service_history.png"))
    assert not page.errors, page.errors


def test_planner_draws_a_lasso_and_assigns_self_governance(demo_city, live_server, page):
    estate = Estate.objects.uncovered().order_by("-code").first()
    minx, miny, maxx, maxy = estate.geom.extent
    pad = 0.0001
    # A four-cornered lasso (a diamond around the estate, wide enough to hold it), closed on its first corner.
    cx, cy, rx, ry = (minx + maxx) / 2, (miny + maxy) / 2, (maxx - minx) + pad, (maxy - miny) + pad
    corners = [(cx, cy + ry), (cx + rx, cy), (cx, cy - ry), (cx - rx, cy)]
    lasso = Polygon(corners + corners[:1], srid=4490)
    expected = uncovered_in_box(lasso)
    assert estate.pk in expected
    open_service_page(page, live_server)
    page.evaluate("([b]) => window.geoappMap.fitBounds([[b[1], b[0]], [b[3], b[2]]], {padding: [150, 150], animate: false})",
                  [lasso.extent])
    page.wait_for_timeout(300)
    page.click("#select-lasso")
    page.wait_for_timeout(200)
    for lon, lat in corners + corners[:1]:
        x, y = pixel(page, lon, lat)
        page.mouse.move(x, y, steps=4)
        page.mouse.click(x, y)
        page.wait_for_timeout(100)
    page.wait_for_selector("#service-card[data-card=assign]")
    page.select_option("#assign-provider", "community")
    page.click("#assign-submit")
    page.wait_for_selector("#assign-status[data-assigned]")
    assigned = set(map(int, page.get_attribute("#service-card", "data-assigned-estates").split(",")))
    assert assigned == expected
    assert all(status(pk) == "self_governed" for pk in expected)
    assert not page.errors, page.errors


def test_worklist_beyond_the_page_is_drawn_from_the_estate_tiles_with_tooltip_click_and_target(
        demo_city, live_server, page):
    """The answer carries the page's outlines and the whole list's ids and names: an estate of the list beyond the
    page is drawn from the estate vector tiles, names itself on hover, opens its popup on a click, and is outlined
    when the assignment form is opened for it."""
    ARTIFACTS.mkdir(exist_ok=True)
    answers = []
    page.on("response", lambda r: answers.append(r) if "/api/service/worklists/" in r.url else None)
    open_service_page(page, live_server)
    body = answers[-1].json()
    assert len(body["ids"]) == len(body["names"]) == body["count"] == count_of(page, "uncovered") > len(body["rows"])
    assert [f["id"] for f in body["features"]["features"]] == [r["id"] for r in body["rows"]] == \
        body["ids"][:len(body["rows"])]
    assert page.evaluate("document.body.dataset.worklistShown") == str(body["count"])
    page.evaluate("() => window.geoappService.layers.setVisible('buildings', false)")  # they lie above the list
    # An estate of the list beyond the page, away from the page's estates (a tooltip of theirs would be ambiguous).
    on_page = Estate.objects.filter(pk__in=body["ids"][:len(body["rows"])])
    later = [e for e in Estate.objects.filter(pk__in=body["ids"][len(body["rows"]):])
             if all(e.geom.distance(o.geom) > 0.002 for o in on_page)]
    estate = max(later, key=lambda e: e.geom.area)
    assert body["names"][body["ids"].index(estate.pk)] == estate.name
    point = estate.geom.point_on_surface
    page.evaluate("([lat, lon]) => window.geoappMap.setView([lat, lon], 16, {animate: false})", [point.y, point.x])
    page.wait_for_function("document.querySelectorAll('.leaflet-geoapp-worklist-tiles-pane path').length > 0")
    page.wait_for_load_state("networkidle")
    # Only the list's estates: no more outlines than the estates layer's below.
    drawn = page.evaluate("document.querySelectorAll('.leaflet-geoapp-worklist-tiles-pane path').length")
    assert drawn <= page.evaluate("document.querySelectorAll('.leaflet-geoapp-estates-pane path').length")
    x, y = pixel(page, point.x, point.y)
    page.mouse.move(x - 6, y - 6)
    page.mouse.move(x, y, steps=3)
    page.locator(".leaflet-tooltip").filter(has_text=estate.name).wait_for(timeout=5_000)
    page.mouse.click(x, y)
    title = page.locator(".leaflet-popup .popup__title")
    title.wait_for(timeout=10_000)
    assert title.inner_text() == estate.name
    page.click(".leaflet-popup [data-action=popup-assign]")
    page.wait_for_selector(f"#service-card[data-target-estate='{estate.pk}']")
    page.wait_for_function("[...document.querySelectorAll('.leaflet-geoapp-worklist-tiles-pane path')]"
                           ".some((p) => p.getAttribute('stroke') === '#0d47a1')")
    page.screenshot(path=str(ARTIFACTS / "service_worklist_tiles.png"))
    assert not page.errors, page.errors
