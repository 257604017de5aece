"""Capacity run (not a test; `make load-day`, `make load-cluster`): a district's working day replayed by locust at
16, 50 and 100 simulated users against one app server or the cluster; requests/s and p50/p95 per request kind, and
the cost of each kind (app CPU, database CPU, bytes) for docs/SCALING.md "Capacity".

    .venv/bin/python tests/benchmarks/capacity_run.py [--users 16,50,100] [--seconds 60] [--cost]
        [--target http://127.0.0.1:8080] [--label a] [--json out.json]

Without --target it starts gunicorn as `make run` starts it in production (scripts/entrypoint.sh: production
settings, 4 sync workers) on CAPACITY_DATABASE_URL, default DATABASE_URL's server with database <name>_day; with
--target it measures a server already running there (the cluster of `make cluster`), CAPACITY_DATABASE_URL or
DATABASE_URL then being the database that server writes to (its primary). The database is migrated and given the
demo city (`load_demo --districts 4 --scale real --if-empty`) when it has no estate.

The day (capacity_locustfile.py): in the district with the most estates, officials (the district official and the
city official) read the map — vector tiles of four layers at zooms 12, 14 and 16, popups — the dashboard (coverage
figures, trend) and the boundary layers; planners edit six shared management areas (read, then a versioned save:
two planners saving the same version, the second gets 409) besides reading the map and the reports; street offices
report abandoned buildings of their street with a photo; one user runs estate imports (upload, dry run, commit of
40 rows). Users log in through the log-in form, so the run needs no secret of the server. Before the timed runs each
tile of the plan is fetched once per scope (the warm-up), so the tiles are "warm" where a cache keeps them.

Printed per user count: requests/s, p50/p95 per kind, errors (5xx, no answer, any status other than the expected
ones) and lost updates (load_run.lost_updates: every area's version and history rows grew by exactly the saves
that succeeded). --cost then sends each kind alone, one request at a time, and reads the CPU time (ns, from
/proc/<pid>/task/*/schedstat) of the gunicorn processes and of the PostgreSQL backends of the database before and
after every request: app CPU ms, database CPU ms and response bytes per request kind. Exit status 1 on any error or
lost update.
"""
from __future__ import annotations

import argparse
import csv
import datetime
import io
import itertools
import json
import math
import os
import random
import re
import resource
import secrets
import string
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load_run  # noqa: E402
from bench_interop import (ROOT, Server, database_url_beside, ensure_database, free_port, log, manage,  # noqa: E402
                           tile_of)

DEFAULT_DATABASE_URL = "postgis://geoapp:geoapp@127.0.0.1:55432/geoapp"
DEFAULT_USERS = (16, 50, 100)
TILE_LAYERS = ("estates", "management_areas", "buildings", "roads")
TILE_ZOOMS = (12, 14, 16)
LOCATIONS_PER_STREET = 3
EDITED_AREAS = 6
IMPORT_ROWS = 40
BUILDINGS_PER_STREET = 400
IMPORT_PAUSE = (10.0, 20.0)  # seconds between two imports of the importing user
PHOTO_BYTES = 200 * 1024  # a phone photo after the browser's resize
PROBE_RATE = 5  # tiles a second the viewer probe asks (ViewerProbe), going back and forth between
PROBE_VIEWS = 2  # this many places of the map
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "demo12345")
# What each kind may answer besides 2xx: a save of a version someone else saved first.
EXPECTED = {"area_save": {409}}
KINDS = ("tiles", "popup", "dashboard", "layers", "search", "area_read", "area_save", "report_list", "report_create",
         "import_upload", "import_check", "import_commit")
STOP_TIMEOUT = 60


# ---------------------------------------------------------------- the plan (needs Django set up)

@dataclass
class Account:
    username: str
    token: str
    session: str = ""
    street_id: int | None = None
    cookies: str = ""  # the Cookie header of a tile: the session and what a page set beside it

    def tile_headers(self) -> dict:
        return {"Cookie": self.cookies or f"sessionid={self.session}", "Authorization": ""}


@dataclass
class DayPlan:
    district_id: int
    district_code: str
    bbox: str
    accounts: dict  # role → [Account]; roles: official, planner, street, importer
    street_ids: list[int]
    estate_ids: list[int]
    area_ids: list[int]
    boundaries: dict  # area id → [original, shrunk] GeoJSON geometries
    views: dict  # "district" → map views of every place; str(street id) → those of the street's places
    buildings: dict  # str(street id) → [building ids without an open report]
    import_rows: list[dict]  # estate rows for the import file (column → value)
    think: tuple[float, float] = (0.5, 1.5)
    before: dict = field(default_factory=dict)  # area id → (version, history rows)

    def dump(self) -> str:
        data = {k: v for k, v in vars(self).items() if k != "before"}
        data["accounts"] = {role: [vars(a) for a in accounts] for role, accounts in self.accounts.items()}
        return json.dumps(data)

    @classmethod
    def load(cls, text: str) -> DayPlan:
        data = json.loads(text)
        data["accounts"] = {role: [Account(**a) for a in accounts] for role, accounts in data["accounts"].items()}
        data["boundaries"] = {int(k): v for k, v in data["boundaries"].items()}
        data["think"] = tuple(data["think"])
        return cls(**data)


def busiest_district():
    """The district with the most estates (the demo's districts have real, different sizes)."""
    from django.db.models import Count

    from layers.models import AdminArea, AdminLevel

    return (AdminArea.objects.filter(level=AdminLevel.DISTRICT)
            .annotate(n=Count("children__children__estates")).order_by("-n", "code").first())


def accounts_of(district) -> dict:
    """The demo accounts of the district by role (README "Demo accounts"), each with an API token."""
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    from layers.models import Role

    def account(user) -> Account:
        token, _ = Token.objects.get_or_create(user=user)
        return Account(user.username, token.key, street_id=user.profile.street_id)

    users = User.objects.select_related("profile")
    officials = [account(u) for u in users.filter(username__in=[f"official-{district.code}", "city"]).order_by("username")]
    planners = [account(users.get(username=f"planner-{district.code}"))]
    streets = [account(u) for u in users.filter(profile__role=Role.STREET_OFFICE, profile__street__parent=district)
               .order_by("username")]
    if len(officials) < 2 or not streets:
        raise RuntimeError(f"the demo accounts of district {district.code} are missing: run load_demo")
    return {"official": officials, "planner": planners, "street": streets, "importer": list(planners)}


