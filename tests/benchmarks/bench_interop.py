"""Benchmark (not a test; `make bench`): this project's tile and GeoJSON endpoints under gunicorn, tipg and pygeoapi
(in their own venv, .venv-bench), and the raw SQL through psycopg2 — side by side, on the same PostGIS tables.

    .venv/bin/python tests/benchmarks/bench_interop.py [--scales medium,large] [--seconds 6] [--no-load]

For each scale: load_demo into the bench database (BENCH_DATABASE_URL, default: DATABASE_URL's server, database
<name>_bench_interop), start every server, then for every workload and concurrency 1, 8, 16 send the same fixed
request list from a thread pool (keep-alive connections, one per thread) for about --seconds, and write
docs/BENCHMARKS.md (the text between the notes markers is kept from the previous file).

Workloads (deterministic: points from ST_GeneratePoints(district, n, seed)):
- tiles: estates tiles at zooms 10–18, TILES_PER_ZOOM per zoom, each holding an estate;
- items: a bbox around the district centre grown until it holds ≈1k (limit 1000) or ≈10k (limit 10000) estates.
"""
from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoapp.settings")

BENCH_VENV = ROOT / ".venv-bench"
BENCH_REQUIREMENTS = ROOT / "requirements-bench.txt"
DOC = ROOT / "docs" / "BENCHMARKS.md"
ZOOMS = range(10, 19)
CORES = os.cpu_count() or 1
TILES_PER_ZOOM = 8
CONCURRENCY = (1, 8, 16)
ITEM_TARGETS = (1000, 10000)
# The columns every server sends for an estate (tipg and pygeoapi read the table; the project's tile also has the
# contract status and `old`, which come from a join the peers cannot do).
ESTATE_PROPERTIES = ["id", "name", "households", "build_year", "is_open"]
NOTES_START, NOTES_END = "<!-- notes: kept across runs -->", "<!-- /notes -->"


# ---------------------------------------------------------------- setup

def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {message}", flush=True)


def database_url_beside(variable: str, suffix: str) -> str:
    """$variable, else DATABASE_URL's server with database <name><suffix>."""
    if os.environ.get(variable):
        return os.environ[variable]
    # Not geoapp.settings' default: importing the settings here would fix DATABASE_URL before this run sets it.
    base = os.environ.get("DATABASE_URL", "postgis://geoapp:geoapp@127.0.0.1:55432/geoapp")
    server, name = base.split("?", 1)[0].rsplit("/", 1)
    return f"{server}/{name}{suffix}"


def bench_database_url() -> str:
    return database_url_beside("BENCH_DATABASE_URL", "_bench_interop")


