"""The shared domain rules at their boundaries: the SQL functions of migration 0014 equal their Python twins, and every
statement using them (coverage, worklists, plans, tiles, export, ORM) counts an estate of the cutoff year as old and a
contract as active from its start date up to, not including, its end date."""
import datetime
import itertools

import pytest
from django.contrib.auth.models import User
from django.db import connection

from layers.catalogue import feature_layer, tile_layer
from layers.selectors.bundles import metric_srid, uncovered_units
from layers.selectors.coverage import coverage_figures, coverage_trend, uncovered_household_points
from layers.models import Estate, ServiceContract, TakeoverPlan
from layers.planning import rules as pure
from layers.rules import (
    contract_not_ended_filter, contract_not_ended_sql, old_estate_literal_sql, old_estate_sql,
)
from layers.selectors.contracts import contracts_active_on
from layers.selectors.plans import plan_map_data
from layers.selectors.worklists import worklist_get
from tests import factories

pytestmark = pytest.mark.django_db

D = datetime.date(2026, 3, 1)  # the date asked
DAY = datetime.timedelta(days=1)


def sql_value(expression: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {expression}", params or [])
        return cursor.fetchone()[0]


# --- the SQL functions and their Python twins ------------------------------------------------------------------

@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_old_estate_sql_equals_python_around_the_cutoff(offset):
    cutoff = factories.cutoff_year()
    year = cutoff + offset
    expected = offset <= 0  # the cutoff year itself is old (004 §1: built before the end of that year)
    assert pure.is_old_estate(year, cutoff=cutoff) is expected
    assert sql_value("layers_is_old_estate(%s::smallint, %s)", [year, cutoff]) is expected


DATES = [D - DAY, D, D + DAY, None]


@pytest.mark.parametrize("start,end", [(s, e) for s, e in itertools.product(DATES[:3], DATES) if e is None or e > s])
def test_contract_rules_sql_equal_python_around_the_date(start, end):
    assert sql_value("layers_contract_active(%s::date, %s::date, %s::date)", [start, end, D]) is \
        pure.contract_active(start, end, D)
    assert sql_value("layers_contract_not_ended(%s::date, %s::date)", [end, D]) is pure.contract_not_ended(end, D)


def test_contract_active_boundaries_in_python():
    assert pure.contract_active(D, None, D)  # starts on the date asked: active
    assert not pure.contract_active(D - DAY * 30, D, D)  # ends on the date asked: the end date is exclusive
    assert pure.contract_active(D - DAY * 30, D + DAY, D)
    assert not pure.contract_active(D + DAY, None, D)
    assert pure.contract_not_ended(D + DAY, D) and not pure.contract_not_ended(D, D)
    assert pure.contract_not_ended(None, D)


@pytest.mark.parametrize("kind,status", [("enterprise", "enterprise"), ("community", "self_governed"),
                                         ("caretaker_agency", "caretaker"), ("district_fallback", "caretaker")])
def test_provider_status_sql_equals_python(kind, status):
    assert pure.provider_status(kind) == status
    assert sql_value("layers_provider_status(%s)", [kind]) == status


# --- every statement at the old-estate boundary --------------------------------------------------------------------

@pytest.fixture
def cutoff_pair():
    """An estate of the cutoff year and one of the year after, both uncovered, alone in a new community."""
    community = factories.community()
    at = factories.estate_at_cutoff(community_area=community)
    after = factories.estate_after_cutoff(community_area=community)
    return community, at, after


def test_coverage_figures_count_the_cutoff_year_estate_as_old(cutoff_pair):
    community, at, after = cutoff_pair
    rows = {r["id"]: r for r in coverage_figures(on=D, level="community", parent_id=community.parent_id)["rows"]}
    row = rows[community.pk]
    assert row["old_estates"] == 1
    assert row["old_households"] == at.households
    assert row["by_status"]["none"] == 1
    factories.contract(at, start=D - DAY * 10)
    row = {r["id"]: r for r in coverage_figures(on=D, level="community", parent_id=community.parent_id)["rows"]}[
        community.pk]
    assert row["service_rate"]["estates"] == 1.0 and row["by_status"]["caretaker"] == 1


def test_trend_and_heatmap_count_the_cutoff_year_estate(cutoff_pair):
    community, at, after = cutoff_pair
    factories.contract(at, start=D)
    trend = coverage_trend(area_id=community.pk, start=D.replace(month=D.month - 2), end=D)
    assert trend[-1]["date"] == D.isoformat() and trend[-1]["service_rate"] == 1.0
    assert trend[0]["service_rate"] == 0.0  # old (denominator 1) but not yet served
    centre = at.geom.centroid
    bbox = (centre.x - 0.01, centre.y - 0.01, centre.x + 0.01, centre.y + 0.01)
    households = [p[2] for p in uncovered_household_points(on=D - DAY, bbox=bbox)]
    assert at.households in households
    assert at.households not in [p[2] for p in uncovered_household_points(on=D, bbox=bbox)]


def test_uncovered_worklist_lists_the_cutoff_year_estate_and_not_the_next_year(cutoff_pair):
    community, at, after = cutoff_pair
    planner = User.objects.get(username="planner")
    worklist = worklist_get(user=planner, name="uncovered", street_id=community.parent_id, on=D, per_page=200)
    ids = {r["id"] for r in worklist.rows}
    assert at.pk in ids and after.pk not in ids


def test_orm_old_and_is_old_include_the_cutoff_year(cutoff_pair):
    community, at, after = cutoff_pair
    old = set(Estate.objects.filter(community=community).old().values_list("pk", flat=True))
    assert old == {at.pk}
    assert at.is_old and not after.is_old
    uncovered = set(Estate.objects.filter(community=community).uncovered(D).values_list("pk", flat=True))
    assert uncovered == {at.pk}


def test_bundle_inputs_take_the_cutoff_year_estate(cutoff_pair):
    community, at, after = cutoff_pair
    units = uncovered_units(on=D, srid=metric_srid(), estate_ids=[at.pk, after.pk])
    assert [u.id for u in units] == [at.pk]
    factories.contract(at, start=D + DAY * 30)  # a contract starting later: not free from D on
    assert uncovered_units(on=D, srid=metric_srid(), estate_ids=[at.pk]) == []


def test_plan_map_shows_the_cutoff_year_estate_of_its_street(cutoff_pair):
    community, at, after = cutoff_pair
    plan = TakeoverPlan.objects.create(name="边界", street_id=community.parent_id, start_date=D)
    ids = {f["id"] for f in plan_map_data(plan)["estates"]["features"]}
    assert at.pk in ids and after.pk not in ids


def test_tile_and_export_old_attribute_include_the_cutoff_year(cutoff_pair):
    community, at, after = cutoff_pair
    column = next(c for c in tile_layer("estates").columns if c.endswith(" AS old")).rsplit(" AS ", 1)[0]
    field = next(f for f in feature_layer("estates").fields if f.name == "old")
    for estate, expected in ((at, True), (after, False)):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {column}, {field.sql} FROM layers_estate e JOIN layers_estate t ON t.id = e.id "
                           "WHERE e.id = %(id)s", {"id": estate.pk, "old_cutoff": factories.cutoff_year()})
            assert cursor.fetchone() == (expected, expected)


