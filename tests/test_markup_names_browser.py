"""Names are text, never markup: a planner (or an import) may store a name with HTML in it; every page, tooltip and
popup that shows the name shows those characters and creates no element from them."""
from pathlib import Path

import pytest
from django.db.models import F, Value
from django.db.models.functions import Concat, Left

from layers.models import AdminArea, Enterprise, Estate, ManagementArea, TakeoverPlan

from .browser_helpers import log_in, pixel

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

# Each family's names get its own markup in front; an element with an id starting "injected" means a name was parsed.
MARKUP = {
    "enterprise": "<img src=x id=injected-enterprise>",
    "estate": "<b id=injected-estate>",
    "area": "<img src=x id=injected-area>",
    "admin": "<b id=injected-admin>",
}

# Opens the tooltip of every layer on window.geoappMap whose tooltip would show `marker` (at most `limit`).
OPEN_TOOLTIPS = """([marker, limit]) => {
    let opened = 0;
    window.geoappMap.eachLayer((layer) => {
        const tip = layer.getTooltip && layer.getTooltip();
        if (!tip || opened >= limit) return;
        let content = tip.getContent();
        if (typeof content === "function") content = content(layer);
        const text = typeof content === "string" ? content : (content && content.textContent) || "";
        if (!text.includes(marker)) return;
        layer.openTooltip();
        opened += 1;
    });
    return opened;
}"""

SHOWN_AS_TEXT = """([selector, marker]) =>
    [...document.querySelectorAll(selector)].some((node) => node.textContent.includes(marker))"""


def prefix_names(model, markup, **filters):
    """Put `markup` in front of every name (within the field's length)."""
    length = model._meta.get_field("name").max_length
    return model.objects.filter(**filters).update(name=Left(Concat(Value(markup), F("name")), length))


class Findings(list):
    """What went wrong, page by page: one run lists every place that parses names, not only the first."""

    def no_markup(self, page, where):
        injected = page.evaluate("() => [...document.querySelectorAll('[id^=injected]')].map((n) => n.outerHTML)")
        if injected:
            self.append(f"{where}: names parsed as HTML: {injected}")

    def shown(self, page, where, selector, family):
        if not page.evaluate(SHOWN_AS_TEXT, [selector, MARKUP[family]]):
            self.append(f"{where}: no {selector} shows the {family} name as text")

    def tooltips(self, page, where, family, limit=12):
        """Open the map's tooltips that name a `family` object; they must show the name as text."""
        if not page.evaluate(OPEN_TOOLTIPS, [MARKUP[family], limit]):
            self.append(f"{where}: no tooltip on the map names an {family}")
        page.wait_for_timeout(100)
        self.shown(page, where, ".leaflet-tooltip", family)


