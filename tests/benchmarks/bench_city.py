"""Benchmark (not a test): the city-scale figures, on whatever the dev database holds (one district or several).

Reads only; districts are the AdminAreas of level 'district' (a 'city' level above them is measured too when the
coverage selector knows it). In-process (Django, no HTTP server), p50/p95 over --repeat runs after one warm-up:

- coverage figures of the whole city, every level (target p50 < 1 s), and of one district, every level below it
  with the district as parent (target < 300 ms): cold (the per-community memory emptied before each run, as after
  an edit) and warm, in turns, and with `--before PATH` another copy of the selector module (e.g. main's) too;
- estate tiles: the prepared-free tile statement (`TileLayer.versioned_tile_sql`) for a fixed list of tiles over the
  demo planner's district (the same district code in every demo city), z12–16, in the scope of that planner (their
  district) and of the city official (everything). With `--baseline-database NAME` (e.g. the one-district city)
  the same tiles are timed there too, interleaved tile by tile, each database with its own planner's district id,
  and the ratio of the summed p50s is printed (target ≤ 1.1: a tile costs the same whatever lies outside it);
- worklists p50 (tests/benchmarks/bench_worklists.py, target < 150 ms);
- an OGC API items page of ≈1,000 estates (Django test client, logged in) against the raw SQL: the statement that
  builds the same FeatureCollection (same joins, properties and decimals, no permission scope: the planner's is
  everything) and the bare one of tests/benchmarks/bench_interop.py (4 properties, no join); target within 2× of
  the former.

    .venv/bin/python tests/benchmarks/bench_city.py [--repeat 15] [--baseline-database geoapp_one]
        [--skip coverage tiles worklists ogc] [--before /work/main/layers/selectors/coverage.py]
"""
import argparse
import copy
import datetime
import json
import math
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

TILE_ZOOMS = (12, 13, 14, 15, 16)
TILES_PER_ZOOM = 8


def timed(run, repeat):
    run()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def line(name, p50, p95, target=None):
    verdict = "" if target is None else f"   target < {target:g} ms: {'met' if p50 < target else 'MISSED'}"
    print(f"{name:<52} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms{verdict}", flush=True)


def coverage(repeat, on, before=None):
    """Whole city and one district, each measured three ways taking turns in every repetition: "cold", the
    per-community memory emptied before each run (the first requests after an edit: the figures are read once for
    all levels), "warm", the memory kept (no edit in between), and "before", the coverage_figures of another copy of
    layers/selectors/coverage.py (e.g. main's) when --before names one."""
    import importlib.util

    from layers.models import AdminArea
    from layers.selectors import coverage as selector
    from layers.selectors.coverage import LEVEL_DEPTH

    variants = {}
    if before:
        spec = importlib.util.spec_from_file_location("layers.selectors.coverage_before", before)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        variants["before"] = (module.coverage_figures, lambda: None)
    variants["cold"] = (selector.coverage_figures, selector.forget_community_figures)
    variants["warm"] = (selector.coverage_figures, lambda: None)
    levels = sorted(LEVEL_DEPTH, key=lambda lvl: LEVEL_DEPTH[lvl])
    district = AdminArea.objects.filter(level="district").order_by("code").first()
    below = [lvl for lvl in levels if LEVEL_DEPTH[lvl] > LEVEL_DEPTH["district"]]
    cases = {f"whole city, levels {', '.join(levels)}": ([(lvl, None) for lvl in levels], 1000),
             f"one district ({district.code}), levels {', '.join(below)}": ([(lvl, district.pk) for lvl in below], 300)}
    samples = {(case, name): [] for case in cases for name in variants}
    for k in range(repeat + 1):  # the first round warms up
        for case, (requests, _target) in cases.items():
            for name, (figures, forget) in variants.items():
                forget()
                started = time.perf_counter()
                for lvl, parent in requests:
                    figures(on=on, level=lvl, parent_id=parent)
                if k:
                    samples[(case, name)].append((time.perf_counter() - started) * 1000)
    for case, (_requests, target) in cases.items():
        for name in variants:
            line(f"coverage {name}, {case}", *percentiles(samples[(case, name)]), target)
        if before:
            p50 = {name: statistics.median(samples[(case, name)]) for name in variants}
            print(f"  ratio to before: cold {p50['cold'] / p50['before']:.2f}, warm {p50['warm'] / p50['before']:.3f}",
                  flush=True)


