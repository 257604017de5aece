"""The phone app in a phone browser: a new deployment's service worker is picked up (the "Update now" prompt, then
the new shell, offline too), and a sent report shows each photo's capture date and place as the server kept them."""
import pytest
from django.contrib.auth.models import User

from layers.models import AbandonmentEvent, AbandonmentReport
from layers.views import mobile

from .test_mobile_browser import ANDROID, ARTIFACTS, IPHONE, a_jpeg, lonlat, mark, phone, street_and_buildings

pytestmark = pytest.mark.django_db(transaction=True)

CACHES = "() => caches.keys()"


def test_a_new_deployment_is_offered_and_then_serves_the_new_shell(browser, live_server, demo_city, settings):
    settings.MOBILE_APP_RELEASE = "release-1"
    old = mobile.app_version()
    street, buildings = street_and_buildings()
    context, page = phone(browser, live_server, ANDROID, f"street-{street.code}", lonlat(buildings[0]),
                          service_workers="allow")
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("() => !!navigator.serviceWorker.controller", timeout=15000)
    assert page.evaluate("() => window.mobileApp.config.version") == old
    assert any(name.endswith(old) for name in page.evaluate(CACHES))
    assert page.is_hidden("#m-update")  # the first install takes the page without asking

    settings.MOBILE_APP_RELEASE = "release-2"  # the deployment: a new worker script and new cache names
    new = mobile.app_version()
    assert new != old
    # The app comes back to the front (what a phone does after a while in the pocket): it looks for a new worker.
    page.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
    page.wait_for_selector("#m-update:not([hidden])", timeout=30000)
    assert page.is_visible("#m-update-now")  # on the tab the user is on, not only under 离线
    assert page.evaluate("() => window.mobileApp.config.version") == old  # nothing reloaded under the user's thumb
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "m-update-android.png"))

    with page.expect_navigation():
        page.click("#m-update-now")  # SKIP_WAITING, then the page reloads on controllerchange
    page.wait_for_selector("#m-buildings .m-item")
    assert page.evaluate("() => window.mobileApp.config.version") == new
    names = page.evaluate(CACHES)
    assert any(name.endswith(new) for name in names) and not any(name.endswith(old) for name in names)
    assert page.is_hidden("#m-update")

    context.set_offline(True)  # the shell now comes from the new worker's caches
    page.reload()
    page.wait_for_selector("#m-version", state="attached")
    assert new in page.text_content("#m-version")
    assert not page.errors
    context.close()


def test_a_sent_report_shows_each_photos_date_and_place(browser, live_server, demo_city):
    AbandonmentEvent.objects.all().delete()
    AbandonmentReport.objects.all().delete()
    street, buildings = street_and_buildings()
    at = lonlat(buildings[0])
    context, page = phone(browser, live_server, IPHONE, f"street-{street.code}", at)
    mark(page, 0, a_jpeg(page))
    page.click("nav.m-tabs button[data-tab=outbox]")
    page.wait_for_selector("#m-outbox li[data-state=sent] .m-view-report", timeout=20000)
    page.click("#m-outbox li[data-state=sent] .m-view-report")
    page.wait_for_selector("#m-outbox .m-report .m-photo-at")
    report = AbandonmentReport.objects.get(reported_by=User.objects.get(username=f"street-{street.code}"))
    photo = report.photos.get()
    assert photo.taken_at is not None and photo.location is not None  # the resized photo kept its date and place
    assert abs(photo.location.x - at[0]) < 1e-5 and abs(photo.location.y - at[1]) < 1e-5
    where = page.inner_text("#m-outbox .m-report .m-photo-where")
    assert f"{at[1]:.5f}" in where and f"{at[0]:.5f}" in where
    shown_at = page.inner_text("#m-outbox .m-report .m-photo-at")
    assert str(photo.taken_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai")).year) in shown_at
    page.wait_for_function("() => document.querySelector('#m-outbox .m-report img').complete")  # loaded or failed
    assert page.evaluate("() => document.querySelector('#m-outbox .m-report img').naturalWidth") > 0, \
        page.evaluate("() => document.querySelector('#m-outbox .m-report img').src")
    page.screenshot(path=str(ARTIFACTS / "m-report-photos-iphone.png"), full_page=True)
    assert not page.errors
    context.close()
