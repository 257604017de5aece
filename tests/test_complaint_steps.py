"""Every step of a complaint after intake, who may take it at which level, and the automatic escalation (DOMAIN.md
"Supervision": three-level handling with deadlines)."""
import datetime
import io

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from layers.models import (
    AdminArea,
    CalendarDay,
    Complaint,
    ComplaintAttachment,
    ComplaintEvent,
    JointMeetingItem,
    ProviderKind,
    Role,
    ServiceContract,
    UserProfile,
)
from layers.refusals import Conflict, Forbidden, Invalid
from layers.services.complaint_steps import complaint_step, escalate_overdue, steps_allowed
from layers.services.complaints import complaint_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_demo_complaints")]

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40


def make_user(name, role, **area):
    user = User.objects.create_user(name, password="x")
    UserProfile.objects.create(user=user, role=role, **area)
    return user


def contract_estate(kind):
    contract = (ServiceContract.objects.filter(provider_kind=kind, end_date__isnull=True)
                .select_related("estate__community__parent__parent").order_by("pk").first())
    return contract.estate, contract.enterprise


@pytest.fixture
def case():
    """A case about an enterprise-served estate, with its community worker, street office, planner, enterprise."""
    estate, enterprise = contract_estate(ProviderKind.ENTERPRISE)
    community = estate.community
    people = {
        "community": make_user("cw", Role.COMMUNITY, community=community),
        "street": make_user("so", Role.STREET_OFFICE, street=community.parent),
        "district": make_user("pl", Role.PLANNER, district=community.parent.parent),
        "enterprise": make_user("ent", Role.ENTERPRISE, enterprise=enterprise),
        "official": make_user("off", Role.OFFICIAL, district=community.parent.parent),
    }
    complaint = complaint_create(user=people["community"], channel="visit", received_at=timezone.now(),
                                 caller_words="楼道灯不亮", estate_id=estate.pk)
    return complaint, people


def step(user, complaint, kind, **kw):
    return complaint_step(user=user, complaint_id=complaint.pk, kind=kind, **kw)


def test_a_case_goes_from_sign_to_close_with_an_attachment(case):
    complaint, people = case
    cw, ent = people["community"], people["enterprise"]
    assert "signed" in steps_allowed(cw, complaint) and "replied" not in steps_allowed(cw, complaint)
    step(cw, complaint, "signed")
    with pytest.raises(Forbidden):  # an enterprise-served estate: the enterprise replies, not the community
        step(cw, complaint, "replied", note="已修")
    photo = SimpleUploadedFile("灯.png", PNG, content_type="image/png")
    event = step(ent, complaint, "replied", note="已更换灯泡", attachments=[photo])
    attachment = ComplaintAttachment.objects.get(event=event)
    assert attachment.content_type == "image/png" and attachment.name == "灯.png"
    with pytest.raises(Invalid):  # the rating needs a check first
        step(cw, complaint, "rated", rating="satisfied")
    step(cw, complaint, "checked", note="现场查看，灯已亮")
    step(cw, complaint, "rated", rating="satisfied")
    step(cw, complaint, "closed")
    complaint.refresh_from_db()
    assert complaint.status == "closed" and complaint.rating == "satisfied" and complaint.closed_at is not None
    assert list(complaint.events.values_list("kind", flat=True)) == [
        "received", "signed", "replied", "checked", "rated", "closed"]
    with pytest.raises(Conflict):  # 409 on a closed case
        step(cw, complaint, "note", note="x")
    with pytest.raises(Invalid):  # satisfied: nothing to reopen
        step(cw, complaint, "reopened")


def test_roles_and_levels_are_enforced(case):
    complaint, people = case
    with pytest.raises(Forbidden):  # the street office does not act on a community-level case
        step(people["street"], complaint, "signed")
    with pytest.raises(Forbidden):
        step(people["official"], complaint, "signed")
    with pytest.raises(Forbidden):
        step(people["district"], complaint, "escalated")
    step(people["community"], complaint, "escalated", note="社区无法协调")
    complaint.refresh_from_db()
    assert complaint.level == "street"
    with pytest.raises(Forbidden):
        step(people["community"], complaint, "signed")
    step(people["street"], complaint, "signed")
    step(people["street"], complaint, "escalated")
    complaint.refresh_from_db()
    assert complaint.level == "district" and complaint.status == "received"
    with pytest.raises(Invalid):
        step(people["district"], complaint, "escalated")
    step(people["enterprise"], complaint, "signed")  # an enterprise signs for its own at any level
    assert ComplaintEvent.objects.filter(complaint=complaint, kind="escalated").count() == 2


