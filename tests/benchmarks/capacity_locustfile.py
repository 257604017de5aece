"""The locust users of the capacity run: a district's working day by role (capacity_run.ROLE_TASKS), recorded into a
capacity_run.DayReport.

Started by capacity_run.run_locust as `python -m locust --headless --locustfile tests/benchmarks/capacity_locustfile.py
--day-plan plan.json --day-report report.json --day-seed N …`; not meant to be run by hand (the plan holds session
keys and tokens). Never imported by the test process: locust patches the standard library with gevent on import.
"""
import itertools
import random
import secrets
import time
from pathlib import Path

import gevent
from locust import HttpUser, between, events, task

import capacity_run

# "tag": this run's mark in the names the planners save, so that no save of this run repeats the name an area got in
# an earlier run (the same name and version would be a save with no change: no new version, and no lost update).
STATE = {"plan": None, "seed": 1, "report": capacity_run.DayReport(), "started": 0.0, "tag": secrets.token_hex(2)}
NUMBERS = itertools.count()


@events.init_command_line_parser.add_listener
def _arguments(parser):
    parser.add_argument("--day-plan", default="", help="the plan (capacity_run.DayPlan.dump) as a JSON file")
    parser.add_argument("--day-report", default="", help="where to write the report (DayReport.dump)")
    parser.add_argument("--day-seed", type=int, default=1)


@events.init.add_listener
def _read_plan(environment, **_kwargs):
    options = environment.parsed_options
    STATE["plan"] = capacity_run.DayPlan.load(Path(options.day_plan).read_text())
    STATE["seed"] = options.day_seed
    low, high = STATE["plan"].think
    for user_class in (Official, Planner, StreetOffice):
        user_class.wait_time = between(low, high)
    Importer.wait_time = between(*capacity_run.IMPORT_PAUSE)
    # The event loop's clock was last read when gevent started (load_locustfile: the timer would end the run early).
    gevent.get_hub().loop.update_now()


@events.test_start.add_listener
def _started(**_kwargs):
    STATE["started"] = time.perf_counter()


@events.test_stop.add_listener
def _write_report(environment, **_kwargs):
    """Fired after every user stopped (each finished the task under way, --stop-timeout)."""
    report = STATE["report"]
    report.seconds = time.perf_counter() - STATE["started"]
    Path(environment.parsed_options.day_report).write_text(report.dump())


class Client:
    """One user's view for the role tasks: send() records every request into the shared report (one process,
    greenlets: no lock needed) and tells locust which answers are expected. A tile's cache status in front (nginx's
    $upstream_cache_status as X-Tile-Cache) is recorded too: a HIT also counts as kind "tiles_hit", a REVALIDATED
    (nginx asked the app with the ETag, 304) as "tiles_revalidated", and so on."""

    def __init__(self, user: HttpUser, account, number: int):
        self.http, self.report, self.account, self.edits = user.client, STATE["report"], account, 0
        self.number = f"{STATE['tag']}-{number}"  # in the saved names (load_run.edit)
        self.http.headers.update({"Authorization": f"Token {account.token}", "Accept-Language": "en"})
        self.tile_headers = account.tile_headers()

    def send(self, kind: str, method: str, path: str, **kwargs):
        started = time.perf_counter()
        with self.http.request(method, path, name=kind, catch_response=True, timeout=120, **kwargs) as response:
            elapsed = time.perf_counter() - started  # requests has read the whole body by now
            if not response.status_code:  # no answer: locust put the error on the response
                self.report.sent[kind] += 1
                self.report.failures.append((kind, path, repr(response.error)[:200]))
                response.failure(response.error)
                return None
            size = capacity_run.wire_bytes(response)
            ok = capacity_run.record(self.report, kind, path, response.status_code, elapsed, response.content, size)
            cache = response.headers.get("X-Tile-Cache") or response.headers.get("X-Cache-Status")
            if kind == "tiles" and cache:  # nginx's cache status: also counted as kind tiles_hit, tiles_miss, …
                sub = f"tiles_{cache.lower()}"
                self.report.sent[sub] += 1
                self.report.statuses[sub][response.status_code] += 1
                self.report.latencies[sub].append(elapsed)
                self.report.bytes[sub] += size
            if ok:
                response.success()
            else:
                response.failure(f"HTTP {response.status_code}")
        return response


class DayUser(HttpUser):
    abstract = True
    role = ""
    wait_time = between(0.5, 1.5)  # the plan's think time replaces it (_read_plan)

    def on_start(self):
        number = next(NUMBERS)
        accounts = STATE["plan"].accounts[self.role]
        self.day_client = Client(self, accounts[number % len(accounts)], number)
        self.rng = random.Random(STATE["seed"] * 1000 + number)

    @task
    def day(self):
        capacity_run.one_task(self.day_client, STATE["plan"], self.role, self.rng)


class Official(DayUser):
    """District and city officials: the map, popups, the dashboard, boundary layers, search."""
    role = "official"
    weight = capacity_run.ROLE_WEIGHTS["official"]


class Planner(DayUser):
    """District planners: the map, versioned edits of the shared management areas, abandonment reports."""
    role = "planner"
    weight = capacity_run.ROLE_WEIGHTS["planner"]


class StreetOffice(DayUser):
    """Street offices: their street's map, popups, reports of abandoned buildings with a photo."""
    role = "street"
    weight = capacity_run.ROLE_WEIGHTS["street"]


class Importer(DayUser):
    """One planner importing estate files all day (upload, dry run, commit; a pause of IMPORT_PAUSE between two),
    whatever the user count."""
    role = "importer"
    fixed_count = 1
    wait_time = between(*capacity_run.IMPORT_PAUSE)
