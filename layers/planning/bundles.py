"""Bundled takeovers (连片打包): adjacency of uncovered estates, max-p-regions bundles in bounds, easy-first order.

Pure functions on shapely geometries in a metric CRS (metres); no Django. Used by the plan services and the
benchmark (tests/benchmarks/bench_bundles.py); described for planners in docs/BUNDLES.md.

Method
------
`propose_bundles` is the max-p-regions heuristic (Duque, Anselin & Rey 2012, "The max-p-regions problem",
J. Regional Science 52(3)) in the three phases of Wei, Rey & Knaap 2020 ("Efficient regionalization for spatially
explicit neighborhood delineation", IJGIS 34(9)), as in PySAL spopt's `MaxPHeuristic`:

1. construction: units are visited in a random order; an unassigned unit seeds a region that grows through
   unassigned neighbours until it reaches the lower bound — households, and floor area when set; a region that
   cannot reach it is released. Half the attempts grow by distance (the frontier unit nearest the region's mean
   centroid: compact, disc-like regions), the other half by links (the unit with most links into the region, ties
   at random: fills odd shapes, and packs better when the bounds are tight);
2. enclave assignment: each leftover unit joins the adjacent region with room whose spread grows least (then most
   links), as spopt assigns enclaves by the smallest increase in heterogeneity;
3. local search: a boundary unit moves to an adjacent region when that lowers the heterogeneity, here the spatial
   spread (sum of squared distances of unit centroids to their region's centroid), as long as both regions stay
   contiguous and within bounds. Greedy descent (spopt uses simulated annealing or tabu search here).

Extensions for takeovers:

- an upper bound (max households, max floor area) that no region may exceed. Construction never adds a unit that
  would break it, and enclave assignment cannot always place a unit;
- the objective is households covered; max-p's own objective, the number of regions, is the first tie-break;
- a repair pass between phases 2 and 3, for units the upper bound left out: *make room* (a boundary unit of a full
  region moves to another adjacent region so that a leftover unit fits), *borrow* (a leftover cluster below the
  minimum takes boundary units that adjacent regions can spare and becomes a region), *re-partition* (a region and
  the leftover clusters around it are partitioned again by phases 1–2; kept when it covers more), each followed by
  phases 1–2 on what is left;
- the problem is solved per connected component of the adjacency graph: one whose total is below the minimum
  cannot give any; for the others construction and the cheap repairs run `attempts` times with `random.Random`
  seeded from (seed, smallest unit id, attempt), the best three get the re-partition repair, and the best by
  (households covered, number of bundles, units covered, spread, lexicographically smallest partition) goes
  through phase 3. A component whose total is within the bounds is also a candidate as one bundle; it is kept
  only when no split covers as many households (more bundles is the first tie-break, so an equal split wins).

Guarantees
----------
- every returned bundle is contiguous under `adjacency(units, gap_m=rules.gap_m, within_street=rules.within_street)`
  (or the `graph` passed), the bundles are disjoint, hold only input units, and lie within all bounds:
  `bundle_problems` is run on each before returning (a failure would raise, never pass silently);
- maximal: no leftover unit fits into an adjacent bundle, and no connected group of leftover units is a valid bundle
  on its own (phases 1–2 run to a fixed point last);
- deterministic: the result depends only on the set of units, the territories, the rules and the seed, not on the
  input order (everything is processed by id);
- a unit larger than the maximum on its own is never bundled (it is a single takeover, not a bundle); it also does
  not connect its neighbours.

Not guaranteed: the largest possible coverage. Max-p-regions is NP-hard, and with an upper bound close to the minimum
the problem is subset-sum-like (with min == max a solution may exist that the heuristic misses). On 120 random
instances of 4–10 units checked by exhaustive search (tests/test_planning_bundles.py), 119 got the optimum (the greedy
baseline 46); on the medium demo city (≈3,000 uncovered estates) the default rules reach the upper bound "every
component reaching the minimum fully covered".

Complexity, for n units, mean degree d, a attempts, regions of at most k units and r ≤ 6 repair passes:
adjacency O(n log n + n·d) (STRtree, `dwithin`); per attempt construction and enclave assignment O(n·d·k) per
round; repairs O(r·n·d·k); local search O(8·n·(d + k)). On the medium demo city: about 0.7 s of CPU with the
default rules, 1–2 s with tight bounds (min 1500, max 2000 households, gap 100 m); docs/BUNDLES.md has the figures,
side by side with spopt's MaxPHeuristic (tests/benchmarks/bench_bundles_spopt.py).
"""
from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