def test_names_with_markup_are_shown_as_text_everywhere(page, live_server, demo_city):
    ARTIFACTS.mkdir(exist_ok=True)
    assert prefix_names(Enterprise, MARKUP["enterprise"])
    assert prefix_names(Estate, MARKUP["estate"])
    assert prefix_names(ManagementArea, MARKUP["area"])
    assert prefix_names(AdminArea, MARKUP["admin"], level__in=["street", "community"])
    estate = Estate.objects.order_by("id").first()
    area = ManagementArea.objects.order_by("id").first()
    enterprise = Enterprise.objects.filter(jurisdiction__isnull=False).order_by("id").first()
    plan = TakeoverPlan.objects.order_by("id").first()
    found = Findings()
    log_in(page, live_server, "planner")

    # The map: an estate's popup (focus link), the search result list, then the editor's area tooltips.
    page.goto(f"{live_server.url}/?focus=estate:{estate.pk}")
    page.wait_for_selector("body[data-map-ready=true]")
    page.wait_for_selector(".leaflet-popup .popup__title")
    page.wait_for_selector(".admin-label", timeout=10_000)
    found.shown(page, "map labels", ".admin-label", "admin")
    found.shown(page, "map popup", ".leaflet-popup .popup__title", "estate")
    page.fill("#search-input", estate.name[len(MARKUP["estate"]):])
    page.press("#search-input", "Enter")
    page.wait_for_selector(f"#search-results button[data-estate-id='{estate.pk}']", timeout=10_000)
    found.shown(page, "search results", "#search-results", "estate")
    found.no_markup(page, "map")
    point = area.geom.point_on_surface
    page.evaluate("([lat, lon]) => window.geoappMap.setView([lat, lon], 17, {animate: false})", [point.y, point.x])
    page.click("[data-action=open-editor]")
    page.wait_for_selector("body[data-edit-areas-loaded]", timeout=15_000)
    found.tooltips(page, "editor", "area")
    found.no_markup(page, "editor")

    # The service page: the worklist's estates on the map and in the list, then the nearby candidates.
    page.goto(f"{live_server.url}/service/")
    page.wait_for_selector("body[data-map-ready=true]")
    page.wait_for_selector("body[data-worklist-ready=true]")
    found.shown(page, "worklist", "#worklist-rows", "estate")
    found.tooltips(page, "worklist map", "estate")
    found.no_markup(page, "service worklist")
    page.locator("#worklist-rows li[data-estate-id] [data-action=nearby]").first.click()
    page.wait_for_selector("#candidate-list li[data-enterprise-id]")
    found.shown(page, "candidate list", "#candidate-list", "enterprise")
    found.tooltips(page, "candidate map", "enterprise")
    found.no_markup(page, "service candidates")

    # A takeover plan: territory and estate tooltips (one tooltip, over the plan's vector tiles: hover them).
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    page.wait_for_selector("#plan[data-ready=true]", timeout=30_000)
    in_plan = Estate.objects.get(pk=plan.bundles.order_by("number").first().members.order_by("estate_id")
                                 .first().estate_id)
    for where, family, point in (("plan estates", "estate", in_plan.geom.point_on_surface),
                                 ("plan territories", "enterprise", enterprise.jurisdiction.geom.point_on_surface)):
        page.evaluate("([lat, lon]) => window.geoappMap.setView([lat, lon], 17, {animate: false})",
                      [point.y, point.x])
        page.wait_for_selector("#plan[data-estate-tiles=loaded]", timeout=20_000)
        page.wait_for_timeout(300)
        page.mouse.move(*pixel(page, point.x, point.y))
        page.mouse.move(*[v + 1 for v in pixel(page, point.x, point.y)])
        page.wait_for_timeout(200)
        found.shown(page, where, ".leaflet-tooltip", family)
    found.no_markup(page, "plan")

    # Statistics: streets, a street's communities, a community's estates; the printable report's map.
    page.goto(f"{live_server.url}/dashboard/")
    page.wait_for_selector("#dashboard[data-ready=true]", timeout=15_000)
    found.shown(page, "ranking", "#rank-table", "admin")
    community = AdminArea.objects.filter(level="community", estates__isnull=False).order_by("code").first()
    page.click(f'#rank-table .drill[data-id="{community.parent_id}"]')
    page.wait_for_selector('#rank-table[data-level="community"]')
    page.wait_for_selector("#dashboard[data-ready=true]", timeout=15_000)
    found.shown(page, "crumbs", "#crumbs", "admin")
    found.shown(page, "communities", "#rank-table", "admin")
    found.no_markup(page, "dashboard communities")
    page.click(f'#rank-table .drill[data-id="{community.pk}"]')
    page.wait_for_selector("#estate-table", timeout=15_000)
    found.shown(page, "community estates", "#estate-table", "estate")
    found.no_markup(page, "dashboard estates")
    page.goto(f"{live_server.url}/reports/coverage/?level=community")
    page.wait_for_selector("#report[data-map-ready=true]", timeout=15_000)
    found.shown(page, "report map", "#report-map .leaflet-tooltip", "admin")
    found.shown(page, "report tables", ".report-table", "admin")
    found.no_markup(page, "report")

    # Server-rendered pages.
    for url, family in [
        ("/enterprises/", "enterprise"),
        (f"/enterprises/{enterprise.pk}/", "enterprise"),
        (f"/estates/{estate.pk}/", "estate"),
        (f"/management-areas/{area.pk}/", "area"),
        ("/plans/", "admin"),
    ]:
        page.goto(f"{live_server.url}{url}")
        page.wait_for_load_state("load")
        found.shown(page, url, "main", family)
        found.no_markup(page, url)
    page.screenshot(path=str(ARTIFACTS / "markup-names.png"))
    assert not found, "\n".join(found)
