"""Takeover plans (services.plans, selectors.plans, io.plan_export) on the small demo city: proposals, edits re-checked,
versions and conflicts, all-or-nothing approval, coverage before/after, exports."""
import csv
import datetime
import io
import json

import pytest
from django.contrib.auth.models import User

from layers.selectors import bundles as bundle_inputs
from layers.io import plan_export
from layers.models import (
    Bundle, BundleEstate, ContractMode, Enterprise, Estate, ListStatus, PlanStatus, PlanVersion, ProviderKind,
    ServiceContract, TakeoverPlan,
)
from layers.selectors.plans import bundles_geojson, plan_coverage, plan_map_data
from layers.planning.bundles import adjacency, bundle_problems
from layers.services import plans as services

pytestmark = pytest.mark.django_db

START = datetime.date.today() + datetime.timedelta(days=30)


@pytest.fixture
def planner():
    return User.objects.get(username="planner")


@pytest.fixture
def plan(planner):
    return services.plan_create(user=planner, name="测试计划", start_date=START)


def members(plan) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for b, e in BundleEstate.objects.filter(plan=plan).values_list("bundle_id", "estate_id"):
        out.setdefault(b, set()).add(e)
    return out


def fingerprint(plan) -> tuple:
    plan.refresh_from_db()
    return (plan.version, plan.status, sorted((b, tuple(sorted(ids))) for b, ids in members(plan).items()),
            sorted(Bundle.objects.filter(plan=plan).values_list("id", "enterprise_id", "rank")),
            PlanVersion.objects.filter(plan=plan).count(),
            ServiceContract.objects.filter(bundle__plan=plan).count(), ServiceContract.objects.count())


def units_of(ids):
    return {u.id: u for u in bundle_inputs.units_by_ids(estate_ids=ids, srid=32652)}


def free_estates(plan) -> list[int]:
    taken = set(BundleEstate.objects.filter(plan=plan).values_list("estate_id", flat=True))
    return [u.id for u in bundle_inputs.uncovered_units(on=plan.start_date, srid=32652) if u.id not in taken]


def set_all_enterprises(plan, planner, exclude=()):
    good = list(Enterprise.objects.exclude(list_status=ListStatus.BLACK).exclude(pk__in=exclude).order_by("pk"))
    for k, b in enumerate(plan.bundles.order_by("rank")):
        plan.refresh_from_db()
        services.bundle_enterprise_set(user=planner, plan_id=plan.pk, bundle_id=b.pk, version=plan.version,
                                       enterprise_id=good[k % len(good)].pk)
    plan.refresh_from_db()


def test_metric_srid_is_the_districts_utm_zone():
    assert bundle_inputs.utm_srid(126.95, 45.5) == 32652
    assert bundle_inputs.utm_srid(-0.1, -33.0) == 32730
    assert bundle_inputs.metric_srid() == 32652


def test_units_are_the_uncovered_old_estates_in_metres():
    units = bundle_inputs.uncovered_units(on=START, srid=32652)
    assert units
    ids = [u.id for u in units]
    served = ServiceContract.objects.filter(estate_id__in=ids).exclude(end_date__lte=START)
    assert not served.exists()
    estate = Estate.objects.get(pk=ids[0])
    assert estate.is_old and units[0].households == estate.households
    # Metres, not degrees: an estate is tens of metres across, and UTM northings here are ~5,000 km.
    minx, miny, maxx, maxy = units[0].geom.bounds
    assert 5_000_000 < miny < 5_100_000 and 10 < maxx - minx < 2000
    territories = bundle_inputs.territories(srid=32652)
    assert territories and {t.list_status for t in territories} <= {"red", "normal", "black"}


def test_create_proposes_valid_disjoint_bundles_and_version_one(plan):
    groups = members(plan)
    assert len(groups) == plan.bundles.count() > 0
    every = [e for ids in groups.values() for e in ids]
    assert len(every) == len(set(every))  # disjoint
    params = services.parameters_of(plan)
    units = units_of(every)
    graph = adjacency(units.values(), gap_m=params.gap_m, within_street=params.within_street)
    for bundle in plan.bundles.all():
        ids = sorted(groups[bundle.pk])
        assert bundle_problems(ids, units_by_id=units, graph=graph, rules=params.rules()) == []
        assert bundle.households == sum(units[i].households for i in ids)
        assert bundle.geom is not None and bundle.geom.valid
    ranks = list(plan.bundles.order_by("rank").values_list("score", flat=True))
    assert ranks == sorted(ranks, reverse=True)  # easy first
    version = PlanVersion.objects.get(plan=plan)
    assert version.version == plan.version == 1 and len(version.snapshot["bundles"]) == len(groups)


