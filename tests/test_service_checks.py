"""The services' version and black-list checks called directly: the plan named is the plan locked, a stale version is
a conflict, area versions are read by id as text or number, a black-listed enterprise or its custodian agency gets
no contract (rule 4). A fast guard for mutation testing (docs/RELIABILITY.md "Mutation testing")."""
import datetime

import pytest
from django.contrib.auth.models import User

from layers.models import CaretakerAgency, ListStatus, PlanStatus, ProviderKind, TakeoverPlan
from layers.services import plans
from layers.services.contracts import contracts_assign
from layers.refusals import Invalid, Refusal
from layers.services.management_areas import _version_of
from tests import factories

pytestmark = pytest.mark.django_db

D = datetime.date(2026, 3, 1)


@pytest.fixture
def planner():
    return User.objects.get(username="planner")


def test_the_plan_named_is_the_plan_locked_at_its_version(planner):
    district = planner.profile.district  # a plan belongs to its district (DOMAIN.md "Levels")
    older = TakeoverPlan.objects.create(name="旧方案", start_date=D, district=district)
    newer = TakeoverPlan.objects.create(name="新方案", start_date=D, district=district)
    with pytest.raises(plans.PlanConflict):
        plans.plan_discard(user=planner, plan_id=older.pk, version=older.version + 1)
    plans.plan_discard(user=planner, plan_id=older.pk, version=older.version)
    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.status, newer.status) == (PlanStatus.DISCARDED, PlanStatus.DRAFT)
    assert newer.version == 1 and older.version == 2
    with pytest.raises(plans.PlanConflict):  # no longer a draft
        plans.plan_discard(user=planner, plan_id=older.pk, version=older.version)


def test_area_versions_are_read_by_id_as_text_or_number():
    assert _version_of({"5": 3}, 5) == 3
    assert _version_of({5: 4}, 5) == 4
    assert _version_of({"5": 3, 5: 4}, 5) == 3
    for missing in ({}, {6: 1}, [5], None):
        with pytest.raises(Invalid):
            _version_of(missing, 5)


def test_black_listed_enterprise_and_its_custodian_agency_get_no_contract(planner):
    estate = factories.estate()
    black = factories.enterprise(list_status=ListStatus.BLACK, list_status_since=D)
    with pytest.raises(Refusal) as err:
        contracts_assign(user=planner, estate_ids=[estate.pk], provider_kind=ProviderKind.ENTERPRISE, mode="single",
                         start_date=D, enterprise_id=black.pk)
    assert err.value.code == "blacklisted"
    street = estate.community.parent
    agency = CaretakerAgency.objects.create(name="代管项目部", kind="custodian_enterprise", street=street,
                                            enterprise=black)
    with pytest.raises(Refusal) as err:
        contracts_assign(user=planner, estate_ids=[estate.pk], provider_kind=ProviderKind.CARETAKER_AGENCY,
                         mode="caretaker", start_date=D, caretaker_agency_id=agency.pk)
    assert err.value.code == "blacklisted"
    ok = factories.enterprise()
    contracts_assign(user=planner, estate_ids=[estate.pk], provider_kind=ProviderKind.ENTERPRISE, mode="single",
                     start_date=D, enterprise_id=ok.pk)
    assert estate.contracts.get().enterprise_id == ok.pk