def test_hexagon_tile_counts_the_cutoff_year_estate():
    sql = tile_layer("coverage_hex").sql
    assert "layers_is_old_estate(s.build_year" in sql  # the hexagons' old estates: the same function


# --- every statement at the contract boundary ----------------------------------------------------------------------

def test_handover_on_the_date_asked_gives_exactly_the_new_contract():
    estate = factories.estate()
    ending, starting = factories.handover(estate, D)
    assert list(contracts_active_on(D).filter(estate=estate)) == [starting]
    assert list(contracts_active_on(D - DAY).filter(estate=estate)) == [ending]
    with connection.cursor() as cursor:
        cursor.execute("SELECT contract_id, status FROM layers_active_contracts(%s) WHERE estate_id = %s",
                       [D, estate.pk])
        assert cursor.fetchall() == [(starting.pk, "enterprise")]
        cursor.execute("SELECT contract_id, status FROM layers_active_contracts(%s) WHERE estate_id = %s",
                       [D - DAY, estate.pk])
        assert cursor.fetchall() == [(ending.pk, "caretaker")]
    assert Estate.objects.with_service_status(D).get(pk=estate.pk).service_status == "enterprise"
    assert Estate.objects.with_service_status(D - DAY).get(pk=estate.pk).service_status == "caretaker"