def test_same_seed_same_bundles(planner, plan):
    again = services.plan_create(user=planner, name="again", start_date=START)
    assert sorted(map(sorted, members(plan).values())) == sorted(map(sorted, members(again).values()))


def test_parameters_are_validated(planner):
    plans = TakeoverPlan.objects.count()
    with pytest.raises(services.PlanInvalid) as err:
        services.plan_create(user=planner, name="x", start_date=START, min_households=900, max_households=500)
    assert err.value.field == "max_households"
    with pytest.raises(services.PlanInvalid):
        services.plan_create(user=planner, name="x", start_date=START, gap_m=-1)
    with pytest.raises(services.PlanInvalid):
        services.plan_create(user=planner, name=" ", start_date=START)
    assert TakeoverPlan.objects.count() == plans


def test_street_plan_only_takes_that_streets_estates(planner):
    from layers.models import AdminArea

    street = AdminArea.objects.filter(level="street").order_by("code").first()
    plan = services.plan_create(user=planner, name="街道", start_date=START, street_id=street.pk, within_street=True)
    ids = [e for g in members(plan).values() for e in g]
    assert ids and set(Estate.objects.filter(pk__in=ids).values_list("community__parent", flat=True)) == {street.pk}


def test_removal_that_breaks_the_size_is_refused_and_nothing_changes(planner, plan):
    params = services.parameters_of(plan)
    groups = members(plan)
    bundle_id, ids = max(groups.items(), key=lambda kv: len(kv[1]))
    units = units_of(ids)
    keep = min(ids, key=lambda i: units[i].households)
    assert units[keep].households < params.min_households
    before = fingerprint(plan)
    with pytest.raises(services.PlanInvalid) as err:
        services.bundle_update(user=planner, plan_id=plan.pk, bundle_id=bundle_id, version=plan.version,
                               remove=sorted(set(ids) - {keep}))
    codes = {p["code"] for p in err.value.problems}
    assert "too_small" in codes
    assert str(params.min_households) in err.value.message
    assert fingerprint(plan) == before


def test_adding_a_far_estate_is_refused_as_not_contiguous(planner, plan):
    groups = members(plan)
    bundle = plan.bundles.order_by("rank").first()
    free = free_estates(plan)
    assert free, "the demo should leave some uncovered estates out of the bundles"
    far = max(free, key=lambda i: Estate.objects.get(pk=i).geom.distance(bundle.geom))
    before = fingerprint(plan)
    with pytest.raises(services.PlanInvalid) as err:
        services.bundle_update(user=planner, plan_id=plan.pk, bundle_id=bundle.pk, version=plan.version, add=[far])
    assert "not_contiguous" in {p["code"] for p in err.value.problems}
    assert fingerprint(plan) == before
    assert groups == members(plan)


def test_adding_a_served_estate_or_one_of_another_bundle_is_refused(planner, plan, english):
    bundles = list(plan.bundles.order_by("rank")[:2])
    served = ServiceContract.objects.filter(end_date__isnull=True, estate__build_year__lte=2010).first().estate
    before = fingerprint(plan)
    with pytest.raises(services.PlanInvalid) as err:
        services.bundle_update(user=planner, plan_id=plan.pk, bundle_id=bundles[0].pk, version=plan.version,
                               add=[served.pk])
    assert served.code in err.value.message
    other = next(iter(members(plan)[bundles[1].pk]))
    with pytest.raises(services.PlanInvalid) as err:
        services.bundle_update(user=planner, plan_id=plan.pk, bundle_id=bundles[0].pk, version=plan.version,
                               add=[other])
    assert f"#{bundles[1].rank}" in err.value.message
    assert fingerprint(plan) == before


def removable(plan) -> tuple[Bundle, int]:
    """A bundle and one of its estates whose removal leaves a valid bundle (so adding it back is valid too)."""
    params = services.parameters_of(plan)
    for bundle in plan.bundles.order_by("rank"):
        ids = sorted(members(plan)[bundle.pk])
        units = units_of(ids)
        graph = adjacency(units.values(), gap_m=params.gap_m, within_street=params.within_street)
        for estate_id in ids:
            rest = [i for i in ids if i != estate_id]
            if rest and not bundle_problems(rest, units_by_id=units, graph=graph, rules=params.rules()):
                return bundle, estate_id
    raise AssertionError("no bundle has an estate it can spare")


