"""The demo city (small, seed 7, loaded by conftest): spatial invariants, a realistic status mix, determinism, accounts."""
import datetime

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection

from layers.selectors.coverage import coverage_figures
from layers.credit_code import credit_code_problem
from layers.demo.accounts import demo_password
from layers.demo.city import DEMO_TODAY, generate_city
from layers.models import (
    AdminArea, AdminLevel, CreditEvaluation, Enterprise, Estate, Role, ServiceContract, ServiceStatus, UserProfile,
)
from layers.selectors.contracts import contracts_active_on
from layers.selectors.worklists import worklist_get

pytestmark = pytest.mark.django_db

GEOMETRY_TABLES = (
    "layers_adminarea", "layers_road", "layers_managementarea", "layers_estate", "layers_building",
    "layers_enterprisejurisdiction",
)


def scalar(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def test_demo_is_loaded_at_small_scale():
    assert AdminArea.objects.filter(level=AdminLevel.DISTRICT, code="230112").count() == 1
    assert AdminArea.objects.filter(level=AdminLevel.STREET).count() == 3
    assert AdminArea.objects.filter(level=AdminLevel.COMMUNITY).count() == 9
    assert 200 <= Estate.objects.count() <= 450
    assert 1500 <= scalar("SELECT count(*) FROM layers_building") <= 3500


def test_every_building_lies_within_its_estate():
    assert scalar(
        "SELECT count(*) FROM layers_building b JOIN layers_estate e ON e.id = b.estate_id"
        " WHERE NOT ST_CoveredBy(b.geom, e.geom)"
    ) == 0


def test_buildings_of_an_estate_do_not_overlap():
    assert scalar(
        "SELECT count(*) FROM layers_building a JOIN layers_building b"
        " ON a.estate_id = b.estate_id AND a.id < b.id AND a.geom && b.geom"
        " WHERE ST_Relate(a.geom, b.geom, '2********')"
    ) == 0


def test_estates_lie_within_their_community_and_units_nest():
    assert scalar(
        "SELECT count(*) FROM layers_estate e JOIN layers_adminarea c ON c.id = e.community_id"
        " WHERE c.level <> 'community' OR NOT ST_CoveredBy(e.geom, c.geom)"
    ) == 0
    assert scalar(
        "SELECT count(*) FROM layers_adminarea child JOIN layers_adminarea parent ON parent.id = child.parent_id"
        " WHERE NOT ST_CoveredBy(child.geom, parent.geom)"
        "    OR (child.level, parent.level) NOT IN (('community', 'street'), ('street', 'district'), ('district', 'city'))"
    ) == 0


def test_estates_do_not_overlap_each_other():
    assert scalar(
        "SELECT count(*) FROM layers_estate a JOIN layers_estate b ON a.id < b.id AND a.geom && b.geom"
        " WHERE ST_Relate(a.geom, b.geom, '2********')"
    ) == 0


def test_management_areas_do_not_overlap_and_cover_their_estates():
    assert scalar(
        "SELECT count(*) FROM layers_managementarea a JOIN layers_managementarea b ON a.id < b.id AND a.geom && b.geom"
        " WHERE ST_Relate(a.geom, b.geom, '2********')"
    ) == 0
    assert scalar(
        "SELECT count(*) FROM layers_estate e JOIN layers_managementarea m ON m.id = e.management_area_id"
        " WHERE NOT ST_CoveredBy(e.geom, m.geom)"
    ) == 0
    open_estates = Estate.objects.filter(is_open=True)
    assert open_estates.filter(management_area__isnull=True).exists(), "some open estates still await an area"
    assert not Estate.objects.filter(is_open=False, management_area__isnull=True).exists()


@pytest.mark.parametrize("table", GEOMETRY_TABLES)
def test_geometries_are_valid_and_in_cgcs2000(table):
    assert scalar(f"SELECT count(*) FROM {table}") > 0
    assert scalar(f"SELECT count(*) FROM {table} WHERE NOT ST_IsValid(geom) OR ST_SRID(geom) <> 4490") == 0


def test_credit_codes_are_valid():
    codes = list(Enterprise.objects.values_list("credit_code", flat=True))
    assert len(codes) >= 8
    assert [c for c in codes if credit_code_problem(c)] == []
    assert all(c.startswith("91230112") for c in codes)


def test_blacklisted_enterprises_have_no_recent_contracts():
    black = Enterprise.objects.filter(list_status="black")
    assert black.exists()
    assert not black.filter(contracts__start_date__gte=datetime.date(2021, 1, 1)).exists()


def status_shares(on: datetime.date) -> dict[str, float]:
    old = list(Estate.objects.old().with_service_status(on).values_list("service_status", flat=True))
    return {s: old.count(s) / len(old) for s in ServiceStatus.values}


def test_status_mix_today_is_realistic():
    shares = status_shares(DEMO_TODAY)
    assert 0.20 <= shares[ServiceStatus.NONE] <= 0.45
    assert 0.30 <= shares[ServiceStatus.ENTERPRISE] <= 0.50
    assert all(share > 0 for share in shares.values()), shares


def test_most_estates_are_old():
    assert 0.7 <= Estate.objects.old().count() / Estate.objects.count() <= 0.9


def test_coverage_grows_over_time():
    then, now = status_shares(datetime.date(2018, 1, 1)), status_shares(DEMO_TODAY)
    assert 1 - then[ServiceStatus.NONE] < 1 - now[ServiceStatus.NONE]
    assert then[ServiceStatus.ENTERPRISE] < now[ServiceStatus.ENTERPRISE]


def test_abandoned_buildings_and_renovations_exist():
    abandoned = scalar("SELECT count(*) FROM layers_building WHERE abandonment <> 'none'")
    total = scalar("SELECT count(*) FROM layers_building")
    assert 0.01 <= abandoned / total <= 0.12
    assert scalar("SELECT count(*) FROM layers_building WHERE abandonment <> 'none' AND abandoned_since IS NULL") == 0
    renovated_without_enterprise = (
        Estate.objects.old().with_service_status(DEMO_TODAY).filter(renovations__isnull=False)
        .exclude(service_status=ServiceStatus.ENTERPRISE).distinct().count()
    )
    assert renovated_without_enterprise > 0


def test_enterprise_jurisdictions_match_todays_contracts():
    from layers.services.jurisdictions import enterprise_jurisdictions_refresh

    refreshed = enterprise_jurisdictions_refresh(on=DEMO_TODAY)
    serving = Estate.objects.with_service_status(DEMO_TODAY).filter(service_status=ServiceStatus.ENTERPRISE).count()
    assert refreshed > 0
    assert scalar("SELECT sum(estate_count) FROM layers_enterprisejurisdiction") == serving


def test_demo_accounts_have_their_roles_and_streets():
    profiles = {p.user.username: p for p in UserProfile.objects.select_related("user", "street")}
    assert profiles["admin"].role == Role.ADMINISTRATOR and profiles["admin"].user.is_superuser
    first_district = AdminArea.objects.get(level=AdminLevel.DISTRICT, code="230112")
    assert profiles["planner"].role == Role.PLANNER and profiles["planner"].street is None
    assert profiles["planner"].district == first_district
    assert profiles["official"].role == Role.OFFICIAL and profiles["official"].district == first_district
    streets = AdminArea.objects.filter(level=AdminLevel.STREET)
    for street in streets:
        profile = profiles[f"street-{street.code}"]
        assert profile.role == Role.STREET_OFFICE and profile.street == street
    assert profiles["planner"].user.check_password(demo_password())


# Determinism: the pure generator, no database.


def fingerprint(city) -> tuple:
    return (
        [(a.code, a.name, a.geom.wkb) for a in [city.district, *city.streets, *city.communities]],
        [(r.name, r.road_class, r.geom.wkb) for r in city.roads],
        [(e.code, e.name, e.address, e.build_year, e.households, e.floor_area, e.area_code, e.geom.wkb,
          [(b.code, b.floors, b.households, b.abandonment, b.abandoned_since, b.geom.wkb) for b in e.buildings])
         for e in city.estates],
        [(a.code, a.geom.wkb) for a in city.areas],
        city.enterprises, city.agencies, city.contracts, city.renovations,
    )


def test_same_seed_gives_the_same_city_and_another_seed_differs():
    first, again = generate_city(scale="small", seed=7), generate_city(scale="small", seed=7)
    assert fingerprint(first) == fingerprint(again)
    other = generate_city(scale="small", seed=8)
    assert [e.geom.wkb for e in other.estates] != [e.geom.wkb for e in first.estates]
    assert [e.name for e in other.estates] != [e.name for e in first.estates]


# --- the boundary cases of the domain rules in the demo (DOMAIN.md "old estate", contracts, 003 §5(3)) -------------

def test_demo_has_estates_of_the_cutoff_year_counted_as_old_and_listed_when_uncovered():
    cutoff = settings.OLD_ESTATE_CUTOFF_YEAR
    at_cutoff = Estate.objects.filter(build_year=cutoff)
    assert at_cutoff.exists() and Estate.objects.filter(build_year=cutoff + 1).exists()
    assert set(Estate.objects.old().filter(build_year=cutoff)) == set(at_cutoff)
    old = Estate.objects.filter(build_year__lte=cutoff).count()
    assert coverage_figures(on=DEMO_TODAY, level="street")["total"]["old_estates"] == old
    uncovered = set(at_cutoff.with_service_status(DEMO_TODAY).filter(service_status=ServiceStatus.NONE)
                    .values_list("pk", flat=True))
    assert uncovered, "an uncovered estate of the cutoff year"
    listed = worklist_get(user=User.objects.get(username="planner"), name="uncovered", on=DEMO_TODAY, per_page=200,
                          with_map=False)
    rows = {r["id"] for r in listed.rows}
    page = 1
    while listed.pages > page:
        page += 1
        rows |= {r["id"] for r in worklist_get(user=User.objects.get(username="planner"), name="uncovered",
                                               on=DEMO_TODAY, per_page=200, page=page, with_map=False).rows}
    assert uncovered <= rows


def test_demo_renews_a_contract_on_its_today():
    ending = ServiceContract.objects.get(end_date=DEMO_TODAY, estate__contracts__start_date=DEMO_TODAY)
    starting = ServiceContract.objects.get(estate=ending.estate, start_date=DEMO_TODAY)
    assert ending.estate.is_old and starting.enterprise_id == ending.enterprise_id
    assert list(contracts_active_on(DEMO_TODAY).filter(estate=ending.estate)) == [starting]
    assert list(contracts_active_on(DEMO_TODAY - datetime.timedelta(days=1)).filter(estate=ending.estate)) == [ending]


def test_demo_has_a_normal_enterprise_failing_two_years_that_are_not_consecutive():
    failing = {}
    for enterprise_id, year in CreditEvaluation.objects.filter(passed=False).values_list("enterprise_id", "year"):
        failing.setdefault(enterprise_id, set()).add(year)
    alternating = [e for e, years in failing.items()
                   if len(years) >= 2 and not any(y + 1 in years for y in years)]
    assert alternating
    assert set(Enterprise.objects.filter(pk__in=alternating).values_list("list_status", flat=True)) == {"normal"}
