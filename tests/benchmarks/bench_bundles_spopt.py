"""Benchmark (not a test): our bundle proposals side by side with PySAL spopt's MaxPHeuristic on the same units.

Both methods get the same units (the uncovered old estates of the demo city, from the pure generator, projected to
UTM 52N as in tests/benchmarks/bench_bundles.py), the same adjacency graph (`layers.planning.bundles.adjacency`)
and the same lower bound (households); spopt has no upper bound, so its regions above the maximum are not valid
bundles and do not count as covered. Each connected component that can reach the minimum is given to spopt on its
own (spopt's construction cannot cross a component anyway); single estates reaching the minimum are their own
region, as max-p makes them. Compactness is the spread max-p minimises when the attributes are the coordinates:
the sum over bundles of the squared distances of estate centroids to their bundle's mean centroid, in km².
Times are CPU seconds of this process (the machine is shared: wall time says more about the neighbours).

spopt 0.8.0 needs Python >= 3.12, so this script runs in `.venv-spopt` (requirements-spopt.txt), created by

    make bench-spopt                      # BENCH_SPOPT_ARGS='--cases 50:800:4000 --spopt-iterations 30'

which runs `.venv-spopt/bin/python tests/benchmarks/bench_bundles_spopt.py`. Without spopt installed (e.g. under
.venv) only our side is measured. Cases are gap_m:min:max (households).
"""
import argparse
import inspect
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "benchmarks"))

from bench_bundles import city_inputs  # noqa: E402

from layers.planning.bundles import BundleRules, adjacency, bundle_problems, propose_bundles  # noqa: E402

DEFAULT_CASES = ["50:800:4000", "100:800:4000", "200:800:4000", "50:1500:2000", "100:1500:2000",
                 "200:1500:2000"]


def components(ids, graph):
    seen, parts = set(), []
    for start in sorted(ids):
        if start in seen:
            continue
        seen.add(start)
        stack, part = [start], []
        while stack:
            i = stack.pop()
            part.append(i)
            for v in graph[i]:
                if v in ids and v not in seen:
                    seen.add(v)
                    stack.append(v)
        parts.append(sorted(part))
    return parts


def spread_km2(bundles, xy):
    """Sum of squared distances (km²) of estate centroids to their bundle's mean centroid."""
    total = 0.0
    for b in bundles:
        mx = sum(xy[i][0] for i in b) / len(b)
        my = sum(xy[i][1] for i in b) / len(b)
        total += sum((xy[i][0] - mx) ** 2 + (xy[i][1] - my) ** 2 for i in b)
    return total / 1e6


