"""Complaints taken in and routed; the community and enterprise roles confined by restrict (DOMAIN.md "Supervision",
"Who uses it")."""
import datetime

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from layers.models import (
    AdminArea,
    CalendarDay,
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    Estate,
    ProviderKind,
    Role,
    ServiceContract,
    UserProfile,
)
from layers.permissions import VIEW, restrict
from layers.planning.workdays import add_working_days, working_days_between
from layers.refusals import Invalid
from layers.services.complaints import complaint_confirm_estate, complaint_create, ensure_default_categories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_demo_complaints")]


def test_working_days_skip_weekends_and_holidays_and_count_make_up_days():
    friday = datetime.date(2026, 9, 25)
    assert add_working_days(friday, 1, {}) == datetime.date(2026, 9, 28)
    holidays = {datetime.date(2026, 9, 28): False, datetime.date(2026, 9, 27): True}  # Sunday made up
    assert add_working_days(friday, 1, holidays) == datetime.date(2026, 9, 27)
    assert add_working_days(friday, 2, holidays) == datetime.date(2026, 9, 29)
    assert add_working_days(datetime.date(2026, 9, 26), 0, {}) == datetime.date(2026, 9, 28)
    assert working_days_between(friday, datetime.date(2026, 10, 2), {}) == 5


def make_user(name, role, **area):
    user = User.objects.create_user(name, password="x")
    UserProfile.objects.create(user=user, role=role, **area)
    return user


def enterprise_estate():
    contract = (ServiceContract.objects.filter(provider_kind=ProviderKind.ENTERPRISE, end_date__isnull=True)
                .select_related("estate__community__parent").order_by("pk").first())
    return contract.estate, contract.enterprise


def test_a_community_user_needs_a_community_and_an_enterprise_user_an_enterprise():
    community = AdminArea.objects.filter(level="community").first()
    with transaction.atomic(), pytest.raises(IntegrityError):
        make_user("c1", Role.COMMUNITY)
    with transaction.atomic(), pytest.raises(IntegrityError):  # a street is not a community (trigger)
        make_user("c2", Role.COMMUNITY, community=community.parent)
    assert make_user("c3", Role.COMMUNITY, community=community).profile.community == community
    with transaction.atomic(), pytest.raises(IntegrityError):
        make_user("e1", Role.ENTERPRISE, community=community)


def test_community_intake_is_routed_to_the_provider_with_working_day_deadlines():
    estate, enterprise = enterprise_estate()
    community = estate.community
    worker = make_user("cw", Role.COMMUNITY, community=community)
    received = timezone.make_aware(datetime.datetime(2026, 9, 25, 10, 0))  # a Friday
    CalendarDay.objects.create(date=datetime.date(2026, 9, 28), working=False, name="假日")
    complaint = complaint_create(user=worker, channel="visit", received_at=received, caller_words="楼道垃圾三天没清运",
                                 estate_id=estate.pk)
    complaint.refresh_from_db()
    assert complaint.category.code == "other"
    assert (complaint.community, complaint.street, complaint.district) == (
        community, community.parent, community.parent.parent)
    assert complaint.enterprise == enterprise and complaint.provider_kind == ProviderKind.ENTERPRISE
    assert complaint.sign_due == datetime.date(2026, 9, 29)  # Monday the 28th is a holiday
    assert complaint.status == ComplaintStatus.RECEIVED and complaint.location is not None
    assert complaint.events.get().kind == "received"
    # The enterprise sees it; another enterprise does not; a community worker elsewhere does not.
    assert restrict(Complaint.objects.all(), make_user("ent", Role.ENTERPRISE, enterprise=enterprise), VIEW).filter(
        pk=complaint.pk).exists()
    other_community = AdminArea.objects.filter(level="community").exclude(pk=community.pk).first()
    assert not restrict(Complaint.objects.all(), make_user("cx", Role.COMMUNITY, community=other_community),
                        VIEW).filter(pk=complaint.pk).exists()


def test_a_community_cannot_take_in_a_complaint_about_another_communitys_estate():
    estate, _ = enterprise_estate()
    other = Estate.objects.exclude(community=estate.community).filter(
        community__parent__parent=estate.community.parent.parent).first()
    worker = make_user("cw", Role.COMMUNITY, community=estate.community)
    with pytest.raises(Exception) as refused:
        complaint_create(user=worker, channel="visit", received_at=timezone.now(), caller_words="漏水",
                         estate_id=other.pk)
    assert getattr(refused.value, "status_code", 404) == 404 or "jurisdiction" in str(refused.value)
    assert not Complaint.objects.exists()


def test_an_unmatched_hotline_order_waits_then_is_confirmed_and_routed():
    planner = User.objects.get(username="planner")
    estate, enterprise = enterprise_estate()
    district = planner.profile.district
    ensure_default_categories(district)
    heating = ComplaintCategory.objects.get(district=district, code="dept_heating")
    complaint = complaint_create(user=planner, channel="hotline_12345", received_at=timezone.now(), order_no="A1",
                                 caller_words="家里暖气不热", category_id=heating.pk, address_text="某某小区")
    assert complaint.estate is None and complaint.department == "供热主管部门"
    with transaction.atomic(), pytest.raises(IntegrityError):  # a work order is taken once
        complaint_create(user=planner, channel="hotline_12345", received_at=timezone.now(), order_no="A1",
                         caller_words="again")
    if estate.community.parent.parent_id == district.pk:
        complaint = complaint_confirm_estate(user=planner, complaint_id=complaint.pk, estate_id=estate.pk)
        assert complaint.community == estate.community and complaint.department == "供热主管部门"


def test_a_complaint_in_the_future_or_too_long_is_refused():
    planner = User.objects.get(username="planner")
    with pytest.raises(Invalid):
        complaint_create(user=planner, channel="visit", received_at=timezone.now() + datetime.timedelta(days=2),
                         caller_words="x")
    with pytest.raises(Invalid):
        complaint_create(user=planner, channel="visit", received_at=timezone.now(), caller_words="x",
                         address_text="路" * 10000)
    assert not Complaint.objects.exists()


def test_the_database_refuses_an_estate_outside_the_complaints_community():
    planner = User.objects.get(username="planner")
    estate, _ = enterprise_estate()
    complaint = complaint_create(user=planner, channel="visit", received_at=timezone.now(), caller_words="x",
                                 estate_id=estate.pk)
    other = Estate.objects.exclude(community=estate.community).first()
    with transaction.atomic(), pytest.raises(IntegrityError):
        Complaint.objects.filter(pk=complaint.pk).update(estate=other)
    with transaction.atomic(), pytest.raises(IntegrityError):
        Complaint.objects.filter(pk=complaint.pk).update(reopened=2)
