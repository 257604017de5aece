"""Benchmark (not a test): plan_create for the whole district on the dev database (the MEDIUM demo, ~3,000 uncovered
old estates), split into reading the inputs, propose_bundles and writing; the plan is rolled back afterwards.

    .venv/bin/python tests/benchmarks/bench_plan_create.py [--repeat 3] [--street CODE]
"""
import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoapp.settings")


class Rollback(Exception):
    pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--street", default=None, help="a street code; default the whole district")
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import transaction

    from layers.selectors import bundles as bundle_inputs
    from layers.models import AdminArea
    from layers.planning.bundles import BundleRules, propose_bundles
    from layers.services.plans import plan_create

    user = User.objects.get(username="planner")
    street = AdminArea.objects.get(code=args.street).pk if args.street else None
    start = datetime.date.today() + datetime.timedelta(days=30)
    srid = bundle_inputs.metric_srid()
    totals, reads, proposals = [], [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        units = bundle_inputs.uncovered_units(on=start, srid=srid, street_id=street)
        territories = bundle_inputs.territories(srid=srid)
        reads.append(time.perf_counter() - t)
        t = time.perf_counter()
        proposed = propose_bundles(units, BundleRules(), territories=territories, seed=0)
        proposals.append(time.perf_counter() - t)
        try:
            with transaction.atomic():
                t = time.perf_counter()
                plan = plan_create(user=user, name="benchmark", start_date=start, street_id=street)
                totals.append(time.perf_counter() - t)
                bundles = plan.bundles.count()
                households = sum(plan.bundles.values_list("households", flat=True))
                raise Rollback
        except Rollback:
            pass
    uncovered = sum(u.households for u in units)
    print(f"uncovered old estates: {len(units)} ({uncovered:,} households); territories: {len(territories)}")
    print(f"bundles: {bundles} ({len(proposed)} proposed), households covered: {households:,} "
          f"({households / uncovered:.1%} of uncovered)")
    print(f"read inputs (median of {args.repeat}): {statistics.median(reads):.2f} s")
    print(f"propose_bundles:              {statistics.median(proposals):.2f} s")
    print(f"plan_create end to end:       {statistics.median(totals):.2f} s (min {min(totals):.2f} s)")


if __name__ == "__main__":
    main()
