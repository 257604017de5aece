"""PostgreSQL restarts under a running gunicorn: the app recovers by itself.

A throwaway cluster on its own port (scripts/localdb.sh with PGDATA_LOCAL; the shared cluster is never touched),
migrated, one planner; gunicorn with the production settings and persistent connections in every worker. While
`pg_ctl restart -m fast` runs, requests keep coming: each gets its answer or a 503 with Retry-After, never a 500.
After it, the first request succeeds or is a 503, the following ones succeed, on the same worker processes.
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

        for _ in range(4):  # every worker thread holds a persistent connection before the restart
            assert mix() == [200, 200, 200, 201]
        workers = worker_pids(server.process.pid)
        during, stop = [], threading.Event()

        def keep_asking():
            while not stop.is_set():
                response = http.get(f"{base}/api/search/?q=x", timeout=30)
                during.append((response.status_code, response.headers.get("Retry-After"), response.text[:200]))

        asker = threading.Thread(target=keep_asking)
        asker.start()
        started = time.monotonic()
        restarted = localdb("restart")
        restart_seconds = time.monotonic() - started
        stop.set()
        asker.join(30)
        assert restarted.returncode == 0, restarted.stderr

        first = mix()
        recovered_after = time.monotonic() - started
        following = [mix() for _ in range(3)]
        assert worker_pids(server.process.pid) == workers  # no worker was restarted

    print(f"\npg_ctl restart: {restart_seconds:.2f} s; requests during it: {len(during)} "
          f"({sorted({s for s, _, _ in during})}); first mix after: {first} at {recovered_after:.2f} s")
    assert during, "no request was sent during the restart"
    for status, retry_after, body in during:
        assert status == 200 or (status == 503 and retry_after == "5" and "database" in body), (status, body)
    assert all(status in (200, 201, 503) for status in first), first
    assert following == [[200, 200, 200, 201]] * 3
