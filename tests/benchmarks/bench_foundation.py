"""Benchmark (not a test): load_demo time per scale, then p50/p95 of a fixed list of tiles and bbox queries.

Runs in its own database (geoapp_bench on the same server) so the dev data is untouched:

    .venv/bin/python tests/benchmarks/bench_foundation.py [--scales small,medium] [--repeat 5]

Timings are printed with a same-process baseline (the raw tile SQL run directly on the
connection), because the machines are shared and absolute times are noisy.
"""
import argparse
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoapp.settings")


def bench_database_url() -> str:
    import dj_database_url

    from geoapp.settings import DEFAULT_DATABASE_URL

    base = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    parsed = dj_database_url.parse(base)
    return base.rsplit("/", 1)[0] + "/" + parsed["NAME"] + "_bench"


def ensure_database(url: str) -> None:
    import psycopg2

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    admin_url = admin_url.replace("postgis://", "postgresql://")
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cursor.fetchone():
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def manage(*args: str, env: dict) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True, env=env, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def fixed_workload(center: tuple[float, float]) -> list[tuple[str, str]]:
    """(label, url): tiles of every layer over zooms 12–16 around the centre, and bbox GeoJSON queries."""
    lon, lat = center
    urls = []
    for layer, zooms in {
        "estates": (12, 13, 14, 15, 16), "buildings": (15, 16), "roads": (12, 14, 16),
        "management_areas": (13, 14, 16), "jurisdictions": (12, 14), "renovations": (13, 15),
    }.items():
        for z in zooms:
            x, y = tile_of(lon, lat, z)
            for dx, dy in ((0, 0), (1, 0), (0, 1), (-1, -1)):
                urls.append((f"tile {layer} z{z}", f"/tiles/{layer}/{z}/{x + dx}/{y + dy}.mvt"))
    for half, zoom in ((0.02, 14), (0.05, 13), (0.2, 11)):
        bbox = f"{lon - half},{lat - half},{lon + half},{lat + half}"
        for level in ("street", "community"):
            urls.append((f"geojson {level} ±{half}°", f"/api/admin-areas.geojson?level={level}&bbox={bbox}&zoom={zoom}"))
    urls.append(("search", "/api/search/?q=小区"))
    return urls


def time_requests(client, workload, repeat: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    for _ in range(repeat):
        for label, url in workload:
            started = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, (url, response.status_code)
            times.setdefault(label.split(" z")[0] if label.startswith("tile") else label, []).append(elapsed)
    return times


def raw_tile_sql_times(workload, repeat: int) -> list[float]:
    """The physical limit: the same estate tiles as one SQL statement, no Django view around it."""
    from django.db import connection

    sql = """
        SELECT ST_AsMVT(t, 'estates') FROM (
          SELECT e.id, e.name, layers_service_status(e.id, CURRENT_DATE) AS status,
                 ST_AsMVTGeom(e.geom_web, ST_TileEnvelope(%s, %s, %s), 4096, 64, true) AS geom
            FROM layers_estate e WHERE e.geom_web && ST_TileEnvelope(%s, %s, %s)) t"""
    times = []
    with connection.cursor() as cursor:
        for _ in range(repeat):
            for _label, url in workload:
                if not url.startswith("/tiles/estates/"):
                    continue
                z, x, y = (int(v) for v in url.removesuffix(".mvt").split("/")[-3:])
                started = time.perf_counter()
                cursor.execute(sql, [z, x, y, z, x, y])
                cursor.fetchone()
                times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="small,medium", help="comma-separated: small,medium,large")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    url = bench_database_url()
    ensure_database(url)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "geoapp.settings"}
    os.environ["DATABASE_URL"] = url
    os.environ["ALLOWED_HOSTS"] = "testserver"  # the in-process test client
    print(f"database: {url}")
    manage("migrate", "--noinput", env=env)

    print("\nload_demo (seconds)")
    for scale in args.scales.split(","):
        seconds = manage("load_demo", "--scale", scale, "--seed", str(args.seed), env=env)
        print(f"  {scale:<7} {seconds:8.1f}")
    if args.scales.split(",")[-1] != "medium":
        manage("load_demo", "--scale", "medium", "--seed", str(args.seed), env=env)

    import importlib

    import django

    import geoapp.settings

    importlib.reload(geoapp.settings)  # read again with this run's DATABASE_URL and ALLOWED_HOSTS
    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    from layers.models import AdminArea, Estate

    district = AdminArea.objects.get(level="district")
    center = district.geom.point_on_surface.coords
    client = Client()
    client.force_login(User.objects.get(username="official"))
    workload = fixed_workload(center)
    time_requests(client, workload, 1)  # warm caches and connections
    times = time_requests(client, workload, args.repeat)
    raw = raw_tile_sql_times(workload, args.repeat)
    print(f"\nmedium scale: {Estate.objects.count()} estates; {len(workload)} requests × {args.repeat}")
    print(f"  {'workload':<34}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}")
    for label, values in times.items():
        print(f"  {label:<34}{len(values):>5}{percentile(values, 0.5) * 1000:>9.1f}{percentile(values, 0.95) * 1000:>9.1f}")
    all_times = [v for values in times.values() for v in values]
    print(f"  {'all':<34}{len(all_times):>5}{percentile(all_times, 0.5) * 1000:>9.1f}{percentile(all_times, 0.95) * 1000:>9.1f}")
    estate_tiles = times.get("tile estates", [])
    print(f"\nbaseline: raw estate-tile SQL p50 {statistics.median(raw) * 1000:.1f} ms; "
          f"endpoint/raw ratio {statistics.median(estate_tiles) / statistics.median(raw):.2f}")
    connection.close()


if __name__ == "__main__":
    main()