def test_contract_ending_on_the_date_asked_leaves_the_estate_uncovered_that_day(cutoff_pair):
    community, at, after = cutoff_pair
    factories.contract(at, start=D - DAY * 100, end=D)

    def none_count(on):
        rows = coverage_figures(on=on, level="community", parent_id=community.parent_id)["rows"]
        return next(r for r in rows if r["id"] == community.pk)["by_status"]["none"]

    assert none_count(D - DAY) == 0
    assert none_count(D) == 1
    assert not ServiceContract.objects.filter(pk__in=contracts_active_on(D)).filter(estate=at).exists()


def test_contract_starting_on_the_date_asked_covers_the_estate_that_day(cutoff_pair):
    community, at, after = cutoff_pair
    factories.contract(at, start=D)
    planner = User.objects.get(username="planner")

    def listed(on):
        rows = worklist_get(user=planner, name="uncovered", street_id=community.parent_id, on=on, per_page=200).rows
        return at.pk in {r["id"] for r in rows}

    assert listed(D - DAY) and not listed(D)


def test_orm_not_ended_filter_keeps_contracts_running_on_or_after_the_date():
    ended = factories.contract(factories.estate(), start=D - DAY * 100, end=D)  # ends on the date asked: ended
    running = factories.contract(factories.estate(), start=D - DAY * 10, end=D + DAY)
    later = factories.contract(factories.estate(), start=D + DAY * 30)
    ids = [ended.pk, running.pk, later.pk]
    kept = set(ServiceContract.objects.filter(pk__in=ids).filter(contract_not_ended_filter(D))
               .values_list("pk", flat=True))
    assert kept == {running.pk, later.pk}
    assert set(ServiceContract.objects.filter(pk__in=ids).filter(contract_not_ended_filter(D + DAY))
               .values_list("pk", flat=True)) == {later.pk}


def test_sql_fragments_call_the_rule_functions_with_the_columns_given():
    cutoff = factories.cutoff_year()
    assert old_estate_sql() == "layers_is_old_estate(e.build_year, %(cutoff)s)"
    assert old_estate_sql("s.build_year", "%(old_cutoff)s") == "layers_is_old_estate(s.build_year, %(old_cutoff)s)"
    assert old_estate_literal_sql("t.build_year") == f"layers_is_old_estate(t.build_year, {cutoff})"
    assert contract_not_ended_sql() == "layers_contract_not_ended(c.end_date, %(on)s)"
    assert contract_not_ended_sql("sc", "d.on_date") == "layers_contract_not_ended(sc.end_date, d.on_date)"
    estate = factories.estate_at_cutoff()
    ending = factories.contract(estate, start=D - DAY * 10, end=D)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {old_estate_literal_sql('e.build_year')}, {old_estate_sql(cutoff='%(cutoff)s')}, "
                       f"{contract_not_ended_sql('c')} FROM layers_estate e JOIN layers_servicecontract c "
                       "ON c.estate_id = e.id WHERE c.id = %(id)s", {"id": ending.pk, "on": D - DAY, "cutoff": cutoff})
        assert cursor.fetchone() == (True, True, True)