def test_valid_remove_and_add_bump_the_version_and_rerank(planner, plan):
    bundle, estate_id = removable(plan)
    households = Estate.objects.get(pk=estate_id).households
    updated = services.bundle_update(user=planner, plan_id=plan.pk, bundle_id=bundle.pk, version=1,
                                     remove=[estate_id])
    plan.refresh_from_db()
    assert plan.version == 2 and estate_id not in members(plan)[bundle.pk]
    assert updated.households == bundle.households - households
    assert estate_id in free_estates(plan)
    snapshot = PlanVersion.objects.get(plan=plan, version=2).snapshot
    assert estate_id not in next(b for b in snapshot["bundles"] if b["id"] == bundle.pk)["estate_ids"]
    ranks = list(plan.bundles.order_by("rank").values_list("score", flat=True))
    assert ranks == sorted(ranks, reverse=True)
    services.bundle_update(user=planner, plan_id=plan.pk, bundle_id=bundle.pk, version=2, add=[estate_id])
    plan.refresh_from_db()
    assert plan.version == 3 and estate_id in members(plan)[bundle.pk]
    assert Bundle.objects.get(pk=bundle.pk).households == bundle.households


def test_stale_version_is_a_conflict(planner, plan):
    bundle = plan.bundles.first()
    enterprise = Enterprise.objects.exclude(list_status=ListStatus.BLACK).first()
    services.bundle_enterprise_set(user=planner, plan_id=plan.pk, bundle_id=bundle.pk, version=1,
                                   enterprise_id=enterprise.pk)
    before = fingerprint(plan)
    with pytest.raises(services.PlanConflict) as err:
        services.bundle_enterprise_set(user=planner, plan_id=plan.pk, bundle_id=bundle.pk, version=1,
                                       enterprise_id=None)
    assert err.value.version == 2
    assert fingerprint(plan) == before


def test_black_listed_enterprise_is_refused(planner, plan):
    black = Enterprise.objects.filter(list_status=ListStatus.BLACK).first()
    assert black is not None
    bundle = plan.bundles.first()
    before = fingerprint(plan)
    with pytest.raises(services.PlanInvalid) as err:
        services.bundle_enterprise_set(user=planner, plan_id=plan.pk, bundle_id=bundle.pk, version=1,
                                       enterprise_id=black.pk)
    assert black.name in err.value.message
    assert fingerprint(plan) == before


def test_create_and_delete_a_bundle(planner, plan):
    bundle = plan.bundles.order_by("-rank").first()
    ids = sorted(members(plan)[bundle.pk])
    services.bundle_delete(user=planner, plan_id=plan.pk, bundle_id=bundle.pk, version=1)
    plan.refresh_from_db()
    assert plan.version == 2 and not Bundle.objects.filter(pk=bundle.pk).exists()
    new = services.bundle_create(user=planner, plan_id=plan.pk, version=2, estate_ids=ids)
    plan.refresh_from_db()
    assert plan.version == 3 and sorted(members(plan)[new.pk]) == ids
    with pytest.raises(services.PlanInvalid):  # they are taken now
        services.bundle_create(user=planner, plan_id=plan.pk, version=3, estate_ids=ids)


def test_move_between_bundles_rechecks_both(planner):
    # Small bundles, so that one group of adjacent estates is split into several bundles that touch.
    plan = services.plan_create(user=planner, name="小包", start_date=START, min_households=300,
                                max_households=1000)
    params = services.parameters_of(plan)
    groups = members(plan)
    every = [e for ids in groups.values() for e in ids]
    units = units_of(every)
    graph = adjacency(units.values(), gap_m=params.gap_m, within_street=params.within_street)
    bundle_of = {e: b for b, ids in groups.items() for e in ids}
    for estate, neighbours in graph.items():
        for n in neighbours:
            source, target = bundle_of[estate], bundle_of[n]
            if source == target:
                continue
            left, grown = sorted(groups[source] - {estate}), sorted(groups[target] | {estate})
            valid = all(not bundle_problems(ids, units_by_id=units, graph=graph, rules=params.rules())
                        for ids in (left, grown))
            before = fingerprint(plan)
            try:
                services.bundle_update(user=planner, plan_id=plan.pk, bundle_id=target, version=plan.version,
                                       move=[estate])
            except services.PlanInvalid:
                assert not valid
                assert fingerprint(plan) == before
                continue
            assert valid
            assert estate in members(plan)[target] and estate not in members(plan).get(source, set())
            return
    raise AssertionError("no valid move between two adjacent bundles")