def test_an_unsatisfied_case_is_reopened_once_and_the_database_refuses_a_second(case):
    complaint, people = case
    cw, ent = people["community"], people["enterprise"]
    step(cw, complaint, "signed")
    for round_ in (1, 2):
        step(ent, complaint, "replied", note="处理了")
        step(cw, complaint, "checked", note="查看")
        step(cw, complaint, "rated", rating="unsatisfied", note="仍不亮")
        step(cw, complaint, "closed")
        if round_ == 1:
            step(cw, complaint, "reopened")
            complaint.refresh_from_db()
            assert complaint.status == "signed" and complaint.reopened == 1 and complaint.rating == ""
    with pytest.raises(Conflict):
        step(cw, complaint, "reopened")
    with transaction.atomic(), pytest.raises(IntegrityError):
        Complaint.objects.filter(pk=complaint.pk).update(reopened=2)


def test_transfer_and_staff_reply_for_a_department(case):
    complaint, people = case
    cw = people["community"]
    step(cw, complaint, "transferred", department="市场监管局")
    complaint.refresh_from_db()
    assert complaint.status == "transferred" and complaint.department == "市场监管局"
    with pytest.raises(Forbidden):  # transferred: the staff record the department's reply, not the enterprise
        step(people["enterprise"], complaint, "replied", note="x")
    step(cw, complaint, "replied", note="市场监管局已处理")
    complaint.refresh_from_db()
    assert complaint.status == "replied"


def test_a_caretaker_estate_is_replied_by_staff():
    estate, _ = contract_estate(ProviderKind.CARETAKER_AGENCY)
    cw = make_user("cw2", Role.COMMUNITY, community=estate.community)
    complaint = complaint_create(user=cw, channel="visit", received_at=timezone.now(), caller_words="漏水",
                                 estate_id=estate.pk)
    step(cw, complaint, "signed")
    step(cw, complaint, "replied", note="物业托管单位已维修")
    assert Complaint.objects.get(pk=complaint.pk).status == "replied"


def test_joint_meeting_list_and_decision(case):
    complaint, people = case
    with pytest.raises(Forbidden):
        step(people["community"], complaint, "joint_meeting", agenda="x")
    with pytest.raises(Invalid):
        step(people["street"], complaint, "joint_meeting", agenda="")
    step(people["street"], complaint, "joint_meeting", agenda="楼道照明长期失修，责任不清")
    item = JointMeetingItem.objects.get(complaint=complaint)
    assert item.agenda.startswith("楼道") and Complaint.objects.get(pk=complaint.pk).at_joint_meeting
    with pytest.raises(Invalid):
        step(people["district"], complaint, "decided", meeting_on=timezone.localdate(), decision="")
    step(people["district"], complaint, "decided", meeting_on=timezone.localdate(), decision="由街道协调维修")
    item.refresh_from_db()
    assert item.decision == "由街道协调维修" and item.decided_at is not None


def test_a_bad_attachment_leaves_nothing_behind(case, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    complaint, people = case
    fake = SimpleUploadedFile("x.jpg", b"<html>not a photo</html>", content_type="image/jpeg")
    good = SimpleUploadedFile("a.png", PNG, content_type="image/png")
    with pytest.raises(Invalid):
        step(people["community"], complaint, "signed", attachments=[good, fake])
    assert not ComplaintEvent.objects.filter(kind="signed").exists()
    # A step refused after the files were written removes them again.
    step(people["community"], complaint, "signed")
    with pytest.raises(Forbidden):
        step(people["community"], complaint, "replied", note="x", attachments=[good])
    assert not ComplaintAttachment.objects.exists()
    assert not list(tmp_path.rglob("*.png"))


def test_overdue_cases_escalate_once_counting_holidays(case):
    complaint, people = case
    received = datetime.date(2026, 9, 25)  # Friday; sign_days 1 → Monday the 28th is a holiday → due the 29th
    CalendarDay.objects.create(date=datetime.date(2026, 9, 28), working=False, name="假日")
    Complaint.objects.filter(pk=complaint.pk).update(
        received_at=timezone.make_aware(datetime.datetime(2026, 9, 25, 9)), sign_due=datetime.date(2026, 9, 29),
        reply_due=datetime.date(2026, 10, 2), close_due=datetime.date(2026, 10, 16))
    assert escalate_overdue(datetime.date(2026, 9, 29)) == []  # due today: not yet overdue
    out = io.StringIO()
    call_command("escalate_overdue", "--date", "2026-09-30", stdout=out)
    assert "1 " in out.getvalue()
    complaint.refresh_from_db()
    assert complaint.level == "street"
    # New deadlines counted from the 30th; 1 October a holiday in this calendar too.
    CalendarDay.objects.create(date=datetime.date(2026, 10, 1), working=False, name="国庆")
    assert complaint.sign_due == datetime.date(2026, 10, 1) or complaint.sign_due > datetime.date(2026, 9, 30)
    event = complaint.events.get(kind="escalated")
    assert event.user is None and event.level == "street"
    assert escalate_overdue(datetime.date(2026, 9, 30)) == []  # idempotent
    assert complaint.events.filter(kind="escalated").count() == 1
    assert received < complaint.sign_due
    # The street office now sees it at its level and may sign for it.
    assert "signed" in steps_allowed(people["street"], complaint)
    # Overdue again at the street → district; never higher.
    escalate_overdue(complaint.reply_due + datetime.timedelta(days=1))
    complaint.refresh_from_db()
    assert complaint.level == "district"
    assert escalate_overdue(complaint.reply_due + datetime.timedelta(days=10)) == []


def test_the_deadlines_after_escalation_skip_the_calendars_holidays(case):
    complaint, _people = case
    CalendarDay.objects.create(date=datetime.date(2026, 10, 1), working=False, name="国庆")
    CalendarDay.objects.create(date=datetime.date(2026, 10, 2), working=False, name="国庆")
    Complaint.objects.filter(pk=complaint.pk).update(sign_due=datetime.date(2026, 9, 29),
                                                      reply_due=datetime.date(2026, 9, 29),
                                                      close_due=datetime.date(2026, 10, 20))
    escalate_overdue(datetime.date(2026, 9, 30))  # a Wednesday
    complaint.refresh_from_db()
    sign_days = complaint.category.sign_days
    expected = {0: datetime.date(2026, 9, 30), 1: datetime.date(2026, 10, 5), 2: datetime.date(2026, 10, 6)}
    assert complaint.sign_due == expected[sign_days]


def test_the_schedule_is_registered_on_migrate():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="escalate_overdue")
    assert schedule.func == "django.core.management.call_command" and "escalate_overdue" in schedule.args


