"""A real background-job worker (`manage.py qcluster`, docs/JOBS.md) on the test database, for tests/test_jobs.py and
the browser tests: started in its own process group, killed with SIGKILL (as by a power cut or the OOM killer)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


class Worker:
    """A real worker process (`manage.py qcluster`) on the test database, in its own process group."""

    def __init__(self, tmp_path: Path, settings, **env):
        db = connection.settings_dict
        url = f"postgis://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        self.log = tmp_path / f"worker-{time.monotonic_ns()}.log"
        environment = {**os.environ, "DATABASE_URL": url, "MEDIA_ROOT": str(settings.MEDIA_ROOT),
                       **{k: str(v) for k, v in env.items()}}
        self.process = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=environment,
                                        stdout=self.log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self) -> None:
        """SIGKILL to the whole group: no clean-up of any kind, as when the machine loses power or the OOM killer
        strikes."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.kill()  # a graceful stop waits for the cluster's processes: seconds the tests need not spend

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@pytest.fixture
def workers(tmp_path, settings):
    started = []

    def start(**env) -> Worker:
        worker = Worker(tmp_path, settings, **env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