def views_around(points) -> list[list[str]]:
    """Per place and zoom, the tiles of one map view: the four layers, two tiles wide."""
    return [[f"/tiles/{layer}/{z}/{x + dx}/{y}.mvt" for layer in TILE_LAYERS for dx in (0, 1)]
            for lon, lat in points for z in TILE_ZOOMS for x, y in [tile_of(lon, lat, z)]]


def tiles_of(views: list[list[str]]) -> list[str]:
    return sorted({path for view in views for path in view})


def prepare(*, seed: int, think: tuple[float, float]) -> DayPlan:
    """Accounts, locations, areas, buildings and import rows of the busiest district (deterministic for a seed)."""
    from django.db import connection

    from layers.models import AdminArea, Estate, ManagementArea

    rng = random.Random(seed)
    district = busiest_district()
    accounts = accounts_of(district)
    street_ids = sorted(AdminArea.objects.filter(parent=district).values_list("pk", flat=True))
    estates = Estate.objects.filter(community__parent__parent=district)
    estate_ids = sorted(estates.values_list("pk", flat=True))
    areas = sorted(ManagementArea.objects.filter(pk__in=estates.exclude(management_area=None)
                                                 .values("management_area")).values_list("pk", flat=True))
    area_ids = sorted(rng.sample(areas, min(EDITED_AREAS, len(areas))))
    views, buildings = {}, {}
    with connection.cursor() as cursor:
        for street_id in street_ids:
            cursor.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(e.geom) p, e.id FROM layers_estate e "
                           "JOIN layers_adminarea c ON c.id = e.community_id WHERE c.parent_id = %s "
                           "ORDER BY md5(e.id::text || %s) LIMIT %s) s",
                           [street_id, str(seed), LOCATIONS_PER_STREET])
            views[str(street_id)] = views_around(cursor.fetchall())
            cursor.execute("SELECT b.id FROM layers_building b JOIN layers_estate e ON e.id = b.estate_id "
                           "JOIN layers_adminarea c ON c.id = e.community_id WHERE c.parent_id = %s AND NOT EXISTS "
                           "(SELECT 1 FROM layers_abandonmentreport r WHERE r.building_id = b.id "
                           "AND r.state IN ('reported', 'verified', 'under_caretaker')) "
                           "ORDER BY md5(b.id::text || %s) LIMIT %s", [street_id, str(seed), BUILDINGS_PER_STREET])
            buildings[str(street_id)] = [row[0] for row in cursor.fetchall()]
        views["district"] = [view for street_views in views.values() for view in street_views]
        cursor.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e "
                       "FROM layers_adminarea WHERE id = %s) s", [district.pk])
        bbox = ",".join(f"{v:.6f}" for v in cursor.fetchone())
        cursor.execute("SELECT id, ST_AsGeoJSON(geom), ST_AsGeoJSON(ST_Scale(geom, 'POINT(0.995 0.995)'::geometry, "
                       "ST_Centroid(geom))) FROM layers_managementarea WHERE id = ANY(%s)", [area_ids])
        boundaries = {pk: [json.loads(a), json.loads(b)] for pk, a, b in cursor.fetchall()}
        cursor.execute("SELECT code, name, build_year, households, floor_area, ST_X(p), ST_Y(p) FROM "
                       "(SELECT *, ST_PointOnSurface(geom) p FROM layers_estate WHERE id = ANY(%s)) s "
                       "ORDER BY md5(id::text || %s) LIMIT %s", [estate_ids, str(seed), IMPORT_ROWS])
        import_rows = [{"小区编码": code, "小区名称": name, "建成年份": year, "户数": households,
                        "建筑面积": round(area, 1), "经度": round(lon, 7), "纬度": round(lat, 7)}
                       for code, name, year, households, area, lon, lat in cursor.fetchall()]
    return DayPlan(district.pk, district.code, bbox, accounts, street_ids, rng.sample(estate_ids, min(200, len(estate_ids))),
                   area_ids, boundaries, views, buildings, import_rows, think,
                   before=load_run.area_state(area_ids))


def log_in(base_url: str, plan: DayPlan) -> None:
    """A session per account through the log-in form (so any server's SECRET_KEY works). The CSRF secret is chosen
    here and sent as cookie and form field, as a browser that loaded the form would. Then the map page, as the
    browser goes there next: the cookies it sets go with the tiles (the cluster's tile-scope cookie)."""
    import requests

    sessions, cookies = {}, {}
    for accounts in plan.accounts.values():
        for account in accounts:
            if account.username not in sessions:
                secret = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
                response = requests.post(f"{base_url}/accounts/login/", allow_redirects=False, timeout=60,
                                         data={"username": account.username, "password": DEMO_PASSWORD,
                                               "csrfmiddlewaretoken": secret},
                                         cookies={"csrftoken": secret}, headers={"Referer": f"{base_url}/"})
                session = response.cookies.get("sessionid")
                if response.status_code != 302 or not session:
                    raise RuntimeError(f"log-in of {account.username} failed: HTTP {response.status_code}")
                sessions[account.username] = session
                page = requests.get(f"{base_url}/", cookies={"sessionid": session}, allow_redirects=False,
                                    timeout=60)
                jar = {"sessionid": session, **{c.name: c.value for c in page.cookies if c.name != "sessionid"}}
                cookies[account.username] = "; ".join(f"{k}={v}" for k, v in jar.items())
            account.session, account.cookies = sessions[account.username], cookies[account.username]


# ---------------------------------------------------------------- the report

