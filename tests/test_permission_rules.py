"""The permission functions (layers/permissions.py) called directly on the demo accounts: a fast guard for mutation
testing, beside the endpoint matrix of tests/test_permission_matrix.py."""
import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied

from layers.models import AuditEvent, Building, Estate, ManagementArea, Role, ServiceContract
from layers.permissions import (
    ADD, CHANGE, LOCATE, REFUSALS, VIEW, OutsideJurisdiction, get_restricted, may, recheck, require, restrict,
    restrict_role, role_of, street_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def users():
    street = User.objects.filter(profile__role=Role.STREET_OFFICE).select_related("profile__street").order_by(
        "username").first()
    return {"planner": User.objects.get(username="planner"), "official": User.objects.get(username="official"),
            "admin": User.objects.get(username="admin"), "street": street}


def test_roles_and_streets_of_users(users):
    assert role_of(users["planner"]) == Role.PLANNER
    assert role_of(users["official"]) == Role.OFFICIAL
    assert role_of(users["admin"]) == Role.ADMINISTRATOR
    assert role_of(users["street"]) == Role.STREET_OFFICE
    assert role_of(AnonymousUser()) is None and role_of(None) is None
    bare = User.objects.create_user("no-profile", password="x")
    assert role_of(bare) is None
    bare.is_superuser = True
    assert role_of(bare) == Role.ADMINISTRATOR  # a superuser without a profile administers
    assert street_of(users["street"]) == users["street"].profile.street
    assert street_of(users["planner"]) is None and street_of(bare) is None


def test_may_and_require_follow_the_role_table(users):
    assert may(users["planner"], ManagementArea, CHANGE) and may(users["official"], ManagementArea, VIEW)
    assert not may(users["official"], ManagementArea, CHANGE) and not may(users["street"], ServiceContract, ADD)
    assert may(users["admin"], AuditEvent, VIEW) and not may(users["planner"], AuditEvent, VIEW)
    assert not may(users["planner"], Estate, "delete")  # not in the table: refused
    require(users["planner"], ServiceContract, ADD)
    with pytest.raises(PermissionDenied, match=str(ServiceContract._meta.verbose_name_plural)):
        require(users["official"], ServiceContract, ADD)


def test_restrict_limits_a_street_office_to_its_street(users):
    street = users["street"].profile.street
    mine = restrict(Building.objects.all(), users["street"], VIEW)
    assert mine.exists()
    assert mine.count() == Building.objects.filter(estate__community__parent=street).count() < Building.objects.count()
    assert restrict(Building.objects.all(), users["planner"], VIEW).count() == Building.objects.count()
    assert not restrict(ServiceContract.objects.all(), users["official"], ADD).exists()
    assert restrict(Estate.objects.all(), users["street"], LOCATE).count() == Estate.objects.count()  # not by street
    assert restrict(Estate.objects.all(), users["street"], VIEW).count() == \
        Estate.objects.filter(community__parent=street).count()
    assert restrict_role(Building.objects.all(), role=Role.STREET_OFFICE, street=street.pk, action=VIEW).count() == \
        mine.count()
    assert not restrict_role(Building.objects.all(), role=None, street=None, action=VIEW).exists()
    # An action missing from the role table: nothing.
    assert not restrict_role(Estate.objects.all(), role=Role.PLANNER, street=None, action="delete").exists()


def test_get_restricted_answers_403_for_a_role_and_404_outside(users):
    street = users["street"].profile.street
    inside = Building.objects.filter(estate__community__parent=street).first()
    outside = Building.objects.exclude(estate__community__parent=street).first()
    assert get_restricted(Building.objects.all(), users["street"], VIEW, pk=inside.pk) == inside
    refusals = []
    token = REFUSALS.set(refusals)
    try:
        with pytest.raises(OutsideJurisdiction) as err:
            get_restricted(Building.objects.all(), users["street"], VIEW, pk=outside.pk)
    finally:
        REFUSALS.reset(token)
    message = str(Building._meta.verbose_name)
    assert message in str(err.value) and len(refusals) == 1 and message in refusals[0]
    with pytest.raises(PermissionDenied):
        get_restricted(ServiceContract.objects.all(), users["official"], ADD, pk=1)


def test_recheck_refuses_an_object_outside_the_scope(users):
    street = users["street"].profile.street
    inside = Building.objects.filter(estate__community__parent=street).first()
    outside = Building.objects.exclude(estate__community__parent=street).first()
    recheck(inside, users["street"], VIEW)
    with pytest.raises(PermissionDenied):
        recheck(outside, users["street"], VIEW)