__all__ = ["BundleRules", "Problem", "ProposedBundle", "Territory", "Unit", "adjacency", "bundle_problems",
           "greedy_bundles", "propose_bundles", "rank_easy_first", "reock"]

GOOD_GRADES = ("AAA", "AA", "A")
GRADE_WEIGHT = {"AAA": 1.0, "AA": 0.9, "A": 0.8}
RED_WEIGHT = 1.0  # a red-listed (commended) enterprise is preferred to a normal one at the same distance
NORMAL_WEIGHT = 0.85
DEFAULT_REACH_M = 1000.0  # a territory farther than this from a bundle is not "next to" it
# Weights of the "easy first" score (each part is 0..1): size, compactness, a good enterprise next door.
SCORE_WEIGHTS = {"size": 0.35, "compactness": 0.35, "proximity": 0.30}
DEFAULT_ATTEMPTS = 8
_REGROW_FINALISTS = 3
_MAX_REPAIR_PASSES = 6
_MAX_LOCAL_SEARCH_PASSES = 8


# --- data ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Unit:
    """One uncovered old estate; geometry in metres."""

    id: int
    households: int
    floor_area: float
    geom: BaseGeometry
    street_id: int | None


@dataclass(frozen=True)
class Territory:
    """An enterprise's current territory (its jurisdiction); geometry in metres."""

    enterprise_id: int
    geom: BaseGeometry
    grade: str
    list_status: str  # "red" | "normal" | "black"


@dataclass(frozen=True)
class BundleRules:
    gap_m: float = 50.0
    within_street: bool = False
    min_households: int = 800
    max_households: int = 4000
    min_floor_area: float | None = None
    max_floor_area: float | None = None

    def __post_init__(self):
        if self.gap_m < 0:
            raise ValueError(f"gap_m must not be negative (got {self.gap_m})")
        if self.min_households < 0 or self.max_households < self.min_households:
            raise ValueError(f"households bounds must satisfy 0 <= min <= max (got {self.min_households}, "
                             f"{self.max_households})")
        if (self.min_floor_area is not None and self.max_floor_area is not None
                and self.max_floor_area < self.min_floor_area):
            raise ValueError(f"floor area bounds must satisfy min <= max (got {self.min_floor_area}, "
                             f"{self.max_floor_area})")


@dataclass(frozen=True)
class ProposedBundle:
    rank: int
    unit_ids: tuple[int, ...]
    households: int
    floor_area: float
    compactness: float  # 0..1, Reock: area of the estates / area of their minimum bounding circle
    near_enterprise_id: int | None  # nearest non-black, good-credit territory within reach, else None
    near_distance_m: float | None
    score: float  # the "easy first" score; rank 1 = easiest


@dataclass(frozen=True)
class Problem:
    """Why a set of units is not a valid bundle; `params` carry the numbers for the message."""

    code: str  # not_contiguous | too_small | too_large | unknown_unit | duplicate_unit | empty
    params: dict = field(default_factory=dict)


Graph = Mapping[int, Collection[int]]


# --- adjacency -------------------------------------------------------------------------------------------------

def adjacency(units: Iterable[Unit], *, gap_m: float, within_street: bool) -> dict[int, frozenset[int]]:
    """Units are adjacent when they touch or lie within `gap_m` metres of each other (distance <= gap_m).

    With `within_street`, only units of the same street are adjacent (a unit without a street is adjacent only to
    other units without a street). Every unit gets an entry, possibly empty.
    """
    units = sorted(units, key=lambda u: u.id)
    _check_unique(units)
    neighbours: dict[int, set[int]] = {u.id: set() for u in units}
    if len(units) > 1:
        geoms = np.array([u.geom for u in units], dtype=object)
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="dwithin", distance=max(float(gap_m), 0.0))
        for i, j in zip(left.tolist(), right.tolist()):
            if i >= j:
                continue
            a, b = units[i], units[j]
            if within_street and a.street_id != b.street_id:
                continue
            neighbours[a.id].add(b.id)
            neighbours[b.id].add(a.id)
    return {uid: frozenset(ns) for uid, ns in neighbours.items()}


def _check_unique(units: Sequence[Unit]) -> None:
    ids = [u.id for u in units]
    if len(set(ids)) != len(ids):
        seen, dup = set(), set()
        for i in ids:
            (dup if i in seen else seen).add(i)
        raise ValueError(f"duplicate unit ids: {sorted(dup)}")


