"""The pure rules at their boundaries, no database: black list after two consecutive failing years only (003 §5(3)),
bundles exactly at their household bounds (rule 6), nearby-candidate scores at their edges, the Python twins of the
SQL rule functions."""
import datetime

import pytest
from shapely.geometry import box

from layers.planning import candidates, credit_rating
from layers.planning import rules as pure
from layers.planning.bundles import (
    BundleRules, Problem, Unit, adjacency, bundle_problems, greedy_bundles, propose_bundles,
)
from tests.factories import evaluations_fail_fail, evaluations_fail_pass_fail, households_at_bounds

MIN, MAX = 800, 1000
RULES = BundleRules(min_households=MIN, max_households=MAX)


def touching(households, first_id=1):
    return [Unit(first_id + k, hh, hh * 60.0, box(k * 100.0, 0, k * 100.0 + 100.0, 100.0), None)
            for k, hh in enumerate(households)]


def problems(households, rules=RULES):
    units = touching(households)
    graph = adjacency(units, gap_m=rules.gap_m, within_street=False)
    return [p.code for p in bundle_problems([u.id for u in units], units_by_id={u.id: u for u in units}, graph=graph,
                                            rules=rules)]


@pytest.mark.parametrize("case,expected", [("at_min", []), ("at_max", []), ("below_min", ["too_small"]),
                                           ("above_max", ["too_large"])])
def test_bundle_exactly_at_a_household_bound_is_valid(case, expected):
    assert problems(households_at_bounds(MIN, MAX)[case]) == expected


@pytest.mark.parametrize("case", ["at_min", "at_max"])
def test_proposal_and_greedy_accept_a_bundle_exactly_at_a_bound(case):
    units = touching(households_at_bounds(MIN, MAX)[case])
    assert [b.unit_ids for b in propose_bundles(units, RULES)] == [(1, 2)]
    assert greedy_bundles(units, RULES) == [(1, 2)]


@pytest.mark.parametrize("case", ["below_min", "above_max"])
def test_proposal_refuses_a_bundle_just_outside_a_bound(case):
    units = touching(households_at_bounds(MIN, MAX)[case])
    assert all(b.unit_ids != (1, 2) for b in propose_bundles(units, RULES))
    assert (1, 2) not in greedy_bundles(units, RULES)


def test_floor_area_bounds_are_inclusive_too():
    units = touching([400, 400])  # 48,000 m²
    graph = adjacency(units, gap_m=50.0, within_street=False)
    by_id = {u.id: u for u in units}
    exact = BundleRules(min_households=MIN, max_households=MAX, min_floor_area=48_000, max_floor_area=48_000)
    assert bundle_problems([1, 2], units_by_id=by_id, graph=graph, rules=exact) == []
    assert [b.unit_ids for b in propose_bundles(units, exact)] == [(1, 2)]
    assert propose_bundles(units, BundleRules(min_households=MIN, max_households=MAX, max_floor_area=47_999)) == []
    assert propose_bundles(units, BundleRules(min_households=MIN, max_households=MAX, min_floor_area=48_001)) == []


# --- credit rating --------------------------------------------------------------------------------------------

def test_fail_pass_fail_is_not_black_listed():
    evaluations = evaluations_fail_pass_fail(2021)
    assert credit_rating.failing_pairs(evaluations) == []
    decision = credit_rating.list_status(evaluations, [], datetime.date(2030, 1, 1))
    assert decision == credit_rating.NEVER_LISTED


def test_two_consecutive_failing_years_black_list_from_1_january_after():
    evaluations = evaluations_fail_fail(2021)
    assert credit_rating.failing_pairs(evaluations) == [(2021, 2022)]
    assert credit_rating.list_status(evaluations, [], datetime.date(2022, 12, 31)).status == credit_rating.NORMAL
    decision = credit_rating.list_status(evaluations, [], datetime.date(2023, 1, 1))
    assert decision.status == credit_rating.BLACK and decision.since == datetime.date(2023, 1, 1)
    assert decision.derived and "2021" in decision.reason and "2022" in decision.reason


def test_a_manual_decision_beats_a_derived_one_of_the_same_day():
    evaluations = [(2019, "C", False), (2020, "C", False), (2021, "B", True), (2022, "C", False), (2023, "C", False)]
    lifted = [("normal", datetime.date(2024, 1, 1), "整改到位，解除黑榜")]  # the day of the second derived listing
    assert credit_rating.list_status(evaluations, [], datetime.date(2024, 1, 1)).status == credit_rating.BLACK
    decision = credit_rating.list_status(evaluations, lifted, datetime.date(2024, 1, 1))
    assert decision.status == credit_rating.NORMAL and not decision.derived
    with pytest.raises(ValueError, match="unknown list status 'grey'"):
        credit_rating.decisions([], [("grey", datetime.date(2024, 1, 1), "")])


