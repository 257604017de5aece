"""Benchmark (not a test; `make bench`): this project's tile and GeoJSON endpoints under gunicorn, tipg and pygeoapi
(in their own venv, .venv-bench), and the raw SQL through psycopg2 — side by side, on the same PostGIS tables.

    .venv/bin/python tests/benchmarks/bench_interop.py [--scales medium,large] [--seconds 6] [--no-load]

For each scale: load_demo into the bench database (BENCH_DATABASE_URL, default: DATABASE_URL's server, database
<name>_bench_interop), start the servers one at a time; for each, send every request once and compare the answers
with the SQL's (feature ids, non-empty tiles: a server that differs is "not comparable", no ratios), then for every
workload and concurrency 1, 8, 16 send the same fixed request list from a thread pool (keep-alive connections, one
per thread) for about --seconds, and write docs/BENCHMARKS.md (the text between the notes markers is kept from the
previous file) and its summary docs/BENCHMARKS.json.

Workloads (deterministic: points from ST_GeneratePoints(district, n, seed)):
- tiles: estates tiles at zooms 10–18, TILES_PER_ZOOM per zoom, each holding an estate;
- items: a bbox around the district centre grown until it holds ≈1k (limit 1000) or ≈10k (limit 10000) estates,
  never more than the limit.
"""
from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import platform
import re
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
    description: layers_estate through the bench view {view} (SRID 4326; see BENCH_VIEW)
    keywords: [estates]
    extents:
      spatial: {{bbox: [-180, -90, 180, 90], crs: http://www.opengis.net/def/crs/OGC/1.3/CRS84}}
    providers:
      - type: feature
        name: PostgreSQL
        data: {{host: {host}, port: {dbport}, dbname: {dbname}, user: {user}, password: {password},
                search_path: [public]}}
        id_field: id
        table: {view}
        geom_field: geom
        properties: {properties}
"""


def pygeoapi_server(python: Path, db_url: str, workdir: Path) -> Server:
    import dj_database_url

    db = dj_database_url.parse(db_url)
    port = free_port()
    config = workdir / "pygeoapi-config.yml"
    config.write_text(PYGEOAPI_CONFIG.format(
        port=port, view=BENCH_VIEW, host=db["HOST"], dbport=db["PORT"], dbname=db["NAME"], user=db["USER"],
        password=db["PASSWORD"],
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
    """A square bbox around the district's centre holding at most `target` estates and at least 98 % of that
    (bisection on its half side): a page of `limit=target` is then every match, the same for every server whatever
    order it pages in. On the small city every estate fits and the bbox just grows."""
    cursor.execute("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geom) c FROM layers_adminarea "
                   "WHERE level = 'district' LIMIT 1) s")
    lon, lat = cursor.fetchone()
    best, best_count = None, -1
    low, high = 0.0, 1.0
    for _ in range(30):
        half = (low + high) / 2
        bbox = (round(lon - half, 6), round(lat - half, 6), round(lon + half, 6), round(lat + half, 6))
        cursor.execute(f"SELECT count(*) FROM layers_estate WHERE {ITEMS_WHERE}", bbox)
        (count,) = cursor.fetchone()
        if best_count < count <= target:
            best, best_count = bbox, count
        if target * 0.98 <= count <= target:
            break
        low, high = (half, high) if count < target else (low, half)
    return best


# The items filter of every server: the project's OGC items (layers/io/feature_layers.filtered_sql), tipg and
# pygeoapi all test ST_Intersects, not just the bounding boxes (&&), so the raw SQL and the reference do too.
ITEMS_WHERE = "ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4490))"

RAW_ITEMS_SQL = f"""
SELECT json_build_object('type', 'FeatureCollection', 'features', COALESCE(json_agg(
         json_build_object('type', 'Feature', 'id', t.id, 'geometry', ST_AsGeoJSON(t.geom, 6)::json,
                           'properties', json_build_object('name', t.name, 'households', t.households,
                                                           'build_year', t.build_year, 'is_open', t.is_open))
         ORDER BY t.id), '[]'::json))::text
  FROM (SELECT id, name, households, build_year, is_open, geom FROM layers_estate
         WHERE {ITEMS_WHERE} ORDER BY id LIMIT %s) t
"""


def reference_ids(cursor, bbox, limit: int) -> list[str]:
    cursor.execute(f"SELECT id FROM layers_estate WHERE {ITEMS_WHERE} ORDER BY id LIMIT %s", [*bbox, limit])
    return [str(row[0]) for row in cursor.fetchall()]


# pygeoapi 0.24's PostgreSQL provider cannot query an EPSG:4490 table by bbox: with the default storage CRS (CRS84)
# it compares a 4326 envelope with 4490 geometries ("mixed SRID"); with storage_crs EPSG:4490 it turns the CRS84 bbox
# into 4490's authority axis order (latitude first) and matches nothing. So it reads this view, the same rows with
# the SRID relabelled 4326: CGCS2000 and WGS84 coordinates of a place differ by centimetres (the two datums agree to
# that), so the numbers stay as they are; the expression index gives the view the spatial index the table has.
# Bench database only: created after load_demo, dropped when the run ends (and before `migrate`).
BENCH_VIEW = "bench_estate_4326"
BENCH_INDEX = "bench_estate_geom_4326"
BENCH_GEOM_4326 = "(ST_SetSRID(geom, 4326)::geometry(MultiPolygon, 4326))"


def create_bench_objects(cursor) -> None:
    drop_bench_objects(cursor)
    cursor.execute(f"CREATE VIEW {BENCH_VIEW} AS SELECT id, name, households, build_year, is_open, "
                   f"{BENCH_GEOM_4326} AS geom FROM layers_estate")
    cursor.execute(f"CREATE INDEX {BENCH_INDEX} ON layers_estate USING gist ({BENCH_GEOM_4326})")
    cursor.execute("ANALYZE layers_estate")


def drop_bench_objects(cursor) -> None:
    cursor.execute(f"DROP VIEW IF EXISTS {BENCH_VIEW}")
    cursor.execute(f"DROP INDEX IF EXISTS {BENCH_INDEX}")


def feature_ids(body: bytes) -> list[str]:
    features = json.loads(body).get("features", [])
    return [str(f.get("id", (f.get("properties") or {}).get("id"))) for f in features]


def check_answers(fetch, plan: list, reference: dict) -> dict[str, tuple[str, str]]:
    """Each request of each workload sent once: workload → (what came back, why not comparable or "")."""
    answers = {}
    for workload, requests, count in plan:
        expected = reference[workload]
        try:
            replies = [fetch(request) for request in requests]
        except Exception as exc:  # noqa: BLE001 — reported, not fatal
            answers[workload] = (f"error: {exc}", f"error: {exc}")
            continue
        failed = [status for status, _ in replies if status not in (200, 204)]  # 204: an empty tile
        if failed:
            answers[workload] = (f"HTTP {failed[0]}", f"answers HTTP {failed[0]}")
        elif count is None:  # tiles: which are non-empty
            got = {i for i, (_, body) in enumerate(replies) if body}
            text = f"{len(got)} of {len(requests)} non-empty"
            missing, extra = len(expected - got), len(got - expected)
            reason = ", ".join(([f"{missing} tiles empty where the SQL's are not"] if missing else [])
                               + ([f"{extra} tiles non-empty where the SQL's are empty"] if extra else []))
            answers[workload] = (text + (f" — {reason}" if reason else ""), reason)
        else:  # items: the features' ids
            got = feature_ids(replies[0][1])
            text = f"{len(got):,} features"
            if sorted(got) == sorted(expected):
                answers[workload] = (text + ", same ids", "")
            elif len(got) != len(expected):
                answers[workload] = (text, f"{len(got):,} features where the SQL has {len(expected):,}")
            else:
                differ = len(set(expected) - set(got))
                answers[workload] = (text + f", {differ} ids differ", f"{differ} of {len(got):,} feature ids differ")
    return answers


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
    comparable: str = ""  # empty, or why this server's answers differ from the reference (see check_answers)

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

    def summary(self) -> dict:
        """What docs/BENCHMARKS.md and .json keep of a cell: figures, not per-request samples."""
        return {"server": self.server, "workload": self.workload, "concurrency": self.concurrency, "n": self.n,
                "errors": self.errors, "wall": round(self.wall, 3), "rate": round(self.rate, 3),
                "p50": round(self.pct(0.5), 3) if self.n else None, "p95": round(self.pct(0.95), 3) if self.n else None,
                "bytes": round(statistics.mean(self.sizes)) if self.sizes else None,
                "features": round(statistics.mean(self.features)) if self.features else None,
                "feature_rate": round(self.feature_rate, 3), "skipped": self.skipped, "comparable": self.comparable}


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

def fmt(value, digits: int = 1) -> str:
    return "—" if value is None or value != value else f"{value:,.{digits}f}"  # None or NaN → dash


def ratio(a, b) -> str:
    return "—" if not a or not b or a != a or b != b else f"{a / b:.2f}×"


def versus(row: dict, peer: dict | None, key: str) -> str:
    """row[key] ÷ peer[key], or why the two are not comparable (then a ratio would mislead)."""
    if peer is None:
        return "—"
    if row["comparable"]:
        return f"not comparable: {row['comparable']}"
    if peer["comparable"]:
        return f"not comparable ({peer['server']}: see its row)"
    return ratio(row[key], peer[key])


def once(cell: str, left: str) -> str:
    """The second of two ratio cells of a row: the reason is given once."""
    return "not comparable" if cell == left and cell.startswith("not comparable") else cell


def tile_table(rows: list[dict], band: str) -> list[str]:
    out = ["| server | conc. | tiles/s | p50 ms | p95 ms | bytes/tile | p50 ÷ raw SQL p50 | tiles/s ÷ tipg |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    by = {(r["server"], r["concurrency"]): r for r in rows if r["workload"] == band}
    for (server, conc), r in by.items():
        to_raw, to_tipg = versus(r, by.get(("raw SQL", conc)), "p50"), versus(r, by.get(("tipg", conc)), "rate")
        out.append(f"| {server} | {conc} | {fmt(r['rate'])} | {fmt(r['p50'], 2)} | {fmt(r['p95'], 2)} | "
                   f"{fmt(r['bytes'], 0)} | {to_raw} | {once(to_tipg, to_raw)} |"
                   + (f" ({r['errors']} errors)" if r["errors"] else ""))
    return out


def items_table(rows: list[dict], workload: str) -> list[str]:
    out = ["| server | conc. | requests/s | features/s | p50 ms | p95 ms | bytes/response | features/s ÷ pygeoapi | "
           "p50 ÷ raw SQL p50 |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    by = {(r["server"], r["concurrency"]): r for r in rows if r["workload"] == workload}
    for (server, conc), r in by.items():
        if r["skipped"]:
            out.append(f"| {server} | {conc} | {r['skipped']} | | | | | | |")
            continue
        to_peer = versus(r, by.get(("pygeoapi", conc)), "feature_rate")
        to_raw = versus(r, by.get(("raw SQL", conc)), "p50")
        out.append(f"| {server} | {conc} | {fmt(r['rate'])} | {fmt(r['feature_rate'], 0)} | {fmt(r['p50'], 1)} | "
                   f"{fmt(r['p95'], 1)} | {fmt(r['bytes'], 0)} | {to_peer} | {once(to_raw, to_peer)} |"
                   + (f" ({r['errors']} errors)" if r["errors"] else ""))
    return out


def checks_table(checks: dict) -> list[str]:
    """What every server answered to each workload, checked once before timing against the reference."""
    workloads = list(dict.fromkeys(w for answers in checks.values() for w in answers))
    out = ["| server | " + " | ".join(workloads) + " |", "|---|" + "---|" * len(workloads)]
    for server, answers in checks.items():
        out.append(f"| {server} | " + " | ".join(answers.get(w, "—") for w in workloads) + " |")
    return out


def targets(rows: list[dict], scale: str, project: str, items_server: str) -> list[str]:
    lines = []

    def blocked(*cells: dict) -> str:
        return "; ".join(f"{c['server']} {c['comparable']}" for c in cells if c["comparable"])

    for conc in CONCURRENCY:
        by = {r["server"]: r for r in rows if r["workload"] == "tiles z12–18" and r["concurrency"] == conc}
        if project in by and "tipg" in by:
            p, t = by[project], by["tipg"]
            if blocked(p, t):
                verdict = f"not evaluated, not comparable: {blocked(p, t)}"
            else:
                verdict = "met" if p["rate"] >= t["rate"] else f"MISSED by {(1 - p['rate'] / t['rate']) * 100:.0f} %"
            lines.append(f"- {scale}, c={conc}: tile throughput ≥ tipg's — {fmt(p['rate'])} vs {fmt(t['rate'])} "
                         f"tiles/s: {verdict}")
        if project in by and "raw SQL" in by and by[project]["p50"] and by["raw SQL"]["p50"]:
            p, raw = by[project], by["raw SQL"]
            r = p["p50"] / raw["p50"]
            if blocked(p, raw):
                verdict = f"not evaluated, not comparable: {blocked(p, raw)}"
            else:
                verdict = "met" if r <= 1.3 else f"MISSED by {(r / 1.3 - 1) * 100:.0f} % over the 1.3× bound"
            lines.append(f"- {scale}, c={conc}: tile p50 within 1.3× of raw SQL — {r:.2f}×: {verdict}")
        for target in ITEM_TARGETS:
            by = {r["server"]: r for r in rows if r["workload"] == f"items ≈{target}" and r["concurrency"] == conc}
            if items_server not in by or "pygeoapi" not in by:
                continue
            ours, peer = by[items_server], by["pygeoapi"]
            head = f"- {scale}, c={conc}, ≈{target} features: GeoJSON items ≥ 2× pygeoapi's throughput — "
            if blocked(ours, peer):
                lines.append(head + f"not evaluated, not comparable: {blocked(ours, peer)}")
            elif peer["skipped"] or ours["skipped"]:
                lines.append(head + f"not evaluated at this concurrency: {peer['skipped'] or ours['skipped']}")
            elif peer["feature_rate"] and ours["n"]:
                r = ours["feature_rate"] / peer["feature_rate"]
                lines.append(head + f"{r:.2f}×: " + ("met" if r >= 2 else f"MISSED: {r:.2f}× instead of 2×"))
    return lines


def saved_rows(entry: dict) -> list[dict]:
    """A scale's rows from docs/BENCHMARKS.json (a header "columns" and one list per row); files written before it
    was summary-only held every request's latency and size under "cells"."""
    if "columns" in entry:
        return [dict(zip(entry["columns"], row)) for row in entry["rows"]]
    return [Cell(**{k: v for k, v in c.items() if k in Cell.__dataclass_fields__}).summary() for c in entry["cells"]]


def summary_json(saved: dict) -> str:
    """docs/BENCHMARKS.json: per scale its meta and info, then one line per (server, workload, concurrency)."""
    parts = []
    for scale, entry in saved.items():
        rows = saved_rows(entry)
        columns = list(rows[0]) if rows else []
        head = json.dumps({"meta": entry["meta"], "info": entry["info"], "columns": columns}, ensure_ascii=False)
        lines = ",\n".join("  " + json.dumps([row[k] for k in columns], ensure_ascii=False) for row in rows)
        parts.append(f"{json.dumps(scale)}: {head[:-1]}, \"rows\": [\n{lines}\n]}}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def merge_saved(results: dict, meta: dict) -> dict:
    """Scales measured in an earlier run (docs/BENCHMARKS.json) and not in this one are kept, in scale order.
    The JSON holds a summary only (one row per server, workload and concurrency; no per-request samples)."""
    saved_path = DOC.with_suffix(".json")
    saved = json.loads(saved_path.read_text()) if saved_path.exists() else {}
    for scale, (cells, info) in results.items():
        rows = [c.summary() for c in cells]
        saved[scale] = {"meta": meta, "info": info, "columns": list(rows[0]) if rows else [],
                        "rows": [list(row.values()) for row in rows]}
    order = ["small", "medium", "large"]
    saved = {scale: saved[scale] for scale in sorted(saved, key=lambda s: order.index(s) if s in order else 9)}
    text = summary_json(saved)
    json.loads(text)  # well-formed before it replaces the file
    saved_path.write_text(text)
    return {scale: (saved_rows(entry), {**entry["info"], "meta": entry["meta"]}) for scale, entry in saved.items()}


def write_doc(results: dict, meta: dict | None) -> None:
    """docs/BENCHMARKS.md from this run's results and the scales kept in docs/BENCHMARKS.json (meta None: only
    those, nothing measured)."""
    results = merge_saved(results, meta)
    notes, previous_commands = "", []
    if DOC.exists():
        text = DOC.read_text()
        if NOTES_START in text and NOTES_END in text:
            notes = text[text.index(NOTES_START) + len(NOTES_START):text.index(NOTES_END)]
        found = re.search(r"Reproduce with:\n\n((?:    .+\n)+)", text)
        previous_commands = found.group(1).strip().split("\n    ") if found else []
    metas = [info["meta"] for _, info in results.values()]
    # Files written before the command was kept per scale: the command of the previous document.
    commands = list(dict.fromkeys(c for m in metas for c in ([m["command"]] if "command" in m else previous_commands)))
    out = ["# Benchmarks: tiles and GeoJSON items against tipg, pygeoapi and the raw SQL", "",
           "Generated by `tests/benchmarks/bench_interop.py` (not part of `make test`). Reproduce with:", "",
           *[f"    {command}" for command in commands], "",
           f"Machine: {(meta or metas[0])['machine']}. Each scale says when it was measured and with which versions; "
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
        if info.get("checks"):
            out += ["### Same answers? (checked once before timing)", "",
                    "Every request of a workload sent once to each server and compared with the reference, the SQL "
                    "run directly: for items the features' ids must be those of `ST_Intersects(geom, bbox)` (every "
                    "match: a bbox holds at most `limit` estates), for tiles the same tiles must be non-empty. A "
                    "server that differs is *not comparable* in the tables below (figures shown, no ratios).", ""]
            out += checks_table(info["checks"]) + [""]
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
    parser.add_argument("--doc-only", action="store_true", help="measure nothing: rewrite --doc from its .json "
                        "(e.g. after editing the notes)")
    args = parser.parse_args()
    globals()["DOC"] = Path(args.doc)
    if args.doc_only:
        write_doc({}, None)
        log(f"wrote {DOC}")
        return
    wanted = set(args.servers.split(","))

    db_url = bench_database_url()
    ensure_database(db_url)
    env = {**os.environ, "DATABASE_URL": db_url}
    log(f"bench database {db_url.rsplit('@', 1)[-1]}")
    bench_py = ensure_bench_venv() if wanted & {"tipg", "pygeoapi"} else None

    import psycopg2

    with psycopg2.connect(libpq_url(db_url)) as conn, conn.cursor() as cursor:
        drop_bench_objects(cursor)  # left by an interrupted run: a migration may alter layers_estate
    manage("migrate", "--noinput", env=env)

    workdir = Path(os.environ.get("TMPDIR", "/tmp")) / f"geoapp-bench-{os.getpid()}"
    workdir.mkdir(parents=True, exist_ok=True)
    meta = {"when": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{os.cpu_count()} CPUs, {platform.platform()}",
            "command": "make bench" + (f" BENCH_ARGS='{' '.join(sys.argv[1:])}'" if sys.argv[1:] else ""),
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
        create_bench_objects(cursor)
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
        from django.conf import settings
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
        from django.contrib.auth.models import User
        from django.contrib.sessions.backends.db import SessionStore
        from django.db import connection as django_connection

        from layers.catalogue import tile_layer

        user = User.objects.get(username="official")
        session = SessionStore()
        session[SESSION_KEY], session[BACKEND_SESSION_KEY] = str(user.pk), settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookie = {"Cookie": f"sessionid={session.session_key}"}
        # Another checkout (--before-checkout, --ogc-checkout) may know only Django's ModelBackend: its own session.
        other = SessionStore()
        other[SESSION_KEY], other[BACKEND_SESSION_KEY] = str(user.pk), "django.contrib.auth.backends.ModelBackend"
        other[HASH_SESSION_KEY] = user.get_session_auth_hash()
        other.create()
        other_cookie = {"Cookie": f"sessionid={other.session_key}"}
        estate_layer = tile_layer("estates")
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
            # Before timing: does this server answer what the others do? If not, its figures get no ratios.
            answers = check_answers(fetch, plan, reference)
            checks[name] = {workload: text for workload, (text, _) in answers.items()}
            for workload, (text, reason) in answers.items():
                log(f"{scale:<6} {name:<26} {workload:<13} check: {text}")
            for workload, requests, count in plan:
                single = None
                for conc in CONCURRENCY:
                    cell = Cell(name, workload, conc, comparable=answers[workload][1])
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
        raw_plan = [(band_name, [(estate_layer.tile_sql(z), estate_layer.params(z=z, x=x, y=y, on=today))
                                 for z, x, y in tiles if z in band], None) for band_name, band in bands]
        raw_plan += [(f"items ≈{target}", [(RAW_ITEMS_SQL, [*bboxes[target], target])], geojson_features)
                     for target in ITEM_TARGETS]
        # The reference answers, straight from PostgreSQL: which tiles hold estates, which estates each bbox holds.
        sql_fetch = sql_fetcher(db_url)
        reference = {band_name: {i for i, request in enumerate(requests) if sql_fetch(request)[1]}
                     for band_name, requests, _ in raw_plan[:len(bands)]}
        sql_fetch.close_all()
        reference |= {f"items ≈{target}": reference_ids(cursor, bboxes[target], target) for target in ITEM_TARGETS}
        checks = {"reference (SQL)": {
            w: (f"{len(reference[w])} of {len(requests)} non-empty" if count is None
                else f"{len(reference[w]):,} features")
            for w, requests, count in raw_plan}}
        info["checks"] = checks
        # One server at a time: the others neither take CPU nor hold database connections meanwhile.
        try:
            for server in servers:
                log(f"starting {server.name} on :{server.port}")
                server.start(workdir)
                is_project = server.name.startswith("project")
                checkout_cookie = other_cookie if server.name in ("project before", "project OGC (checkout)") else cookie
                fetch = http_fetcher(server.port, checkout_cookie if is_project else {})
                if is_project and fetch("/ogc/collections/estates/items?limit=1")[0] == 200:
                    items_paths[server.name] = "/ogc/collections/estates/items?{}"
                    if server is ogc_server or (not ogc_server and server.name == "project"):
                        info["items_server"] = server.name  # the one server whose items are measured
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
                fetch = sql_fetcher(db_url)
                measure("raw SQL", fetch, raw_plan)
                fetch.close_all()
        finally:
            for server in servers:
                server.stop()
            drop_bench_objects(cursor)
            conn.close()
        info["items_url"] = ("/ogc/collections/estates/items?bbox=…&limit=…" if items_paths else
                             "(no /ogc/ items endpoint in this checkout yet: pass --ogc-checkout)")
        results[scale] = (cells, info)
    write_doc(results, meta)
    log(f"wrote {DOC}")


if __name__ == "__main__":
    main()
