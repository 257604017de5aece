"""The assessment ranking with daily inspections in headless Chromium (001 §4(2)): an official reads the streets'
inspection column on the dashboard and in the print report, a street office its communities' ranking; an estate's
page and popup show its complaints and inspections."""
import datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from layers.models import AdminArea, Complaint, Estate, Inspection

from .browser_helpers import log_in

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def _year():
    today = timezone.localdate()
    return today - datetime.timedelta(days=364), today


def test_an_official_reads_the_inspection_column_on_the_dashboard_and_the_report(live_server, demo_city, page):
    ARTIFACTS.mkdir(exist_ok=True)
    log_in(page, live_server, "official")
    page.goto(f"{live_server.url}/dashboard/")
    rows = page.locator("#assessment-ranking tbody tr")
    streets = rows.count()
    assert streets >= 2
    start, end = _year()
    for i in range(rows.count()):
        row = rows.nth(i)
        street = int(row.get_attribute("data-id"))
        made = Inspection.objects.filter(street_id=street, inspected_on__range=(start, end)).count()
        assert row.locator("[data-col=inspections]").inner_text().strip() == str(made)
        ranks = [int(row.locator("td").nth(n).inner_text()) for n in (3, 8)]
        inspection_rank = int(row.locator("[data-col=inspection-rank]").inner_text())
        assert int(row.locator("[data-col=rank-sum]").inner_text()) == sum(ranks) + inspection_rank
    assert "三项排名的平均值" in page.text_content("#complaints .assessment-method")
    page.locator("#assessment-ranking").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "assessment-dashboard.png"), full_page=True)

    page.goto(f"{live_server.url}/reports/coverage/")
    report = page.locator("#report-assessment-ranking tbody tr")
    assert report.count() == streets
    assert "巡查排名" in page.text_content("#report-assessment-ranking thead")
    page.emulate_media(media="print")
    page.screenshot(path=str(ARTIFACTS / "assessment-report-print.png"), full_page=True)
    assert page.errors == []


def test_a_street_office_ranks_its_communities(live_server, demo_city, page):
    street = AdminArea.objects.filter(level="street").order_by("code").first()
    log_in(page, live_server, f"street-{street.code}")
    page.goto(f"{live_server.url}/dashboard/")
    rows = page.locator("#community-assessment-ranking tbody tr")
    communities = AdminArea.objects.filter(level="community", parent=street)
    assert rows.count() == communities.count()
    assert street.name in page.text_content("#community-assessment-title")
    start, end = _year()
    first = rows.first
    made = Inspection.objects.filter(community_id=int(first.get_attribute("data-id")),
                                     inspected_on__range=(start, end)).count()
    assert first.locator("[data-col=inspections]").inner_text().strip() == str(made)
    page.locator("#community-assessment-ranking").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "assessment-communities.png"))
    assert page.errors == []


def test_an_estates_page_and_popup_show_its_complaints_and_inspections(live_server, demo_city, page):
    planner = User.objects.get(username="planner")
    estate = (Estate.objects.filter(community__parent__parent=planner.profile.district, complaints__isnull=False,
                                    inspections__isnull=False).order_by("code").first())
    log_in(page, live_server, "planner")
    page.goto(f"{live_server.url}/estates/{estate.pk}/")
    last = Inspection.objects.filter(estate=estate).order_by("-inspected_on", "-id").first()
    assert last.inspected_on.isoformat() in page.text_content("#inspections")
    year = Complaint.objects.filter(estate=estate, received_at__year=timezone.localdate().year).count()
    assert f"{year}" in page.text_content(".related-complaints .complaint-figures")
    page.screenshot(path=str(ARTIFACTS / "assessment-estate-page.png"), full_page=True)
    popup = page.evaluate(f"() => fetch('/api/features/estate/{estate.pk}/').then((r) => r.json())")
    assert popup["complaints"]["year"] == year
    assert any(last.inspected_on.isoformat() in str(value) for _label, value in popup["fields"])
    assert page.errors == []