def run_spopt(units_by_id, graph, rules, iterations, sa_iterations, top_n, seed):
    """spopt MaxPHeuristic per component; returns (regions, seconds, components given to spopt)."""
    import geopandas as gpd
    import libpysal
    import numpy as np
    from spopt.region import MaxPHeuristic

    eligible = {i for i, u in units_by_id.items() if u.households <= rules.max_households}
    started = time.process_time()
    regions, solved = [], 0
    todo = [c for c in components(eligible, graph) if sum(units_by_id[i].households for i in c) >= rules.min_households]
    for k, comp in enumerate(todo):
        if k % 50 == 0:
            print(f"  spopt: component {k + 1} of {todo and len(todo)}, {time.process_time() - started:.0f} s of CPU",
                  file=sys.stderr, flush=True)
        total = sum(units_by_id[i].households for i in comp)
        if total < rules.min_households:
            continue
        if len(comp) == 1:
            regions.append(tuple(comp))
            continue
        position = {i: k for k, i in enumerate(comp)}  # spopt indexes the weights by position
        gdf = gpd.GeoDataFrame({
            "households": [units_by_id[i].households for i in comp],
            "x": [units_by_id[i].geom.centroid.x for i in comp],
            "y": [units_by_id[i].geom.centroid.y for i in comp],
        }, geometry=[units_by_id[i].geom for i in comp])
        w = libpysal.weights.W({position[i]: [position[v] for v in sorted(graph[i]) if v in position]
                                for i in comp}, silence_warnings=True)
        np.random.seed(seed)
        model = MaxPHeuristic(gdf, w, ["x", "y"], "households", rules.min_households, top_n,
                              max_iterations_construction=iterations, max_iterations_sa=sa_iterations)
        model.solve()
        solved += 1
        by_label = {}
        for i, label in zip(comp, model.labels_):
            if label is not None and int(label) > 0:
                by_label.setdefault(int(label), []).append(i)
        regions.extend(tuple(sorted(v)) for v in by_label.values())
    return regions, time.process_time() - started, solved


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="medium")
    parser.add_argument("--city-seed", type=int, default=1)
    parser.add_argument("--districts", type=int, default=None,
                        help="passed to generate_city when it takes districts (the multi-district city)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cases", nargs="*", default=DEFAULT_CASES, help="gap_m:min:max")
    parser.add_argument("--no-spopt", action="store_true")
    parser.add_argument("--spopt-iterations", type=int, default=99, help="max_iterations_construction")
    parser.add_argument("--spopt-sa", type=int, default=10, help="max_iterations_sa")
    parser.add_argument("--spopt-top-n", type=int, default=2)
    args = parser.parse_args()
    print("$ " + " ".join(shlex.quote(a) for a in [sys.executable.replace(str(ROOT) + "/", ""), *sys.argv]))

    if args.districts is not None:
        import layers.demo.city as city_module
        if "districts" not in inspect.signature(city_module.generate_city).parameters:
            sys.exit("this generate_city has no districts parameter")
        original = city_module.generate_city
        city_module.generate_city = lambda **kw: original(districts=args.districts, **kw)
        import bench_bundles
        bench_bundles.generate_city = city_module.generate_city
    city, old, units, territories = city_inputs(args.scale, args.city_seed)
    units_by_id = {u.id: u for u in units}
    xy = {u.id: (u.geom.centroid.x, u.geom.centroid.y) for u in units}
    total = sum(u.households for u in units)
    have_spopt = False
    if not args.no_spopt:
        try:
            import spopt  # noqa: F401
            have_spopt = True
            print(f"spopt {spopt.__version__}; MaxPHeuristic(attrs x,y; threshold households ≥ min; "
                  f"max_iterations_construction {args.spopt_iterations}, max_iterations_sa {args.spopt_sa}, "
                  f"top_n {args.spopt_top_n})")
        except ImportError:
            print("spopt not installed here: our side only (make bench-spopt runs both)")
    print(f"{len(units)} uncovered old estates, {total} households (city {args.scale}, seed {args.city_seed})")
    print()
    print("| gap | households per bundle | covered, ours | covered, spopt | bundles ours / spopt (spopt over max) "
          "| spread km², ours / spopt | CPU time ours / spopt |")
    print("|---:|---|---:|---:|---|---|---|")
    for case in args.cases:
        gap, lo, hi = case.split(":")
        rules = BundleRules(gap_m=float(gap), min_households=int(lo), max_households=int(hi))
        graph = adjacency(units, gap_m=rules.gap_m, within_street=False)
        started = time.process_time()
        ours = [b.unit_ids for b in propose_bundles(units, rules, territories=territories, seed=args.seed,
                                                    graph=graph)]
        t_ours = time.process_time() - started
        for b in ours:
            assert not bundle_problems(b, units_by_id=units_by_id, graph=graph, rules=rules)
        covered_ours = sum(units_by_id[i].households for b in ours for i in b)
        cells = [f"{float(gap):g} m", f"{int(lo):,}–{int(hi):,}",
                 f"{covered_ours:,} ({covered_ours / total:.1%})"]
        if have_spopt:
            regions, t_spopt, solved = run_spopt(units_by_id, graph, rules, args.spopt_iterations, args.spopt_sa,
                                                 args.spopt_top_n, args.seed)
            valid = [r for r in regions if sum(units_by_id[i].households for i in r) <= rules.max_households]
            covered_spopt = sum(units_by_id[i].households for r in valid for i in r)
            cells += [f"{covered_spopt:,} ({covered_spopt / total:.1%})",
                      f"{len(ours)} / {len(valid)} ({len(regions) - len(valid)})",
                      f"{spread_km2(ours, xy):.1f} / {spread_km2(valid, xy):.1f}",
                      f"{t_ours:.2f} s / {t_spopt:.1f} s ({t_spopt / t_ours:.0f}×)"]
        else:
            cells += ["—", f"{len(ours)} / —", f"{spread_km2(ours, xy):.1f} / —", f"{t_ours:.2f} s / —"]
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
