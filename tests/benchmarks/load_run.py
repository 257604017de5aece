"""Load run (not a test; `make load`): gunicorn with the production settings on loopback, and locust (headless)
mixing map reads, vector tiles, coverage figures and management-area edits by several planners.

    .venv/bin/python tests/benchmarks/load_run.py [--seconds 180] [--scale medium] [--clients 16] [--planners 4]

The database is LOAD_DATABASE_URL, default DATABASE_URL's server with database <name>_load (created, migrated and
given the demo city of --scale when it has no estate; --reload loads it again). Every locust user is a planner
(one of --planners accounts, token for the API, session for the tiles) looping over a fixed mix of requests
(one_request; the users are in load_locustfile.py, locust runs in its own process); an edit reads an area (its
version) and saves it with that version, so planners editing the same few areas (--areas) collide and the losers
get 409. It prints requests per kind, status counts, conflicts, 5xx and p50/p95/p99, then checks "no lost
update": for every area the final version and the number of history rows grew by exactly the saves the client saw
succeed, each success got its own new version, and the last one's name is stored. Exit status 1 on any 5xx,
failed request or lost update.

tests/test_load_run.py runs the same code for a few seconds on the small demo city.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import secrets
import sys
import subprocess
import tempfile
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_interop import (ROOT, Server, database_url_beside, ensure_database, free_port, log, manage,  # noqa: E402
                           tile_of)

# How often each kind of request is picked (an "edit" is a read of the area, then a save).
MIX = {"layers": 10, "search": 8, "popup": 14, "tiles": 40, "coverage": 10, "edit": 18}
TILE_LAYERS = ("estates", "management_areas", "buildings", "roads")
TILE_ZOOMS = range(12, 19)
SEARCH_TERMS = ("小区", "花园", "家属院", "街", "路", "1")
PLANNER_PREFIX = "load-planner-"
SECRET_KEY_LENGTH = 50
STOP_TIMEOUT = 60  # seconds a user may take to finish the request or edit under way when the time is up


# ---------------------------------------------------------------- the plan (needs Django set up)

@dataclass
class Planner:
    username: str
    token: str
    session: str


@dataclass
class Plan:
    planners: list[Planner]
    area_ids: list[int]
    estate_ids: list[int]
    street_ids: list[int]
    tiles: list[str]
    bbox: str
    boundaries: dict  # area id → [original, shrunk] GeoJSON geometries
    before: dict = field(default_factory=dict)  # area id → (version, history rows)


def planners_ensure(n: int) -> list:
    """n planner accounts of the first district (created when missing) with an API token each."""
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    from layers.models import AdminArea, AdminLevel, Role, UserProfile

    district = AdminArea.objects.filter(level=AdminLevel.DISTRICT).order_by("code").first()
    users = []
    for k in range(1, n + 1):
        user, _ = User.objects.get_or_create(username=f"{PLANNER_PREFIX}{k}")
        UserProfile.objects.update_or_create(user=user, defaults={"role": Role.PLANNER, "street": None,
                                                                       "district": district})
        Token.objects.get_or_create(user=user)
        users.append(user)
    return users


def session_for(user) -> str:
    """A logged-in session key for `user`, as django.contrib.auth.login makes it (no password, no log-in form)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY], session[BACKEND_SESSION_KEY] = str(user.pk), settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def area_state(area_ids: list[int]) -> dict:
    """area id → (version, history rows)."""
    from django.db.models import Count

    from layers.models import ManagementArea

    rows = ManagementArea.objects.filter(pk__in=area_ids).annotate(history=Count("versions"))
    return {a.pk: (a.version, a.history) for a in rows}