def test_approval_needs_an_enterprise_for_every_bundle(planner, plan):
    before = fingerprint(plan)
    with pytest.raises(services.PlanInvalid) as err:
        services.plan_approve(user=planner, plan_id=plan.pk, version=1)
    assert "#1" in err.value.message
    assert fingerprint(plan) == before


def test_approval_creates_all_contracts_and_freezes_the_plan(planner, plan):
    set_all_enterprises(plan, planner)
    coverage_before = plan_coverage(plan=plan)
    services.plan_approve(user=planner, plan_id=plan.pk, version=plan.version)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED and plan.approved_by == planner
    groups = members(plan)
    contracts = ServiceContract.objects.filter(bundle__plan=plan)
    assert contracts.count() == sum(len(ids) for ids in groups.values())
    for c in contracts:
        assert c.mode == ContractMode.BUNDLED and c.provider_kind == ProviderKind.ENTERPRISE
        assert c.start_date == START and c.enterprise_id == c.bundle.enterprise_id
        assert c.estate_id in groups[c.bundle_id]
    statuses = set(Estate.objects.filter(pk__in=[e for ids in groups.values() for e in ids])
                   .with_service_status(START).values_list("service_status", flat=True))
    assert statuses == {"enterprise"}
    # The figures kept at approval are those shown before it.
    kept = plan_coverage(plan=plan)
    assert kept["as_approved"] and kept["total"] == coverage_before["total"]
    with pytest.raises(services.PlanConflict):
        services.bundle_enterprise_set(user=planner, plan_id=plan.pk, bundle_id=plan.bundles.first().pk,
                                       version=plan.version, enterprise_id=None)


def test_approval_is_all_or_nothing_when_an_enterprise_is_black_listed_meanwhile(planner, plan, english):
    special = Enterprise.objects.exclude(list_status=ListStatus.BLACK).order_by("-pk").first()
    set_all_enterprises(plan, planner, exclude=[special.pk])
    last = plan.bundles.order_by("-rank").first()
    services.bundle_enterprise_set(user=planner, plan_id=plan.pk, bundle_id=last.pk, version=plan.version,
                                   enterprise_id=special.pk)
    last.refresh_from_db()
    plan.refresh_from_db()
    # Listed after being picked (the register does this through its service; the row is what counts here).
    Enterprise.objects.filter(pk=last.enterprise_id).update(list_status=ListStatus.BLACK,
                                                            list_status_since=datetime.date(2020, 1, 1))
    before = fingerprint(plan)
    with pytest.raises(services.PlanInvalid) as err:
        services.plan_approve(user=planner, plan_id=plan.pk, version=plan.version)
    assert f"#{last.rank}" in err.value.message
    assert fingerprint(plan) == before
    assert not ServiceContract.objects.filter(bundle__plan=plan).exists()


def test_approval_is_all_or_nothing_when_an_estate_got_a_contract_meanwhile(planner, plan):
    set_all_enterprises(plan, planner)
    last = plan.bundles.order_by("-rank").first()
    estate_id = min(members(plan)[last.pk])
    ServiceContract.objects.create(estate_id=estate_id, provider_kind=ProviderKind.DISTRICT_FALLBACK,
                                   mode=ContractMode.CARETAKER, start_date=START - datetime.timedelta(days=5))
    before = fingerprint(plan)
    with pytest.raises(services.PlanInvalid) as err:
        services.plan_approve(user=planner, plan_id=plan.pk, version=plan.version)
    assert Estate.objects.get(pk=estate_id).code in err.value.message
    assert fingerprint(plan) == before
    assert not ServiceContract.objects.filter(bundle__plan=plan).exists()


def test_discard_makes_the_plan_read_only(planner, plan):
    services.plan_discard(user=planner, plan_id=plan.pk, version=1)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DISCARDED and plan.version == 2
    with pytest.raises(services.PlanConflict):
        services.plan_discard(user=planner, plan_id=plan.pk, version=2)


def test_the_demo_ships_a_draft_plan_with_some_enterprises_picked():
    plan = TakeoverPlan.objects.get(name__endswith="连片打包接管方案（草案）")
    assert plan.status == PlanStatus.DRAFT and plan.street_id is not None and plan.bundles.exists()
    assert plan.bundles.filter(enterprise__isnull=False).exists()
    assert not plan.bundles.filter(enterprise__list_status=ListStatus.BLACK).exists()
    assert plan.version == PlanVersion.objects.filter(plan=plan).count()


