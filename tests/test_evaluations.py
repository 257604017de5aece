"""The annual evaluation on a small built dataset: the selector's figures, running and confirming (CreditEvaluation,
black list after two failing years), street opinions and who may do what (docs/EVALUATIONS.md)."""
import datetime

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from layers.models import (
    Complaint,
    CreditEvaluation,
    EnterpriseEvaluation,
    EvaluationScheme,
    ListStatus,
    ProviderKind,
    RegisterAction,
    RegisterChange,
    Role,
    StreetOpinion,
    UserProfile,
)
from layers.permissions import VIEW, may, restrict
from layers.refusals import Invalid
from layers.selectors.evaluations import evaluation_inputs
from layers.services import evaluations as service
from layers.services.complaints import complaint_create
from tests import factories

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year - 1


def make_user(name, role, **area):
    user = User.objects.create_user(name, password="x")
    UserProfile.objects.create(user=user, role=role, **area)
    return user


def aware(day: datetime.date, hour=12):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def built():
    """A new enterprise serving two estates of a new community in the planner's district: one all year (600
    households), one until 1 July (400); three complaints in the year (on time and satisfied; late and unsatisfied;
    open past its deadline), one the year before; its street's opinion 80 (and 30 the year before)."""
    planner = User.objects.get(username="planner")
    community = factories.community(planner.profile.district)
    street = community.parent
    enterprise = factories.enterprise()
    kept = factories.estate(households=600, community_area=community)
    ended = factories.estate(households=400, community_area=community)
    start = datetime.date(YEAR - 3, 1, 1)
    factories.contract(kept, start=start, kind=ProviderKind.ENTERPRISE, enterprise_obj=enterprise)
    factories.contract(ended, start=start, end=datetime.date(YEAR, 7, 1), kind=ProviderKind.ENTERPRISE,
                       enterprise_obj=enterprise)
    made = []
    for k, received in enumerate([datetime.date(YEAR, 3, 2), datetime.date(YEAR, 4, 6), datetime.date(YEAR, 5, 4),
                                  datetime.date(YEAR - 1, 6, 1)]):
        made.append(complaint_create(user=planner, channel="visit", received_at=aware(received),
                                     caller_words=f"楼道漏水{k}", estate_id=kept.pk))
    on_time, late, open_late, before = made
    for complaint in made:
        assert complaint.enterprise_id == enterprise.pk
    Complaint.objects.filter(pk=on_time.pk).update(closed_at=aware(on_time.close_due, 18), rating="satisfied",
                                                   status="closed")
    Complaint.objects.filter(pk=late.pk).update(closed_at=aware(late.close_due + datetime.timedelta(days=3)),
                                                rating="unsatisfied", status="closed")
    StreetOpinion.objects.create(street=street, enterprise=enterprise, year=YEAR, score=80)
    StreetOpinion.objects.create(street=street, enterprise=enterprise, year=YEAR - 1, score=30)
    return {"planner": planner, "enterprise": enterprise, "street": street, "district": planner.profile.district}


def test_the_selector_counts_the_years_contracts_complaints_and_opinions(built):
    figures = evaluation_inputs(district=built["district"], year=YEAR)[built["enterprise"].pk]["inputs"]
    assert (figures.contracted_estates, figures.ended_early, figures.households) == (2, 1, 1000)
    assert (figures.complaints, figures.on_time, figures.late, figures.rated, figures.satisfied) == (3, 1, 2, 2, 1)
    assert (figures.opinions, figures.opinion_avg) == (1, 80.0)
    assert figures.inspection_pct is None
    assert built["enterprise"].pk not in evaluation_inputs(district=built["district"], year=YEAR - 10)