# --- bounds ----------------------------------------------------------------------------------------------------

class _Bounds:
    def __init__(self, rules: BundleRules):
        self.min_h = rules.min_households
        self.max_h = rules.max_households
        self.min_f = rules.min_floor_area
        self.max_f = rules.max_floor_area

    def fits(self, h: float, f: float) -> bool:
        return h <= self.max_h and (self.max_f is None or f <= self.max_f)

    def reaches(self, h: float, f: float) -> bool:
        return h >= self.min_h and (self.min_f is None or f >= self.min_f)

    def ok(self, h: float, f: float) -> bool:
        return self.fits(h, f) and self.reaches(h, f)


def bundle_problems(unit_ids: Sequence[int], *, units_by_id: Mapping[int, Unit], graph: Graph,
                    rules: BundleRules) -> list[Problem]:
    """Everything wrong with `unit_ids` as one bundle (empty list = valid), for checking a planner's edits."""
    ids = list(unit_ids)
    if not ids:
        return [Problem("empty", {})]
    problems: list[Problem] = []
    seen: set[int] = set()
    duplicates = sorted({i for i in ids if i in seen or seen.add(i)})
    if duplicates:
        problems.append(Problem("duplicate_unit", {"unit_ids": duplicates}))
    unknown = sorted(i for i in seen if i not in units_by_id)
    if unknown:
        problems.append(Problem("unknown_unit", {"unit_ids": unknown}))
    known = sorted(i for i in seen if i in units_by_id)
    if not known:
        return problems
    parts = _components(known, graph)
    if len(parts) > 1:
        problems.append(Problem("not_contiguous", {"parts": len(parts), "unit_ids": [list(p) for p in parts]}))
    households = sum(units_by_id[i].households for i in known)
    floor_area = float(sum(units_by_id[i].floor_area for i in known))
    if households < rules.min_households:
        problems.append(Problem("too_small", {"measure": "households", "value": households,
                                              "limit": rules.min_households}))
    if households > rules.max_households:
        problems.append(Problem("too_large", {"measure": "households", "value": households,
                                              "limit": rules.max_households}))
    if rules.min_floor_area is not None and floor_area < rules.min_floor_area:
        problems.append(Problem("too_small", {"measure": "floor_area", "value": round(floor_area, 1),
                                              "limit": rules.min_floor_area}))
    if rules.max_floor_area is not None and floor_area > rules.max_floor_area:
        problems.append(Problem("too_large", {"measure": "floor_area", "value": round(floor_area, 1),
                                              "limit": rules.max_floor_area}))
    return problems


def _components(ids: Iterable[int], graph: Graph) -> list[tuple[int, ...]]:
    """Connected parts of the subgraph induced by `ids`, each sorted, ordered by smallest id."""
    members = set(ids)
    parts = []
    for start in sorted(members):
        if start not in members:
            continue
        members.discard(start)
        part, queue = [start], deque([start])
        while queue:
            for v in graph.get(queue.popleft(), ()):
                if v in members:
                    members.discard(v)
                    part.append(v)
                    queue.append(v)
        parts.append(tuple(sorted(part)))
    return parts


def _connected(ids: Collection[int], graph: Graph) -> bool:
    if len(ids) <= 1:
        return True
    members = set(ids)
    start = next(iter(members))
    seen, stack = {start}, [start]
    while stack:
        for v in graph.get(stack.pop(), ()):
            if v in members and v not in seen:
                seen.add(v)
                stack.append(v)
    return len(seen) == len(members)


# --- greedy baseline ---------------------------------------------------------------------------------------------

