"""Assigning service: contracts_assign / contract_end, jurisdictions kept current, worklists, nearby candidates."""
import datetime

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from layers.selectors.candidates import nearby_candidates
from layers.refusals import Refusal
from layers.models import (
    AdminArea,
    AdminLevel,
    Building,
    CaretakerAgency,
    CaretakerKind,
    ContractMode,
    EnterpriseJurisdiction,
    Estate,
    ListStatus,
    ProviderKind,
    RegisterAction,
    RegisterChange,
    RenovationProject,
    ServiceContract,
)
from layers.services.contracts import contract_end, contracts_assign
from layers.selectors.worklists import worklist_get

from . import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def planner():
    return User.objects.get(username="planner")


def status(estate, on):
    return Estate.objects.with_service_status(on).get(pk=estate.pk).service_status


def street_agency(street, name="测试街道物业管理服务中心"):
    return CaretakerAgency.objects.create(name=name, kind=CaretakerKind.STREET_AGENCY, street=street)


def three_estates():
    community = f.community()
    return [f.estate(community_area=community) for _ in range(3)], community.parent


def assign(estates, **kw):
    kw.setdefault("provider_kind", ProviderKind.DISTRICT_FALLBACK)
    kw.setdefault("mode", ContractMode.CARETAKER)
    kw.setdefault("start_date", f.d("2025-01-01"))
    return contracts_assign(user=kw.pop("user", planner()), estate_ids=[e.pk for e in estates], **kw)


# ---- contracts_assign ----------------------------------------------------------------------------------------

def test_assign_a_caretaker_to_a_selection_records_every_contract():
    estates, street = three_estates()
    agency = street_agency(street)
    contracts = assign(estates, provider_kind=ProviderKind.CARETAKER_AGENCY, mode="", caretaker_agency_id=agency.pk,
                       note="托底")
    assert len(contracts) == 3
    for e in estates:
        assert status(e, f.d("2024-12-31")) == "none"
        assert status(e, f.d("2025-01-01")) == "caretaker"
    changes = RegisterChange.objects.filter(estate__in=estates)
    assert changes.count() == 3
    change = changes.first()
    assert change.action == RegisterAction.CONTRACT_CREATE and change.user == planner() and change.reason == "托底"
    assert change.before is None and change.after["caretaker_agency_id"] == agency.pk
    assert change.after["start_date"] == "2025-01-01" and change.contract_id is not None


def test_all_or_nothing_when_one_estate_is_served():
    estates, _ = three_estates()
    served = estates[1]
    assign([served], provider_kind=ProviderKind.COMMUNITY, mode=ContractMode.SELF_GOVERNED,
           start_date=f.d("2020-01-01"))
    before = (ServiceContract.objects.count(), RegisterChange.objects.count())
    with pytest.raises(Refusal) as exc:
        assign(estates)
    message = exc.value.message
    assert served.name in message and served.code in message and "2020-01-01" in message
    assert exc.value.code == "overlap" and exc.value.status == 409
    assert (ServiceContract.objects.count(), RegisterChange.objects.count()) == before
    assert status(estates[0], f.d("2025-06-01")) == "none"


def test_black_listed_enterprise_refused_with_a_message_and_by_the_database():
    estates, _ = three_estates()
    black = f.enterprise(list_status=ListStatus.BLACK, list_status_since=f.d("2021-01-01"),
                         list_status_reason="连续两年不合格")
    with pytest.raises(Refusal) as exc:
        assign(estates, provider_kind=ProviderKind.ENTERPRISE, mode=ContractMode.SINGLE, enterprise_id=black.pk)
    assert exc.value.code == "blacklisted" and black.name in exc.value.message
    assert not ServiceContract.objects.filter(enterprise=black).exists()
    # The trigger of migration 0009 refuses the same write on any other path.
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceContract.objects.create(estate=estates[0], provider_kind=ProviderKind.ENTERPRISE, enterprise=black,
                                       mode=ContractMode.SINGLE, start_date=f.d("2025-01-01"))


def test_custodian_agency_of_a_black_listed_enterprise_refused():
    estates, street = three_estates()
    black = f.enterprise(list_status=ListStatus.BLACK)
    agency = CaretakerAgency.objects.create(name="代管项目部", kind=CaretakerKind.CUSTODIAN_ENTERPRISE, street=street,
                                            enterprise=black)
    with pytest.raises(Refusal, match="black list"):
        assign(estates, provider_kind=ProviderKind.CARETAKER_AGENCY, mode="", caretaker_agency_id=agency.pk)