def test_run_then_confirm_records_the_credit_evaluation_and_black_lists_after_two_failing_years(built):
    planner, enterprise = built["planner"], built["enterprise"]
    CreditEvaluation.objects.create(enterprise=enterprise, year=YEAR - 1, grade="C", passed=False)
    done = []
    count = service.evaluation_run(user=planner, district_id=built["district"].pk, year=YEAR,
                                   progress=lambda n, total: done.append((n, total)))
    assert count >= 1 and done[-1] == (count, count)
    row = EnterpriseEvaluation.objects.get(enterprise=enterprise, year=YEAR)
    # contracts 50; complaints 0.4×33.3 + 0.4×50 + 0.2×85 = 50.3; opinions 80; (25×50 + 30×50.3 + 20×80)/75 = 58.1
    assert (row.score_contracts, row.score_complaints, row.score_opinions) == (50.0, 50.3, 80.0)
    assert row.total == 58.1 and row.grade == "C" and not row.passed and row.status == "draft"
    assert service.consequences([row], YEAR)[row.pk] == {"recorded": False, "black_list": True}
    enterprise.refresh_from_db()
    assert enterprise.list_status == ListStatus.NORMAL  # a draft changes nothing

    counts = service.evaluation_confirm(user=planner, district_id=built["district"].pk, year=YEAR)
    assert counts["confirmed"] == count and counts["black_listed"] >= 1
    credit = CreditEvaluation.objects.get(enterprise=enterprise, year=YEAR)
    assert (credit.grade, credit.passed, credit.recorded_by) == ("C", False, planner)
    enterprise.refresh_from_db()
    assert enterprise.list_status == ListStatus.BLACK
    assert RegisterChange.objects.filter(enterprise=enterprise, action=RegisterAction.EVALUATION).exists()
    row.refresh_from_db()
    assert row.status == "confirmed" and row.confirmed_by == planner
    with pytest.raises(Exception):  # a confirmed year is not run again
        service.evaluation_run(user=planner, district_id=built["district"].pk, year=YEAR)


def test_red_list_only_when_the_planner_confirms_the_proposal(built):
    planner, enterprise = built["planner"], built["enterprise"]
    service.scheme_save(user=planner, district_id=built["district"].pk, grade_aaa=50, grade_aa=40, grade_a=30,
                        grade_b=20, pass_line=20, key_supervision_per_1000=100)
    service.evaluation_run(user=planner, district_id=built["district"].pk, year=YEAR)
    row = EnterpriseEvaluation.objects.get(enterprise=enterprise, year=YEAR)
    assert row.grade == "AAA" and row.red_list_proposed
    with pytest.raises(Invalid):  # not before confirming
        service.red_list_confirm(user=planner, evaluation_id=row.pk)
    service.evaluation_confirm(user=planner, district_id=built["district"].pk, year=YEAR)
    enterprise.refresh_from_db()
    assert enterprise.list_status == ListStatus.NORMAL  # proposed, not listed
    service.red_list_confirm(user=planner, evaluation_id=row.pk)
    enterprise.refresh_from_db()
    assert enterprise.list_status == ListStatus.RED


def test_the_scheme_is_checked_here_and_by_the_database(built):
    planner = built["planner"]
    with pytest.raises(Invalid):
        service.scheme_save(user=planner, district_id=built["district"].pk, weight_contracts=50)
    with pytest.raises(Invalid):
        service.scheme_save(user=planner, district_id=built["district"].pk, grade_aa=95)
    with transaction.atomic(), pytest.raises(IntegrityError):
        EvaluationScheme.objects.create(district=built["district"], weight_contracts=90)
    with transaction.atomic(), pytest.raises(IntegrityError):
        StreetOpinion.objects.create(street=built["street"], enterprise=built["enterprise"], year=YEAR - 2,
                                     score=101)


def test_street_office_gives_opinions_in_its_street_only(built):
    office = make_user("so", Role.STREET_OFFICE, street=built["street"])
    opinion = service.opinion_save(user=office, enterprise_id=built["enterprise"].pk, year=YEAR, score=65,
                                   comment="保洁及时")
    assert StreetOpinion.objects.get(pk=opinion.pk).score == 65  # replaced the 80
    stranger = factories.enterprise()
    with pytest.raises(Invalid):
        service.opinion_save(user=office, enterprise_id=stranger.pk, year=YEAR, score=50)
    with pytest.raises(Invalid):
        service.opinion_save(user=office, enterprise_id=built["enterprise"].pk, year=YEAR, score=120)
    other_street = factories.community(built["district"]).parent
    other_office = make_user("so2", Role.STREET_OFFICE, street=other_street)
    assert not restrict(StreetOpinion.objects.all(), other_office, VIEW).filter(pk=opinion.pk).exists()
    with pytest.raises(Invalid):  # the enterprise serves no estate of the other street
        service.opinion_save(user=other_office, enterprise_id=built["enterprise"].pk, year=YEAR, score=50)
    assert restrict(StreetOpinion.objects.all(), office, VIEW).filter(pk=opinion.pk).exists()