def greedy_bundles(units: Iterable[Unit], rules: BundleRules, *, graph: Graph | None = None) -> list[tuple[int, ...]]:
    """Baseline: seeds by descending households grow breadth-first until the minimum, never over the maximum.

    Units are never moved once placed and leftovers are not attached: the simplest thing a planner would do by hand.
    """
    units = sorted(units, key=lambda u: u.id)
    if graph is None:
        graph = adjacency(units, gap_m=rules.gap_m, within_street=rules.within_street)
    bounds = _Bounds(rules)
    h = {u.id: u.households for u in units}
    f = {u.id: float(u.floor_area) for u in units}
    taken: set[int] = set()
    bundles = []
    for seed in sorted(h, key=lambda i: (-h[i], i)):
        if seed in taken or not bounds.fits(h[seed], f[seed]):
            continue
        members, hs, fs = [seed], h[seed], f[seed]
        inside = {seed}
        queue = deque(sorted(graph.get(seed, ())))
        while queue and not bounds.reaches(hs, fs):
            v = queue.popleft()
            if v in inside or v in taken or v not in h or not bounds.fits(hs + h[v], fs + f[v]):
                continue
            inside.add(v)
            members.append(v)
            hs, fs = hs + h[v], fs + f[v]
            queue.extend(sorted(graph.get(v, ())))
        if bounds.reaches(hs, fs):
            taken.update(members)
            bundles.append(tuple(sorted(members)))
    return sorted(bundles)


# --- max-p-regions with bounds ---------------------------------------------------------------------------------

@dataclass
class _Component:
    """One connected component of the eligible units (or a pool inside one), with the data the phases need."""

    ids: list[int]
    h: Mapping[int, float]
    f: Mapping[int, float]
    graph: Mapping[int, tuple[int, ...]]
    bounds: _Bounds
    xy: Mapping[int, tuple[float, float]]

    def restricted(self, ids: Collection[int]) -> _Component:
        members = set(ids)
        graph = {i: tuple(v for v in self.graph[i] if v in members) for i in sorted(members)}
        return _Component(sorted(members), self.h, self.f, graph, self.bounds, self.xy)


class _Partition:
    """Regions of one component during one attempt: unit → region id, with running sums."""

    def __init__(self, comp: _Component, compact: bool = True):
        self.p = comp
        self.compact = compact  # construction grows by distance (compact) or by links into the region (packing)
        self.region_of: dict[int, int] = {}
        self.members: dict[int, set[int]] = {}
        self.h: dict[int, float] = {}
        self.f: dict[int, float] = {}
        self.sx: dict[int, float] = {}  # sums of the members' centroid coordinates, for the spread
        self.sy: dict[int, float] = {}
        self._next = 0

    def new_region(self, ids: Iterable[int]) -> int:
        r = self._next
        self._next += 1
        self.members[r] = set()
        self.h[r] = 0
        self.f[r] = 0.0
        self.sx[r] = self.sy[r] = 0.0
        for i in ids:
            self.add(r, i)
        return r

    def drop_region(self, r: int) -> list[int]:
        ids = sorted(self.members.pop(r))
        del self.h[r], self.f[r], self.sx[r], self.sy[r]
        for i in ids:
            del self.region_of[i]
        return ids

    def add(self, r: int, i: int) -> None:
        self.region_of[i] = r
        self.members[r].add(i)
        self.h[r] += self.p.h[i]
        self.f[r] += self.p.f[i]
        self.sx[r] += self.p.xy[i][0]
        self.sy[r] += self.p.xy[i][1]

    def remove(self, i: int) -> int:
        r = self.region_of.pop(i)
        self.members[r].discard(i)
        self.h[r] -= self.p.h[i]
        self.f[r] -= self.p.f[i]
        self.sx[r] -= self.p.xy[i][0]
        self.sy[r] -= self.p.xy[i][1]
        return r

    def join_cost(self, r: int, i: int) -> float:
        """Growth of region r's spread when unit i joins it: n/(n+1)·|x_i − centre|²."""
        n = len(self.members[r])
        x, y = self.p.xy[i]
        dx, dy = x - self.sx[r] / n, y - self.sy[r] / n
        return n / (n + 1) * (dx * dx + dy * dy)

    def spread(self) -> float:
        """Sum over regions of the squared distances of unit centroids to the region's mean centroid."""
        total = 0.0
        for r, ms in self.members.items():
            n = len(ms)
            total += sum(self.p.xy[i][0] ** 2 + self.p.xy[i][1] ** 2 for i in ms) - (self.sx[r] ** 2 + self.sy[r] ** 2) / n
        return total

    def move(self, i: int, s: int) -> None:
        self.remove(i)
        self.add(s, i)

    def fits_with(self, r: int, i: int) -> bool:
        return self.p.bounds.fits(self.h[r] + self.p.h[i], self.f[r] + self.p.f[i])

    def can_spare(self, r: int, i: int) -> bool:
        """Region r stays non-empty, within the lower bound and contiguous without unit i."""
        rest = self.members[r] - {i}
        return (bool(rest) and self.p.bounds.reaches(self.h[r] - self.p.h[i], self.f[r] - self.p.f[i])
                and _connected(rest, self.p.graph))

    def neighbour_regions(self, i: int, exclude: int | None = None) -> list[int]:
        return sorted({self.region_of[v] for v in self.p.graph[i] if v in self.region_of} - {exclude})

    def leftovers(self) -> list[int]:
        return [i for i in self.p.ids if i not in self.region_of]

    def covered(self) -> tuple[float, int]:
        return sum(self.h.values()), len(self.region_of)

    def regions(self) -> list[tuple[int, ...]]:
        return sorted(tuple(sorted(m)) for m in self.members.values())


