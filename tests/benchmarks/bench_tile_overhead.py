"""Tile overhead, interleaved (not a test): for every tile of the fixed list, the raw SQL, then each server, one
request after another at concurrency 1 — so every contender sees the same moment of a shared, noisy machine.

    .venv/bin/python tests/benchmarks/bench_tile_overhead.py [--passes 5] [--before-checkout ../main] [--tipg]

Runs on the bench database as `bench_interop.py` left it (BENCH_DATABASE_URL or <DATABASE_URL name>_bench_interop)
and prints a Markdown table: p50 per contender and its ratio to the raw SQL's p50 over the same tiles.
"""
from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_interop as b  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--before-checkout", default="")
    parser.add_argument("--tipg", action="store_true", help="also tipg (needs .venv-bench)")
    parser.add_argument("--zooms", default="12-18")
    args = parser.parse_args()
    low, high = (int(v) for v in args.zooms.split("-"))

    import psycopg2

    db_url = b.bench_database_url()
    conn = psycopg2.connect(b.libpq_url(db_url))
    conn.autocommit = True
    cursor = conn.cursor()
    tiles = [t for t in b.tile_workload(cursor) if low <= t[0] <= high]
    cursor.execute("SELECT count(*) FROM layers_estate")
    (estates,) = cursor.fetchone()

    os.environ["DATABASE_URL"] = db_url
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore

    from layers.tiles.registry import LAYERS

    user = User.objects.get(username="official")
    session = SessionStore()
    session[SESSION_KEY], session[BACKEND_SESSION_KEY] = str(user.pk), settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    cookie = {"Cookie": f"sessionid={session.session_key}"}
    layer = LAYERS["estates"]
    today = datetime.date.today()

    servers = [b.project_server("project (lane, prepared, cache off)", db_url, cache=False),
               b.project_server("project via Django stack (cache off)", db_url, cache=False, lane=False)]
    if args.before_checkout:
        servers.append(b.project_server("project before (main)", db_url, cache=False,
                                        checkout=Path(args.before_checkout)))
    if args.tipg:
        servers.append(b.tipg_server(b.ensure_bench_venv(), db_url))
    workdir = Path(os.environ.get("TMPDIR", "/tmp")) / f"geoapp-overhead-{os.getpid()}"
    workdir.mkdir(parents=True, exist_ok=True)
    times: dict[str, list[float]] = {"raw SQL": []}
    raw = b.sql_fetcher(db_url)
    try:
        fetchers = []
        for server in servers:
            server.start(workdir)
            times[server.name] = []
            fetchers.append((server, b.http_fetcher(server.port, {} if server.name == "tipg" else cookie)))
        tipg_query = urlencode({"geom-column": "geom_web", "properties": ",".join(b.ESTATE_PROPERTIES)})
        for rep in range(args.passes + 1):  # the first pass warms connections and plans up
            for z, x, y in tiles:
                contenders = [("raw SQL", raw, (layer.tile_sql(z), layer.params(z=z, x=x, y=y, on=today)))]
                for server, fetch in fetchers:
                    path = (f"/collections/public.layers_estate/tiles/WebMercatorQuad/{z}/{x}/{y}?{tipg_query}"
                            if server.name == "tipg" else f"/tiles/estates/{z}/{x}/{y}.mvt")
                    contenders.append((server.name, fetch, path))
                for name, fetch, request in contenders:
                    started = time.perf_counter()
                    status, _body = fetch(request)
                    elapsed = time.perf_counter() - started
                    assert status == 200, (name, request, status)
                    if rep:
                        times[name].append(elapsed)
    finally:
        for server in servers:
            server.stop()
        raw.close_all()
    base = statistics.median(times["raw SQL"])
    print(f"\n{estates:,} estates; {len(tiles)} estate tiles z{low}–{high} × {args.passes} passes, interleaved, c=1\n")
    print("| contender | p50 ms | p50 ÷ raw SQL |\n|---|---:|---:|")
    for name, values in times.items():
        print(f"| {name} | {statistics.median(values) * 1000:.2f} | {statistics.median(values) / base:.2f}× |")


if __name__ == "__main__":
    main()
