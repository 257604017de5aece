"""Benchmark (not a test): p50 of OGC API items pages and of each export format on the dev database (read only).

Runs the views in-process (Django test client, no network), as the planner, so it measures SQL + serialisation.

    .venv/bin/python tests/benchmarks/bench_export_ogc.py [--repeat 10]
"""
import argparse
import base64
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoapp.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.test import Client  # noqa: E402


def p50(client, url: str, repeat: int) -> tuple[float, int, int]:
    times, size, status = [], 0, 0
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        times.append((time.perf_counter() - start) * 1000)
        size, status = len(body), response.status_code
    return statistics.median(times), size, status


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    basic = "Basic " + base64.b64encode(b"planner:" + os.environ.get("DEMO_PASSWORD", "demo12345").encode()).decode()
    ogc = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=basic)
    for url in ["/ogc/collections", "/ogc/collections/buildings/items?limit=1000",
                "/ogc/collections/buildings/items?limit=10000", "/ogc/collections/estates/items?limit=1000"]:
        ms, size, status = p50(ogc, url, args.repeat)
        print(f"{url:55s} {status} p50 {ms:8.1f} ms {size:>10,} bytes")
    session = Client(HTTP_HOST="127.0.0.1")
    session.force_login(User.objects.get(username="planner"))
    for fmt in ["gpkg", "shp", "geojson", "csv", "xlsx"]:
        url = f"/api/export/estates.{fmt}"
        ms, size, status = p50(session, url, max(args.repeat // 2, 1))
        print(f"{url:55s} {status} p50 {ms:8.1f} ms {size:>10,} bytes")


if __name__ == "__main__":
    main()