def libpq_url(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


def ensure_database(url: str) -> None:
    import psycopg2

    name = url.rsplit("/", 1)[1]
    conn = psycopg2.connect(libpq_url(url.rsplit("/", 1)[0] + "/postgres"))
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cursor.fetchone():
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def bench_python() -> str:
    """An interpreter for .venv-bench: pygeoapi 0.24 needs Python ≥ 3.12; else 3.11 gets pygeoapi 0.21."""
    if os.environ.get("BENCH_PYTHON"):
        return os.environ["BENCH_PYTHON"]
    for name in ("python3.12", "python3.13"):
        found = shutil.which(name)
        if found and subprocess.run([found, "--version"], capture_output=True).returncode == 0:
            return found
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for candidate in sorted(pyenv_root.glob("3.1[23]*/bin/python3")):
        return str(candidate)
    return shutil.which("python3") or sys.executable


def ensure_bench_venv() -> Path:
    """Create .venv-bench from requirements-bench.txt when missing or when the requirements changed."""
    python = BENCH_VENV / "bin" / "python"
    stamp = BENCH_VENV / ".requirements"
    wanted = BENCH_REQUIREMENTS.read_text()
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    interpreter = bench_python()
    log(f"creating {BENCH_VENV.name} with {interpreter} from {BENCH_REQUIREMENTS.name}")
    subprocess.run([interpreter, "-m", "venv", str(BENCH_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(BENCH_REQUIREMENTS)], check=True)
    stamp.write_text(wanted)
    return python


def manage(*args: str, env: dict) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True, env=env, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def version_of(python: Path, package: str) -> str:
    result = subprocess.run([str(python), "-c", f"import importlib.metadata as m; print(m.version('{package}'))"],
                            capture_output=True, text=True)
    return result.stdout.strip() or "?"


@dataclass
class Server:
    name: str
    argv: list[str]
    env: dict
    cwd: Path
    port: int
    probe: str  # a path answering 200 (or 302) once the server is up
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    def start(self, workdir: Path) -> None:
        self.log_path = workdir / f"{self.name.replace(' ', '_')}.log"
        self.process = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=self.log_path.open("w"),
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {self.log_path}:\n{self.log_path.read_text()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", self.probe)
                status = conn.getresponse().status
                conn.close()
                if status < 500:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} did not start: see {self.log_path}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def project_server(name: str, db_url: str, *, cache: bool, lane: bool = True, checkout: Path = ROOT) -> Server:
    port = free_port()
    python = checkout / ".venv" / "bin" / "python"
    env = {**os.environ, "DATABASE_URL": db_url, "DEBUG": "false", "ALLOWED_HOSTS": "127.0.0.1",
           "TILE_CACHE_ENTRIES": "1000" if cache else "0", "TILE_LANE": "1" if lane else "0",
           "DJANGO_SETTINGS_MODULE": "geoapp.settings"}
    # Two workers (one per core), four threads each so a worker waiting on PostgreSQL serves another request.
    argv = [str(python), "-m", "gunicorn", "geoapp.wsgi", "-b", f"127.0.0.1:{port}", "--workers", "2",
            "--worker-class", "gthread", "--threads", "4", "--keep-alive", "30", "--access-logfile", "/dev/null",
            "--no-control-socket"]
    return Server(name, argv, env, checkout, port, "/accounts/login/")


def tipg_server(python: Path, db_url: str) -> Server:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": libpq_url(db_url), "TIPG_DB_SCHEMAS": '["public"]',
           "TIPG_DB_TABLES": '["public.layers_estate"]', "TIPG_DB_FUNCTIONS": "[]", "TIPG_DB_SPATIAL_EXTENT": "false",
           "TIPG_DB_DATETIME_EXTENT": "false", "TIPG_MAX_FEATURES_PER_QUERY": "10000",
           "TIPG_TILE_BUFFER": "64", "TIPG_DB_MAX_CONN_SIZE": "8", "TIPG_MAX_FEATURES_PER_TILE": "6000"}  # the project's buffer and estate cap
    argv = [str(python), "-m", "uvicorn", "tipg.main:app", "--host", "127.0.0.1", "--port", str(port),
            "--workers", "2", "--no-access-log", "--log-level", "warning"]
    return Server("tipg", argv, env, ROOT, port, "/collections")


PYGEOAPI_CONFIG = """
server:
  bind: {{host: 127.0.0.1, port: {port}}}
  url: http://127.0.0.1:{port}
  mimetype: 'application/json; charset=UTF-8'
  encoding: utf-8
  languages: [en-US]
  limits: {{default_items: 100, max_items: 10000}}
  map: {{url: 'https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png', attribution: OSM}}
logging: {{level: ERROR}}
metadata:
  identification: {{title: bench, description: bench, keywords: [bench], keywords_type: theme, terms_of_service: none,
                    url: http://127.0.0.1}}
  license: {{name: none, url: http://127.0.0.1}}
  provider: {{name: bench, url: http://127.0.0.1}}
  contact: {{name: bench}}
resources:
  estates:
    type: collection
    title: estates
    description: layers_estate
    keywords: [estates]
    extents:
      spatial: {{bbox: [-180, -90, 180, 90], crs: http://www.opengis.net/def/crs/OGC/1.3/CRS84}}
    providers:
      - type: feature
        name: PostgreSQL
        data: {{host: {host}, port: {dbport}, dbname: {dbname}, user: {user}, password: {password},
                search_path: [public]}}
        id_field: id
        table: layers_estate
        geom_field: geom
        storage_crs: http://www.opengis.net/def/crs/EPSG/0/4490
        properties: {properties}
"""


def pygeoapi_server(python: Path, db_url: str, workdir: Path) -> Server:
    import dj_database_url

    db = dj_database_url.parse(db_url)
    port = free_port()
    config = workdir / "pygeoapi-config.yml"
    config.write_text(PYGEOAPI_CONFIG.format(
        port=port, host=db["HOST"], dbport=db["PORT"], dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"],
        properties=json.dumps(ESTATE_PROPERTIES[1:])))
    openapi = workdir / "pygeoapi-openapi.yml"
    env = {**os.environ, "PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    subprocess.run([str(python.parent / "pygeoapi"), "openapi", "generate", str(config), "--output-file",
                    str(openapi)], check=True, env=env, cwd=workdir, stdout=subprocess.DEVNULL)
    argv = [str(python), "-m", "gunicorn", "pygeoapi.flask_app:APP", "-b", f"127.0.0.1:{port}", "--workers", "2",
            "--worker-class", "gthread", "--threads", "4", "--keep-alive", "30", "--access-logfile", "/dev/null"]
    return Server("pygeoapi", argv, env, workdir, port, "/collections")


