"""Benchmark (not a test): bundled-takeover proposals for every uncovered old estate of the demo city, ours vs greedy.

No database: the city comes from the pure generator `layers.demo.city.generate_city` (the data `load_demo` loads);
uncovered old estates are those built up to 2010 with no contract active on the demo's today; territories are the
unions of the estate outlines under each enterprise's active contracts (the database uses the management areas, a
little larger). Geometries are projected to UTM zone 52N (EPSG:32652, metres). Both methods run in this process on
the same adjacency graph, so their times compare even on a busy machine.

    .venv/bin/python tests/benchmarks/bench_bundles.py [--scale medium] [--city-seed 1] [--seed 0] [--gap 50]
        [--min 800] [--max 4000] [--within-street] [--attempts 8]
"""
import argparse
import collections
import shlex
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import shapely  # noqa: E402
from pyproj import Transformer  # noqa: E402
from shapely.ops import unary_union  # noqa: E402

from layers.demo.city import OLD_CUTOFF_YEAR, generate_city  # noqa: E402
from layers.planning.bundles import (  # noqa: E402
    DEFAULT_ATTEMPTS, BundleRules, Territory, Unit, adjacency, bundle_problems, greedy_bundles, propose_bundles,
)


def active(contract, on):
    return contract.start_date <= on and (contract.end_date is None or contract.end_date > on)


def to_metres(geoms):
    transformer = Transformer.from_crs("EPSG:4490", "EPSG:32652", always_xy=True)
    return shapely.transform(np.asarray(geoms, dtype=object), lambda xy: np.column_stack(
        transformer.transform(xy[:, 0], xy[:, 1])))


def city_inputs(scale: str, city_seed: int):
    city = generate_city(scale=scale, seed=city_seed)
    today = city.today
    current = {}
    for c in city.contracts:
        if active(c, today):
            current[c.estate_code] = c
    street_ids = {s.code: k + 1 for k, s in enumerate(city.streets)}
    old = [e for e in city.estates if e.build_year <= OLD_CUTOFF_YEAR]
    uncovered = [e for e in old if e.code not in current]
    metres = to_metres([e.geom for e in city.estates])
    geom_of = {e.code: g for e, g in zip(city.estates, metres)}
    units = [Unit(id=int(e.code[1:]), households=e.households, floor_area=e.floor_area, geom=geom_of[e.code],
                  street_id=street_ids[e.street_code]) for e in uncovered]
    served = collections.defaultdict(list)
    for code, c in current.items():
        if c.provider_kind == "enterprise":
            served[c.enterprise_code].append(geom_of[code])
    territories = [Territory(enterprise_id=k + 1, geom=unary_union(served[ent.credit_code]), grade=ent.credit_grade,
                             list_status=ent.list_status)
                   for k, ent in enumerate(city.enterprises) if served.get(ent.credit_code)]
    return city, old, units, territories


def timed(run):
    """Result, wall seconds and CPU seconds (the CPU time says more on a shared, busy machine)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = run()
    return result, (time.perf_counter() - started, time.process_time() - cpu)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="medium")
    parser.add_argument("--city-seed", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--gap", type=float, default=50.0)
    parser.add_argument("--min", type=int, default=800)
    parser.add_argument("--max", type=int, default=4000)
    parser.add_argument("--within-street", action="store_true")
    parser.add_argument("--attempts", type=int, default=DEFAULT_ATTEMPTS)
    args = parser.parse_args()
    print("$ " + " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv]))

    (city, old, units, territories), t_city = timed(lambda: city_inputs(args.scale, args.city_seed))
    rules = BundleRules(gap_m=args.gap, within_street=args.within_street, min_households=args.min,
                        max_households=args.max)
    units_by_id = {u.id: u for u in units}
    total = sum(u.households for u in units)
    print(f"city {args.scale} seed {args.city_seed}: {len(city.estates)} estates, {len(old)} old, "
          f"{len(units)} uncovered old ({total} households), {len(territories)} enterprise territories "
          f"(generated in {t_city[0]:.1f} s)")
    print(f"rules: gap {rules.gap_m:g} m, within street {rules.within_street}, households "
          f"{rules.min_households}..{rules.max_households}, seed {args.seed}, attempts {args.attempts}")

    graph, t_adj = timed(lambda: adjacency(units, gap_m=rules.gap_m, within_street=rules.within_street))
    edges = sum(len(v) for v in graph.values()) // 2
    # Components (of units no larger than the maximum) give an upper bound: one below the minimum gives nothing.
    fits = {u.id for u in units if u.households <= rules.max_households}
    sizes, bound, seen = [], 0, set()
    for start in sorted(fits):
        if start in seen:
            continue
        stack, members = [start], []
        seen.add(start)
        while stack:
            members.append(stack.pop())
            for v in graph[members[-1]]:
                if v in fits and v not in seen:
                    seen.add(v)
                    stack.append(v)
        sizes.append(len(members))
        households = sum(units_by_id[i].households for i in members)
        bound += households if households >= rules.min_households else 0
    print(f"units {len(units)}, edges {edges}, components {len(sizes)} (largest {max(sizes, default=0)} units), "
          f"adjacency {t_adj[0] * 1000:.0f} ms (cpu {t_adj[1] * 1000:.0f} ms)")
    print(f"upper bound on households covered (components reaching the minimum): {bound} ({bound / total:.1%})")

    ours, t_ours = timed(lambda: propose_bundles(units, rules, territories=territories, seed=args.seed, graph=graph,
                                                 attempts=args.attempts))
    greedy, t_greedy = timed(lambda: greedy_bundles(units, rules, graph=graph))

    for name, bundles in (("ours", [b.unit_ids for b in ours]), ("greedy", greedy)):
        bad = [b for b in bundles if bundle_problems(b, units_by_id=units_by_id, graph=graph, rules=rules)]
        flat = [i for b in bundles for i in b]
        assert not bad and len(flat) == len(set(flat)), f"{name}: invalid bundles"

    def line(name, bundles, times):
        sizes = [sum(units_by_id[i].households for i in b) for b in bundles]
        covered = sum(sizes)
        estates = sum(len(b) for b in bundles)
        print(f"{name:<7} {times[0]:6.2f} s  cpu {times[1]:6.2f} s  bundles {len(bundles):4d}  estates {estates:5d}  households {covered:7d} "
              f"({covered / total:6.1%})  size min {min(sizes, default=0)} median "
              f"{statistics.median(sizes) if sizes else 0:.0f} max {max(sizes, default=0)}")
        return covered

    covered_ours = line("ours", [b.unit_ids for b in ours], t_ours)
    covered_greedy = line("greedy", greedy, t_greedy)
    print(f"households covered ours/greedy: {covered_ours / covered_greedy:.3f}" if covered_greedy else "greedy: 0")
    near = sum(1 for b in ours if b.near_enterprise_id is not None)
    print(f"easy first: {near}/{len(ours)} bundles next to a good-credit territory; top 3 "
          + "; ".join(f"#{b.rank} {b.households} hh, {len(b.unit_ids)} estates, compactness {b.compactness:.2f}, "
                      f"enterprise {b.near_enterprise_id} at {b.near_distance_m} m" for b in ours[:3]))


if __name__ == "__main__":
    main()
