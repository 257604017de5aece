"""PostgreSQL restarts under a running gunicorn: the app recovers by itself.

A throwaway cluster on its own port (scripts/localdb.sh with PGDATA_LOCAL; the shared cluster is never touched),
migrated, one planner; gunicorn with the production settings and persistent connections in every worker; then
`pg_ctl restart -m fast` twice. After a quiet restart the very first requests succeed (CONN_HEALTH_CHECKS replaces
the dead persistent connections). While a restart runs under traffic, each request gets its answer or a 503 with
Retry-After, never a 500. The same worker processes serve throughout.
"""
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.factories import credit_code

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "benchmarks"))
import load_run  # noqa: E402
from bench_interop import free_port  # noqa: E402

SETUP = """
import json, sys
sys.path.insert(0, "tests/benchmarks")
import django
django.setup()
import load_run
from tests import factories
factories.district()  # a planner answers for a district (DOMAIN.md "Levels")
user = load_run.planners_ensure(1)[0]
print(json.dumps({"token": user.auth_token.key, "session": load_run.session_for(user)}))
"""


def worker_pids(master: int) -> set[int]:
    found = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return {int(p) for p in found.split()}


@pytest.fixture
def throwaway_cluster():
    """(DATABASE_URL, environment for scripts/localdb.sh) of a new cluster; stopped and deleted afterwards."""
    parent = Path(tempfile.mkdtemp(prefix="geoapp-restart-", dir="/tmp"))
    parent.chmod(0o755)  # the server's OS user (postgres when we are root) must reach its data directory
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(PGPORT_LOCAL=str(port), PGDATA_LOCAL=str(parent / "data"))
    localdb = lambda command: subprocess.run(["scripts/localdb.sh", command], env=env, cwd=ROOT,  # noqa: E731
                                             capture_output=True, text=True, timeout=120)
    started = localdb("start")
    assert started.returncode == 0, started.stderr
    try:
        yield f"postgis://geoapp:geoapp@127.0.0.1:{port}/geoapp", localdb
    finally:
        localdb("clean")
        subprocess.run(["rm", "-rf", str(parent)])


def test_app_recovers_from_a_postgresql_restart(throwaway_cluster, tmp_path):
    db_url, localdb = throwaway_cluster
    secret_key = secrets.token_urlsafe(load_run.SECRET_KEY_LENGTH)
    env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": secret_key, "DJANGO_SETTINGS_MODULE": "geoapp.settings"}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True)
    account = json.loads(subprocess.run([sys.executable, "-c", SETUP], env=env, cwd=ROOT, check=True,
                                        capture_output=True, text=True).stdout.splitlines()[-1])
    http = requests.Session()
    http.headers.update({"Authorization": f"Token {account['token']}", "Accept-Language": "en"})
    tile = {"Cookie": f"sessionid={account['session']}", "Authorization": ""}
    made = iter(range(1, 1000))

    with load_run.serving(db_url, secret_key=secret_key, workers=2, threads=2, workdir=tmp_path) as (base, server):
        def mix() -> list[int]:
            """A read of each kind and a write: (status of each)."""
            return [http.get(f"{base}/api/search/?q=x", timeout=30).status_code,
                    http.get(f"{base}/tiles/estates/14/13700/5800.mvt", headers=tile, timeout=30).status_code,
                    http.get(f"{base}/api/coverage/?level=district", timeout=30).status_code,
                    http.post(f"{base}/api/enterprises/", json={"name": f"重启测试 {next(made)}",
                              "credit_code": credit_code(next(made))}, timeout=30).status_code]

        def warm() -> None:  # every worker thread holds a persistent connection
            for _ in range(4):
                assert mix() == [200, 200, 200, 201]

        def restart() -> float:
            started = time.monotonic()
            restarted = localdb("restart")
            assert restarted.returncode == 0, restarted.stderr
            return time.monotonic() - started

        warm()
        workers = worker_pids(server.process.pid)
        # 1. A quiet restart: every persistent connection is dead when the next requests come.
        quiet_seconds = restart()
        first = mix()
        following = [mix() for _ in range(3)]
        # 2. A restart under traffic: what the requests sent while PostgreSQL is down get.
        warm()
        during, stop = [], threading.Event()

        def keep_asking():  # the API through Django, and tiles through the lean lane (layers/tiles/fast.py)
            while not stop.is_set():
                for path, headers in (("/api/search/?q=x", {}), ("/tiles/estates/14/13700/5800.mvt", tile)):
                    response = http.get(base + path, headers=headers, timeout=30)
                    during.append((response.status_code, response.headers.get("Retry-After"), path))

        asker = threading.Thread(target=keep_asking)
        asker.start()
        busy_seconds = restart()
        stop.set()
        asker.join(30)
        after = mix()
        assert worker_pids(server.process.pid) == workers  # no worker was restarted

    counts = {status: sum(1 for s, _, _ in during if s == status) for status in sorted({s for s, _, _ in during})}
    print(f"\nquiet pg_ctl restart -m fast: {quiet_seconds:.2f} s, then {first} {following}; under traffic: "
          f"{busy_seconds:.2f} s, {len(during)} requests during it {counts}, then {after}")
    # Never a 500; and with CONN_HEALTH_CHECKS not even a 503: each dead connection is replaced before it is used
    # (without them this mix was [503, 503, 200, 201]).
    assert first == [200, 200, 200, 201]
    assert following == [[200, 200, 200, 201]] * 3
    assert during, "no request was sent during the restart"
    for status, retry_after, path in during:
        assert status == 200 or (status == 503 and retry_after == "5"), (status, path)
    assert {path for status, _, path in during if status == 503} == {"/api/search/?q=x", "/tiles/estates/14/13700/5800.mvt"}
    assert after == [200, 200, 200, 201]
