"""In Chromium: every main page works under the Content-Security-Policy, and an administrator reads the audit log."""
from pathlib import Path

from .browser_helpers import log_in

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

# Collects what the browser refused under the policy (also reported on the console, in page.errors).
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


def test_main_pages_run_under_the_policy_and_the_maps_draw(page, live_server, demo_city):
    from layers.models import ManagementArea, TakeoverPlan

    area = ManagementArea.objects.order_by("pk").first()
    plan = TakeoverPlan.objects.order_by("pk").first()
    page.add_init_script(WATCH_CSP)
    log_in(page, live_server, "admin")  # the map page itself, drawn (body[data-map-ready=true])
    assert page.locator("#map .leaflet-tile-container canvas, #map .leaflet-overlay-pane path").count() > 0
    assert page.evaluate("window.__csp") == []

    pages = {
        "/dashboard/": "#db-controls",
        "/service/": "body[data-map-ready=true]",
        "/enterprises/": "#enterprise-table",
        "/plans/": "body",
        "/imports/": "body",
        "/abandonment/": "body",
        "/reports/coverage/": "#report-map .leaflet-overlay-pane path",
        f"/management-areas/{area.pk}/": "#detailmap .leaflet-overlay-pane path",  # detail_map.js drew the area
        "/audit/": "#audit-table",
        "/api/docs/": ".opblock",
        "/admin/": "#content",
        f"/admin/layers/managementarea/{area.pk}/change/": ".leaflet-container .leaflet-overlay-pane path",
    }
    if plan is not None:
        pages[f"/plans/{plan.pk}/"] = "#plan-map.leaflet-container"
    for path, ready in pages.items():
        page.goto(f"{live_server.url}{path}")
        page.wait_for_selector(ready, state="attached")
        page.wait_for_load_state("load")
        assert page.evaluate("window.__csp") == [], path
        assert not page.errors, (path, page.errors)


def test_administrator_reads_and_filters_the_audit_log(page, live_server, demo_city):
    from django.contrib.auth.models import User
    from django.utils import translation

    from layers.models import AuditEvent, AuditKind

    AuditEvent.objects.create(kind=AuditKind.LOGIN_FAILED, username="intruder", ip="10.9.8.7", detail="")
    log_in(page, live_server, "admin")
    # The administrator's bar (nine links and "More") stays clear of the language switch, down to 1280 px.
    for width in (1400, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        nav_right = page.evaluate("document.querySelector('.topbar__more').getBoundingClientRect().right")
        lang_left = page.evaluate("document.querySelector('.topbar__lang').getBoundingClientRect().left")
        assert nav_right < lang_left, (width, nav_right, lang_left)
    page.click(".topbar__more summary")  # the administrator's tools sit under "More"
    page.click("a[data-nav=audit]")
    page.wait_for_selector("#audit-table")
    # Labels in the page's language, zh-hans (translated by locale/; the English text until the integrator adds it).
    with translation.override("zh-hans"):
        title, failed_login = translation.gettext("Audit log"), str(AuditKind.LOGIN_FAILED.label)
    assert page.title() == title
    # The administrator's own log-in is the newest line.
    first = page.locator("#audit-table tbody tr").first
    assert first.get_attribute("data-kind") == "login" and "admin" in first.inner_text()
    page.select_option("#au-kind", "login_failed")
    page.fill("#au-user", "intruder")
    page.click(".rg-toolbar button[type=submit]")
    page.wait_for_url("**/audit/?kind=login_failed&user=intruder*")
    rows = page.locator("#audit-table tbody tr")
    assert rows.count() == 1 and "10.9.8.7" in rows.first.inner_text() and failed_login in rows.first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "audit-log.png"))
    assert not page.errors, page.errors
    assert User.objects.filter(username="admin").exists()