def _grow(part: _Partition, seed: int, rng: random.Random) -> bool:
    """Phase 1 for one seed: grow through unassigned units until the lower bound, never over the upper bound;
    the next unit is the frontier unit with most links into the region (compact growth), ties drawn at random."""
    p = part.p
    members = {seed}
    hs, fs = p.h[seed], p.f[seed]
    frontier: dict[int, int] = {}  # candidate → links into the region
    for v in p.graph[seed]:
        if v not in part.region_of:
            frontier[v] = frontier.get(v, 0) + 1
    sx, sy = p.xy[seed]
    while not p.bounds.reaches(hs, fs):
        fitting = [v for v in frontier if p.bounds.fits(hs + p.h[v], fs + p.f[v])]
        if not fitting:
            return False
        if part.compact:  # the frontier unit nearest the region's centre: regions grow as discs
            n = len(members)
            cx, cy = sx / n, sy / n
            v = min(fitting, key=lambda u: ((p.xy[u][0] - cx) ** 2 + (p.xy[u][1] - cy) ** 2, -frontier[u], u))
        else:  # the one with most links into the region, ties at random: fills odd shapes more fully
            most = max(frontier[v] for v in fitting)
            choice = sorted(v for v in fitting if frontier[v] == most)
            v = choice[rng.randrange(len(choice))]
        del frontier[v]
        members.add(v)
        hs, fs = hs + p.h[v], fs + p.f[v]
        sx, sy = sx + p.xy[v][0], sy + p.xy[v][1]
        for w in p.graph[v]:
            if w not in part.region_of and w not in members:
                frontier[w] = frontier.get(w, 0) + 1
    part.new_region(sorted(members))
    return True


def _construct(part: _Partition, rng: random.Random) -> bool:
    """Phase 1: every unassigned unit, in random order, seeds a region unless already taken."""
    order = part.leftovers()
    rng.shuffle(order)
    grown = False
    for seed in order:
        if seed not in part.region_of and part.p.bounds.fits(part.p.h[seed], part.p.f[seed]):
            grown |= _grow(part, seed, rng)
    return grown


def _assign_enclaves(part: _Partition, rng: random.Random) -> bool:
    """Phase 2: attach leftover units to an adjacent region with room (most links, then the smaller region)."""
    p = part.p
    changed_any, changed = False, True
    while changed:
        changed = False
        order = part.leftovers()
        rng.shuffle(order)
        for i in order:
            links: dict[int, int] = {}
            for v in p.graph[i]:
                r = part.region_of.get(v)
                if r is not None:
                    links[r] = links.get(r, 0) + 1
            options = [r for r in sorted(links) if part.fits_with(r, i)]
            if options:
                part.add(min(options, key=lambda r: (part.join_cost(r, i), -links[r], r)), i)
                changed = changed_any = True
    return changed_any


def _saturate(part: _Partition, rng: random.Random) -> bool:
    """Phases 1 and 2 on what is left until nothing changes (each step only adds units, so this ends)."""
    changed_any = False
    while True:
        changed = _assign_enclaves(part, rng)
        changed |= _construct(part, rng)
        if not changed:
            return changed_any
        changed_any = True


def _make_room(part: _Partition) -> bool:
    """Repair: a leftover unit that does not fit its full neighbour region r gets in after a boundary unit v of r
    moves to another region s adjacent to v with room (r stays contiguous and within bounds)."""
    p = part.p
    changed = False
    for i in part.leftovers():
        done = False
        for r in part.neighbour_regions(i):
            for v in sorted(part.members[r]):
                hr, fr = part.h[r] - p.h[v] + p.h[i], part.f[r] - p.f[v] + p.f[i]
                if not p.bounds.ok(hr, fr):
                    continue
                targets = [s for s in part.neighbour_regions(v, exclude=r) if part.fits_with(s, v)]
                if not targets or not _connected((part.members[r] - {v}) | {i}, p.graph):
                    continue
                part.move(v, targets[0])
                part.add(r, i)
                done = changed = True
                break
            if done:
                break
    return changed