def test_officials_read_the_enterprise_and_street_office_do_not_run(built):
    official = make_user("off", Role.OFFICIAL, district=built["district"])
    ent_user = make_user("ent", Role.ENTERPRISE, enterprise=built["enterprise"])
    office = make_user("so3", Role.STREET_OFFICE, street=built["street"])
    assert may(official, EnterpriseEvaluation, VIEW) and not may(official, EnterpriseEvaluation, "add")
    assert not may(ent_user, EnterpriseEvaluation, VIEW) and not may(ent_user, StreetOpinion, VIEW)
    for user in (official, office, ent_user):
        with pytest.raises(PermissionDenied):
            service.evaluation_run(user=user, district_id=built["district"].pk, year=YEAR)
    with pytest.raises(PermissionDenied):
        service.opinion_save(user=built["planner"], enterprise_id=built["enterprise"].pk, year=YEAR, score=50)


def test_pages_show_results_with_explanations_and_save_opinions(built, client):
    planner = built["planner"]
    service.evaluation_run(user=planner, district_id=built["district"].pk, year=YEAR)
    client.force_login(planner)
    page = client.get(f"/evaluations/?year={YEAR}")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-enterprise="{built["enterprise"].pk}"' in html and "58.1" in html
    assert 'data-flag="black"' not in html  # no failing year before this one
    answer = client.post("/evaluations/", {"year": YEAR, "action": "scheme", "pass_line": 50})
    assert answer.status_code == 302 and EvaluationScheme.objects.get(district=built["district"]).pass_line == 50
    office = make_user("so4", Role.STREET_OFFICE, street=built["street"])
    client.force_login(office)
    assert client.get("/evaluations/").status_code == 403
    page = client.get(f"/evaluations/opinions/?year={YEAR}")
    assert page.status_code == 200 and built["enterprise"].name in page.content.decode()
    answer = client.post("/evaluations/opinions/", {"year": YEAR, "enterprise": built["enterprise"].pk, "score": 72})
    assert answer.status_code == 302
    assert StreetOpinion.objects.get(street=built["street"], enterprise=built["enterprise"], year=YEAR).score == 72
    client.force_login(planner)
    page = client.get(f"/evaluations/opinions/?year={YEAR}")
    assert page.status_code == 200 and built["enterprise"].name in page.content.decode()
    assert client.post("/evaluations/opinions/", {"year": YEAR, "enterprise": built["enterprise"].pk,
                                                  "score": 1}).status_code == 403
    client.force_login(make_user("ent2", Role.ENTERPRISE, enterprise=built["enterprise"]))
    assert client.get("/evaluations/").status_code == 403
    assert client.get("/evaluations/opinions/").status_code == 403


def test_the_api_lists_the_results_with_their_explanation(built, client):
    service.evaluation_run(user=built["planner"], district_id=built["district"].pk, year=YEAR)
    client.force_login(make_user("off2", Role.OFFICIAL, district=built["district"]))
    answer = client.get(f"/api/evaluations/?year={YEAR}", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 200
    mine = [r for r in answer.json()["results"] if r["enterprise"]["id"] == built["enterprise"].pk]
    assert len(mine) == 1 and mine[0]["total"] == 58.1 and mine[0]["status"] == "draft"
    assert any(line.startswith("Contract fulfilment: 1 of 2") for line in mine[0]["explanation"])
    client.force_login(make_user("ent3", Role.ENTERPRISE, enterprise=built["enterprise"]))
    assert client.get("/api/evaluations/").status_code == 403
