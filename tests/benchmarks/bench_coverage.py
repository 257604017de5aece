"""Benchmark (not a test): p50/p95 of all district figures (levels district, street, community) on the dev database.

Uses the dev database as configured (the MEDIUM demo, ~10k estates); reads only. Prints a same-session baseline,
SELECT count(*) FROM layers_estate, because the machines are shared and absolute times are noisy. Target: all
three levels together under 300 ms.

    .venv/bin/python tests/benchmarks/bench_coverage.py [--repeat 20] [--date 2023-01-01]
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


def percentiles(samples):
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--date", default=None)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from layers.selectors.coverage import coverage_figures

    on = datetime.date.fromisoformat(args.date) if args.date else timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM layers_estate")
        estates = cursor.fetchone()[0]
    print(f"estates: {estates}, date: {on}, runs: {args.repeat}")

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM layers_estate")
            cursor.fetchone()

    def levels(level):
        return lambda: coverage_figures(on=on, level=level)

    cases = [("baseline count(*)", baseline)] + [(f"figures {lvl}", levels(lvl)) for lvl in
                                                  ("district", "street", "community")]
    cases.append(("all district figures", lambda: [coverage_figures(on=on, level=lvl)
                                                   for lvl in ("district", "street", "community")]))
    for name, run in cases:
        run()  # warm up
        samples = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            run()
            samples.append((time.perf_counter() - started) * 1000)
        p50, p95 = percentiles(samples)
        print(f"{name:<24} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms")


if __name__ == "__main__":
    main()