def prepare(*, planners: int, areas: int, seed: int = 1) -> Plan:
    """Accounts and a fixed, deterministic workload from the database."""
    from django.db import connection

    from layers.models import AdminArea, AdminLevel, Estate, ManagementArea

    users = planners_ensure(planners)
    found = [Planner(u.username, u.auth_token.key, session_for(u)) for u in users]
    rng = random.Random(seed)
    area_ids = list(ManagementArea.objects.order_by("pk").values_list("pk", flat=True))
    area_ids = sorted(rng.sample(area_ids, min(areas, len(area_ids))))
    estate_ids = sorted(rng.sample(list(Estate.objects.values_list("pk", flat=True)), min(200, Estate.objects.count())))
    street_ids = list(AdminArea.objects.filter(level=AdminLevel.STREET).order_by("pk").values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM layers_estate "
                       "WHERE id = ANY(%s)) s", [estate_ids[:40]])
        points = cursor.fetchall()
        cursor.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e "
                       "FROM layers_adminarea WHERE level = 'district') s")
        bbox = ",".join(f"{v:.6f}" for v in cursor.fetchone())
        cursor.execute("SELECT id, ST_AsGeoJSON(geom), ST_AsGeoJSON(ST_Scale(geom, 'POINT(0.995 0.995)'::geometry, "
                       "ST_Centroid(geom))) FROM layers_managementarea WHERE id = ANY(%s)", [area_ids])
        boundaries = {pk: [json.loads(a), json.loads(b)] for pk, a, b in cursor.fetchall()}
    tiles = sorted({f"/tiles/{layer}/{z}/{x}/{y}.mvt" for lon, lat in points for z in TILE_ZOOMS
                    for layer in TILE_LAYERS for x, y in [tile_of(lon, lat, z)]})
    return Plan(found, area_ids, estate_ids, street_ids, tiles, bbox, boundaries, before=area_state(area_ids))


# ---------------------------------------------------------------- the client (run inside locust)

@dataclass
class Report:
    seconds: float = 0.0
    sent: Counter = field(default_factory=Counter)  # kind → requests
    statuses: dict = field(default_factory=lambda: defaultdict(Counter))  # kind → status → count
    latencies: dict = field(default_factory=lambda: defaultdict(list))  # kind → seconds
    failures: list = field(default_factory=list)  # (kind, path, error) of requests that got no answer
    server_errors: list = field(default_factory=list)  # (kind, path, status, body start)
    saves: dict = field(default_factory=lambda: defaultdict(list))  # area id → [(version, name)] of successes
    conflicts: int = 0

    def pct(self, kind: str, q: float) -> float:
        ordered = sorted(self.latencies[kind])
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000 if ordered else float("nan")

    def total(self) -> int:
        return sum(self.sent.values())

    def count_5xx(self) -> int:
        return len(self.server_errors)

    def as_dict(self) -> dict:
        return {
            "seconds": round(self.seconds, 1), "requests": self.total(), "conflicts": self.conflicts,
            "saves": sum(len(v) for v in self.saves.values()), "5xx": self.count_5xx(), "failed": len(self.failures),
            "kinds": {kind: {"sent": self.sent[kind], "statuses": dict(sorted(self.statuses[kind].items())),
                             "p50_ms": round(self.pct(kind, 0.5), 1), "p95_ms": round(self.pct(kind, 0.95), 1),
                             "p99_ms": round(self.pct(kind, 0.99), 1)} for kind in sorted(self.sent)},
        }

    def dump(self) -> str:
        """Everything recorded, as JSON (the locust process writes it, the runner reads it back with `load`)."""
        return json.dumps({"seconds": self.seconds, "sent": self.sent, "statuses": self.statuses,
                           "latencies": self.latencies, "failures": self.failures,
                           "server_errors": self.server_errors, "saves": self.saves, "conflicts": self.conflicts})

    @classmethod
    def load(cls, text: str) -> Report:
        data = json.loads(text)
        report = cls(seconds=data["seconds"], sent=Counter(data["sent"]), conflicts=data["conflicts"],
                     failures=[tuple(f) for f in data["failures"]],
                     server_errors=[tuple(e) for e in data["server_errors"]])
        for kind, statuses in data["statuses"].items():
            report.statuses[kind] = Counter({int(s): n for s, n in statuses.items()})
        report.latencies.update(data["latencies"])
        for area_id, saves in data["saves"].items():
            report.saves[int(area_id)] = [tuple(s) for s in saves]
        return report


