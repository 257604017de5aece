"""The routing table, calendar and joint-meeting pages in headless Chromium: a planner edits a routing row and adds a
holiday; the joint meeting's list shows a case's agenda."""
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from layers.models import CalendarDay, ComplaintCategory, Estate
from layers.services.complaint_steps import complaint_step
from layers.services.complaints import complaint_create

from .browser_helpers import PASSWORD

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def test_planner_edits_routing_and_calendar_and_reads_the_joint_meeting(page, live_server, demo_city):
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "planner")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click(".login__form button[type=submit]")
    page.goto(f"{live_server.url}/complaints/routing/")
    row = page.locator("#routing tr[data-code=other]")
    row.locator("input[name=keywords]").fill("其他 杂项")
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    assert page.locator(".ct-messages .success").count() == 1
    planner = User.objects.get(username="planner")
    assert ComplaintCategory.objects.get(district=planner.profile.district, code="other").keywords == "其他 杂项"
    page.screenshot(path=str(ARTIFACTS / "complaint-routing.png"), full_page=True)
    page.goto(f"{live_server.url}/complaints/calendar/")
    assert "国务院" in page.inner_text(".ct-lead")
    page.fill("#calendar-form input[name=date]", "2027-10-01")
    page.fill("#calendar-form input[name=name]", "国庆节")
    with page.expect_navigation():
        page.click("#calendar-form button[type=submit]")
    assert page.locator("#calendar tr[data-date='2027-10-01']").count() == 1
    assert CalendarDay.objects.get(name="国庆节").working is False
    page.screenshot(path=str(ARTIFACTS / "complaint-calendar.png"), full_page=True)
    estate = Estate.objects.filter(community__parent__parent=planner.profile.district).order_by("code").first()
    complaint = complaint_create(user=planner, channel="visit", received_at=timezone.now(), caller_words="屋顶漏雨",
                                 estate_id=estate.pk)
    complaint_step(user=planner, complaint_id=complaint.pk, kind="joint_meeting", agenda="屋顶维修资金来源")
    page.goto(f"{live_server.url}/complaints/joint-meeting/")
    assert "屋顶维修资金来源" in page.inner_text(f"#joint-meeting tr[data-complaint='{complaint.pk}']")
    page.screenshot(path=str(ARTIFACTS / "complaint-joint-meeting.png"), full_page=True)
    assert not page.errors, page.errors
