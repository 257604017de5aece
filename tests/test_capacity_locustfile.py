"""The capacity run's scenario (tests/benchmarks/capacity_run.py, capacity_locustfile.py) without a server: the
locust file imports under locust, has a user class per role, and the roles' tasks send every request kind."""
import json
import os
import random
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import capacity_run  # noqa: E402


class Answer:
    def __init__(self, status: int, body: dict):
        self.status_code, self.body = status, body

    def json(self):
        return self.body


class FakeClient:
    """Answers like the server would, and records what was sent."""

    def __init__(self, account):
        self.account, self.number, self.edits = account, 0, 0
        self.report = capacity_run.DayReport()
        self.tile_headers = {}
        self.sent = []

    def send(self, kind, method, path, **kwargs):
        self.sent.append((kind, method, path))
        self.report.sent[kind] += 1
        if kind == "area_read":
            return Answer(200, {"properties": {"version": 3}})
        if kind == "area_save":
            return Answer(200, {"properties": {"version": 4}})
        if kind == "import_upload":
            return Answer(201, {"id": 7, "report": {"file": {"suggested_mapping": {"code": "小区编码"}}}})
        return Answer(201 if kind == "report_create" else 200, {})


def plan() -> capacity_run.DayPlan:
    account = capacity_run.Account
    views = capacity_run.views_around([(126.95, 45.53)])
    return capacity_run.DayPlan(
        district_id=1, district_code="230112", bbox="126,45,127,46",
        accounts={"official": [account("official-230112", "t1"), account("city", "t2")],
                  "planner": [account("planner-230112", "t3")], "street": [account("street-230112001", "t4", street_id=5)],
                  "importer": [account("planner-230112", "t3")]},
        street_ids=[5], estate_ids=[10, 11], area_ids=[20], boundaries={20: [None, None]},
        views={"district": views, "5": views}, buildings={"5": [30, 31, 32]},
        import_rows=[{"小区编码": "E1", "小区名称": "一号院", "建成年份": 1990, "户数": 100, "建筑面积": 1000.0,
                      "经度": 126.95, "纬度": 45.53}])


def test_the_roles_tasks_send_every_kind():
    day = plan()
    seen = set()
    for role, tasks in capacity_run.ROLE_TASKS.items():
        client = FakeClient(day.accounts[role][0])
        for task, _weight in tasks:
            if task == "view":
                capacity_run.map_view(client, day, random.Random(1), capacity_run.views_of(client, day))
            else:
                task(client, day, random.Random(1))
        seen |= set(client.report.sent)
        if role == "street":  # a street office reports a building of its own street, with a photo
            posts = [p for k, m, p in client.sent if k == "report_create"]
            assert posts == ["/api/buildings/32/abandonment-reports/"]
    assert seen == set(capacity_run.KINDS)
    # A map view asks for the four layers' tiles at one place and zoom.
    client = FakeClient(day.accounts["official"][0])
    capacity_run.map_view(client, day, random.Random(2), day.views["district"])
    layers = {path.split("/")[2] for _k, _m, path in client.sent}
    assert layers == set(capacity_run.TILE_LAYERS) and len(client.sent) == 2 * len(layers)


def test_the_plan_survives_its_json_form():
    day = plan()
    again = capacity_run.DayPlan.load(day.dump())
    assert again.accounts["street"][0].street_id == 5 and again.boundaries == {20: [None, None]}
    assert again.views == day.views and again.think == day.think


def test_the_locust_file_imports_with_a_user_class_per_role(tmp_path):
    """In its own process: locust patches the standard library with gevent on import."""
    (tmp_path / "plan.json").write_text(plan().dump())
    code = ("import json, capacity_locustfile as f; from locust import User; "
            "users = [c for c in vars(f).values() if isinstance(c, type) and issubclass(c, User) "
            "and not c.__dict__.get('abstract')]; "
            "print(json.dumps({c.role: [c.weight, c.fixed_count] for c in users}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(BENCHMARKS)})
    assert done.returncode == 0, done.stderr[-2000:]
    roles = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(roles) == set(capacity_run.ROLE_TASKS)
    assert roles["importer"][1] == 1  # one importing user whatever the count
    assert all(roles[r][0] == w for r, w in capacity_run.ROLE_WEIGHTS.items())
