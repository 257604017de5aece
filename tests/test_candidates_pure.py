"""Nearby custody ranking (layers.planning.candidates): pure, no database."""
import random

from hypothesis import given
from hypothesis import strategies as st

from layers.planning.candidates import (
    LOAD_SCALE,
    Candidate,
    candidate_score,
    capacity,
    credit,
    nearness,
    rank_candidates,
)


def cand(i, *, d=100.0, grade="A", load=0, status="normal", name=None):
    return Candidate(enterprise_id=i, name=name or f"E{i}", distance_m=d, grade=grade, households_served=load,
                     list_status=status)


candidates = st.lists(
    st.builds(
        Candidate,
        enterprise_id=st.integers(1, 10_000),
        name=st.text(max_size=5),
        distance_m=st.floats(0, 20_000, allow_nan=False),
        grade=st.sampled_from(["AAA", "AA", "A", "B", "C"]),
        households_served=st.integers(0, 100_000),
        list_status=st.sampled_from(["red", "normal", "black"]),
    ),
    max_size=30,
    unique_by=lambda c: c.enterprise_id,
)


def test_black_listed_never_ranked():
    ranked = rank_candidates([cand(1, status="black", grade="AAA", d=0), cand(2, grade="C", d=2900)])
    assert [r.enterprise_id for r in ranked] == [2]


def test_closer_wins_other_things_equal():
    ranked = rank_candidates([cand(1, d=2000), cand(2, d=50), cand(3, d=800)])
    assert [r.enterprise_id for r in ranked] == [2, 3, 1]
    assert [r.rank for r in ranked] == [1, 2, 3]


def test_better_grade_and_lighter_load_win_at_equal_distance():
    assert rank_candidates([cand(1, grade="B"), cand(2, grade="AAA")])[0].enterprise_id == 2
    assert rank_candidates([cand(1, load=20_000), cand(2, load=100)])[0].enterprise_id == 2


def test_documented_formula_on_one_case():
    c = cand(1, d=1500, grade="AA", load=5000)
    # 0.5 * (1 - 1500/3000) + 0.3 * 0.8 + 0.2 * 1 / (1 + 5000/5000)
    assert abs(candidate_score(c) - (0.25 + 0.24 + 0.1)) < 1e-12
    assert rank_candidates([c])[0].score == round(0.25 + 0.24 + 0.1, 9)


def test_parts():
    assert nearness(0, 3000) == 1 and nearness(3000, 3000) == 0 and nearness(9000, 3000) == 0
    assert credit("AAA", "red") == 1.0 and credit("A", "red") == 0.7 and credit("C", "normal") == 0.0
    assert capacity(0) == 1.0 and capacity(int(LOAD_SCALE)) == 0.5
    assert capacity(0, households=int(LOAD_SCALE)) == 0.5  # the added estate counts in the load


def test_ties_broken_by_distance_then_id():
    # Same score: equal grade, load and nearness 0 (both beyond the maximum distance).
    ranked = rank_candidates([cand(9, d=5000), cand(3, d=4000), cand(5, d=4000)])
    assert [r.enterprise_id for r in ranked] == [3, 5, 9]


@given(candidates, st.randoms(use_true_random=False))
def test_ranking_is_deterministic_sorted_and_complete(cs, rnd):
    ranked = rank_candidates(cs)
    shuffled = list(cs)
    rnd.shuffle(shuffled)
    assert rank_candidates(shuffled) == ranked
    assert {r.enterprise_id for r in ranked} == {c.enterprise_id for c in cs if c.list_status != "black"}
    assert [r.rank for r in ranked] == list(range(1, len(ranked) + 1))
    assert all(a.score >= b.score for a, b in zip(ranked, ranked[1:]))
    assert all(0 <= r.score <= 1 for r in ranked)


@given(candidates, st.floats(0, 5000, allow_nan=False))
def test_moving_a_candidate_closer_never_lowers_its_score(cs, shift):
    for c in cs:
        closer = Candidate(**{**c.__dict__, "distance_m": max(0.0, c.distance_m - shift)})
        assert candidate_score(closer) >= candidate_score(c)


def test_random_inputs_keep_score_bounds():
    rng = random.Random(4)
    cs = [cand(i, d=rng.uniform(0, 9000), grade=rng.choice("ABC"), load=rng.randrange(0, 50_000)) for i in range(50)]
    assert len(rank_candidates(cs)) == 50
