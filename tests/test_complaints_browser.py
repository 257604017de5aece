"""The complaints page in headless Chromium (docs/COMPLAINTS.md "Intake"): a community worker takes in a complaint,
its estate found by address, and sees it in the list; a planner imports the hotline export (dry run, commit) and
picks the estate of an order whose address could not be placed."""
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from layers.models import AdminArea, Complaint, Estate, Role, UserProfile

from .browser_helpers import PASSWORD

pytestmark = [pytest.mark.browser]

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
XLSX = ROOT / "fixtures" / "hotline_orders.xlsx"


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"complaints-{name}.png"), full_page=True)


def log_in_to_complaints(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/?next=/complaints/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".login__form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/complaints/")
    page.wait_for_selector("#cp-list[data-state=ready]")


def test_a_community_worker_takes_in_a_complaint_found_by_address(live_server, demo_city, page):
    estate = Estate.objects.filter(buildings__isnull=False).order_by("code").distinct().first()
    community = AdminArea.objects.get(pk=estate.community_id)
    worker = User.objects.create_user("community-test", password=PASSWORD)
    UserProfile.objects.create(user=worker, role=Role.COMMUNITY, community=community)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_to_complaints(page, live_server, "community-test")
    page.click("[data-tab=new]")
    page.select_option("#cp-channel", "visit")
    page.fill("#cp-words", "楼道灯坏了一个多月没人修")
    page.fill("#cp-address", estate.address)
    page.click("#cp-find")
    page.wait_for_selector(f"#cp-entry-candidates li[data-estate='{estate.pk}']")
    page.click(f"#cp-entry-candidates li[data-estate='{estate.pk}'] button")
    assert estate.name in page.text_content("#cp-estate-picked")
    shot(page, "entry-phone")
    page.click("#cp-entry button[type=submit]")
    page.wait_for_selector("#cp-entry-status a")
    assert "已受理投诉" in page.text_content("#cp-entry-status")
    complaint = Complaint.objects.get(created_by=worker)
    assert (complaint.estate_id, complaint.channel, complaint.community_id) == (estate.pk, "visit", community.pk)
    assert complaint.caller_words == "楼道灯坏了一个多月没人修"
    page.set_viewport_size({"width": 1400, "height": 900})
    page.click("[data-tab=list]")
    page.wait_for_selector(f"#cp-list tr[data-complaint='{complaint.pk}']")
    row = page.text_content(f"#cp-list tr[data-complaint='{complaint.pk}']")
    assert "楼道灯坏了" in row and estate.name in row
    assert page.get_attribute(f"#cp-list tr[data-complaint='{complaint.pk}'] a", "href") == \
        f"/complaints/{complaint.pk}/"
    shot(page, "list")
    assert page.errors == []


def test_a_planner_imports_hotline_orders_and_confirms_one_on_the_page(live_server, demo_city, page):
    Complaint.objects.all().delete()  # the demo's year of complaints: this test counts what the import adds
    log_in_to_complaints(page, live_server, "planner")
    page.click("[data-tab=import]")
    page.set_input_files("#cp-import input[name=file]", str(XLSX))
    page.click("#cp-import [data-action=check]")
    page.wait_for_selector("#cp-import-report tbody tr")
    assert page.locator("#cp-import-report tbody tr").count() == 40
    assert page.locator("#cp-import-report tr[data-status=to_confirm]").count() >= 5
    assert "试导入" in page.text_content("#cp-import-status")
    assert not Complaint.objects.exists()
    shot(page, "import-dry-run")
    page.click("#cp-import [data-action=commit]")
    page.wait_for_selector("#cp-import[data-state=committed]")
    assert "导入完成：新增 40 件" in page.text_content("#cp-import-status")
    assert Complaint.objects.count() == 40
    unmatched = Complaint.objects.filter(estate__isnull=True).order_by("-received_at", "-pk").first()
    assert unmatched is not None
    page.click("[data-tab=confirm]")
    card = f"#cp-confirm-list [data-complaint='{unmatched.pk}']"
    page.wait_for_selector(card)
    target = Estate.objects.filter(community__parent__parent=unmatched.district).order_by("code").first()
    page.fill(f"{card} input", target.name)
    page.click(f"{card} button")
    page.wait_for_selector(f"{card} li[data-estate='{target.pk}']")
    shot(page, "confirm")
    with page.expect_navigation():
        page.click(f"{card} li[data-estate='{target.pk}'] button")
    page.wait_for_selector("#cp-confirm-list[data-state=ready]")
    unmatched.refresh_from_db()
    assert unmatched.estate_id == target.pk and unmatched.community_id == target.community_id
    assert target.name in page.text_content(".rg-messages")
    assert page.locator(card).count() == 0
    assert page.errors == []
