"""A street office inspects an estate of its street with the district's checklist (desktop and phone, position from
the browser), and the score shows on the estate's page and in its map pop-up (docs/INSPECTIONS.md)."""
import os

import pytest

from layers.models import AdminArea, Estate, Inspection, InspectionPhoto

from .browser_helpers import log_in

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = os.environ.get("SCREENSHOTS", "/tmp/inspect_shots")
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def the_street():
    return AdminArea.objects.filter(level="street").order_by("code").first()


def test_street_office_inspects_an_estate_and_sees_the_score_on_its_page(browser, live_server, demo_city):
    street = the_street()
    estate = Estate.objects.filter(community__parent=street).order_by("code").first()
    before = Inspection.objects.filter(estate=estate).count()
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN",
                                  geolocation={"latitude": 45.75, "longitude": 126.63, "accuracy": 15},
                                  permissions=["geolocation"])
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    log_in(page, live_server, f"street-{street.code}")
    page.goto(f"{live_server.url}/inspections/?estate={estate.pk}")
    assert page.locator("#inspect-form").get_attribute("open") is not None
    assert page.locator(".in-item").count() == 8
    page.locator("#score-" + str(estate.community.parent.parent.checklists.get(active=True).items.get(
        name="消防通道").pk)).fill("5")
    page.wait_for_function("document.querySelector('#in-lon').value !== ''")
    assert page.locator("#in-total").inner_text().replace(" ", "").replace(",", "") == "90/100"
    page.locator(".in-item").nth(3).locator("input[type=file]").set_input_files(
        {"name": "fire.png", "mimeType": "image/png", "buffer": PNG})
    page.fill("#in-note", "消防通道堆放杂物")
    shot(page, "inspection_form_desktop")
    page.click("#inspect-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/estates/{estate.pk}/#inspections")
    inspection = Inspection.objects.filter(estate=estate).order_by("-id").first()
    assert Inspection.objects.filter(estate=estate).count() == before + 1
    assert (inspection.total_score, inspection.max_score) == (90, 100)
    assert inspection.location is not None and inspection.accuracy_m == 15
    assert InspectionPhoto.objects.filter(inspection=inspection, item__name="消防通道").count() == 1
    first_row = page.locator(".related-inspections tbody tr").first
    assert "90.0%" in first_row.inner_text() and "(90/100)" in first_row.inner_text()
    shot(page, "estate_page_inspections")
    # The map's pop-up of the estate shows the last score too.
    popup = page.request.get(f"{live_server.url}/api/features/estate/{estate.pk}/").json()
    assert ["最近巡查", f"{inspection.inspected_on:%Y-%m-%d} · 90.0%"] in popup["fields"]
    assert page.errors == []
    context.close()


def test_phone_inspection_without_position(browser, live_server, demo_city):
    """On a phone that refuses the position the inspection is saved without one; the form fits the screen."""
    street = the_street()
    estate = Estate.objects.filter(community__parent=street).order_by("code")[1]
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server, f"street-{street.code}")
    page.goto(f"{live_server.url}/inspections/?estate={estate.pk}")
    page.wait_for_function("document.querySelector('#in-position').textContent.includes('未取得位置')")
    width = page.evaluate("document.querySelector('.in-form').scrollWidth")
    assert width <= 390
    first = page.locator(".in-item input[type=number]").first
    first.fill("99")  # above the item's 15 points: refused by the server, the form comes back
    shot(page, "inspection_form_phone")
    page.click("#inspect-form button[type=submit]")
    assert page.locator(".in-error").inner_text().startswith("保洁")
    count = Inspection.objects.filter(estate=estate).count()
    page.locator(".in-item input[type=number]").first.fill("12")
    page.click("#inspect-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/estates/{estate.pk}/#inspections")
    latest = Inspection.objects.filter(estate=estate).order_by("-id").first()
    assert Inspection.objects.filter(estate=estate).count() == count + 1
    assert latest.location is None and latest.total_score == 97
    shot(page, "estate_page_phone")
    context.close()
