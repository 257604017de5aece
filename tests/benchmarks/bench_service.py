"""Benchmark (not a test): worklists, nearby candidates, jurisdiction refresh and a 500-estate assignment.

Uses the dev database as configured (load the MEDIUM demo: `manage.py load_demo --scale medium --seed 1`). The
assignment runs inside a transaction that is rolled back, so the database is left as it was. Prints medians.

    .venv/bin/python tests/benchmarks/bench_service.py [--repeat 5]
"""
import argparse
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
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import transaction
    from django.utils import timezone

    from layers.selectors.candidates import nearby_candidates
    from layers.models import Enterprise, Estate
    from layers.services.contracts import contracts_assign
    from layers.services.jurisdictions import enterprise_jurisdictions_refresh, enterprise_jurisdictions_refresh_some
    from layers.selectors.worklists import worklist_get

    user = User.objects.get(username="planner")

    def timed(label, fn, repeat=args.repeat):
        samples, result = [], None
        for _ in range(repeat):
            start = time.perf_counter()
            result = fn()
            samples.append(time.perf_counter() - start)
        print(f"{label:<55} median {statistics.median(samples) * 1000:7.0f} ms")
        return result

    print(f"{Estate.objects.count()} estates, {Enterprise.objects.count()} enterprises")
    for name in ("uncovered", "renovated", "abandoned"):
        wl = timed(f"worklist {name} (page + map features)", lambda: worklist_get(user=user, name=name))
        print(f"{'':<4}{wl.count} estates on the list")
    estate = Estate.objects.uncovered().order_by("code").first()
    timed("nearby_candidates (one estate)", lambda: nearby_candidates(geom=estate.geom, households=estate.households))
    enterprise_id = Enterprise.objects.exclude(list_status="black").order_by("pk").first().pk
    timed("jurisdictions: full refresh (the loader)", enterprise_jurisdictions_refresh, 3)
    timed("jurisdictions: one enterprise (after an assignment)",
          lambda: enterprise_jurisdictions_refresh_some(enterprise_ids=[enterprise_id]), 3)
    ids = list(Estate.objects.uncovered().order_by("code").values_list("id", flat=True)[:500])

    def assign():
        try:
            with transaction.atomic():
                contracts_assign(user=user, estate_ids=ids, provider_kind="enterprise", mode="bundled",
                                 enterprise_id=enterprise_id, start_date=timezone.localdate())
                raise Rollback
        except Rollback:
            pass

    timed(f"contracts_assign, {len(ids)} estates (rolled back)", assign, 3)


if __name__ == "__main__":
    main()
