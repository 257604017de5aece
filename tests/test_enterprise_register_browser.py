"""The enterprise register (企业名录) in headless Chromium: a planner registers, evaluates, black-lists and red-lists;
an official reads the register without any form."""
from pathlib import Path

import pytest
from django.utils import timezone

from layers.credit_code import check_character
from layers.models import Enterprise, RegisterChange

from .browser_helpers import log_in

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def screenshot_whole(page, name: str, scroller: str):
    """The pages scroll inside their own container: grow the viewport to its height, then take the picture."""
    ARTIFACTS.mkdir(exist_ok=True)
    height = page.evaluate("(sel) => document.querySelector(sel).scrollHeight", scroller)
    page.set_viewport_size({"width": 1400, "height": min(height + 70, 5000)})
    page.wait_for_timeout(200)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 900})


def record_evaluation(page, *, year: int, grade: str, passed: bool):
    page.click("#evaluation-form summary")
    page.fill("#ev-year", str(year))
    page.select_option("#ev-grade", grade)
    page.check(f"#evaluation-form input[name=passed][value={'yes' if passed else 'no'}]")
    with page.expect_navigation():
        page.click("#evaluation-form button[type=submit]")


def test_planner_black_lists_by_two_failing_years_and_red_lists_another(page, live_server, demo_city):
    last_year = timezone.localdate().year - 1
    first17 = "91230112MA1BR0WXE"
    code = first17 + check_character(first17)

    log_in(page, live_server, "planner")
    page.click("a[data-nav=enterprises]")
    page.wait_for_selector("#enterprise-table")
    rows = page.locator("#enterprise-table tbody tr")
    assert rows.count() == Enterprise.objects.count()
    assert page.locator('#enterprise-table tr[data-list-status="black"] .badge--black').count() == \
        Enterprise.objects.filter(list_status="black").count()
    screenshot_whole(page, "enterprise-list.png", ".rg-page")

    # Register a new enterprise through the form; a wrong check character is refused first, with the field marked.
    page.click("a[data-action=create]")
    page.fill("#rg-name", "哈尔滨浏览器物业服务有限公司")
    page.fill("#rg-code", code[:-1] + ("0" if code[-1] != "0" else "1"))
    page.fill("#rg-filed", "2015-04-01")
    with page.expect_navigation():
        page.click(".rg-form button[type=submit]")
    assert page.locator(".has-error #rg-code").count() == 1
    assert not Enterprise.objects.filter(name="哈尔滨浏览器物业服务有限公司").exists()
    screenshot_whole(page, "enterprise-form-error.png", ".rg-page")
    assert page.errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]
    page.errors.clear()  # the refused form answers 400 on purpose
    page.fill("#rg-code", code)
    with page.expect_navigation():
        page.click(".rg-form button[type=submit]")
    enterprise = Enterprise.objects.get(credit_code=code)
    assert page.url.endswith(f"/enterprises/{enterprise.pk}/")
    assert page.locator("#list-banner").count() == 0

    # Two failing years in a row: black-listed from 1 January after the second.
    record_evaluation(page, year=last_year - 1, grade="C", passed=False)
    enterprise.refresh_from_db()
    assert enterprise.list_status == "normal"
    record_evaluation(page, year=last_year, grade="B", passed=False)
    page.wait_for_selector('#list-banner[data-list-status="black"]')
    enterprise.refresh_from_db()
    assert enterprise.list_status == "black"
    assert enterprise.list_status_since.isoformat() == f"{last_year + 1}-01-01"
    assert enterprise.credit_grade == "B"
    banner = page.locator("#list-banner").inner_text()
    assert f"{last_year + 1}-01-01" in banner and str(last_year - 1) in banner and str(last_year) in banner
    assert page.locator('#evaluation-table tr[data-passed="false"]').count() == 2
    assert page.locator('#change-table tr[data-action="evaluation"]').count() == 2
    assert RegisterChange.objects.filter(enterprise=enterprise, action="evaluation", user__username="planner").count() == 2
    screenshot_whole(page, "enterprise-black-listed.png", ".detail-enterprise")

    # Another enterprise: found by searching the register, put on the red list with a reason.
    other = Enterprise.objects.filter(list_status="normal").exclude(pk=enterprise.pk).order_by("name").first()
    page.click("a[data-nav=enterprises]")
    page.fill("#rg-q", other.credit_code)
    with page.expect_navigation():
        page.click(".rg-toolbar button[type=submit]")
    assert page.locator("#enterprise-table tbody tr").count() == 1
    page.click(f'#enterprise-table tr[data-enterprise="{other.pk}"] a')
    page.wait_for_selector("#listing-form")
    page.click("#listing-form summary")
    page.select_option("#ls-status", "red")
    page.fill("#ls-reason", "年度考核优秀，业主满意度高")
    with page.expect_navigation():
        page.click("#listing-form button[type=submit]")
    page.wait_for_selector('#list-banner[data-list-status="red"]')
    other.refresh_from_db()
    assert (other.list_status, other.list_status_reason) == ("red", "年度考核优秀，业主满意度高")
    assert page.locator('#listing-table tr[data-status="red"]').count() >= 1
    assert page.locator('#change-table tr[data-action="listing"]').count() >= 1
    screenshot_whole(page, "enterprise-red-listed.png", ".detail-enterprise")
    assert not page.errors, page.errors


def test_official_sees_the_register_without_forms(page, live_server, demo_city):
    log_in(page, live_server, "official")
    page.click("a[data-nav=enterprises]")
    page.wait_for_selector("#enterprise-table")
    assert page.locator("a[data-action=create]").count() == 0
    page.select_option("#rg-status", "black")
    with page.expect_navigation():
        page.click(".rg-toolbar button[type=submit]")
    black = Enterprise.objects.filter(list_status="black").order_by("name")
    assert page.locator("#enterprise-table tbody tr").count() == black.count()
    page.click(f'#enterprise-table tr[data-enterprise="{black[0].pk}"] a')
    page.wait_for_selector('#list-banner[data-list-status="black"]')
    assert page.locator("form").filter(has=page.locator("input[name=csrfmiddlewaretoken]")).count() == 2  # lang, log-out
    assert page.locator("#evaluation-form, #listing-form, a[data-action=edit]").count() == 0
    assert page.locator("#register-readonly").is_visible()
    assert page.locator("#evaluation-table tbody tr").count() == black[0].evaluations.count()
    screenshot_whole(page, "enterprise-official.png", ".detail-enterprise")
    assert not page.errors, page.errors