def _borrow(part: _Partition) -> bool:
    """Repair: a connected cluster of leftovers below the minimum borrows boundary units from adjacent regions that
    can spare them (they stay contiguous and within bounds), and becomes a region of its own."""
    p = part.p
    changed = False
    for cluster in _components(part.leftovers(), p.graph):
        members = set(cluster)
        hs, fs = sum(p.h[i] for i in cluster), sum(p.f[i] for i in cluster)
        if not p.bounds.fits(hs, fs):
            continue
        borrowed: list[tuple[int, int]] = []  # (unit, region it came from)
        while not p.bounds.reaches(hs, fs):
            best = None
            for v in sorted({v for i in members for v in p.graph[i] if v in part.region_of}):
                r = part.region_of[v]
                if not p.bounds.fits(hs + p.h[v], fs + p.f[v]) or not part.can_spare(r, v):
                    continue
                key = (-sum(1 for w in p.graph[v] if w in members), -p.h[v], v)
                if best is None or key < best:
                    best = key
            if best is None:
                break
            v = best[2]
            borrowed.append((v, part.remove(v)))
            members.add(v)
            hs, fs = hs + p.h[v], fs + p.f[v]
        if p.bounds.reaches(hs, fs):
            part.new_region(sorted(members))
            changed = True
        else:
            for v, r in reversed(borrowed):  # give back; can_spare kept every donor non-empty
                part.add(r, v)
    return changed


def _regrow(part: _Partition, rng: random.Random, tries: int = 4, max_pool: int = 80) -> bool:
    """Repair: re-partition a region together with the leftover clusters around it (phases 1–2 on that pool only);
    keep the result when it covers more."""
    p = part.p
    clusters = _components(part.leftovers(), p.graph)
    touching: dict[int, set[int]] = {}  # region → leftover clusters next to it
    for k, c in enumerate(clusters):
        for i in c:
            for v in p.graph[i]:
                r = part.region_of.get(v)
                if r is not None:
                    touching.setdefault(r, set()).add(k)
    used: set[int] = set()  # clusters changed in this pass: their neighbours wait for the next pass
    changed = False
    for r in sorted(touching):
        ks = touching[r]
        if ks & used:
            continue
        pool = set(part.members[r]).union(*(clusters[k] for k in ks))
        if len(pool) > max_pool:
            continue
        sub = p.restricted(pool)
        before = (part.h[r], len(part.members[r]))
        best = None
        for _ in range(tries):
            trial = _Partition(sub, part.compact)
            _saturate(trial, rng)
            key = trial.covered()
            if key > before and (best is None or key > best[0]):
                best = (key, trial.regions())
        if best is not None:
            part.drop_region(r)
            for region in best[1]:
                part.new_region(region)
            used |= ks
            changed = True
    return changed


def _local_search(part: _Partition) -> None:
    """Phase 3: move boundary units to the adjacent region that lowers the total spread (sum of squared distances
    of unit centroids to their region's centroid); bounds and contiguity are kept, so coverage is unchanged.
    Greedy descent with a bounded number of passes (spopt uses simulated annealing/tabu for the same phase)."""
    p = part.p
    sums: dict[int, list[float]] = {}
    for r, ms in part.members.items():
        sums[r] = [len(ms), sum(p.xy[i][0] for i in ms), sum(p.xy[i][1] for i in ms)]

    def delta(r: int, s: int, i: int) -> float:
        # SSE = Σ|x|² − |Σx|²/n per region; the |x_i|² terms cancel between leaving r and joining s
        x, y = p.xy[i]
        n, sx, sy = sums[r]
        out = (sx * sx + sy * sy) / n - ((sx - x) ** 2 + (sy - y) ** 2) / (n - 1)
        n, sx, sy = sums[s]
        into = (sx * sx + sy * sy) / n - ((sx + x) ** 2 + (sy + y) ** 2) / (n + 1)
        return out + into

    for _ in range(_MAX_LOCAL_SEARCH_PASSES):
        moved = False
        for i in sorted(part.region_of):
            r = part.region_of[i]
            if sums[r][0] <= 1:
                continue
            best = None
            for s in part.neighbour_regions(i, exclude=r):
                if part.fits_with(s, i):
                    gain = delta(r, s, i)
                    if gain < -1e-6 and (best is None or gain < best[0]):
                        best = (gain, s)
            if best is None or not part.can_spare(r, i):
                continue
            s = best[1]
            part.move(i, s)
            x, y = p.xy[i]
            sums[r][0] -= 1
            sums[r][1] -= x
            sums[r][2] -= y
            sums[s][0] += 1
            sums[s][1] += x
            sums[s][2] += y
            moved = True
        if not moved:
            break


