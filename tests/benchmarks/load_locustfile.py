"""The locust users of the load run: planners sending load_run's request mix, recorded into a load_run.Report.

Started by load_run.run as `python -m locust --headless --locustfile tests/benchmarks/load_locustfile.py
--load-plan plan.json --load-report report.json --load-seed N …`; not meant to be run by hand (the plan holds
session keys and tokens made by load_run.prepare). Never imported by the test process: locust patches the standard
library with gevent on import.
"""
import itertools
import random
import time
from pathlib import Path

import gevent
from locust import HttpUser, constant, events, task

import load_run

STATE = {"plan": None, "seed": 1, "report": load_run.Report(), "started": 0.0}
NUMBERS = itertools.count()  # user k acts as planner k mod len(planners), as the thread pool's thread k did


@events.init_command_line_parser.add_listener
def _arguments(parser):
    parser.add_argument("--load-plan", default="", help="the plan (load_run.plan_dump) as a JSON file")
    parser.add_argument("--load-report", default="", help="where to write the report (load_run.Report.dump)")
    parser.add_argument("--load-seed", type=int, default=1)


@events.init.add_listener
def _read_plan(environment, **_kwargs):
    options = environment.parsed_options
    STATE["plan"] = load_run.plan_load(Path(options.load_plan).read_text())
    STATE["seed"] = options.load_seed
    # The event loop's clock was last read when gevent started, before the imports and set-up: the --run-time
    # timer locust starts next would count from then and end the run seconds early.
    gevent.get_hub().loop.update_now()


@events.test_start.add_listener
def _started(**_kwargs):
    STATE["started"] = time.perf_counter()


@events.test_stop.add_listener
def _write_report(environment, **_kwargs):
    """Fired after every user stopped (each finished its edit under way, --stop-timeout)."""
    report = STATE["report"]
    report.seconds = time.perf_counter() - STATE["started"]
    Path(environment.parsed_options.load_report).write_text(report.dump())


class Client:
    """One user's view for load_run.one_request: send() records every request into the shared report (one process,
    greenlets: no lock needed) and tells locust which answers are expected."""

    expected = {"tiles": {304}, "area_save": {409}}  # besides 2xx: revalidated tiles, a save of a stale version

    def __init__(self, user: HttpUser, number: int):
        planner = STATE["plan"].planners[number % len(STATE["plan"].planners)]
        self.http, self.report, self.number, self.edits = user.client, STATE["report"], number, 0
        self.http.headers.update({"Authorization": f"Token {planner.token}", "Accept-Language": "en"})
        self.tile_headers = {"Cookie": f"sessionid={planner.session}", "Authorization": ""}

    def send(self, kind: str, method: str, path: str, **kwargs):
        report = self.report
        started = time.perf_counter()
        with self.http.request(method, path, name=kind, catch_response=True, timeout=60, **kwargs) as response:
            elapsed = time.perf_counter() - started  # requests has read the whole body by now
            report.sent[kind] += 1
            status = response.status_code
            if not status:  # no answer (connection refused or reset, timeout): locust put the error on the response
                report.failures.append((kind, path, repr(response.error)[:200]))
                response.failure(response.error)
                return None
            report.statuses[kind][status] += 1
            report.latencies[kind].append(elapsed)
            if status >= 500:
                report.server_errors.append((kind, path, status, response.text[:300]))
            if 200 <= status < 300 or status in self.expected.get(kind, ()):
                response.success()
            else:
                response.failure(f"HTTP {status}")
        return response


class LoadPlanner(HttpUser):
    """A planner with no pause between requests (as the thread pool had): the load is set by -u alone."""

    wait_time = constant(0)

    def on_start(self):
        number = next(NUMBERS)
        self.load_client = Client(self, number)
        self.rng = random.Random(STATE["seed"] * 1000 + number)

    @task
    def mix(self):
        load_run.one_request(self.load_client, STATE["plan"], self.rng)