def test_officials_and_street_offices_may_not_write(plan):
    from django.core.exceptions import PermissionDenied

    for name in ("official", User.objects.filter(username__startswith="street-").first().username):
        with pytest.raises(PermissionDenied):
            services.plan_create(user=User.objects.get(username=name), name="x", start_date=START)
        with pytest.raises(PermissionDenied):
            services.plan_approve(user=User.objects.get(username=name), plan_id=plan.pk, version=1)


def test_coverage_after_moves_the_bundles_households_to_enterprise(plan):
    data = plan_coverage(plan=plan)
    total = data["total"]
    households = sum(plan.bundles.values_list("households", flat=True))
    assert total["moved"]["households"] == households
    assert total["after"]["enterprise_households"] == total["before"]["enterprise_households"] + households
    assert total["after"]["uncovered_households"] == total["before"]["uncovered_households"] - households
    assert sum(r["moved"]["households"] for r in data["streets"]) == households
    assert all(r["after"]["socialised_rate_households"] >= r["before"]["socialised_rate_households"]
               for r in data["streets"] if r["old_households"])


def test_map_data_shows_bundled_and_free_estates_and_territories(plan):
    data = plan_map_data(plan)
    in_bundles = {f["id"] for f in data["estates"]["features"] if f["properties"]["bundle_id"]}
    assert in_bundles == set(BundleEstate.objects.filter(plan=plan).values_list("estate_id", flat=True))
    assert set(free_estates(plan)) <= {f["id"] for f in data["estates"]["features"]}
    assert data["territories"]["features"]
    bundles = bundles_geojson(plan)["features"]
    assert [f["properties"]["rank"] for f in bundles] == sorted(f["properties"]["rank"] for f in bundles)


def test_exports_parse_back(planner, plan):
    set_all_enterprises(plan, planner)
    groups = members(plan)
    per_bundle = json.loads(json.dumps(plan_export.plan_geojson(plan)))
    assert per_bundle["type"] == "FeatureCollection" and len(per_bundle["features"]) == len(groups)
    for f in per_bundle["features"]:
        p = f["properties"]
        assert {e["id"] for e in p["estates"]} == groups[p["bundle_id"]]
        assert p["households"] == sum(e["households"] for e in p["estates"]) and p["enterprise"]
        assert f["geometry"]["type"] == "MultiPolygon" and "crs" not in f["geometry"]
    per_estate = plan_export.plan_geojson(plan, per="estate")
    assert len(per_estate["features"]) == sum(len(g) for g in groups.values())
    ranks = dict(plan.bundles.values_list("pk", "rank"))
    assert all(f["properties"]["bundle_rank"] == ranks[f["properties"]["bundle_id"]] for f in per_estate["features"])
    raw = plan_export.plan_csv(plan)
    assert raw.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == plan_export.headings() and len(rows) - 1 == len(per_estate["features"])
    codes = {r[6] for r in rows[1:]}
    assert codes == set(Estate.objects.filter(pk__in=[e for g in groups.values() for e in g])
                        .values_list("code", flat=True))



def test_database_refuses_a_bundle_for_a_black_listed_enterprise(plan):
    """Rule 4 in the database (migration 0009's trigger as fixed by 0010, which no longer fails on bundle rows)."""
    from django.db import IntegrityError, transaction

    black = Enterprise.objects.filter(list_status=ListStatus.BLACK).first()
    bundle = plan.bundles.first()
    with pytest.raises(IntegrityError, match="black list"):
        with transaction.atomic():
            Bundle.objects.filter(pk=bundle.pk).update(enterprise=black)
    normal = Enterprise.objects.exclude(list_status=ListStatus.BLACK).first()
    Bundle.objects.filter(pk=bundle.pk).update(enterprise=normal)
    assert Bundle.objects.create(plan=plan, number=99, rank=99, enterprise=normal).pk


def test_a_bundle_number_is_unique_in_its_plan_and_kept_by_edits(plan):
    """bundle_number_in_plan: the database refuses a second bundle #1; deleting a bundle renumbers nothing."""
    from django.db import IntegrityError, transaction

    numbers = dict(plan.bundles.values_list("pk", "number"))
    with pytest.raises(IntegrityError, match="bundle_number_in_plan"):
        with transaction.atomic():
            Bundle.objects.create(plan=plan, number=1, rank=999)
    first = plan.bundles.get(number=1)
    services.bundle_delete(user=User.objects.get(username="planner"), plan_id=plan.pk, bundle_id=first.pk,
                           version=plan.version)
    del numbers[first.pk]
    assert dict(plan.bundles.values_list("pk", "number")) == numbers
    assert sorted(plan.bundles.values_list("rank", flat=True)) == list(range(1, len(numbers) + 1))