# ---------------------------------------------------------------- workloads

def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    import math

    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


def tile_workload(cursor) -> list[tuple[int, int, int]]:
    """TILES_PER_ZOOM distinct tiles per zoom 10–18, each holding an estate's point on surface (deterministic)."""
    cursor.execute("""SELECT ST_X(p), ST_Y(p) FROM (
                        SELECT ST_PointOnSurface(e.geom) AS p FROM layers_estate e ORDER BY md5(e.id::text) LIMIT 400
                      ) s""")
    points = cursor.fetchall()
    tiles = []
    for z in ZOOMS:
        seen = []
        for lon, lat in points:
            tile = (z, *tile_of(lon, lat, z))
            if tile not in seen:
                seen.append(tile)
            if len(seen) == TILES_PER_ZOOM:
                break
        tiles += seen
    return tiles


def bbox_workload(cursor, target: int) -> tuple[float, float, float, float]:
    """A square bbox around the district's centre holding about `target` estates (bisection on its half side)."""
    cursor.execute("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geom) c FROM layers_adminarea "
                   "WHERE level = 'district' LIMIT 1) s")
    lon, lat = cursor.fetchone()
    low, high = 0.0, 1.0
    for _ in range(25):
        half = (low + high) / 2
        cursor.execute("SELECT count(*) FROM layers_estate WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s, 4490)",
                       [lon - half, lat - half, lon + half, lat + half])
        (count,) = cursor.fetchone()
        if abs(count - target) <= target * 0.01:
            break
        low, high = (half, high) if count < target else (low, half)
    return (round(lon - half, 6), round(lat - half, 6), round(lon + half, 6), round(lat + half, 6))


RAW_ITEMS_SQL = """
SELECT json_build_object('type', 'FeatureCollection', 'features', COALESCE(json_agg(
         json_build_object('type', 'Feature', 'id', t.id, 'geometry', ST_AsGeoJSON(t.geom, 6)::json,
                           'properties', json_build_object('name', t.name, 'households', t.households,
                                                           'build_year', t.build_year, 'is_open', t.is_open))
         ORDER BY t.id), '[]'::json))::text
  FROM (SELECT id, name, households, build_year, is_open, geom FROM layers_estate
         WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s, 4490) ORDER BY id LIMIT %s) t
"""


# ---------------------------------------------------------------- load generation

