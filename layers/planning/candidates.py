"""Nearby custody (就近代管): rank candidate enterprises for an uncovered estate or a bundle. Pure, no Django.

Score (higher is better, 0..1), a weighted sum of three parts, each scaled to 0..1:

    score = 0.5 · nearness + 0.3 · credit + 0.2 · capacity

- nearness = max(0, 1 − distance_m / max_distance_m): an enterprise whose territory touches the estate gets 1,
  one at or beyond `max_distance_m` (default 3 km) gets 0. Distance weighs most because custody by a *nearby*
  enterprise is the point of the mode (001 §5(1)2): short walks for staff, shared facilities.
- credit = AAA 1.0, AA 0.8, A 0.6, B 0.3, C 0.0; a red-listed (commended) enterprise gets +0.1 (capped at 1).
- capacity = 1 / (1 + (households_served + households) / LOAD_SCALE) with LOAD_SCALE = 5000 households: an
  enterprise already serving many households scores lower, so the load is spread (a small firm serving nobody
  gets 1, one serving 5,000 households 0.5).

Black-listed enterprises are never returned (rule 4). Candidates beyond `max_distance_m` are kept (with nearness
0) so a remote estate still gets a ranked list. Ties are broken by distance, then enterprise id, so the order is
deterministic whatever the input order.
"""
from __future__ import annotations

from dataclasses import dataclass

WEIGHT_DISTANCE = 0.5
WEIGHT_CREDIT = 0.3
WEIGHT_CAPACITY = 0.2
LOAD_SCALE = 5000.0
GRADE_SCORE = {"AAA": 1.0, "AA": 0.8, "A": 0.6, "B": 0.3, "C": 0.0}
RED_LIST_BONUS = 0.1
BLACK = "black"


@dataclass(frozen=True)
class Candidate:
    enterprise_id: int
    name: str
    distance_m: float
    grade: str
    households_served: int
    list_status: str  # "red" | "normal" | "black"


@dataclass(frozen=True)
class RankedCandidate(Candidate):
    score: float
    rank: int


def nearness(distance_m: float, max_distance_m: float) -> float:
    if max_distance_m <= 0:
        return 1.0 if distance_m <= 0 else 0.0
    return max(0.0, 1.0 - max(0.0, distance_m) / max_distance_m)


def credit(grade: str, list_status: str) -> float:
    value = GRADE_SCORE.get(grade, 0.0) + (RED_LIST_BONUS if list_status == "red" else 0.0)
    return min(1.0, value)


def capacity(households_served: int, households: int = 0) -> float:
    return 1.0 / (1.0 + max(0, households_served + households) / LOAD_SCALE)


def candidate_score(candidate: Candidate, *, max_distance_m: float = 3000.0, households: int = 0) -> float:
    return (
        WEIGHT_DISTANCE * nearness(candidate.distance_m, max_distance_m)
        + WEIGHT_CREDIT * credit(candidate.grade, candidate.list_status)
        + WEIGHT_CAPACITY * capacity(candidate.households_served, households)
    )


def rank_candidates(candidates, *, max_distance_m: float = 3000.0, households: int = 0) -> list[RankedCandidate]:
    """The non-black candidates, best first, ranked 1..n; `households` is the load the new estate(s) would add."""
    scored = [
        (round(candidate_score(c, max_distance_m=max_distance_m, households=households), 9), c)
        for c in candidates
        if c.list_status != BLACK
    ]
    scored.sort(key=lambda item: (-item[0], item[1].distance_m, item[1].enterprise_id))
    return [
        RankedCandidate(
            enterprise_id=c.enterprise_id, name=c.name, distance_m=c.distance_m, grade=c.grade,
            households_served=c.households_served, list_status=c.list_status, score=score, rank=i,
        )
        for i, (score, c) in enumerate(scored, start=1)
    ]