def test_overlap_names_the_estate_and_provider_and_replace_ends_the_current_one():
    estates, _ = three_estates()
    first = f.enterprise()
    old = assign(estates[:1], provider_kind=ProviderKind.ENTERPRISE, mode=ContractMode.SINGLE, enterprise_id=first.pk,
                 start_date=f.d("2019-05-01"))[0]
    with pytest.raises(Refusal) as exc:
        assign(estates[:1], start_date=f.d("2025-01-01"))
    assert first.name in exc.value.message and estates[0].name in exc.value.message
    new = assign(estates[:1], start_date=f.d("2025-01-01"), replace=True, note="企业退出")[0]
    old.refresh_from_db()
    assert old.end_date == f.d("2025-01-01") and new.start_date == f.d("2025-01-01")
    assert status(estates[0], f.d("2024-12-31")) == "enterprise"
    assert status(estates[0], f.d("2025-01-01")) == "caretaker"
    ended = RegisterChange.objects.get(contract=old, action=RegisterAction.CONTRACT_END)
    assert ended.before["end_date"] is None and ended.after["end_date"] == "2025-01-01"


def test_replace_never_overwrites_a_contract_starting_later():
    estates, _ = three_estates()
    assign(estates[:1], start_date=f.d("2026-01-01"))
    with pytest.raises(Refusal, match="cannot be replaced"):
        assign(estates[:1], provider_kind=ProviderKind.COMMUNITY, mode=ContractMode.SELF_GOVERNED,
               start_date=f.d("2025-01-01"), replace=True)


@pytest.mark.parametrize("kw, code", [
    ({"provider_kind": ProviderKind.ENTERPRISE, "mode": ContractMode.CARETAKER}, "mode"),
    ({"provider_kind": ProviderKind.ENTERPRISE, "mode": ContractMode.SINGLE}, "enterprise"),
    ({"provider_kind": ProviderKind.COMMUNITY, "mode": ContractMode.NEARBY}, "mode"),
    ({"provider_kind": ProviderKind.CARETAKER_AGENCY, "mode": ""}, "caretaker_agency"),
    ({"provider_kind": "friends", "mode": ""}, "provider"),
    ({"end_date": f.d("2024-01-01")}, "end_date"),
    ({"mode": ContractMode.CARETAKER, "bundle_id": 1}, "bundle"),
])
def test_provider_mode_and_date_mismatches_refused(kw, code):
    estates, _ = three_estates()
    with pytest.raises(Refusal) as exc:
        assign(estates, **kw)
    assert exc.value.code == code
    assert not ServiceContract.objects.filter(estate__in=estates).exists()


def test_street_agency_serves_only_its_street():
    estates, _ = three_estates()
    other_street = AdminArea.objects.filter(level=AdminLevel.STREET).exclude(pk=estates[0].community.parent_id).first()
    agency = street_agency(other_street)
    with pytest.raises(Refusal) as exc:
        assign(estates, provider_kind=ProviderKind.CARETAKER_AGENCY, mode="", caretaker_agency_id=agency.pk)
    assert other_street.name in exc.value.message and estates[0].code in exc.value.message


def test_unknown_estate_refused_before_anything_is_written():
    estates, _ = three_estates()
    with pytest.raises(Refusal, match="999999999"):
        contracts_assign(user=planner(), estate_ids=[estates[0].pk, 999999999], provider_kind="district_fallback",
                         mode="", start_date=f.d("2025-01-01"))
    assert not ServiceContract.objects.filter(estate=estates[0]).exists()


@pytest.mark.parametrize("username", ["official", "street-230112001"])
def test_only_the_district_assigns(username):
    estates, _ = three_estates()
    with pytest.raises(PermissionDenied):
        assign(estates, user=User.objects.get(username=username))


# ---- contract_end --------------------------------------------------------------------------------------------

def test_ending_makes_the_estate_uncovered_from_that_date():
    estates, _ = three_estates()
    contract = assign(estates[:1], start_date=f.d("2020-01-01"))[0]
    contract_end(user=planner(), contract_id=contract.pk, end_date=f.d("2025-07-01"), reason="合同到期")
    assert status(estates[0], f.d("2025-06-30")) == "caretaker"
    assert status(estates[0], f.d("2025-07-01")) == "none"
    change = RegisterChange.objects.get(contract=contract, action=RegisterAction.CONTRACT_END)
    assert change.reason == "合同到期" and change.after["end_date"] == "2025-07-01"


@pytest.mark.parametrize("end, reason, match", [
    ("2019-12-31", "x", "starts on"),
    ("2020-01-01", "x", "starts on"),
    ("2025-07-01", "  ", "reason"),
])
def test_end_refusals(end, reason, match):
    estates, _ = three_estates()
    contract = assign(estates[:1], start_date=f.d("2020-01-01"))[0]
    with pytest.raises(Refusal, match=match):
        contract_end(user=planner(), contract_id=contract.pk, end_date=f.d(end), reason=reason)
    contract.refresh_from_db()
    assert contract.end_date is None