def test_the_joint_meeting_page_lists_the_cases_in_scope(case, client):
    complaint, people = case
    step(people["street"], complaint, "joint_meeting", agenda="楼道照明责任不清")
    step(people["district"], complaint, "decided", meeting_on=timezone.localdate(), decision="街道牵头维修")
    client.force_login(people["district"])
    html = client.get("/complaints/joint-meeting/").content.decode()
    assert "楼道照明责任不清" in html and "街道牵头维修" in html and f'data-complaint="{complaint.pk}"' in html
    other = AdminArea.objects.filter(level="street").exclude(pk=complaint.street_id).first()
    client.force_login(make_user("so2", Role.STREET_OFFICE, street=other))
    assert "楼道照明责任不清" not in client.get("/complaints/joint-meeting/").content.decode()


def test_the_case_page_offers_only_the_users_steps_and_a_refused_post_is_403(case, client):
    complaint, people = case
    client.force_login(people["community"])
    html = client.get(f"/complaints/{complaint.pk}/").content.decode()
    assert 'data-step="signed"' in html and 'data-step="joint_meeting"' not in html
    assert client.post(f"/complaints/{complaint.pk}/", {"kind": "joint_meeting", "agenda": "x"}).status_code == 403
    response = client.post(f"/complaints/{complaint.pk}/", {"kind": "signed", "note": "签收"})
    assert response.status_code == 302 and Complaint.objects.get(pk=complaint.pk).status == "signed"
    client.force_login(people["official"])
    assert client.get(f"/complaints/{complaint.pk}/").status_code == 200
    assert 'data-step=' not in client.get(f"/complaints/{complaint.pk}/").content.decode()


def test_planners_edit_the_routing_table_and_the_calendar_others_read(case, client):
    complaint, people = case
    planner = people["district"]
    client.force_login(planner)
    html = client.get("/complaints/routing/").content.decode()
    category = complaint.category
    assert f'data-code="{category.code}"' in html
    body = {"id": category.pk, "responsible": "department", "department": "城管局", "keywords": "占道  经营",
            "sign_days": 1, "reply_days": 4, "close_days": 10, "active": "1"}
    assert client.post("/complaints/routing/", body).status_code == 302
    category.refresh_from_db()
    assert (category.department, category.keywords, category.reply_days) == ("城管局", "占道 经营", 4)
    bad = {**body, "sign_days": 5, "reply_days": 2}
    client.post("/complaints/routing/", bad)
    category.refresh_from_db()
    assert category.reply_days == 4  # refused: the deadlines must grow
    assert client.post("/complaints/calendar/", {"date": "2027-10-01", "working": "0", "name": "国庆节"}).status_code == 302
    assert CalendarDay.objects.get(date=datetime.date(2027, 10, 1)).working is False
    assert "国庆节" in client.get("/complaints/calendar/").content.decode()
    client.post("/complaints/calendar/", {"date": "2027-10-01", "delete": "1"})
    assert not CalendarDay.objects.filter(date=datetime.date(2027, 10, 1)).exists()
    client.force_login(people["community"])
    assert client.get("/complaints/calendar/").status_code == 200
    assert client.post("/complaints/calendar/", {"date": "2027-10-02", "working": "0"}).status_code == 403
    assert client.post("/complaints/routing/", body).status_code == 403