def plan_dump(plan: Plan) -> str:
    """What a locust user needs of the plan, as JSON (`plan_load` reads it back)."""
    return json.dumps({"planners": [vars(p) for p in plan.planners], "area_ids": plan.area_ids,
                       "estate_ids": plan.estate_ids, "street_ids": plan.street_ids, "tiles": plan.tiles,
                       "bbox": plan.bbox, "boundaries": plan.boundaries})


def plan_load(text: str) -> Plan:
    data = json.loads(text)
    return Plan([Planner(**p) for p in data["planners"]], data["area_ids"], data["estate_ids"], data["street_ids"],
                data["tiles"], data["bbox"], {int(k): v for k, v in data["boundaries"].items()})


def one_request(client, plan: Plan, rng: random.Random) -> None:
    """One pick from MIX. `client` (load_locustfile.Client) has send(kind, method, path, **kwargs) → the response
    or None when there was no answer, `report`, `number` and `edits`."""
    kind = rng.choices(list(MIX), weights=list(MIX.values()))[0]
    if kind == "layers":
        if rng.random() < 0.5:
            level = rng.choice(["district", "street", "community"])
            client.send(kind, "GET", f"/api/admin-areas.geojson?level={level}&bbox={plan.bbox}&zoom={rng.randint(10, 16)}")
        else:
            client.send(kind, "GET", f"/api/management-areas/?bbox={plan.bbox}")
    elif kind == "search":
        client.send(kind, "GET", "/api/search/", params={"q": rng.choice(SEARCH_TERMS)})
    elif kind == "popup":
        if rng.random() < 0.7:
            client.send(kind, "GET", f"/api/features/estate/{rng.choice(plan.estate_ids)}/")
        else:
            client.send(kind, "GET", f"/api/features/management_area/{rng.choice(plan.area_ids)}/")
    elif kind == "tiles":
        client.send(kind, "GET", rng.choice(plan.tiles), headers=client.tile_headers)
    elif kind == "coverage":
        if rng.random() < 0.5 or not plan.street_ids:
            client.send(kind, "GET", "/api/coverage/?level=street")
        else:
            client.send(kind, "GET", f"/api/coverage/?level=community&parent={rng.choice(plan.street_ids)}")
    else:
        edit(client, plan, rng)


def edit(client, plan: Plan, rng: random.Random) -> None:
    """Read an area, then save a new name with the version read; 1 in 4 also sets its boundary to the original or
    to the original shrunk by 0.5 % (never past where it started, so never over a neighbour)."""
    area_id = rng.choice(plan.area_ids)
    read = client.send("area_read", "GET", f"/api/management-areas/{area_id}/")
    if read is None or read.status_code != 200:
        return
    feature = read.json()
    version = feature["properties"]["version"]
    client.edits += 1
    name = f"负载{client.number}-{client.edits}"
    properties = {"version": version, "name": name}
    geometry = None
    if rng.random() < 0.25:
        geometry = rng.choice(plan.boundaries[area_id])
        properties["reason"] = "负载测试：调整边界"
    body = {"type": "Feature", "geometry": geometry, "properties": properties}
    saved = client.send("area_save", "PUT", f"/api/management-areas/{area_id}/", json=body)
    if saved is None:
        return
    if saved.status_code == 200:
        client.report.saves[area_id].append((saved.json()["properties"]["version"], name))
    elif saved.status_code == 409:
        client.report.conflicts += 1