def tile_of(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


PLANNER_DISTRICT_SQL = ("SELECT d.id, d.code FROM auth_user u JOIN layers_userprofile p ON p.user_id = u.id "
                        "JOIN layers_adminarea d ON d.id = p.district_id WHERE u.username = 'planner'")


def district_tiles(cursor, code):
    """TILES_PER_ZOOM tiles per zoom on a grid over the district's extent (the same list on every city)."""
    cursor.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e "
                   "FROM layers_adminarea WHERE level = 'district' AND code = %s) d", [code])
    x0, y0, x1, y1 = cursor.fetchone()
    tiles = []
    for z in TILE_ZOOMS:
        seen = []
        for k in range(64):
            fx, fy = (k % 8 + 0.5) / 8, (k // 8 + 0.5) / 8
            tile = (z, *tile_of(x0 + (x1 - x0) * fx, y0 + (y1 - y0) * fy, z))
            if tile not in seen:
                seen.append(tile)
        step = max(1, len(seen) // TILES_PER_ZOOM)
        tiles += seen[::step][:TILES_PER_ZOOM]
    return tiles


def tiles(repeat, on, baseline):
    from django.conf import settings
    from django.db import connections

    from layers import catalogue
    from layers.tiles.serve import Viewer, scope_for

    layer = catalogue.tile_layer("estates")
    aliases = ["default"]
    if baseline:
        settings.DATABASES["baseline"] = copy.deepcopy(settings.DATABASES["default"])
        settings.DATABASES["baseline"]["NAME"] = baseline
        aliases.append("baseline")
    districts = {}
    for alias in aliases:
        with connections[alias].cursor() as cursor:
            cursor.execute(PLANNER_DISTRICT_SQL)
            districts[alias] = cursor.fetchone()
    codes = {code for _, code in districts.values()}
    assert len(codes) == 1, f"the planners' districts differ: {districts}"
    with connections["default"].cursor() as cursor:
        tile_list = district_tiles(cursor, codes.pop())
    for role in ("planner", "city_official"):
        scopes = {alias: scope_for(layer, Viewer(role, None, districts[alias][0] if role == "planner" else None))
                  for alias in aliases}
        tile_ratio(layer, tile_list, aliases, scopes, repeat, on, baseline, role)


def tile_ratio(layer, tile_list, aliases, scopes, repeat, on, baseline, role):
    from django.db import connections

    samples = {(alias, t): [] for alias in aliases for t in tile_list}
    sizes = {}
    for k in range(repeat + 1):
        for t in tile_list:
            z, x, y = t
            for alias in aliases:  # interleaved: the same tile on each database at the same moment
                scope = scopes[alias]
                sql = layer.versioned_tile_sql(z, scope.sql, scope.visible)
                with connections[alias].cursor() as cursor:
                    started = time.perf_counter()
                    cursor.execute(sql, layer.params(z=z, x=x, y=y, on=on))
                    _, body = cursor.fetchone()
                    if k:
                        samples[(alias, t)].append((time.perf_counter() - started) * 1000)
                    sizes[(alias, t)] = len(bytes(body)) if body is not None else 0
    for alias in aliases:
        p50s = [statistics.median(samples[(alias, t)]) for t in tile_list]
        nonempty = sum(1 for t in tile_list if sizes[(alias, t)])
        name = connections[alias].settings_dict["NAME"]
        print(f"estate tiles, {role} scope, on {name}: {len(tile_list)} tiles z{TILE_ZOOMS[0]}–{TILE_ZOOMS[-1]} over "
              f"the planner's district ({nonempty} non-empty, {sum(sizes[(alias, t)] for t in tile_list):,} bytes), "
              f"sum of p50 {sum(p50s):.1f} ms, median tile {statistics.median(p50s):.2f} ms", flush=True)
    if baseline:
        ratio = (sum(statistics.median(samples[("default", t)]) for t in tile_list)
                 / sum(statistics.median(samples[("baseline", t)]) for t in tile_list))
        print(f"tile cost ratio, {role} scope, this city / {baseline}: {ratio:.2f}   target ≤ 1.1: "
              f"{'met' if ratio <= 1.1 else 'MISSED'}")


def worklists(repeat):
    from bench_worklists import worklist_figures

    results = worklist_figures(repeat, out=lambda text: print("  " + text, flush=True))
    worst = max(results, key=lambda r: r[2])
    line(f"worklists, worst p50 ({worst[0]}, {worst[1]})", worst[2], worst[3], 150)


def same_items_sql(layer, bbox_sql):
    """The raw statement of the project's estates page: same joins, columns and JSON, no scope, no count."""
    from layers.ogc.sql import feature_json_sql

    return f"""
SELECT COALESCE(json_agg({feature_json_sql(layer)} ORDER BY p.fid), '[]'::json)::text
  FROM (SELECT t.id AS fid, t.geom AS g, t.id AS "id", t.code AS "code", t.name AS "name", t.address AS "address",
               t.build_year AS "build_year", layers_is_old_estate(t.build_year, %(cutoff)s) AS "old",
               t.households AS "households", t.floor_area AS "floor_area", t.is_open AS "is_open",
               t.owners_committee AS "owners_committee", c.code AS "community_code", c.name AS "community_name",
               s.code AS "street_code", s.name AS "street_name", ma.code AS "management_area_code",
               COALESCE(a.status, 'none') AS "service_status", a.mode AS "service_mode",
               COALESCE(en.name, ca.name) AS "provider", %(on)s::date AS "status_on"
          FROM layers_estate t
          JOIN layers_adminarea c ON c.id = t.community_id
          LEFT JOIN layers_adminarea s ON s.id = c.parent_id
          LEFT JOIN layers_managementarea ma ON ma.id = t.management_area_id
          LEFT JOIN layers_active_contracts(%(on)s) a ON a.estate_id = t.id
          LEFT JOIN layers_enterprise en ON en.id = a.enterprise_id
          LEFT JOIN layers_caretakeragency ca ON ca.id = a.caretaker_agency_id
         WHERE ST_Intersects(t.geom, {bbox_sql})
         ORDER BY t.id LIMIT %(limit)s) p
"""


def ogc(repeat, on, target=1000):
    from bench_interop import RAW_ITEMS_SQL, bbox_workload
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from layers import catalogue
    from layers.rules import old_estate_cutoff

    layer = catalogue.feature_layer("estates")
    with connection.cursor() as cursor:
        bbox = bbox_workload(cursor, target)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="planner"))
    url = (f"/ogc/collections/estates/items?bbox={','.join(str(v) for v in bbox)}&limit={target}"
           f"&datetime={on.isoformat()}")
    same = same_items_sql(layer, "ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4490)")
    params = {"on": on, "cutoff": old_estate_cutoff(), "limit": target,
              "x0": bbox[0], "y0": bbox[1], "x1": bbox[2], "y1": bbox[3]}

    def page():
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return response.content

    def raw_same():
        with connection.cursor() as cursor:
            cursor.execute(same, params)
            return cursor.fetchone()[0]

    def raw_bare():
        with connection.cursor() as cursor:
            cursor.execute(RAW_ITEMS_SQL, [*bbox, target])
            return cursor.fetchone()[0]

    served = json.loads(page())["features"]
    assert served == json.loads(raw_same()), "the raw statement does not build the page's features"
    print(f"OGC items: bbox {bbox}, {len(served)} estates (the raw statement's features are the page's, checked)")
    # Interleaved rounds, so that the machine's load falls on all three alike.
    runs = {"page": page, "same": raw_same, "bare": raw_bare}
    samples = {name: [] for name in runs}
    for k in range(repeat + 1):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            if k:
                samples[name].append((time.perf_counter() - started) * 1000)
    stats = {name: percentiles(s) for name, s in samples.items()}
    line("  OGC items page ≈1k estates (in-process, session)", *stats["page"])
    line("  raw SQL, the same FeatureCollection", *stats["same"])
    line("  raw SQL, bare (bench_interop's: 4 properties, no join)", *stats["bare"])
    ratio = stats["page"][0] / stats["same"][0]
    print(f"OGC items ÷ raw SQL (same FeatureCollection), p50: {ratio:.2f}×   target ≤ 2: "
          f"{'met' if ratio <= 2 else 'MISSED'};   ÷ bare raw SQL: {stats['page'][0] / stats['bare'][0]:.2f}×",
          flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--date", default=None)
    parser.add_argument("--baseline-database", default=None,
                        help="another database (e.g. the one-district city) for the tile cost ratio")
    parser.add_argument("--skip", nargs="*", default=[], choices=["coverage", "tiles", "worklists", "ogc"])
    parser.add_argument("--before", default=None,
                        help="another copy of layers/selectors/coverage.py (e.g. main's) timed in turn with this one")
    args = parser.parse_args()
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    on = datetime.date.fromisoformat(args.date) if args.date else timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM layers_estate), "
                       "(SELECT count(*) FROM layers_adminarea WHERE level = 'district')")
        estates, districts = cursor.fetchone()
        started = time.perf_counter()
        cursor.execute("SELECT count(*) FROM layers_estate")
        baseline_ms = (time.perf_counter() - started) * 1000
    print(f"database {connection.settings_dict['NAME']}: {estates:,} estates, {districts} district(s); date {on}; "
          f"{args.repeat} runs; SELECT count(*) FROM layers_estate {baseline_ms:.1f} ms (machine load check)")
    if "coverage" not in args.skip:
        coverage(args.repeat, on, args.before)
    if "tiles" not in args.skip:
        tiles(args.repeat, on, args.baseline_database)
    if "worklists" not in args.skip:
        worklists(args.repeat)
    if "ogc" not in args.skip:
        ogc(args.repeat, on)


if __name__ == "__main__":
    main()
