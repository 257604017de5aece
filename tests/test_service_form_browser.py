"""The service page's legend and assignment form in headless Chromium: the status colours are the map's, the form
names the streets of the selection and offers only the caretaker agencies that may serve there, and the server
refuses a street agency outside its street in Chinese."""
from pathlib import Path

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db import connection
from django.utils import timezone, translation

from layers.models import CaretakerAgency, CaretakerKind, Estate, ServiceContract, ServiceStatus
from layers.selectors.contracts import estates_in_selection, selection_streets
from layers.views.map import STATUS_COLOURS

from .browser_helpers import log_in, pixel

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def open_service_page(page, live_server):
    log_in(page, live_server, "planner")
    page.goto(f"{live_server.url}/service/")
    page.wait_for_selector("body[data-map-ready=true]")
    page.wait_for_selector("body[data-worklist-ready=true]")


def zh(text: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(text)


def nearest_pair_across_streets() -> tuple[int, int]:
    """Two uncovered estates of different streets, as close together as any such pair."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH u AS (
                SELECT e.id, e.geom, c.parent_id AS street FROM layers_estate e
                JOIN layers_adminarea c ON c.id = e.community_id
                WHERE layers_service_status(e.id, %s) = 'none')
            SELECT a.id, b.id FROM u a JOIN u b ON a.street < b.street
            ORDER BY ST_Distance(a.geom, b.geom), a.id, b.id LIMIT 1
            """,
            [timezone.localdate()],
        )
        return cursor.fetchone()


def test_service_page_legend_uses_the_map_status_colours(demo_city, live_server, page):
    ARTIFACTS.mkdir(exist_ok=True)
    open_service_page(page, live_server)
    items = page.evaluate(
        """() => [...document.querySelectorAll('#service-legend [data-legend=estates] .legend__item')].map((li) => ({
            label: li.textContent.trim(),
            colour: li.querySelector('.legend__swatch').style.getPropertyValue('--colour'),
        }))"""
    )
    with translation.override("zh-hans"):
        expected = {str(s.label): STATUS_COLOURS[s] for s in ServiceStatus}
    shown = {item["label"]: item["colour"] for item in items}
    assert {label: shown.get(label) for label in expected} == expected
    # The worklist rows' status badges take the same colours.
    badges = page.evaluate(
        """() => [...document.querySelectorAll('#worklist-rows .service__status')].map((b) => [
            [...b.classList].find((c) => c.startsWith('service__status--')).slice('service__status--'.length),
            b.style.getPropertyValue('--colour')])"""
    )
    assert badges
    assert all(colour == STATUS_COLOURS[status] for status, colour in badges)
    page.screenshot(path=str(ARTIFACTS / "service_legend.png"))
    assert not page.errors, page.errors


def test_assignment_form_names_the_streets_and_offers_only_fitting_agencies(demo_city, live_server, page):
    ARTIFACTS.mkdir(exist_ok=True)
    first_id, second_id = nearest_pair_across_streets()
    first, second = Estate.objects.get(pk=first_id), Estate.objects.get(pk=second_id)
    minx, miny, maxx, maxy = first.geom.union(second.geom).extent
    pad = 0.0002
    box = Polygon.from_bbox((minx - pad, miny - pad, maxx + pad, maxy + pad))
    box.srid = 4490
    selected = estates_in_selection(MultiPolygon(box, srid=4490), start_date=timezone.localdate(), include_served=False)
    streets = selection_streets(estate_ids=selected)
    assert len(streets) >= 2
    street_agencies = {a.pk: a.street_id for a in CaretakerAgency.objects.filter(kind=CaretakerKind.STREET_AGENCY)}
    custodians = set(CaretakerAgency.objects.filter(kind=CaretakerKind.CUSTODIAN_ENTERPRISE).values_list("pk", flat=True))

    open_service_page(page, live_server)
    page.evaluate("([b]) => window.geoappMap.fitBounds([[b[1], b[0]], [b[3], b[2]]], {padding: [120, 120], animate: false})",
                  [box.extent])
    page.wait_for_timeout(300)
    page.click("#select-box")
    x0, y0 = pixel(page, box.extent[0], box.extent[3])
    x1, y1 = pixel(page, box.extent[2], box.extent[1])
    page.mouse.move(x0, y0, steps=3)
    page.mouse.click(x0, y0)
    page.mouse.move(x1, y1, steps=8)
    page.mouse.click(x1, y1)
    page.wait_for_selector("#service-card[data-streets]")

    # "The 3 selected estates lie in: A、B": every street of the selection, and no street agency (none serves both).
    expected = zh("The %(count)s selected estates lie in: %(streets)s") % {
        "count": len(selected), "streets": zh(", ").join(s["name"] for s in streets)}
    assert page.inner_text("#assign-where") == expected
    page.select_option("#assign-provider", "caretaker_agency")
    offered = {int(v) for v in page.eval_on_selector_all("#assign-agency option", "os => os.map((o) => o.value)") if v}
    assert offered == custodians
    assert page.is_visible("#assign-agency-hint")
    page.screenshot(path=str(ARTIFACTS / "service_form_streets.png"))

    # One estate: its street, and that street's own agency among the custodians.
    page.click("#select-clear")
    page.evaluate("([id, name]) => window.geoappService.openForm({estate: {id, name}})", [first.pk, first.name])
    page.wait_for_selector("#service-card[data-streets]")
    street = first.community.parent
    assert page.inner_text("#assign-where") == zh("The %(count)s selected estates lie in: %(streets)s") % {
        "count": 1, "streets": street.name}
    page.select_option("#assign-provider", "caretaker_agency")
    offered = {int(v) for v in page.eval_on_selector_all("#assign-agency option", "os => os.map((o) => o.value)") if v}
    own = {pk for pk, street_id in street_agencies.items() if street_id == street.pk}
    assert own and offered == custodians | own
    assert not page.is_visible("#assign-agency-hint")

    # Another street's agency, smuggled into the form, is still refused by the server, in Chinese; nothing written.
    other = next(pk for pk, street_id in street_agencies.items() if street_id != street.pk)
    page.evaluate("(id) => { const s = document.getElementById('assign-agency'); const o = document.createElement('option');"
                  " o.value = String(id); o.textContent = 'x'; s.append(o); s.value = String(id); }", other)
    page.click("#assign-submit")
    page.wait_for_selector("#assign-status[data-state=error]")
    message = page.inner_text("#assign-status")
    assert "仅服务本街道" in message and first.name in message
    assert not ServiceContract.objects.filter(estate=first, caretaker_agency_id=other).exists()
    page.screenshot(path=str(ARTIFACTS / "service_form_refused.png"))