def run(base_url: str, plan: Plan, *, seconds: float, clients: int, seed: int = 1,
        workdir: Path | None = None) -> Report:
    """locust, headless, in its own process (it monkey-patches the standard library with gevent): `clients` users,
    user k acting as planner k mod len(planners), each sending the mix for `seconds`. A user still inside an edit
    when the time is up finishes it (--stop-timeout), so every save sent is answered and counted."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="geoapp-locust-"))
    plan_path, report_path, log_path = workdir / "plan.json", workdir / "report.json", workdir / "locust.log"
    plan_path.write_text(plan_dump(plan))
    report_path.unlink(missing_ok=True)
    argv = [str(ROOT / ".venv" / "bin" / "python"), "-m", "locust", "--headless", "--only-summary",
            "--locustfile", str(Path(__file__).resolve().parent / "load_locustfile.py"), "--host", base_url,
            "-u", str(clients), "-r", str(clients), "-t", f"{max(1, math.ceil(seconds))}s",
            "--stop-timeout", str(STOP_TIMEOUT), "--exit-code-on-error", "0", "--loglevel", "WARNING",
            "--load-plan", str(plan_path), "--load-report", str(report_path), "--load-seed", str(seed)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent)}
    with log_path.open("w") as out:
        done = subprocess.run(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                              timeout=seconds + STOP_TIMEOUT + 120)
    if done.returncode != 0 or not report_path.exists():
        raise RuntimeError(f"locust exited with {done.returncode}: see {log_path}:\n{log_path.read_text()[-3000:]}")
    plan_path.unlink()  # it holds the planners' session keys and tokens
    return Report.load(report_path.read_text())


# ---------------------------------------------------------------- the checks

def lost_updates(plan: Plan, report: Report) -> list[str]:
    """Every area's version and history grew by exactly the saves seen, one new version each; the last name won."""
    from layers.models import ManagementArea

    after = area_state(plan.area_ids)
    problems = []
    for area_id in plan.area_ids:
        (version0, history0), (version1, history1) = plan.before[area_id], after[area_id]
        saves = sorted(report.saves.get(area_id, []))
        seen = [v for v, _ in saves]
        if seen != list(range(version0 + 1, version0 + 1 + len(saves))):
            problems.append(f"area {area_id}: the successful saves returned versions {seen}, expected "
                            f"{version0 + 1}…{version0 + len(saves)} (one new version each)")
        if version1 - version0 != len(saves):
            problems.append(f"area {area_id}: version {version0} → {version1}, but {len(saves)} saves succeeded")
        if history1 - history0 != len(saves):
            problems.append(f"area {area_id}: {history1 - history0} history rows added, {len(saves)} saves succeeded")
        if saves and ManagementArea.objects.get(pk=area_id).name != saves[-1][1]:
            problems.append(f"area {area_id}: the name stored is not the last save's {saves[-1][1]!r}")
    return problems


def print_report(report: Report, problems: list[str], plan: Plan) -> None:
    rows = [("kind", "sent", "2xx", "304", "409", "other 4xx", "5xx", "p50 ms", "p95 ms", "p99 ms")]
    for kind in sorted(report.sent):
        statuses = report.statuses[kind]
        rows.append((kind, report.sent[kind], sum(n for s, n in statuses.items() if 200 <= s < 300),
                     statuses.get(304, 0), statuses.get(409, 0),
                     sum(n for s, n in statuses.items() if 400 <= s < 500 and s != 409),
                     sum(n for s, n in statuses.items() if s >= 500),
                     f"{report.pct(kind, 0.5):.1f}", f"{report.pct(kind, 0.95):.1f}", f"{report.pct(kind, 0.99):.1f}"))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(str(v).rjust(w) if i else str(v).ljust(w) for i, (v, w) in enumerate(zip(row, widths))))
    saves = sum(len(v) for v in report.saves.values())
    print(f"requests sent: {report.total()} in {report.seconds:.1f} s ({report.total() / report.seconds:.0f}/s); "
          f"saves: {saves}; conflicts (409): {report.conflicts}; 5xx: {report.count_5xx()}; "
          f"no answer: {len(report.failures)}")
    for kind, path, status, body in report.server_errors[:10]:
        print(f"  5xx {status} {kind} {path}: {body}")
    for kind, path, error in report.failures[:10]:
        print(f"  failed {kind} {path}: {error}")
    if problems:
        print("LOST UPDATE:")
        for problem in problems:
            print(f"  {problem}")
    else:
        print(f"no lost update: {len(plan.area_ids)} areas, version and history rows grew by exactly the {saves} "
              f"successful saves")