def test_end_only_shortens():
    estates, _ = three_estates()
    contract = assign(estates[:1], start_date=f.d("2020-01-01"), end_date=f.d("2024-01-01"))[0]
    with pytest.raises(Refusal, match="already ends"):
        contract_end(user=planner(), contract_id=contract.pk, end_date=f.d("2025-01-01"), reason="x")


# ---- jurisdictions -------------------------------------------------------------------------------------------

def test_jurisdiction_follows_assign_and_end_and_leaves_others_alone():
    estates, _ = three_estates()
    enterprise = f.enterprise()
    other = EnterpriseJurisdiction.objects.order_by("pk").first()
    other_refreshed = other.refreshed_at
    assert not EnterpriseJurisdiction.objects.filter(pk=enterprise.pk).exists()
    contracts = assign(estates[:2], provider_kind=ProviderKind.ENTERPRISE, mode=ContractMode.SINGLE,
                       enterprise_id=enterprise.pk, start_date=TODAY - 10 * DAY)
    territory = EnterpriseJurisdiction.objects.get(pk=enterprise.pk)
    assert territory.estate_count == 2 and territory.households == estates[0].households + estates[1].households
    assert territory.geom.covers(estates[0].geom.point_on_surface)
    contract_end(user=planner(), contract_id=contracts[0].pk, end_date=TODAY, reason="退出")
    territory = EnterpriseJurisdiction.objects.get(pk=enterprise.pk)
    assert territory.estate_count == 1 and not territory.geom.covers(estates[0].geom.point_on_surface)
    contract_end(user=planner(), contract_id=contracts[1].pk, end_date=TODAY, reason="退出")
    assert not EnterpriseJurisdiction.objects.filter(pk=enterprise.pk).exists()
    other.refresh_from_db()
    assert other.refreshed_at == other_refreshed


def test_replacing_an_enterprise_shrinks_its_jurisdiction():
    estates, _ = three_estates()
    enterprise = f.enterprise()
    assign(estates, provider_kind=ProviderKind.ENTERPRISE, mode=ContractMode.SINGLE, enterprise_id=enterprise.pk,
           start_date=TODAY - 100 * DAY)
    assert EnterpriseJurisdiction.objects.get(pk=enterprise.pk).estate_count == 3
    assign(estates[:1], start_date=TODAY, replace=True)
    assert EnterpriseJurisdiction.objects.get(pk=enterprise.pk).estate_count == 2


# ---- nearby candidates ---------------------------------------------------------------------------------------

def test_nearby_candidates_rank_by_distance_and_skip_the_black_list():
    community = f.community()
    # Target at (0.1, 0.1); A's estate touches it; B's is ~0.01° (≈ 780 m) east; the black one touches it too.
    target = f.estate(community_area=community, geom=f.multi(f.rect(0.1, 0.1)))
    near_estate = f.estate(community_area=community, geom=f.multi(f.rect(0.101, 0.1)))
    far_estate = f.estate(community_area=community, geom=f.multi(f.rect(0.111, 0.1)))
    black_estate = f.estate(community_area=community, geom=f.multi(f.rect(0.1, 0.101)))
    a, b = f.enterprise(credit_grade="A"), f.enterprise(credit_grade="A")  # equal grades: distance decides
    black = f.enterprise(credit_grade="AAA")
    assign([near_estate], provider_kind=ProviderKind.ENTERPRISE, mode=ContractMode.SINGLE, enterprise_id=a.pk,
           start_date=TODAY - 30 * DAY)
    assign([far_estate], provider_kind=ProviderKind.ENTERPRISE, mode=ContractMode.SINGLE, enterprise_id=b.pk,
           start_date=TODAY - 30 * DAY)
    assign([black_estate], provider_kind=ProviderKind.ENTERPRISE, mode=ContractMode.SINGLE, enterprise_id=black.pk,
           start_date=TODAY - 30 * DAY)
    black.list_status, black.list_status_since = ListStatus.BLACK, TODAY
    black.save()
    ranked = nearby_candidates(geom=target.geom, households=target.households)
    ids = [c.enterprise_id for c in ranked]
    assert black.pk not in ids
    assert ids[:2] == [a.pk, b.pk]
    assert ranked[0].distance_m < 1
    assert 700 < ranked[1].distance_m < 800  # 0.01° of longitude at 45.9° N ≈ 775 m
    assert ranked[0].households_served == near_estate.households
    assert len(nearby_candidates(geom=target.geom, limit=1)) == 1
    # On a date before those contracts, neither had a territory there.
    earlier = [c.enterprise_id for c in nearby_candidates(geom=target.geom, on=TODAY - 60 * DAY)]
    assert a.pk not in earlier and b.pk not in earlier