@dataclass
class DayReport(load_run.Report):
    """load_run.Report plus response bytes per kind and the statuses nobody expected (counted as errors)."""
    bytes: Counter = field(default_factory=Counter)
    unexpected: list = field(default_factory=list)  # (kind, path, status, body start)

    def dump(self) -> str:
        data = json.loads(super().dump())
        return json.dumps({**data, "bytes": self.bytes, "unexpected": self.unexpected})

    @classmethod
    def load(cls, text: str) -> DayReport:
        base = load_run.Report.load(text)
        data = json.loads(text)
        return cls(**vars(base), bytes=Counter(data.get("bytes", {})),
                   unexpected=[tuple(u) for u in data.get("unexpected", [])])

    def errors(self) -> int:
        return len(self.server_errors) + len(self.failures) + len(self.unexpected)

    def total(self) -> int:
        """Requests sent (the tiles' cache statuses, tiles_hit and so on, are tiles counted a second time)."""
        return sum(n for kind, n in self.sent.items() if not kind.startswith("tiles_"))


def wire_bytes(response) -> int:
    """The body's size as sent (compressed when the server compressed it: its Content-Length)."""
    return int(response.headers.get("Content-Length") or len(response.content))


def record(report: DayReport, kind: str, path: str, status: int, elapsed: float, body: bytes, size: int) -> bool:
    """Count one answer; True when it is an expected one (2xx, or a status EXPECTED for the kind)."""
    report.sent[kind] += 1
    report.statuses[kind][status] += 1
    report.latencies[kind].append(elapsed)
    report.bytes[kind] += size
    ok = 200 <= status < 300 or status in EXPECTED.get(kind, ())
    if status >= 500:
        report.server_errors.append((kind, path, status, body[:300].decode("utf-8", "replace")))
    elif not ok:
        report.unexpected.append((kind, path, status, body[:300].decode("utf-8", "replace")))
    return ok


# ---------------------------------------------------------------- what each role does (run inside locust, and by
# the cost probe with a plain requests client): `client` has send(kind, method, path, **kwargs) → response or None,
# `report`, `account`, `number`, `edits`.

def photo(rng: random.Random) -> bytes:
    """JPEG magic and random bytes: the service checks the type by its first bytes, the size is a phone photo's."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + rng.randbytes(PHOTO_BYTES - 11)


def map_view(client, plan: DayPlan, rng: random.Random, views: list[list[str]]) -> None:
    """One view of the map: the four layers' tiles at one place and zoom (two tiles wide)."""
    for path in rng.choice(views):
        client.send("tiles", "GET", path, headers=client.tile_headers)


def popup(client, plan: DayPlan, rng: random.Random) -> None:
    if rng.random() < 0.8:
        client.send("popup", "GET", f"/api/features/estate/{rng.choice(plan.estate_ids)}/")
    else:
        client.send("popup", "GET", f"/api/features/management_area/{rng.choice(plan.area_ids)}/")


def dashboard(client, plan: DayPlan, rng: random.Random) -> None:
    """The dashboard: figures per street, a street's communities, the year's trend."""
    client.send("dashboard", "GET", f"/api/coverage/?level=street&parent={plan.district_id}")
    client.send("dashboard", "GET", f"/api/coverage/?level=community&parent={rng.choice(plan.street_ids)}")
    today = datetime.date.today()
    client.send("dashboard", "GET", f"/api/coverage/trend/?from={today - datetime.timedelta(days=365)}&to={today}"
                                    f"&area={plan.district_id}")


def boundaries_layer(client, plan: DayPlan, rng: random.Random) -> None:
    if rng.random() < 0.5:
        level = rng.choice(["street", "community"])
        client.send("layers", "GET", f"/api/admin-areas.geojson?level={level}&bbox={plan.bbox}&zoom={rng.randint(12, 16)}")
    else:
        client.send("layers", "GET", f"/api/management-areas/?bbox={plan.bbox}")


def search(client, plan: DayPlan, rng: random.Random) -> None:
    client.send("search", "GET", "/api/search/", params={"q": rng.choice(load_run.SEARCH_TERMS)})


def edit(client, plan: DayPlan, rng: random.Random) -> None:
    """load_run.edit: read an area, save it with the version read (409 when another planner saved first)."""
    load_run.edit(client, plan, rng)


def report_list(client, plan: DayPlan, rng: random.Random) -> None:
    client.send("report_list", "GET", "/api/abandonment-reports/?state=reported")


def report_create(client, plan: DayPlan, rng: random.Random) -> None:
    """A street office reports the next building of its street that has no open report, with one photo."""
    pool = plan.buildings.get(str(client.account.street_id)) or []
    if not pool:
        return
    building = pool.pop()
    since = datetime.date.today() - datetime.timedelta(days=rng.randint(30, 900))
    client.send("report_create", "POST", f"/api/buildings/{building}/abandonment-reports/",
                data={"abandoned_since": since.isoformat(), "reason": "enterprise_left",
                      "description": "负载测试：无人管理"},
                files={"photos": ("photo.jpg", photo(rng), "image/jpeg")})


def import_estates(client, plan: DayPlan, rng: random.Random) -> None:
    """Upload a CSV of the district's estates (households changed by one), dry run with the suggested mapping,
    commit."""
    client.edits += 1
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(plan.import_rows[0]))
    writer.writeheader()
    for row in plan.import_rows:
        writer.writerow({**row, "户数": row["户数"] + client.edits % 2})
    upload = client.send("import_upload", "POST", "/api/imports/", data={"target": "estates"},
                         files={"file": ("estates.csv", out.getvalue().encode("utf-8-sig"), "text/csv")})
    if upload is None or upload.status_code != 201:
        return
    job = upload.json()
    mapping = job["report"]["file"]["suggested_mapping"]
    checked = client.send("import_check", "POST", f"/api/imports/{job['id']}/check/", json={"mapping": mapping})
    if checked is None or checked.status_code != 200:
        return
    client.send("import_commit", "POST", f"/api/imports/{job['id']}/commit/",
                json={"reason": "负载测试：户数更新", "confirm_unusual": True})


