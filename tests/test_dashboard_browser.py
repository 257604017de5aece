"""统计分析 (/dashboard/) and the printable coverage report in headless Chromium, as a district official."""
import datetime
import re
from pathlib import Path

import pytest
from django.utils import timezone

from layers.models import AdminArea

from .browser_helpers import log_in

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def figures(on: datetime.date, level: str = "street", parent_id=None) -> dict:
    coverage = pytest.importorskip("layers.selectors.coverage", reason="layers/selectors/coverage.py (the figures) has not landed yet")
    return coverage.coverage_figures(on=on, level=level, parent_id=parent_id)


def pct(rate) -> str:
    return "–" if rate is None else f"{rate * 100:.1f}%"


def kpi(page, key: str) -> str:
    return page.locator(f'#kpis [data-v="{key}"]').first.inner_text().strip()


def screenshot_whole(page, path: Path, scroller: str):
    """The pages scroll inside their own container: grow the viewport to its height, then take the picture."""
    height = page.evaluate("(sel) => document.querySelector(sel).scrollHeight", scroller)
    page.set_viewport_size({"width": 1400, "height": min(height + 70, 6000)})
    page.wait_for_timeout(300)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 900})


def wait_ready(page):
    page.wait_for_selector("#dashboard[data-ready=true]", timeout=15_000)


def column(page, key: str) -> list[str]:
    return page.locator(f'#rank-table tbody td[data-col="{key}"]').all_inner_texts()


def number(text: str) -> float:
    text = text.strip().replace(",", "")
    return float("-inf") if text in ("–", "") else float(text.rstrip("%"))


def test_dashboard_kpis_ranking_drilldown_date_exports_and_report(page, live_server, demo_city):
    ARTIFACTS.mkdir(exist_ok=True)
    today = timezone.localdate()
    current = figures(today)
    total = current["total"]

    log_in(page, live_server, "official")
    page.click('.topbar__nav a[data-nav="dashboard"]')
    page.wait_for_url(re.compile(r".*/dashboard/.*"))
    wait_ready(page)
    page.wait_for_selector("#trend canvas", timeout=15_000)

    # KPI cards: the district's figures of layers.selectors.coverage for today.
    assert kpi(page, "srv_e") == pct(total["service_rate"]["estates"])
    assert kpi(page, "srv_h") == pct(total["service_rate"]["households"])
    assert kpi(page, "soc_e") == pct(total["socialised_rate"]["estates"])
    assert kpi(page, "soc_h") == pct(total["socialised_rate"]["households"])
    assert number(kpi(page, "none_e")) == total["by_status"]["none"]
    assert number(kpi(page, "none_h")) == total["old_households"] - total["served"]["households"]
    assert number(kpi(page, "ab_verified")) == total["abandoned"]["verified"]
    assert number(kpi(page, "ren_completed")) == total["renovation"]["completed"]

    # The ranking: one row per street, ranked by service rate (estates) by default, highest first.
    rows = page.locator("#rank-table tbody tr")
    assert rows.count() == len(current["rows"])
    rates = [number(t) for t in column(page, "srv_e")]
    assert rates == sorted(rates, reverse=True)
    assert page.locator("#rank-table tbody tr").first.locator(".rank-badge").inner_text() == "1"
    screenshot_whole(page, ARTIFACTS / "dashboard.png", ".db-page")

    # Sort by a heading: old estates, descending on first click, ascending on the second.
    page.click('#rank-table .th-sort[data-sort="old_estates"]')
    counts = [number(t) for t in column(page, "old_estates")]
    assert counts == sorted(counts, reverse=True)
    page.click('#rank-table .th-sort[data-sort="old_estates"]')
    counts_up = [number(t) for t in column(page, "old_estates")]
    assert counts_up == sorted(counts_up)
    assert page.locator('#rank-table th[aria-sort="ascending"] [data-sort="old_estates"]').count() == 1
    # A socialised-rate heading ranks by it.
    page.click('#rank-table .th-sort[data-sort="soc_e"]')
    socialised = [number(t) for t in column(page, "soc_e")]
    assert socialised == sorted(socialised, reverse=True)
    assert page.locator("#rank-by").input_value() == "soc_e"

    # Drill down: street → its communities → a community's estates.
    street_row = next(r for r in current["rows"] if r["old_estates"])
    page.click(f'#rank-table .drill[data-id="{street_row["id"]}"]')
    page.wait_for_selector('#rank-table[data-level="community"]')
    wait_ready(page)
    communities = AdminArea.objects.filter(parent_id=street_row["id"], level="community")
    assert page.locator("#rank-table tbody tr").count() == communities.count()
    assert street_row["name"] in page.locator("#crumbs").inner_text()
    community = communities.filter(estates__isnull=False).distinct().order_by("code").first()
    page.click(f'#rank-table .drill[data-id="{community.pk}"]')
    page.wait_for_selector("#estate-table")
    wait_ready(page)
    assert page.locator("#estate-table tbody tr").count() == community.estates.count()
    assert community.name in page.locator("#rank-title").inner_text()
    # Back to the district through the breadcrumbs.
    page.click('#crumbs [data-crumb="district"]')
    page.wait_for_selector('#rank-table[data-level="street"]')
    wait_ready(page)

    # Another date: the figures of 2018-01-01, lower service rate than today in the demo.
    past = figures(datetime.date(2018, 1, 1))["total"]
    assert past["service_rate"]["estates"] < total["service_rate"]["estates"]
    before = kpi(page, "srv_e")
    page.fill("#db-date", "2018-01-01")
    page.wait_for_function(
        "(before) => document.querySelector('#kpis [data-v=srv_e]').textContent.trim() !== before", arg=before
    )
    wait_ready(page)
    assert kpi(page, "srv_e") == pct(past["service_rate"]["estates"])
    assert number(kpi(page, "srv_e")) < number(before)
    assert "date=2018-01-01" in page.url

    # Exports follow the date and level.
    for link_id, content_type in (("export-xlsx", XLSX), ("export-csv", "text/csv")):
        href = page.get_attribute(f"#{link_id}", "href")
        assert "date=2018-01-01" in href and "level=street" in href
        response = page.request.get(f"{live_server.url}{href}")
        assert response.status == 200, (href, response.status)
        assert response.headers["content-type"].startswith(content_type), response.headers["content-type"]

    # The printable report of that date.
    report_href = page.get_attribute("#report-link", "href")
    assert "date=2018-01-01" in report_href
    page.goto(f"{live_server.url}{report_href}")
    page.wait_for_selector("#report[data-map-ready=true]", timeout=15_000)
    district = AdminArea.objects.get(level="district")
    title = page.locator("#report-title").inner_text()
    assert district.name in title
    assert "覆盖情况报告" in title or "coverage report" in title
    assert "2018" in page.locator(".report__meta").first.inner_text()
    assert page.locator('.report-table[data-table="street"] tbody tr').count() == len(current["rows"])
    assert page.locator("#report-map path.leaflet-interactive").count() == len(current["rows"])
    # As printed (A4 width, no top bar), which is how the district office will see it.
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 794, "height": height})
    page.wait_for_timeout(300)
    assert not page.locator(".topbar").is_visible()
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)

    assert page.errors == []