# ---- worklists -----------------------------------------------------------------------------------------------

def ids_on(name, **kw):
    wl = worklist_get(user=kw.pop("user", planner()), name=name, per_page=200, **kw)
    return {row["id"] for row in wl.rows} | set(wl.ids)


def test_uncovered_worklist_until_assigned():
    estates, street = three_estates()
    new = f.estate(build_year=2015, community_area=estates[0].community)
    listed = ids_on("uncovered", street_id=street.pk)
    assert listed == {e.pk for e in estates}
    assert new.pk not in listed
    assign(estates[:2], start_date=TODAY)
    assert ids_on("uncovered", street_id=street.pk) == {estates[2].pk}


def test_renovated_worklist_until_a_fallback_is_assigned():
    estates, street = three_estates()
    done, planned = estates[0], estates[1]
    RenovationProject.objects.create(estate=done, name="改造", items=["roof"], status="completed", start_year=2022,
                                     end_year=2023)
    RenovationProject.objects.create(estate=planned, name="计划", items=["roof"], status="planned", start_year=2027)
    assign([done], provider_kind=ProviderKind.COMMUNITY, mode=ContractMode.SELF_GOVERNED,
           start_date=f.d("2024-01-01"), end_date=TODAY + DAY)
    assert ids_on("renovated", street_id=street.pk) == {done.pk}  # self-governance is no fallback
    assign([done], start_date=TODAY + DAY)
    assert ids_on("renovated", street_id=street.pk) == {done.pk}  # the fallback starts tomorrow
    assert ids_on("renovated", street_id=street.pk, on=TODAY + DAY) == set()


def test_abandoned_worklist_one_row_per_estate_until_a_caretaker():
    estates, street = three_estates()
    for label, state in [("1号楼", "reported"), ("2号楼", "verified"), ("3号楼", "resolved")]:
        Building.objects.create(code=f"TB{estates[0].pk}{label}", estate=estates[0], label=label, floors=6,
                                households=30, build_year=1990, abandonment=state, geom=f.rect(0.5, 0.5, 0.0001, 0.0001))
    wl = worklist_get(user=planner(), name="abandoned", street_id=street.pk)
    assert wl.count == 1 and wl.buildings == 2 and wl.rows[0]["detail"] == "1号楼, 2号楼"
    assign(estates[:1], start_date=TODAY)
    assert worklist_get(user=planner(), name="abandoned", street_id=street.pk).count == 0


def test_street_office_sees_only_its_street():
    office = User.objects.get(username="street-230112001")
    own = office.profile.street
    wl = worklist_get(user=office, name="uncovered", per_page=200)
    assert wl.street == own and wl.count > 0
    assert {r["street_id"] for r in wl.rows} == {own.pk}
    other = AdminArea.objects.filter(level=AdminLevel.STREET).exclude(pk=own.pk).first()
    from django.http import Http404
    with pytest.raises(Http404):
        worklist_get(user=office, name="uncovered", street_id=other.pk)


def test_worklist_paging_and_totals_agree():
    first = worklist_get(user=planner(), name="uncovered", per_page=10)
    everything = worklist_get(user=planner(), name="uncovered", per_page=200)
    assert first.count == everything.count == len(everything.rows)
    assert first.pages == -(-first.count // 10)
    assert first.households == sum(r["households"] for r in everything.rows)
    assert [r["id"] for r in first.rows] == [r["id"] for r in everything.rows[:10]]
    # The map's ids: the whole list, in the list's order, whatever the page.
    assert first.ids == [r["id"] for r in everything.rows] and len(first.ids) == first.count


def test_daily_refresh_command_picks_up_contracts_that_start_later():
    from io import StringIO

    from django.core.management import call_command

    estates, _ = three_estates()
    enterprise = f.enterprise()
    assign(estates[:1], provider_kind=ProviderKind.ENTERPRISE, mode=ContractMode.SINGLE, enterprise_id=enterprise.pk,
           start_date=TODAY + DAY)
    assert not EnterpriseJurisdiction.objects.filter(pk=enterprise.pk).exists()  # not yet today
    out = StringIO()
    call_command("refresh_jurisdictions", date=(TODAY + DAY).isoformat(), stdout=out)
    assert EnterpriseJurisdiction.objects.get(pk=enterprise.pk).estate_count == 1
    assert "jurisdictions rebuilt" in out.getvalue()
