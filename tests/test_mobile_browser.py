"""The phone app in a phone browser (Android and iPhone profiles, mocked position): marking buildings offline, the
outbox sending them once each even when the first answers are lost, a 409 shown, the offline map served offline."""
import base64
import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from layers.models import AbandonmentEvent, AbandonmentReport, AdminArea, AdminLevel, Building, IdempotentRequest
from layers.services.abandonment import abandonment_report_create

from .browser_helpers import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)
ARTIFACTS = Path(os.environ.get("ARTIFACTS", "/tmp/geoapp-artifacts"))

# Playwright's device descriptors (playwright/…/deviceDescriptorsSource.json), run in Chromium.
ANDROID = {"viewport": {"width": 393, "height": 727}, "device_scale_factor": 2.75, "is_mobile": True,
           "has_touch": True, "user_agent": "Mozilla/5.0 (Linux; Android 11; Pixel 5) AppleWebKit/537.36 "
           "(KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36"}
IPHONE = {"viewport": {"width": 390, "height": 664}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True,
          "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 15_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
          "Gecko) Version/15.0 Mobile/15E148 Safari/604.1"}
REPORT_URL = "**/api/buildings/*/abandonment-reports/"


def street_and_buildings():
    street = AdminArea.objects.filter(level=AdminLevel.STREET).order_by("code").first()
    buildings = list(Building.objects.filter(estate__community__parent=street, abandonment="none").order_by("code"))
    return street, buildings


def lonlat(building):
    p = building.geom.point_on_surface.transform(4326, clone=True)
    return p.x, p.y


def phone(browser, live_server, device, username, at, service_workers="block"):
    lon, lat = at
    context = browser.new_context(**device, locale="zh-CN", geolocation={"longitude": lon, "latitude": lat,
                                  "accuracy": 8}, permissions=["geolocation"], service_workers=service_workers)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server.url}/accounts/login/?next=/m/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".login__form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/m/")
    page.wait_for_selector("#m-buildings .m-item")
    return context, page


def a_jpeg(page) -> bytes:
    data = page.evaluate("""async () => {
        const c = document.createElement("canvas"); c.width = 2400; c.height = 1800;
        const g = c.getContext("2d"); g.fillStyle = "#8d6e63"; g.fillRect(0, 0, 2400, 1800);
        g.fillStyle = "#fff"; g.fillRect(300, 300, 900, 600);
        const blob = await new Promise((r) => c.toBlob(r, "image/jpeg", 0.9));
        const bytes = new Uint8Array(await blob.arrayBuffer()); let s = "";
        for (const b of bytes) s += String.fromCharCode(b); return btoa(s);
    }""")
    return base64.b64decode(data)