def _repair(part: _Partition, rng: random.Random, *, regrow: bool) -> None:
    for _ in range(_MAX_REPAIR_PASSES):
        if not part.leftovers():
            return
        changed = _make_room(part) | _borrow(part)
        if regrow:
            changed |= _regrow(part, rng)
        changed |= _saturate(part, rng)
        if not changed:
            return


def _key(part: _Partition) -> tuple:
    """Households covered, then more bundles (max-p's objective), then units covered, then the smaller spread."""
    regions = part.regions()
    covered, units = part.covered()
    return (-covered, -len(regions), -units, round(part.spread(), 3), regions)


def _solve_component(comp: _Component, seed: int, attempts: int) -> list[tuple[int, ...]]:
    bounds = comp.bounds
    total_h = sum(comp.h[i] for i in comp.ids)
    total_f = sum(comp.f[i] for i in comp.ids)
    if not bounds.reaches(total_h, total_f):
        return []
    if len(comp.ids) == 1:
        return [tuple(comp.ids)]
    # A component within the bounds is one valid bundle; it is kept only when splitting covers less (households
    # first, then more bundles: a split covering the same households wins).
    whole = None
    if bounds.fits(total_h, total_f):
        whole = _Partition(comp)
        whole.new_region(comp.ids)
    # Every attempt gets construction, enclave assignment and the cheap repairs; the costlier re-partitioning of
    # regions with their leftovers runs on the best few only.
    trials = []
    for attempt in range(max(1, attempts)):
        rng = random.Random(f"{seed}:{comp.ids[0]}:{attempt}")
        part = _Partition(comp, compact=attempt % 2 == 0)
        _saturate(part, rng)
        _repair(part, rng, regrow=False)
        trials.append((_key(part), attempt, part, rng))
    trials.sort(key=lambda t: (t[0], t[1]))
    finalists = []
    for key, attempt, part, rng in trials[:_REGROW_FINALISTS]:
        _repair(part, rng, regrow=True)
        finalists.append((_key(part), attempt, part, rng))
    _, _, part, rng = min(finalists, key=lambda t: (t[0], t[1]))
    _local_search(part)
    _saturate(part, rng)  # moves may have made room for a leftover
    if whole is not None and _key(whole) < _key(part):
        return whole.regions()
    return part.regions()


def propose_bundles(units: Iterable[Unit], rules: BundleRules, *, territories: Iterable[Territory] = (),
                    seed: int = 0, graph: Graph | None = None, attempts: int = DEFAULT_ATTEMPTS,
                    reach_m: float = DEFAULT_REACH_M) -> list[ProposedBundle]:
    """Contiguous, disjoint bundles within the bounds, maximising households covered; ranked easy first."""
    units = sorted(units, key=lambda u: u.id)
    _check_unique(units)
    if graph is None:
        graph = adjacency(units, gap_m=rules.gap_m, within_street=rules.within_street)
    bounds = _Bounds(rules)
    units_by_id = {u.id: u for u in units}
    eligible = {u.id for u in units if bounds.fits(u.households, float(u.floor_area))}
    local_graph = {i: tuple(sorted(v for v in graph.get(i, ()) if v in eligible)) for i in sorted(eligible)}
    h = {i: units_by_id[i].households for i in eligible}
    f = {i: float(units_by_id[i].floor_area) for i in eligible}
    xy = {}
    for i in eligible:
        geom = units_by_id[i].geom
        c = geom.centroid if not geom.is_empty else None
        xy[i] = (c.x, c.y) if c is not None else (0.0, 0.0)
    regions: list[tuple[int, ...]] = []
    for ids in _components(eligible, local_graph):
        comp = _Component(list(ids), h, f, local_graph, bounds, xy)
        regions.extend(_solve_component(comp, seed, attempts))
    for region in regions:  # the stated guarantee, checked
        problems = bundle_problems(region, units_by_id=units_by_id, graph=graph, rules=rules)
        if problems:
            raise RuntimeError(f"internal error: bundle {region} is invalid: {problems}")
    return rank_easy_first(regions, units_by_id=units_by_id, territories=territories, reach_m=reach_m)


