"""Benchmark (not a test): p50/p95 of the worklist endpoints (/api/…/service/worklists/<name>/) on the dev database.

In-process Django test client (no HTTP server), logged in as the demo planner (whole district) and a street office
(one street), every list with its default page and its map data (the page's outlines, the ids, names and extent of
the whole list), as the service page asks. Prints the answer's size and the load average too. Reads only; run after
`manage.py load_demo --scale medium`. Target: p50 < 150 ms per request. The tab counts of the other lists are
remembered per data version (selectors/worklists.py), so the repeated requests find them; `--cold` forgets them
before every request (what the first request after an edit costs).

    .venv/bin/python tests/benchmarks/bench_worklists.py [--repeat 20] [--users planner street-230112001] [--cold]
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "benchmarks"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoapp.settings")

from bench_coverage import percentiles  # noqa: E402


def measure(client, url, repeat, before=None):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    samples = []
    for _ in range(repeat):
        if before:
            before()
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return percentiles(samples), response.json()


def worklist_figures(repeat=20, users=None, out=print, cold=False):
    """Measure every worklist for each user; returns [(user, name, p50, p95, count)]."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from layers.selectors import worklists
    from layers.selectors.worklists import SQL

    forget = getattr(worklists, "forget_worklist_counts", None) if cold else None  # older code: nothing to forget

    User = get_user_model()
    if users is None:
        street_user = User.objects.filter(username__startswith="street-").order_by("username").first()
        users = ["planner"] + ([street_user.username] if street_user else [])
    results = []
    for username in users:
        user = User.objects.get(username=username)
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        for name in SQL:
            url = reverse("api:worklist-detail", args=[name])
            (p50, p95), body = measure(client, url, repeat, forget)
            results.append((username, name, p50, p95, body["count"]))
            # Older answers carried GeoJSON features instead of ids (to compare with a checkout of that code).
            on_map = len(body["ids"]) if "ids" in body else len(body["features"]["features"])
            size = len(client.get(url).content)
            out(f"{username:<18} {name:<10} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
                f"({body['count']} estates, {on_map} on the map, {size / 1024:.0f} KB)")
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--users", nargs="*", default=None)
    parser.add_argument("--cold", action="store_true", help="forget the remembered tab counts before every request")
    args = parser.parse_args()
    import django

    django.setup()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM layers_estate")
        print(f"estates: {cursor.fetchone()[0]}, runs: {args.repeat}")
    results = worklist_figures(args.repeat, args.users, cold=args.cold)
    p50s = [r[2] for r in results]
    print(f"load average {open('/proc/loadavg').read().split()[0]}")
    print(f"worst p50 {max(p50s):.1f} ms, median of p50s {statistics.median(p50s):.1f} ms (target < 150 ms)")


if __name__ == "__main__":
    main()