def test_a_decision_dated_on_the_day_asked_is_in_force():
    listed = [("red", datetime.date(2024, 5, 1), "优秀")]
    assert credit_rating.list_status([], listed, datetime.date(2024, 5, 1)).status == credit_rating.RED
    assert credit_rating.list_status([], listed, datetime.date(2024, 4, 30)).status == credit_rating.NORMAL
    as_objects = [credit_rating.Listing(*listed[0])]
    assert credit_rating.list_status([], as_objects, datetime.date(2024, 5, 1)).status == credit_rating.RED
    evaluations = [credit_rating.Evaluation(*e) for e in evaluations_fail_fail(2021)]
    assert credit_rating.list_status(evaluations, as_objects, datetime.date(2023, 1, 1)).status == credit_rating.BLACK


# --- the Python twins of the SQL rule functions ----------------------------------------------------------------

def test_old_estate_boundary():
    assert pure.is_old_estate(2010, cutoff=2010)
    assert pure.is_old_estate(2009, cutoff=2010)
    assert not pure.is_old_estate(2011, cutoff=2010)


def test_contract_boundaries():
    d = datetime.date(2026, 3, 1)
    day = datetime.timedelta(days=1)
    assert pure.contract_active(d, None, d) and pure.contract_active(d - day, d + day, d)
    assert not pure.contract_active(d - day, d, d) and not pure.contract_active(d + day, None, d)
    assert pure.contract_not_ended(None, d) and pure.contract_not_ended(d + day, d)
    assert not pure.contract_not_ended(d, d)
    assert [pure.provider_status(k) for k in ("enterprise", "community", "caretaker_agency", "district_fallback")] == [
        "enterprise", "self_governed", "caretaker", "caretaker"]


def test_an_empty_bundle_is_one_problem_named_empty():
    assert bundle_problems([], units_by_id={}, graph={}, rules=RULES) == [Problem("empty", {})]


# --- nearby candidates (planning/candidates.py): the scoring rules at their edges -----------------------------------

def test_nearness_without_a_reach_is_one_only_on_the_territory():
    assert candidates.nearness(0.0, 0.0) == 1.0
    assert candidates.nearness(0.5, 0.0) == 0.0
    assert candidates.nearness(0.5, 0.5) == 0.0 and candidates.nearness(0.25, 0.5) == 0.5  # a reach under 1 m


def test_credit_of_an_unknown_grade_is_zero_and_red_adds_the_bonus():
    assert candidates.credit("?", "normal") == 0.0
    assert candidates.credit("?", "red") == pytest.approx(candidates.RED_LIST_BONUS)
    assert candidates.credit("AAA", "red") == 1.0


def test_score_uses_the_list_status_and_the_added_households():
    red = candidates.Candidate(1, "甲", 100.0, "A", 1000, "red")
    normal = candidates.Candidate(2, "乙", 100.0, "A", 1000, "normal")
    assert candidates.candidate_score(red) > candidates.candidate_score(normal)
    assert candidates.candidate_score(normal, households=5000) < candidates.candidate_score(normal)
    assert candidates.candidate_score(normal, max_distance_m=200.0) < candidates.candidate_score(normal)


def test_ranked_candidates_keep_every_attribute_and_use_the_arguments():
    near = candidates.Candidate(1, "甲物业", 1000.0, "B", 0, "red")
    ranked = candidates.rank_candidates([near], max_distance_m=2000.0, households=5000)
    assert ranked == [candidates.RankedCandidate(1, "甲物业", 1000.0, "B", 0, "red",
                                                 score=round(candidates.candidate_score(
                                                     near, max_distance_m=2000.0, households=5000), 9), rank=1)]


def test_floor_area_problems_give_the_area_to_a_tenth_of_a_square_metre():
    units = [Unit(k + 1, 400, 24_000.03, box(k * 100.0, 0, k * 100.0 + 100.0, 100.0), None) for k in range(2)]
    graph = adjacency(units, gap_m=50.0, within_street=False)
    by_id = {u.id: u for u in units}
    small = bundle_problems([1, 2], units_by_id=by_id, graph=graph,
                            rules=BundleRules(min_households=MIN, max_households=MAX, min_floor_area=50_000))
    large = bundle_problems([1, 2], units_by_id=by_id, graph=graph,
                            rules=BundleRules(min_households=MIN, max_households=MAX, max_floor_area=40_000))
    assert small == [Problem("too_small", {"measure": "floor_area", "value": 48_000.1, "limit": 50_000})]
    assert large == [Problem("too_large", {"measure": "floor_area", "value": 48_000.1, "limit": 40_000})]
    assert isinstance(large[0].params["value"], float)
