"""The complaint case page in headless Chromium: a community worker signs a case off, an overdue case escalates to the
street office, an enterprise user replies to a case of its estate (DOMAIN.md "Supervision")."""
import datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from layers.models import Complaint, ProviderKind, Role, ServiceContract, UserProfile
from layers.services.complaints import complaint_create

from .browser_helpers import PASSWORD

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def make_user(name, role, **area):
    user = User.objects.create_user(name, password=PASSWORD)
    UserProfile.objects.create(user=user, role=role, **area)
    return user


def a_case():
    contract = (ServiceContract.objects.filter(provider_kind=ProviderKind.ENTERPRISE, end_date__isnull=True)
                .select_related("estate__community__parent").order_by("pk").first())
    estate = contract.estate
    people = {"community": make_user("cw-b", Role.COMMUNITY, community=estate.community),
              "street": make_user("so-b", Role.STREET_OFFICE, street=estate.community.parent),
              "enterprise": make_user("ent-b", Role.ENTERPRISE, enterprise=contract.enterprise)}
    complaint = complaint_create(user=people["community"], channel="visit", received_at=timezone.now(),
                                 caller_words="楼道灯不亮，三楼到六楼", estate_id=estate.pk)
    return complaint, people


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click(".login__form button[type=submit]")


def take(page, kind, **fields):
    page.click(f"details[data-step={kind}] summary")
    form = f"details[data-step={kind}] form"
    for name, value in fields.items():
        if name == "rating":
            page.select_option(f"{form} select[name=rating]", value)
        else:
            page.fill(f"{form} [name={name}]", value)
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")
    assert page.locator(".cp-messages .success").count() == 1, page.locator(".cp-messages").inner_text()


def shot(page, name, phone=False):
    ARTIFACTS.mkdir(exist_ok=True)
    height = page.evaluate("document.querySelector('.cp-page').scrollHeight")
    width = 390 if phone else 1400
    page.set_viewport_size({"width": width, "height": min(height + 70, 5000)})
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 900})


def test_a_community_worker_signs_a_case_off(page, live_server, demo_city):
    complaint, people = a_case()
    # The estate's enterprise replies (an enterprise-served estate): recorded beforehand through the service.
    log_in(page, live_server, "cw-b")
    page.goto(f"{live_server.url}/complaints/{complaint.pk}/")
    assert page.locator("details[data-step=replied]").count() == 0  # the enterprise replies, not the community
    take(page, "signed", note="已签收")
    from layers.services.complaint_steps import complaint_step

    complaint_step(user=people["enterprise"], complaint_id=complaint.pk, kind="replied", note="已更换灯泡")
    page.reload()
    take(page, "checked", note="现场查看，灯已亮")
    take(page, "rated", rating="satisfied", note="居民满意")
    shot(page, "complaint-case-rated.png")
    take(page, "closed")
    assert page.inner_text("#case-status") == "已办结"
    assert page.inner_text("#case-rating") == "满意"
    kinds = page.eval_on_selector_all("#timeline li", "els => els.map(e => e.dataset.kind)")
    assert kinds == ["received", "signed", "replied", "checked", "rated", "closed"]
    assert page.locator("details.cp-step").count() == 0  # nothing left to do on a satisfied, closed case
    complaint.refresh_from_db()
    assert complaint.status == "closed" and complaint.rating == "satisfied"
    shot(page, "complaint-case-closed.png")
    shot(page, "complaint-case-closed-phone.png", phone=True)
    assert not page.errors, page.errors


def test_an_overdue_case_escalates_to_the_street(page, live_server, demo_city):
    complaint, people = a_case()
    past = timezone.localdate() - datetime.timedelta(days=10)
    Complaint.objects.filter(pk=complaint.pk).update(sign_due=past, reply_due=past, close_due=past)
    call_command("escalate_overdue")
    log_in(page, live_server, "so-b")
    page.goto(f"{live_server.url}/complaints/{complaint.pk}/")
    assert page.inner_text("#case-level") == "街道"
    assert "自动上报" in page.inner_text("#timeline li[data-kind=escalated]")
    assert page.locator(".cp-overdue").count() == 0  # new deadlines counted from today
    take(page, "signed", note="街道签收")
    complaint.refresh_from_db()
    assert complaint.level == "street" and complaint.status == "signed"
    shot(page, "complaint-case-escalated.png")
    assert not page.errors, page.errors


def test_an_enterprise_user_replies_to_a_case_of_its_estate(page, live_server, demo_city):
    complaint, people = a_case()
    log_in(page, live_server, "ent-b")
    page.goto(f"{live_server.url}/complaints/{complaint.pk}/")
    take(page, "signed")
    page.click("details[data-step=replied] summary")
    page.fill("details[data-step=replied] textarea[name=note]", "已派维修工更换灯泡")
    page.set_input_files("details[data-step=replied] input[name=attachments]", files=[{
        "name": "灯.png", "mimeType": "image/png",
        "buffer": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15"
                  b"\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND"
                  b"\xaeB`\x82"}])
    with page.expect_navigation():
        page.click("details[data-step=replied] button[type=submit]")
    assert page.inner_text("#case-status") == "已答复"
    link = page.locator("#timeline li[data-kind=replied] .cp-attachments a")
    assert link.inner_text() == "灯.png"
    response = page.request.get(live_server.url + link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "image/png"
    complaint.refresh_from_db()
    assert complaint.status == "replied" and complaint.events.get(kind="replied").user.username == "ent-b"
    shot(page, "complaint-case-enterprise.png")
    assert not page.errors, page.errors