@dataclass
class Cell:
    server: str
    workload: str
    concurrency: int
    latencies: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    features: list[int] = field(default_factory=list)
    wall: float = 0.0
    errors: int = 0
    skipped: str = ""

    @property
    def n(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.n / self.wall if self.wall else 0.0

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000 if ordered else float("nan")

    @property
    def feature_rate(self) -> float:
        return sum(self.features) / self.wall if self.wall else 0.0


def http_fetcher(port: int, headers: dict):
    """A per-thread keep-alive GET: (status, body)."""
    local = threading.local()

    def fetch(path: str) -> tuple[int, bytes]:
        for attempt in (1, 2):
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    local.conn = None
                return response.status, body
            except (http.client.HTTPException, OSError):
                conn.close()
                local.conn = None
                if attempt == 2:
                    raise
        raise AssertionError

    return fetch


def sql_fetcher(db_url: str):
    """Runs (sql, params) on a psycopg2 connection from a small pool (at most one per concurrent caller, reused
    across cells so the bench never holds more than the highest concurrency): (200, bytes)."""
    import psycopg2

    free: list = []
    opened: list = []
    lock = threading.Lock()

    def fetch(request) -> tuple[int, bytes]:
        with lock:
            conn = free.pop() if free else None
        if conn is None:
            conn = psycopg2.connect(libpq_url(db_url), options="-c jit=off")
            conn.autocommit = True
            with lock:
                opened.append(conn)
        try:
            sql, params = request
            with conn.cursor() as cursor:
                cursor.execute(sql, params)
                value = cursor.fetchone()[0]
        finally:
            with lock:
                free.append(conn)
        if value is None:
            return 200, b""
        return 200, value.encode() if isinstance(value, str) else bytes(value)

    fetch.close_all = lambda: [c.close() for c in opened]
    return fetch


def run_cell(cell: Cell, fetch, requests: list, seconds: float, count_features=None) -> Cell:
    """Send `requests` in order, round-robin over `cell.concurrency` threads, for about `seconds` (at least one pass
    at concurrency 1, at least one per thread otherwise)."""
    lock = threading.Lock()
    position = [0]
    minimum = len(requests) if cell.concurrency == 1 else cell.concurrency
    deadline = time.perf_counter() + seconds
    counted: dict = {}

    def worker():
        while True:
            with lock:
                i = position[0]
                if i >= minimum and time.perf_counter() > deadline:
                    return
                if i >= 20 * len(requests) + minimum:
                    return
                position[0] += 1
            request = requests[i % len(requests)]
            started = time.perf_counter()
            try:
                status, body = fetch(request)
            except Exception:  # noqa: BLE001 — a refused or broken request is counted, not fatal
                with lock:
                    cell.errors += 1
                continue
            elapsed = time.perf_counter() - started
            if status != 200:
                with lock:
                    cell.errors += 1
                continue
            key = request if isinstance(request, str) else repr(request)
            n_features = None
            if count_features is not None:
                n_features = counted.get(key)
                if n_features is None:
                    n_features = counted[key] = count_features(body)
            with lock:
                cell.latencies.append(elapsed)
                cell.sizes.append(len(body))
                if n_features is not None:
                    cell.features.append(n_features)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(cell.concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():
            t.join(0.5)  # a SIGTERM is handled meanwhile
    cell.wall = time.perf_counter() - started
    return cell


def geojson_features(body: bytes) -> int:
    return len(json.loads(body).get("features", []))


# ---------------------------------------------------------------- report

def fmt(value: float, digits: int = 1) -> str:
    return "—" if value != value else f"{value:,.{digits}f}"  # NaN → dash


def ratio(a: float, b: float) -> str:
    return "—" if not a or not b or a != a or b != b else f"{a / b:.2f}×"


def tile_table(cells: list[Cell], band: str) -> list[str]:
    rows = [f"| server | conc. | tiles/s | p50 ms | p95 ms | bytes/tile | p50 ÷ raw SQL p50 | tiles/s ÷ tipg |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]
    by = {(c.server, c.concurrency): c for c in cells if c.workload == band}
    for (server, conc), c in by.items():
        raw = by.get(("raw SQL", conc))
        tipg = by.get(("tipg", conc))
        size = statistics.mean(c.sizes) if c.sizes else float("nan")
        rows.append(f"| {server} | {conc} | {fmt(c.rate)} | {fmt(c.pct(0.5), 2)} | {fmt(c.pct(0.95), 2)} | "
                    f"{fmt(size, 0)} | {ratio(c.pct(0.5), raw.pct(0.5)) if raw else '—'} | "
                    f"{ratio(c.rate, tipg.rate) if tipg else '—'} |" + (f" ({c.errors} errors)" if c.errors else ""))
    return rows


def items_table(cells: list[Cell], workload: str) -> list[str]:
    rows = ["| server | conc. | requests/s | features/s | p50 ms | p95 ms | bytes/response | features/s ÷ pygeoapi | "
            "p50 ÷ raw SQL p50 |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    by = {(c.server, c.concurrency): c for c in cells if c.workload == workload}
    for (server, conc), c in by.items():
        if c.skipped:
            rows.append(f"| {server} | {conc} | {c.skipped} | | | | | | |")
            continue
        peer = by.get(("pygeoapi", conc))
        raw = by.get(("raw SQL", conc))
        size = statistics.mean(c.sizes) if c.sizes else float("nan")
        rows.append(f"| {server} | {conc} | {fmt(c.rate)} | {fmt(c.feature_rate, 0)} | {fmt(c.pct(0.5), 1)} | "
                    f"{fmt(c.pct(0.95), 1)} | {fmt(size, 0)} | {ratio(c.feature_rate, peer.feature_rate) if peer else '—'}"
                    f" | {ratio(c.pct(0.5), raw.pct(0.5)) if raw else '—'} |"
                    + (f" ({c.errors} errors)" if c.errors else ""))
    return rows


def targets(cells: list[Cell], scale: str, project: str, items_server: str) -> list[str]:
    lines = []
    for conc in CONCURRENCY:
        by = {c.server: c for c in cells if c.workload == "tiles z12–18" and c.concurrency == conc}
        if project in by and "tipg" in by:
            p, t = by[project], by["tipg"]
            verdict = "met" if p.rate >= t.rate else f"MISSED by {(1 - p.rate / t.rate) * 100:.0f} %"
            lines.append(f"- {scale}, c={conc}: tile throughput ≥ tipg's — {fmt(p.rate)} vs {fmt(t.rate)} tiles/s: "
                         f"{verdict}")
        if project in by and "raw SQL" in by:
            r = by[project].pct(0.5) / by["raw SQL"].pct(0.5)
            verdict = "met" if r <= 1.3 else f"MISSED by {(r / 1.3 - 1) * 100:.0f} % over the 1.3× bound"
            lines.append(f"- {scale}, c={conc}: tile p50 within 1.3× of raw SQL — {r:.2f}×: {verdict}")
        for target in ITEM_TARGETS:
            by = {c.server: c for c in cells if c.workload == f"items ≈{target}" and c.concurrency == conc}
            if items_server in by and "pygeoapi" in by and by["pygeoapi"].feature_rate and by[items_server].n:
                r = by[items_server].feature_rate / by["pygeoapi"].feature_rate
                verdict = "met" if r >= 2 else f"MISSED: {r:.2f}× instead of 2×"
                lines.append(f"- {scale}, c={conc}, ≈{target} features: GeoJSON items ≥ 2× pygeoapi's throughput — "
                             f"{r:.2f}×: {verdict}")
    return lines


def merge_saved(results: dict, meta: dict) -> dict:
    """Scales measured in an earlier run (docs/BENCHMARKS.json) and not in this one are kept, in scale order."""
    saved_path = DOC.with_suffix(".json")
    saved = json.loads(saved_path.read_text()) if saved_path.exists() else {}
    for scale, (cells, info) in results.items():
        saved[scale] = {"meta": meta, "info": info,
                        "cells": [{k: v for k, v in c.__dict__.items()} for c in cells]}
    saved_path.write_text(json.dumps(saved, ensure_ascii=False, indent=0))
    order = ["small", "medium", "large"]
    merged = {}
    for scale in sorted(saved, key=lambda s: order.index(s) if s in order else 9):
        entry = saved[scale]
        merged[scale] = ([Cell(**c) for c in entry["cells"]], {**entry["info"], "meta": entry["meta"]})
    return merged


def write_doc(results: dict, meta: dict, command: str) -> None:
    results = merge_saved(results, meta)
    notes = ""
    if DOC.exists():
        text = DOC.read_text()
        if NOTES_START in text and NOTES_END in text:
            notes = text[text.index(NOTES_START) + len(NOTES_START):text.index(NOTES_END)]
    out = ["# Benchmarks: tiles and GeoJSON items against tipg, pygeoapi and the raw SQL", "",
           "Generated by `tests/benchmarks/bench_interop.py` (not part of `make test`). Reproduce with:", "",
           f"    {command}", "",
           f"Machine: {meta['machine']}. Each scale says when it was measured and with which versions; "
           "`BENCH_ARGS='--scales medium'` re-measures one scale and keeps the others (docs/BENCHMARKS.json).", "",
           "Every server reads the same PostGIS tables of one bench database (`load_demo --seed 1`). "
           "Requests come from a thread pool in the benchmark process (one keep-alive HTTP connection per thread; "
           "`raw SQL` = the same statements through psycopg2, one connection per thread). **The machine has 2 "
           "cores shared by PostgreSQL, the server under test and the load generator** (and, while this ran, by "
           "other people's work): absolute figures are low and noisy; the ratios, measured in one run with the "
           "servers taking turns, are what to read. p50/p95 are per request, wall-clock in the client.", ""]
    out += [NOTES_START + notes + NOTES_END, ""]
    for scale, (cells, info) in results.items():
        out += [f"## {scale} city — {info['estates']:,} estates", "",
                f"Measured {info['meta']['when']} ({info['meta']['versions']}).", "",
                f"Tiles: {info['tiles']} estate tiles (zooms 10–18, {TILES_PER_ZOOM} per zoom). "
                f"Items: bbox {info['bbox_1k']} (≈1k estates, limit 1000) and {info['bbox_10k']} (≈10k, limit 10000). "
                f"Project tile URLs: `{info['tile_url']}`; items: `{info['items_url']}`.", ""]
        out += ["### Tiles, zooms 12–18 (every server draws the estates)", ""] + tile_table(cells, "tiles z12–18") + [""]
        out += ["### Tiles, zooms 10–11 (the project's estates layer starts at 12: empty tiles by design; tipg "
                "draws every estate)", ""] + tile_table(cells, "tiles z10–11") + [""]
        for target in ITEM_TARGETS:
            out += [f"### GeoJSON items, ≈{target:,} features", ""] + items_table(cells, f"items ≈{target}") + [""]
        out += ["### Targets", ""] + targets(cells, scale, info["project"], info["items_server"]) + [""]
    DOC.write_text("\n".join(out).rstrip() + "\n")


# ---------------------------------------------------------------- main

def main() -> None:
    # A SIGTERM (timeout, Ctrl-C from make) still stops the servers started below: they run in their own sessions.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="medium,large", help="comma-separated: small,medium,large")
    parser.add_argument("--seconds", type=float, default=4.0, help="time per (server, workload, concurrency)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-cell-seconds", type=float, default=40.0,
                        help="skip a concurrency whose single round would take longer (p50 at c=1 × c ÷ cores)")
    parser.add_argument("--no-load", action="store_true", help="use the data already in the bench database "
                        "(one scale only)")
    parser.add_argument("--servers", default="project,project-cache,project-django,tipg,pygeoapi,raw",
                        help="which to run (project-cache: tile cache on; project-django: tiles through the "
                             "Django stack, no lane)")
    parser.add_argument("--ogc-checkout", default="", help="a checkout whose /ogc/ items endpoint to measure when "
                        "this one has none yet (its own .venv)")
    parser.add_argument("--before-checkout", default="", help="also measure the tiles of another checkout (e.g. the "
                        "main branch before this work), as server 'project before'")
    parser.add_argument("--doc", default=str(DOC))
    args = parser.parse_args()
    globals()["DOC"] = Path(args.doc)
    wanted = set(args.servers.split(","))

    db_url = bench_database_url()
    ensure_database(db_url)
    env = {**os.environ, "DATABASE_URL": db_url}
    log(f"bench database {db_url.rsplit('@', 1)[-1]}")
    bench_py = ensure_bench_venv() if wanted & {"tipg", "pygeoapi"} else None
    manage("migrate", "--noinput", env=env)

    import psycopg2

    workdir = Path(os.environ.get("TMPDIR", "/tmp")) / f"geoapp-bench-{os.getpid()}"
    workdir.mkdir(parents=True, exist_ok=True)
    meta = {"when": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{os.cpu_count()} CPUs, {platform.platform()}",
            "versions": ""}
    versions = [f"Python {platform.python_version()} (project)"]
    if bench_py:
        versions += [f"tipg {version_of(bench_py, 'tipg')}", f"pygeoapi {version_of(bench_py, 'pygeoapi')} "
                     f"(Python {subprocess.run([str(bench_py), '-c', 'import platform; print(platform.python_version())'], capture_output=True, text=True).stdout.strip()})"]
    results = {}
    for scale in args.scales.split(","):
        if not args.no_load:
            log(f"load_demo --scale {scale}")
            seconds = manage("load_demo", "--scale", scale, "--seed", str(args.seed), env=env)
            log(f"  loaded in {seconds:.0f} s")
        conn = psycopg2.connect(libpq_url(db_url))
        conn.autocommit = True
        cursor = conn.cursor()
        cursor.execute("ANALYZE")
        cursor.execute("SELECT postgis_lib_version(), current_setting('server_version')")
        postgis, pg = cursor.fetchone()
        meta["versions"] = ", ".join(versions + [f"PostgreSQL {pg}", f"PostGIS {postgis}"])
        cursor.execute("SELECT count(*) FROM layers_estate")
        (estates,) = cursor.fetchone()
        tiles = tile_workload(cursor)
        bboxes = {target: bbox_workload(cursor, target) for target in ITEM_TARGETS}

        # The benchmark's own Django: the session every project request carries, and the tile SQL for raw.
        os.environ["DATABASE_URL"] = db_url
        import django

        django.setup()
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
        from django.contrib.auth.models import User
        from django.contrib.sessions.backends.db import SessionStore
        from django.db import connection as django_connection

        from layers.tiles.registry import LAYERS

        user = User.objects.get(username="official")
        session = SessionStore()
        session[SESSION_KEY], session[BACKEND_SESSION_KEY] = str(user.pk), "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookie = {"Cookie": f"sessionid={session.session_key}"}
        estate_layer = LAYERS["estates"]
        today = datetime.date.today()
        django_connection.close()

        servers: list[Server] = []
        if "project" in wanted:
            servers.append(project_server("project", db_url, cache=False))
        if "project-cache" in wanted:
            servers.append(project_server("project, tile cache on", db_url, cache=True))
        if "project-django" in wanted:
            servers.append(project_server("project via Django stack", db_url, cache=False, lane=False))
        if args.before_checkout:
            servers.append(project_server("project before", db_url, cache=False, checkout=Path(args.before_checkout)))
        ogc_server = None
        if args.ogc_checkout:
            ogc_server = project_server("project OGC (checkout)", db_url, cache=False, checkout=Path(args.ogc_checkout))
            servers.append(ogc_server)
        if "tipg" in wanted:
            servers.append(tipg_server(bench_py, db_url))
        if "pygeoapi" in wanted:
            servers.append(pygeoapi_server(bench_py, db_url, workdir))
        cells: list[Cell] = []
        info = {"estates": estates, "tiles": len(tiles), "bbox_1k": bboxes[1000], "bbox_10k": bboxes[10000],
                "project": "project", "items_server": "project", "tile_url": "/tiles/estates/{z}/{x}/{y}.mvt",
                "items_url": "—"}
        items_paths: dict[str, str] = {}

        def tile_requests(server: Server, band: range) -> list:
            chosen = [t for t in tiles if t[0] in band]
            if server.name == "tipg":
                query = urlencode({"geom-column": "geom_web", "properties": ",".join(ESTATE_PROPERTIES)})
                return [f"/collections/public.layers_estate/tiles/WebMercatorQuad/{z}/{x}/{y}?{query}"
                        for z, x, y in chosen]
            return [f"/tiles/estates/{z}/{x}/{y}.mvt" for z, x, y in chosen]

        def items_requests(server: Server, target: int) -> list:
            bbox = ",".join(str(v) for v in bboxes[target])
            if server.name == "tipg":
                query = urlencode({"bbox": bbox, "limit": target, "geom-column": "geom",
                                   "properties": ",".join(ESTATE_PROPERTIES[1:]), "f": "geojson"})
                return [f"/collections/public.layers_estate/items?{query}"]
            if server.name == "pygeoapi":
                return [f"/collections/estates/items?{urlencode({'bbox': bbox, 'limit': target, 'f': 'json'})}"]
            return [items_paths[server.name].format(urlencode({"bbox": bbox, "limit": target}))]

        def measure(name: str, fetch, plan: list) -> None:
            for workload, requests, count in plan:
                single = None
                for conc in CONCURRENCY:
                    cell = Cell(name, workload, conc)
                    if single is not None and single.pct(0.5) / 1000 * conc / CORES > args.max_cell_seconds:
                        # A request takes so long that one round at this concurrency would overrun the budget.
                        cell.skipped = (f"skipped: p50 {single.pct(0.5) / 1000:.1f} s at c=1, one round of {conc} "
                                        f"would take ≈{single.pct(0.5) / 1000 * conc / CORES:.0f} s")
                        log(f"{scale:<6} {name:<26} {workload:<13} c={conc:<2} {cell.skipped}")
                        cells.append(cell)
                        continue
                    # Warm up: connections, plans and (for the cache variant) the cache; one request for items.
                    run_cell(Cell(name, "warm-up", 1), fetch, requests if count is None else requests[:1], 0.0,
                             count)
                    run_cell(cell, fetch, requests, args.seconds, count)
                    if conc == 1:
                        single = cell
                    log(f"{scale:<6} {name:<26} {workload:<13} c={conc:<2} n={cell.n:<5} {cell.rate:8.1f}/s "
                        f"p50 {cell.pct(0.5):8.2f} ms p95 {cell.pct(0.95):8.2f} ms"
                        + (f" errors {cell.errors}" if cell.errors else ""))
                    cells.append(cell)

        bands = (("tiles z12–18", range(12, 19)), ("tiles z10–11", range(10, 12)))
        # One server at a time: the others neither take CPU nor hold database connections meanwhile.
        try:
            for server in servers:
                log(f"starting {server.name} on :{server.port}")
                server.start(workdir)
                is_project = server.name.startswith("project")
                fetch = http_fetcher(server.port, cookie if is_project else {})
                if is_project and fetch("/ogc/collections/estates/items?limit=1")[0] == 200:
                    items_paths[server.name] = "/ogc/collections/estates/items?{}"
                    if server is ogc_server or not ogc_server:
                        info["items_server"] = server.name
                plan = []
                if server is not ogc_server and server.name != "pygeoapi":
                    plan += [(band_name, tile_requests(server, band), None) for band_name, band in bands]
                if server.name in ("project", "tipg", "pygeoapi") or server is ogc_server:
                    if server.name in items_paths or not is_project:
                        plan += [(f"items ≈{target}", items_requests(server, target), geojson_features)
                                 for target in ITEM_TARGETS]
                measure(server.name, fetch, plan)
                server.stop()
            if "raw" in wanted:
                plan = [(band_name, [(estate_layer.tile_sql(z), estate_layer.params(z=z, x=x, y=y, on=today))
                                     for z, x, y in tiles if z in band], None) for band_name, band in bands]
                plan += [(f"items ≈{target}", [(RAW_ITEMS_SQL, [*bboxes[target], target])], geojson_features)
                         for target in ITEM_TARGETS]
                fetch = sql_fetcher(db_url)
                measure("raw SQL", fetch, plan)
                fetch.close_all()
        finally:
            for server in servers:
                server.stop()
            conn.close()
        info["items_url"] = ("/ogc/collections/estates/items?bbox=…&limit=…" if items_paths else
                             "(no /ogc/ items endpoint in this checkout yet: pass --ogc-checkout)")
        results[scale] = (cells, info)
    command = "make bench" + (f" BENCH_ARGS='{' '.join(sys.argv[1:])}'" if sys.argv[1:] else "")
    write_doc(results, meta, command)
    log(f"wrote {DOC}")


if __name__ == "__main__":
    main()