# --- easy first ------------------------------------------------------------------------------------------------

def reock(geom: BaseGeometry) -> float:
    """Reock compactness: area / area of the minimum bounding circle (1 for a disc, 2/π for a square)."""
    if geom.is_empty or geom.area <= 0:
        return 0.0
    circle = math.pi * float(shapely.minimum_bounding_radius(geom)) ** 2  # exact, unlike the polygonal circle
    return max(0.0, min(1.0, geom.area / circle)) if circle > 0 else 0.0


def _eligible_territory(t: Territory) -> bool:
    return t.list_status != "black" and t.grade in GOOD_GRADES and t.geom is not None and not t.geom.is_empty


def rank_easy_first(bundles: Iterable, *, units_by_id: Mapping[int, Unit], territories: Iterable[Territory],
                    reach_m: float = DEFAULT_REACH_M) -> list[ProposedBundle]:
    """Order bundles easy first (先易后难): large, compact, next to a good-credit enterprise's territory.

    `bundles` are collections of unit ids (or ProposedBundles). Score = 0.35·size + 0.35·compactness +
    0.30·proximity, where size = households / households of the largest bundle, compactness is Reock, and proximity =
    (1 − distance / reach) × grade weight (AAA 1, AA 0.9, A 0.8) × list weight (red 1, normal 0.85) of the best
    territory within `reach_m`. Only territories graded AAA/AA/A and not black-listed count; the best one is
    `near_enterprise_id`. Ties: more households, then smaller unit ids.
    """
    groups = [tuple(sorted(getattr(b, "unit_ids", b))) for b in bundles]
    good = [t for t in territories if _eligible_territory(t)]
    good.sort(key=lambda t: t.enterprise_id)
    # A territory is the union of many management areas: index its parts, far cheaper to test than the whole.
    parts, owner = [], []
    for k, t in enumerate(good):
        for part in shapely.get_parts(t.geom):
            parts.append(part)
            owner.append(k)
    parts = np.array(parts, dtype=object)
    owner = np.array(owner, dtype=int)
    tree = shapely.STRtree(parts) if len(parts) else None
    largest = max((sum(units_by_id[i].households for i in g) for g in groups), default=0) or 1
    scored = []
    for ids in groups:
        geoms = [units_by_id[i].geom for i in ids]
        outline = shapely.GeometryCollection(geoms)  # estates do not overlap: no need to pay for a union
        households = sum(units_by_id[i].households for i in ids)
        floor_area = float(sum(units_by_id[i].floor_area for i in ids))
        compactness = reock(outline)
        near_id, near_d, proximity = None, None, 0.0
        if tree is not None:
            hits = tree.query(outline, predicate="dwithin", distance=reach_m)
            nearest: dict[int, float] = {}
            for k, d in zip(owner[hits].tolist(), shapely.distance(outline, parts[hits]).tolist()):
                nearest[k] = min(d, nearest.get(k, d))
            best = None
            for k, d in sorted(nearest.items()):
                t = good[k]
                weight = GRADE_WEIGHT.get(t.grade, 0.0) * (RED_WEIGHT if t.list_status == "red" else NORMAL_WEIGHT)
                value = max(0.0, 1.0 - d / reach_m) * weight if reach_m > 0 else weight
                key = (-value, d, t.enterprise_id)
                if best is None or key < best[0]:
                    best = (key, t.enterprise_id, d, value)
            if best is not None:
                _, near_id, near_d, proximity = best
        size = households / largest
        score = (SCORE_WEIGHTS["size"] * size + SCORE_WEIGHTS["compactness"] * compactness
                 + SCORE_WEIGHTS["proximity"] * proximity)
        scored.append((round(score, 6), households, ids, floor_area, compactness, near_id, near_d))
    scored.sort(key=lambda s: (-s[0], -s[1], s[2]))
    return [ProposedBundle(rank=k, unit_ids=ids, households=int(households), floor_area=round(floor_area, 2),
                           compactness=round(compactness, 4), near_enterprise_id=near_id,
                           near_distance_m=None if near_d is None else round(near_d, 1), score=score)
            for k, (score, households, ids, floor_area, compactness, near_id, near_d) in enumerate(scored, start=1)]
