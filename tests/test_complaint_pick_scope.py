"""The server keeps a picked estate inside the picker's jurisdiction (docs/COMPLAINTS.md "Intake"): a community worker
taking in a complaint with another community's estate, or a street office confirming an order with another street's
estate, is refused with a Chinese 4xx and nothing is written."""
import datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from layers.models import AdminArea, Complaint, Estate, Role, UserProfile
from layers.services.complaints import complaint_create

from .browser_helpers import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_demo_complaints")]

HAN = range(0x4E00, 0xA000)


def chinese(text: str) -> bool:
    return any(ord(ch) in HAN for ch in text)


def test_a_community_worker_cannot_take_in_a_complaint_on_another_communitys_estate():
    community = AdminArea.objects.filter(level="community", estates__isnull=False).order_by("code").first()
    other = (Estate.objects.filter(community__parent=community.parent).exclude(community=community)
             .order_by("code").first())
    own = Estate.objects.filter(community=community).order_by("code").first()
    worker = User.objects.create_user("community-scope", password=PASSWORD)
    UserProfile.objects.create(user=worker, role=Role.COMMUNITY, community=community)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(worker)
    refused = client.post("/api/complaints/", {"channel": "visit", "caller_words": "楼道堆物", "estate": other.pk},
                          content_type="application/json")
    assert refused.status_code in (403, 404)
    assert chinese(refused.content.decode("utf-8"))
    assert not Complaint.objects.exists()
    taken = client.post("/api/complaints/", {"channel": "visit", "caller_words": "楼道堆物", "estate": own.pk},
                        content_type="application/json")
    assert taken.status_code == 201
    assert Complaint.objects.get().estate_id == own.pk


def test_confirming_an_order_with_an_estate_outside_the_users_scope_is_refused():
    planner = User.objects.get(username="planner")
    order = complaint_create(user=planner, channel="hotline_12345", received_at=timezone.now() -
                             datetime.timedelta(hours=1), caller_words="暖气不热", address_text="某某路")
    street = AdminArea.objects.filter(level="street", parent=planner.profile.district).order_by("code").first()
    elsewhere = Estate.objects.filter(community__parent__parent=street.parent).exclude(
        community__parent=street).order_by("code").first()
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(User.objects.get(username=f"street-{street.code}"))
    refused = client.post("/complaints/confirm/", {"complaint": order.pk, "estate": elsewhere.pk})
    assert 400 <= refused.status_code < 500
    assert chinese(refused.content.decode())
    order.refresh_from_db()
    assert order.estate_id is None