def mark(page, index, photo):
    page.click("nav.m-tabs button[data-tab=near]")
    page.locator("#m-buildings .m-item").nth(index).click()
    page.wait_for_selector("#tab-mark:not([hidden])")
    page.select_option("#m-reason", "enterprise_left")
    page.fill("#m-text", f"楼道无人管理 {index}")
    page.set_input_files("#m-photos", files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    page.wait_for_selector("#m-photo-list li")
    page.click("#m-report-submit")
    page.wait_for_function("() => document.getElementById('m-report-message').textContent.length > 0")


def outbox_states(page):
    page.click("nav.m-tabs button[data-tab=outbox]")
    page.wait_for_timeout(300)
    return page.eval_on_selector_all("#m-outbox li", "els => els.map(e => e.dataset.state)")


@pytest.mark.parametrize("device", [ANDROID, IPHONE], ids=["android", "iphone"])
def test_offline_reports_reach_the_server_once_each_even_when_the_first_answers_are_lost(
        browser, live_server, demo_city, device):
    AbandonmentEvent.objects.all().delete()
    AbandonmentReport.objects.all().delete()
    street, buildings = street_and_buildings()
    context, page = phone(browser, live_server, device, f"street-{street.code}", lonlat(buildings[0]))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = "android" if device is ANDROID else "iphone"
    page.screenshot(path=str(ARTIFACTS / f"m-near-{name}.png"))
    nearest = page.eval_on_selector_all("#m-buildings .m-item span:first-child", "els => els.map(e => e.textContent)")
    photo = a_jpeg(page)

    context.set_offline(True)
    mark(page, 0, photo)
    mark(page, 1, photo)
    assert outbox_states(page) == ["waiting", "waiting"]
    page.screenshot(path=str(ARTIFACTS / f"m-outbox-offline-{name}.png"))
    assert AbandonmentReport.objects.count() == 0

    handled = []

    def drop_answer(route):
        response = route.fetch()  # the server handles the request …
        handled.append(response.status)
        route.abort("connectionreset")  # … and the phone never hears back

    page.route(REPORT_URL, drop_answer)
    context.set_offline(False)
    page.wait_for_function("() => document.querySelector('#m-outbox .m-error') !== null", timeout=15000)
    assert handled == [201]  # the first was stored; the outbox stops at the failure and keeps its order
    assert AbandonmentReport.objects.count() == 1
    page.unroute(REPORT_URL)
    page.click("#m-sync")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#m-outbox li')].every(li => li.dataset.state === 'sent')", timeout=15000)
    page.screenshot(path=str(ARTIFACTS / f"m-outbox-sent-{name}.png"))

    reports = AbandonmentReport.objects.order_by("pk")
    assert reports.count() == 2
    assert sorted(str(r.building) for r in reports) == sorted(nearest[:2])
    user = User.objects.get(username=f"street-{street.code}")
    assert IdempotentRequest.objects.filter(user=user).count() == 2
    for report in reports:
        assert report.photos.count() == 1
        stored = report.photos.get()
        assert stored.content_type == "image/jpeg" and stored.taken_at is not None
        assert report.accuracy_m == 8 and report.distance_m is not None
    assert not page.errors
    context.close()


def test_an_open_report_is_a_conflict_the_user_decides_on(browser, live_server, demo_city):
    AbandonmentEvent.objects.all().delete()
    AbandonmentReport.objects.all().delete()
    street, buildings = street_and_buildings()
    context, page = phone(browser, live_server, IPHONE, f"street-{street.code}", lonlat(buildings[0]))
    first = page.eval_on_selector("#m-buildings .m-item span:first-child", "e => e.textContent")
    target = next(b for b in buildings if str(b) == first)
    abandonment_report_create(user=User.objects.get(username="planner"), building_id=target.pk,
                              abandoned_since=__import__("datetime").date(2025, 1, 1), reason="other")
    mark(page, 0, a_jpeg(page))
    page.click("nav.m-tabs button[data-tab=outbox]")
    page.wait_for_selector("#m-outbox li[data-state=conflict]", timeout=15000)
    assert "已有" in page.inner_text("#m-outbox li[data-state=conflict] .m-error")
    page.screenshot(path=str(ARTIFACTS / "m-conflict-iphone.png"))
    assert AbandonmentReport.objects.filter(building=target).count() == 1
    page.click("#m-outbox li[data-state=conflict] button:has-text('放弃')")
    page.wait_for_function("() => !document.querySelector('#m-outbox li[data-state=conflict]')")
    context.close()


def test_the_offline_map_serves_cached_tiles_with_the_network_off(browser, live_server, demo_city, settings):
    street, buildings = street_and_buildings()
    context, page = phone(browser, live_server, ANDROID, f"street-{street.code}", lonlat(buildings[0]),
                          service_workers="allow")
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("() => !!navigator.serviceWorker.controller", timeout=15000)
    page.click("nav.m-tabs button[data-tab=offline]")
    page.click("#m-offline-estimate")
    page.wait_for_function("() => !document.getElementById('m-offline-download').disabled", timeout=30000)
    page.click("#m-offline-download")
    page.wait_for_function("() => /已下载/.test(document.getElementById('m-offline-status').textContent)",
                           timeout=120000)
    page.screenshot(path=str(ARTIFACTS / "m-offline-android.png"))
    tile = page.evaluate("""() => {
        const c = window.mobileApp.config; const [minx, miny, maxx, maxy] = c.area.bbox;
        const z = 16, lon = (minx + maxx) / 2, lat = (miny + maxy) / 2, r = lat * Math.PI / 180;
        const x = Math.floor((lon + 180) / 360 * 2 ** z);
        const y = Math.floor((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2 * 2 ** z);
        return `/tiles/buildings/${z}/${x}/${y}.mvt`; }""")
    context.set_offline(True)
    status = page.evaluate("async (u) => { const r = await fetch(u); return [r.status, (await r.arrayBuffer()).byteLength]; }",
                           tile)
    assert status[0] == 200
    missing = page.evaluate("async () => { try { await fetch('/tiles/buildings/18/1/1.mvt'); return 'fetched'; }"
                            " catch (e) { return 'failed'; } }")
    assert missing == "failed"  # not downloaded: no network, so the answer above came from the offline map
    page.click("nav.m-tabs button[data-tab=near]")
    page.wait_for_timeout(800)
    page.screenshot(path=str(ARTIFACTS / "m-map-offline-android.png"))
    context.close()