# role → [(task, weight)]; a "view" is one map view of tiles (the role's scope: a street office its street).
ROLE_TASKS = {
    "official": [("view", 6), (popup, 3), (dashboard, 2), (boundaries_layer, 1), (search, 1)],
    "planner": [("view", 3), (popup, 1), (edit, 3), (search, 1), (report_list, 1), (boundaries_layer, 1)],
    "street": [("view", 3), (popup, 2), (report_create, 1), (report_list, 1)],
    "importer": [(import_estates, 1)],
}
# Simulated users per role: locust's weights (the importer is one user at any count).
ROLE_WEIGHTS = {"official": 3, "planner": 2, "street": 4}


def views_of(client, plan: DayPlan) -> list[list[str]]:
    """A street office looks at its street, the others anywhere in the district."""
    if client.account.street_id is not None:
        return plan.views.get(str(client.account.street_id)) or plan.views["district"]
    return plan.views["district"]


def one_task(client, plan: DayPlan, role: str, rng: random.Random):
    tasks = ROLE_TASKS[role]
    task = rng.choices([t for t, _ in tasks], weights=[w for _, w in tasks])[0]
    if task == "view":
        map_view(client, plan, rng, views_of(client, plan))
    else:
        task(client, plan, rng)
    return task


# ---------------------------------------------------------------- a plain client (warm-up, cost probe)

class PlainClient:
    """The locust client's interface over one requests.Session (keep-alive), for the warm-up and the cost probe."""

    def __init__(self, base_url: str, account: Account, report: DayReport, number: int | str = 0):
        import requests

        self.base, self.account, self.report, self.number, self.edits = base_url, account, report, number, 0
        self.http = requests.Session()
        self.http.headers.update({"Authorization": f"Token {account.token}", "Accept-Language": "en"})
        self.tile_headers = account.tile_headers()
        self.before = self.after = None  # callables run around each request (the cost probe's meters)

    def send(self, kind: str, method: str, path: str, **kwargs):
        headers = {**self.http.headers, **kwargs.pop("headers", {})}
        headers = {k: v for k, v in headers.items() if v}
        if self.before:
            self.before(kind)
        started = time.perf_counter()
        try:
            response = self.http.request(method, self.base + path, headers=headers, timeout=120, **kwargs)
        except OSError as exc:
            self.report.sent[kind] += 1
            self.report.failures.append((kind, path, repr(exc)[:200]))
            return None
        elapsed = time.perf_counter() - started
        if self.after:
            self.after(kind)
        record(self.report, kind, path, response.status_code, elapsed, response.content, wire_bytes(response))
        return response


class ViewerProbe:
    """One more viewer beside the load: the district official going back and forth between PROBE_VIEWS places of the
    map (their tiles, each asked again every few seconds: warm tiles), one tile at a time, PROBE_RATE a second, from
    this process with a plain requests client — what a user's browser gets from the front, without the queueing of
    locust's own event loop (100 greenlets on a core shared with the servers add their wait to every time locust
    measures: a tile that nginx served in under a millisecond, per its access log, took locust 50–150 ms at 100
    users). Kinds `tiles_viewer` and `tiles_viewer_<cache status>`."""

    def __init__(self, base_url: str, plan: DayPlan, report: DayReport):
        import threading

        account = next(a for a in plan.accounts["official"] if a.username != "city")
        self.client = PlainClient(base_url, account, report, "viewer")
        self.paths, self.report = tiles_of(plan.views["district"][:PROBE_VIEWS]), report
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        for path in itertools.cycle(self.paths):
            if self.stopped.wait(1 / PROBE_RATE):
                return
            response = self.client.send("tiles_viewer", "GET", path, headers=self.client.tile_headers)
            cache = response is not None and response.headers.get("X-Tile-Cache")
            if cache:
                kind = f"tiles_viewer_{cache.lower()}"
                self.report.sent[kind] += 1
                self.report.statuses[kind][response.status_code] += 1
                self.report.latencies[kind].append(self.report.latencies["tiles_viewer"][-1])

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join()


def warm_up(base_url: str, plan: DayPlan) -> DayReport:
    """Every tile of the plan once per scope: the district's (official, planner), the city's, each street's."""
    report = DayReport()
    city = next(a for a in plan.accounts["official"] if a.username == "city")
    district = next(a for a in plan.accounts["official"] if a.username != "city")
    for account, views in [(district, plan.views["district"]), (city, plan.views["district"]),
                           *[(a, plan.views.get(str(a.street_id), [])) for a in plan.accounts["street"]]]:
        client = PlainClient(base_url, account, report)
        for path in tiles_of(views):
            client.send("tiles", "GET", path, headers=client.tile_headers)
    return report


# ---------------------------------------------------------------- CPU meters for the cost probe

def cpu_ns(pid: int) -> int:
    """CPU time of every thread of a process, in ns (schedstat's first field); 0 when it is gone."""
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                pass
    return found


class Meter:
    """CPU ns per kind of the app server's processes and of the database's backends, read around each request."""

    def __init__(self, server_pid: int, database: str):
        from django.db import connection

        self.app_pids = [server_pid, *children_of(server_pid)]
        self.database, self.connection = database, connection
        self.app, self.db = Counter(), Counter()
        self.mark = (0, {})

    def backends(self) -> dict:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
                           "AND backend_type = 'client backend'", [self.database])
            return {pid: cpu_ns(pid) for (pid,) in cursor.fetchall()}

    def before(self, kind: str) -> None:
        self.mark = (sum(cpu_ns(p) for p in self.app_pids), self.backends())

    def after(self, kind: str) -> None:
        app0, db0 = self.mark
        self.app[kind] += sum(cpu_ns(p) for p in self.app_pids) - app0
        now = self.backends()
        # A backend that appeared served this request from its start (a new connection); one gone is not counted.
        self.db[kind] += sum(ns - db0.get(pid, 0) for pid, ns in now.items())