# ---------------------------------------------------------------- the server

def gunicorn_server(db_url: str, *, secret_key: str, workers: int, threads: int) -> Server:
    """gunicorn with the production settings on loopback (plain HTTP: secure cookies and HTTPS redirect off)."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": "geoapp.settings_production",
           "SECRET_KEY": secret_key, "ALLOWED_HOSTS": "127.0.0.1", "SESSION_COOKIE_SECURE": "false",
           "CSRF_COOKIE_SECURE": "false", "SECURE_SSL_REDIRECT": "false", "SECURE_HSTS_SECONDS": "0"}
    argv = [str(ROOT / ".venv" / "bin" / "python"), "-m", "gunicorn", "geoapp.wsgi", "-b", f"127.0.0.1:{port}",
            "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads), "--keep-alive", "30",
            "--access-logfile", "/dev/null", "--no-control-socket"]
    # Probed on a JSON endpoint (302 to the log-in page): pages need collectstatic under the production settings.
    return Server("gunicorn (load run)", argv, env, ROOT, port, "/api/search/")


@contextmanager
def serving(db_url: str, *, secret_key: str, workers: int = 4, threads: int = 4, workdir: Path | None = None):
    """(base URL, Server) of a gunicorn serving `db_url`, stopped on exit."""
    server = gunicorn_server(db_url, secret_key=secret_key, workers=workers, threads=threads)
    workdir = workdir or Path(os.environ.get("TMPDIR", "/tmp")) / f"geoapp-load-{os.getpid()}"
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        server.start(workdir)  # inside the try: a server that never answered the probe is stopped too
        yield f"http://127.0.0.1:{server.port}", server
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reload", action="store_true", help="load the demo city again even when estates exist")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (gthread)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--clients", type=int, default=16, help="locust users (concurrent clients)")
    parser.add_argument("--planners", type=int, default=4, help="planner accounts the clients act as")
    parser.add_argument("--areas", type=int, default=6, help="management areas the planners edit")
    parser.add_argument("--json", default="", help="also write the figures to this file")
    args = parser.parse_args()

    db_url = database_url_beside("LOAD_DATABASE_URL", "_load")
    ensure_database(db_url)
    env = {**os.environ, "DATABASE_URL": db_url}
    log(f"load database {db_url.rsplit('@', 1)[-1]}: migrate, load_demo --scale {args.scale}")
    manage("migrate", "--noinput", env=env)
    manage("load_demo", "--scale", args.scale, "--seed", str(args.seed), *([] if args.reload else ["--if-empty"]),
           env=env)
    # The runner's own Django (same database, same SECRET_KEY as the server, so its sessions are valid there).
    secret_key = secrets.token_urlsafe(SECRET_KEY_LENGTH)
    os.environ.update({"DATABASE_URL": db_url, "SECRET_KEY": secret_key, "DJANGO_SETTINGS_MODULE": "geoapp.settings"})
    import django

    django.setup()
    from django.db import connection

    plan = prepare(planners=args.planners, areas=args.areas, seed=args.seed)
    connection.close()
    log(f"gunicorn: {args.workers} workers × {args.threads} threads; {args.clients} clients as "
        f"{args.planners} planners editing {len(plan.area_ids)} areas, for {args.seconds:.0f} s")
    with serving(db_url, secret_key=secret_key, workers=args.workers, threads=args.threads) as (base_url, server):
        report = run(base_url, plan, seconds=args.seconds, clients=args.clients, seed=args.seed,
                     workdir=server.log_path.parent)
    problems = lost_updates(plan, report)
    print_report(report, problems, plan)
    if args.json:
        Path(args.json).write_text(json.dumps({**report.as_dict(), "lost_updates": problems,
                                               "areas": len(plan.area_ids), "scale": args.scale,
                                               "clients": args.clients, "planners": args.planners,
                                               "workers": args.workers, "threads": args.threads}, indent=1))
    return 1 if report.count_5xx() or report.failures or problems else 0


if __name__ == "__main__":
    sys.exit(main())