PROBE_TASKS = [("tiles", "view", "official", 30), ("popup", popup, "official", 40),
               ("dashboard", dashboard, "official", 10), ("layers", boundaries_layer, "official", 20),
               ("search", search, "official", 20), ("area_read/area_save", edit, "planner", 30),
               ("report_list", report_list, "planner", 20), ("report_create", report_create, "street", 20),
               ("import_upload/check/commit", import_estates, "importer", 4)]


def probe_costs(base_url: str, plan: DayPlan, server_pid: int, database: str, seed: int) -> dict:
    """Each kind alone, one request at a time: app CPU ms, database CPU ms, wall ms and bytes per request."""
    meter = Meter(server_pid, database)
    report = DayReport()
    rng = random.Random(seed)
    for _label, task, role, times in PROBE_TASKS:
        for k in range(times):
            account = plan.accounts[role][k % len(plan.accounts[role])]
            client = PlainClient(base_url, account, report, number=f"probe{seed}-{k}")
            client.before, client.after = meter.before, meter.after
            if task == "view":
                map_view(client, plan, rng, plan.views["district"])
            else:
                task(client, plan, rng)
    costs = {}
    for kind in sorted(report.sent):
        n = report.sent[kind]
        costs[kind] = {"requests": n, "app_cpu_ms": round(meter.app[kind] / n / 1e6, 2),
                       "db_cpu_ms": round(meter.db[kind] / n / 1e6, 2),
                       "wall_p50_ms": round(report.pct(kind, 0.5), 1), "bytes": round(report.bytes[kind] / n),
                       "errors": sum(1 for e in report.server_errors + report.unexpected if e[0] == kind)}
    return costs


def worker_rss_mb(server_pid: int) -> float:
    """The median resident memory of the gunicorn workers, MB."""
    sizes = []
    for pid in children_of(server_pid):
        try:
            with open(f"/proc/{pid}/status") as f:
                sizes += [int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS:")]
        except FileNotFoundError:
            pass
    return round(sorted(sizes)[len(sizes) // 2], 1) if sizes else float("nan")


def print_costs(costs: dict) -> None:
    print("cost per request, one at a time (CPU from /proc/<pid>/task/*/schedstat):")
    rows = [("kind", "requests", "app CPU ms", "DB CPU ms", "wall p50 ms", "bytes")]
    rows += [(k, c["requests"], f"{c['app_cpu_ms']:.2f}", f"{c['db_cpu_ms']:.2f}", f"{c['wall_p50_ms']:.1f}",
              c["bytes"]) for k, c in costs.items()]
    print_rows(rows)


# ---------------------------------------------------------------- locust

def run_locust(base_url: str, plan: DayPlan, *, users: int, seconds: float, seed: int, workdir: Path) -> DayReport:
    """capacity_locustfile.py, headless, in its own process (locust patches the standard library with gevent)."""
    plan_path, report_path, log_path = workdir / "plan.json", workdir / "report.json", workdir / f"locust-{users}.log"
    plan_path.write_text(plan.dump())
    report_path.unlink(missing_ok=True)
    argv = [str(ROOT / ".venv" / "bin" / "python"), "-m", "locust", "--headless", "--only-summary",
            "--locustfile", str(Path(__file__).resolve().parent / "capacity_locustfile.py"), "--host", base_url,
            "-u", str(users), "-r", str(max(1, users // 5)), "-t", f"{max(1, math.ceil(seconds))}s",
            "--stop-timeout", str(STOP_TIMEOUT), "--exit-code-on-error", "0", "--loglevel", "WARNING",
            "--day-plan", str(plan_path), "--day-report", str(report_path), "--day-seed", str(seed)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent)}
    try:
        with log_path.open("w") as out:
            done = subprocess.run(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  timeout=seconds + STOP_TIMEOUT + 120)
    finally:
        plan_path.unlink(missing_ok=True)  # it holds session keys and tokens
    if done.returncode != 0 or not report_path.exists():
        raise RuntimeError(f"locust exited with {done.returncode}: see {log_path}:\n{log_path.read_text()[-3000:]}")
    return DayReport.load(report_path.read_text())


# ---------------------------------------------------------------- printing

def print_rows(rows) -> None:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(str(v).rjust(w) if i else str(v).ljust(w) for i, (v, w) in enumerate(zip(row, widths))))


def summary(report: DayReport, problems: list[str], users: int) -> dict:
    kinds = {}
    for kind in [k for k in KINDS if report.sent[k]] + sorted(k for k in report.sent if k not in KINDS):
        kinds[kind] = {"sent": report.sent[kind], "per_s": round(report.sent[kind] / report.seconds, 1),
                       "p50_ms": round(report.pct(kind, 0.5), 1), "p95_ms": round(report.pct(kind, 0.95), 1),
                       "statuses": dict(sorted(report.statuses[kind].items())),
                       "bytes": round(report.bytes[kind] / max(1, report.sent[kind]))}
    return {"users": users, "seconds": round(report.seconds, 1), "requests": report.total(),
            "per_s": round(report.total() / report.seconds, 1), "errors": report.errors(),
            "5xx": len(report.server_errors), "no_answer": len(report.failures), "unexpected": len(report.unexpected),
            "conflicts": report.conflicts, "saves": sum(len(v) for v in report.saves.values()),
            "lost_updates": len(problems), "kinds": kinds}


def print_summary(result: dict, report: DayReport, problems: list[str]) -> None:
    print(f"\n{result['users']} users, {result['seconds']} s: {result['requests']} requests, {result['per_s']}/s; "
          f"errors {result['errors']} (5xx {result['5xx']}, no answer {result['no_answer']}, unexpected status "
          f"{result['unexpected']}); saves {result['saves']}, conflicts (409) {result['conflicts']}; "
          f"lost updates {result['lost_updates']}")
    rows = [("kind", "sent", "per s", "p50 ms", "p95 ms", "statuses", "bytes")]
    rows += [(k, v["sent"], v["per_s"], v["p50_ms"], v["p95_ms"], " ".join(f"{s}:{n}" for s, n in v["statuses"].items()),
              v["bytes"]) for k, v in result["kinds"].items()]
    print_rows(rows)
    for kind, path, status, body in (report.server_errors + report.unexpected)[:10]:
        print(f"  HTTP {status} {kind} {path}: {body}")
    for kind, path, error in report.failures[:10]:
        print(f"  no answer {kind} {path}: {error}")
    for problem in problems:
        print(f"  LOST UPDATE {problem}")


def print_table(label: str, results: list[dict]) -> None:
    """One line per user count: the rate and p50/p95 of the main kinds (the table of docs/SCALING.md)."""
    shown = ("tiles", "tiles_hit", "tiles_stale", "tiles_revalidated", "tiles_viewer", "popup", "dashboard",
             "area_save", "report_create", "import_commit")
    header = ["setup", "users", "req/s", "errors", "lost"] + [f"{k} p50/p95" for k in shown]
    rows = [header]
    for r in results:
        rows.append([label, r["users"], r["per_s"], r["errors"], r["lost_updates"]]
                    + [f"{r['kinds'][k]['p50_ms']:.0f}/{r['kinds'][k]['p95_ms']:.0f}" if k in r["kinds"] else "-"
                       for k in shown])
    print()
    print_rows(rows)


# ---------------------------------------------------------------- the data size (the sizing's disk figure)

def data_size() -> dict:
    """Bytes of the application's tables (layers_*, with indexes and TOAST) per estate, and of the photos: what
    grows with the estates (the database's fixed part, spatial_ref_sys and the like, does not)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database()), (SELECT count(*) FROM layers_estate), "
                       "(SELECT count(*) FROM layers_building), (SELECT count(*) FROM layers_managementarea), "
                       "(SELECT coalesce(sum(size), 0) FROM layers_abandonmentphoto), "
                       "(SELECT count(*) FROM layers_abandonmentphoto), (SELECT count(*) FROM layers_managementareaversion)")
        database, estates, buildings, areas, photo_bytes, photos, versions = cursor.fetchone()
        cursor.execute("SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n "
                       "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' "
                       "AND c.relname LIKE 'layers\\_%%' ORDER BY 2 DESC")
        tables = dict(cursor.fetchall())
    return {"database_bytes": database, "layers_bytes": sum(tables.values()), "estates": estates,
            "buildings": buildings, "management_areas": areas,
            "bytes_per_estate": round(sum(tables.values()) / max(1, estates)), "photo_bytes": photo_bytes,
            "photos": photos, "versions": versions,
            "bytes_per_version": round(tables.get("layers_managementareaversion", 0) / max(1, versions)),
            "largest_tables": dict(list(tables.items())[:8])}


# ---------------------------------------------------------------- sizing a city and a province from the costs

# Requests of each kind one task sends (a "view" is the four layers' tiles, two wide).
TASK_KINDS = {"view": {"tiles": 2 * len(TILE_LAYERS)}, "popup": {"popup": 1}, "dashboard": {"dashboard": 3},
              "boundaries_layer": {"layers": 1}, "search": {"search": 1}, "edit": {"area_read": 1, "area_save": 1},
              "report_list": {"report_list": 1}, "report_create": {"report_create": 1},
              "import_estates": {"import_upload": 1, "import_check": 1, "import_commit": 1}}
WRITES = {"area_save", "report_create", "import_upload", "import_check", "import_commit"}  # to the primary
# Assumptions of the sizing (docs/SCALING.md states them; change them here and run --size again).
STAFF_SHARE = {role: w / sum(ROLE_WEIGHTS.values()) for role, w in ROLE_WEIGHTS.items()}  # as in the run
TASKS_PER_STAFF_HOUR = {"official": 30, "planner": 60, "street": 20}  # busy hour, every staff member at work
IMPORTS_PER_DISTRICT_HOUR = 2
PEAK_FACTOR = 2.0  # the busiest minutes against the busy hour's mean
CORE_BUSY = 0.6  # a core planned at 60 % at peak
CORES_PER_MACHINE = 4
WORKERS_PER_CORE = 2  # gunicorn sync workers
TILE_HIT_COST_MS = 0.2  # nginx CPU per cached tile (assumption; the app is not involved)
REPORTS_PER_ESTATE_YEAR, PHOTO_BYTES_PER_REPORT = 1.0, PHOTO_BYTES
VERSIONS_PER_AREA_YEAR = 12  # saved versions of a management area a year (its history rows)
DISK_HEADROOM = 2.0  # WAL, bloat, index growth, a week's dumps
PLACES = {"city": {"districts": 10, "staff": 500, "estates": None},  # None: 10 × the measured district's estates
          "province": {"districts": 130, "staff": 3000, "estates": 150_000}}


def requests_per_staff_hour() -> dict:
    """role → kind → requests per staff-hour, from ROLE_TASKS' weights, TASK_KINDS and TASKS_PER_STAFF_HOUR."""
    out = {}
    for role, tasks in ROLE_TASKS.items():
        if role == "importer":
            continue
        total = sum(w for _, w in tasks)
        kinds = Counter()
        for task, weight in tasks:
            name = task if isinstance(task, str) else task.__name__
            for kind, n in TASK_KINDS[name].items():
                kinds[kind] += TASKS_PER_STAFF_HOUR[role] * weight / total * n
        out[role] = dict(kinds)
    return out


def size(costs: dict, data: dict, *, tile_hit_ratio: float, district_estates: int) -> dict:
    """What a city and a province need at peak, from the cost per request kind (probe_costs) and the data size."""
    per_staff = requests_per_staff_hour()
    result = {}
    for place, spec in PLACES.items():
        estates = spec["estates"] or spec["districts"] * district_estates
        rates = Counter()  # kind → requests per second at peak
        for role, share in STAFF_SHARE.items():
            for kind, per_hour in per_staff[role].items():
                rates[kind] += spec["staff"] * share * per_hour / 3600 * PEAK_FACTOR
        for kind in TASK_KINDS["import_estates"]:
            rates[kind] += spec["districts"] * IMPORTS_PER_DISTRICT_HOUR / 3600 * PEAK_FACTOR
        app_ms = sum(rate * costs[k]["app_cpu_ms"] * (1 - tile_hit_ratio if k == "tiles" else 1)
                     for k, rate in rates.items())
        edge_ms = rates["tiles"] * tile_hit_ratio * TILE_HIT_COST_MS
        read_db_ms = sum(rate * costs[k]["db_cpu_ms"] * (1 - tile_hit_ratio if k == "tiles" else 1)
                         for k, rate in rates.items() if k not in WRITES)
        write_db_ms = sum(rate * costs[k]["db_cpu_ms"] for k, rate in rates.items() if k in WRITES)
        app_cores = (app_ms + edge_ms) / 1000 / CORE_BUSY
        read_cores, write_cores = read_db_ms / 1000 / CORE_BUSY, write_db_ms / 1000 / CORE_BUSY
        app_servers = max(2, math.ceil(app_cores / CORES_PER_MACHINE))
        replicas = max(1, math.ceil(read_cores / CORES_PER_MACHINE))
        cores_each = max(2, math.ceil(app_cores / app_servers))
        workers_each = cores_each * WORKERS_PER_CORE
        db_bytes = estates * data["bytes_per_estate"]
        photos_year = estates * REPORTS_PER_ESTATE_YEAR * PHOTO_BYTES_PER_REPORT
        areas = estates * data["management_areas"] / data["estates"]
        history_year = areas * VERSIONS_PER_AREA_YEAR * data["bytes_per_version"]
        result[place] = {
            "staff": spec["staff"], "districts": spec["districts"], "estates": estates,
            "requests_per_s": round(sum(rates.values()), 1),
            "rates": {k: round(v, 2) for k, v in sorted(rates.items())},
            "app_cpu_cores": round(app_cores, 2), "db_read_cores": round(read_cores, 2),
            "db_write_cores": round(write_cores, 2), "app_servers": app_servers, "replicas": replicas,
            "app_cores_each": cores_each, "workers_each": workers_each,
            "app_memory_gb": round(workers_each * data["worker_rss_mb"] / 1024 + 1, 1),
            "db_bytes": db_bytes, "db_memory_gb": round(db_bytes / 2**30 + 2, 1),
            "db_disk_gb": round(db_bytes * DISK_HEADROOM / 2**30, 1),
            "photos_gb_per_year": round(photos_year / 2**30, 1),
            "history_gb_per_year": round(history_year * DISK_HEADROOM / 2**30, 2),
            "network_mbit_s": round(sum(r * costs[k]["bytes"] for k, r in rates.items()) * 8 / 1e6, 1),
        }
    return result


def print_sizing(sizing: dict) -> None:
    rows = [("", *sizing)]
    keys = [("staff", "staff at peak"), ("estates", "estates"), ("requests_per_s", "requests/s at peak"),
            ("app_cpu_cores", "app CPU cores (60 % busy)"), ("db_read_cores", "DB read cores"),
            ("db_write_cores", "DB write cores (primary)"), ("app_servers", "app servers"),
            ("app_cores_each", "cores per app server"), ("workers_each", "gunicorn workers per app server"),
            ("app_memory_gb", "memory per app server GB"), ("replicas", "read replicas"),
            ("db_memory_gb", "memory per DB server GB"), ("db_disk_gb", "DB disk GB (each DB server)"),
            ("history_gb_per_year", "DB disk growth GB per year (history)"),
            ("photos_gb_per_year", "photos GB per year (shared storage)"), ("network_mbit_s", "network out Mbit/s"),
            ("boxes_by_measured_rate", "or: 2-core machines at (a)'s measured rate, 60 %")]
    for key, label in keys:
        if all(key in place for place in sizing.values()):
            rows.append((label, *[place[key] for place in sizing.values()]))
    print_rows(rows)


# ---------------------------------------------------------------- the server of setup (a)

def single_server(db_url: str, secret_key: str) -> Server:
    """gunicorn as scripts/entrypoint.sh starts it with the production settings (4 sync workers), on loopback
    (plain HTTP: secure cookies and HTTPS redirect off)."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": "geoapp.settings_production",
           "SECRET_KEY": secret_key, "ALLOWED_HOSTS": "127.0.0.1", "SESSION_COOKIE_SECURE": "false",
           "CSRF_COOKIE_SECURE": "false", "SECURE_SSL_REDIRECT": "false", "SECURE_HSTS_SECONDS": "0",
           "MEDIA_ROOT": os.environ.get("MEDIA_ROOT", str(Path(tempfile.gettempdir()) / "geoapp-capacity-media"))}
    argv = [str(ROOT / ".venv" / "bin" / "python"), "-m", "gunicorn", "geoapp.wsgi", "-b", f"127.0.0.1:{port}",
            "--workers", os.environ.get("WEB_WORKERS", "4"), "--access-logfile", "/dev/null", "--no-control-socket"]
    return Server("gunicorn (capacity run)", argv, env, ROOT, port, "/api/search/")


def print_size_of(own: str, cluster: str = "") -> int:
    measured = json.loads(Path(own).read_text())
    hit_ratio = 0.0
    if cluster:
        last = json.loads(Path(cluster).read_text())["runs"][-1]["kinds"]
        # Tiles nginx answered alone: hits, and stale ones another request was updating. A stale answer it updated
        # itself behind the answer, or a revalidated one (the app's 304), is costed as a whole tile: the safe side.
        hit_ratio = sum(last.get(k, {}).get("sent", 0) for k in ("tiles_hit", "tiles_updating")) / last["tiles"]["sent"]
    data = measured["data"]
    print(f"costs of {own}; tile cache hit ratio {hit_ratio:.2f}; {data['bytes_per_estate']} database bytes per estate; "
          f"worker RSS {data['worker_rss_mb']} MB; the district measured has {data['district_estates']} estates")
    print("requests per staff-hour at the busy hour:")
    for role, kinds in requests_per_staff_hour().items():
        print(f"  {role} ({STAFF_SHARE[role]:.0%} of staff): " + ", ".join(f"{k} {v:.1f}" for k, v in kinds.items()))
    sizing = size(measured["costs"], data, tile_hit_ratio=hit_ratio, district_estates=data["district_estates"])
    # The check against the measured rate: what the run's own mix costs per request, what two cores would serve at
    # that cost, and what the one server (app and PostgreSQL on the same two shared cores) served at saturation.
    run = measured["runs"][-1]  # the most users: the server saturated
    costs = measured["costs"]
    sent = {k: v["sent"] for k, v in run["kinds"].items() if k in costs}
    mean = sum(n * (costs[k]["app_cpu_ms"] + costs[k]["db_cpu_ms"]) for k, n in sent.items()) / sum(sent.values())
    model = 2 * 1000 / mean
    print(f"the run's mix costs {mean:.1f} ms of CPU per request: 2 cores would serve {model:.0f}/s; the one server "
          f"served {run['per_s']}/s at {run['users']} users ({run['per_s'] / model:.0%} of that on this shared machine)")
    for place in sizing.values():
        place["boxes_by_measured_rate"] = math.ceil(place["requests_per_s"] / (run["per_s"] * CORE_BUSY))
    print_sizing(sizing)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default=",".join(map(str, DEFAULT_USERS)), help="user counts, comma-separated")
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds per user count")
    parser.add_argument("--target", default="", help="base URL of a running server (the cluster); default: start "
                                                     "gunicorn as make run does")
    parser.add_argument("--label", default="", help="the setup's name in the table (default: a or b)")
    parser.add_argument("--think", default="0.5,1.5", help="seconds a user waits between tasks: min,max")
    parser.add_argument("--cost", action="store_true", help="also measure the cost per kind (own server only)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", default="", help="also write the figures to this file")
    parser.add_argument("--size", nargs="+", metavar="JSON", help="no run: print the city and province sizing from "
                        "the --json of a --cost run (and, second, that of the cluster run for its tile hit ratio)")
    args = parser.parse_args()
    if args.size:
        return print_size_of(*args.size)
    users = [int(u) for u in args.users.split(",") if u.strip()]
    think = tuple(float(v) for v in args.think.split(","))
    label = args.label or ("b" if args.target else "a")

    if args.target:  # the database the cluster serves (its primary)
        db_url = os.environ.get("CAPACITY_DATABASE_URL") or os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    else:
        db_url = database_url_beside("CAPACITY_DATABASE_URL", "_day")
        ensure_database(db_url)
    env = {**os.environ, "DATABASE_URL": db_url}
    log(f"database {db_url.rsplit('@', 1)[-1]}: migrate, load_demo --districts 4 --scale real --if-empty")
    manage("migrate", "--noinput", env=env)
    manage("load_demo", "--districts", "4", "--scale", "real", "--seed", "1", "--if-empty", env=env)
    secret_key = secrets.token_urlsafe(load_run.SECRET_KEY_LENGTH)
    os.environ.update({"DATABASE_URL": db_url, "SECRET_KEY": secret_key, "DJANGO_SETTINGS_MODULE": "geoapp.settings"})
    import django

    django.setup()
    from django.db import connection

    workdir = Path(tempfile.mkdtemp(prefix="geoapp-capacity-"))
    server = None
    if not args.target:
        server = single_server(db_url, secret_key)
        server.start(workdir)
    base_url = args.target.rstrip("/") or f"http://127.0.0.1:{server.port}"
    results, costs, failed, rss = [], {}, False, float("nan")
    try:
        plan = prepare(seed=args.seed, think=think)
        log_in(base_url, plan)
        log(f"{label}: {base_url}; district {plan.district_code}: {len(plan.accounts['street'])} street offices, "
            f"{len(tiles_of(plan.views['district']))} tiles, {len(plan.area_ids)} shared areas; warming the tiles")
        warm = warm_up(base_url, plan)
        if warm.errors():
            raise RuntimeError(f"warm-up errors: {(warm.server_errors + warm.unexpected + warm.failures)[:3]}")
        log(f"warm-up: {warm.total()} tiles in {sum(warm.latencies['tiles']):.1f} s")
        for n, count in enumerate(users):
            plan = prepare(seed=args.seed + n, think=think)  # fresh buildings to report, areas' versions now
            log_in(base_url, plan)
            log(f"{label}: {count} users for {args.seconds:.0f} s (think {think[0]}–{think[1]} s)")
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            viewer = DayReport()
            with ViewerProbe(base_url, plan, viewer):
                report = run_locust(base_url, plan, users=count, seconds=args.seconds, seed=args.seed + n,
                                    workdir=workdir)
            for kind in viewer.sent:  # the probe's own kinds, beside locust's (not in the request rate: total())
                report.sent[kind] += viewer.sent[kind]
                report.statuses[kind].update(viewer.statuses[kind])
                report.latencies[kind] += viewer.latencies[kind]
                report.bytes[kind] += viewer.bytes[kind]
            report.failures += viewer.failures
            report.server_errors += viewer.server_errors
            report.unexpected += viewer.unexpected
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            problems = load_run.lost_updates(plan, report)
            result = summary(report, problems, count)
            result["locust_cpu_s"] = round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1)
            results.append(result)
            print_summary(result, report, problems)
            failed = failed or bool(result["errors"] or problems)
        if args.cost:
            if server is None:
                log("--cost needs the run's own server (no --target): skipped")
            else:
                costs = probe_costs(base_url, plan, server.process.pid, connection.settings_dict["NAME"], args.seed)
                rss = worker_rss_mb(server.process.pid)
                print()
                print_costs(costs)
                print(f"gunicorn worker memory (median RSS): {rss} MB")
    finally:
        if server is not None:
            server.stop()
    print_table(label, results)
    print(f"load average after the runs: {' '.join(f'{v:.1f}' for v in os.getloadavg())} (2 shared cores)")
    sizes = {**data_size(), "worker_rss_mb": rss, "district_estates": busiest_district().n}
    connection.close()
    if args.json:
        Path(args.json).write_text(json.dumps({"label": label, "target": base_url, "think": think,
                                               "seconds": args.seconds, "runs": results, "costs": costs,
                                               "data": sizes, "load_average": os.getloadavg()}, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
