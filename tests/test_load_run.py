"""A short load run (the code of `make load`): gunicorn with the production settings on the test database, locust
users as planners reading the map and editing the same areas at once — no 5xx, no request without an answer, no
lost update."""
import re
import secrets
import sys
from pathlib import Path

import pytest
from django.db import connection

sys.path.insert(0, str(Path(__file__).resolve().parent / "benchmarks"))
import load_run  # noqa: E402

SECONDS = 10


def database_url() -> str:
    db = connection.settings_dict
    return f"postgis://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_short_load_run_no_5xx_no_lost_update(demo_city, settings, tmp_path):
    settings.SECRET_KEY = secrets.token_urlsafe(load_run.SECRET_KEY_LENGTH)  # the server's: sessions must match
    plan = load_run.prepare(planners=3, areas=2, seed=3)
    with load_run.serving(database_url(), secret_key=settings.SECRET_KEY, workers=2, threads=4,
                          workdir=tmp_path) as (base_url, _):
        report = load_run.run(base_url, plan, seconds=SECONDS, clients=8, seed=3, workdir=tmp_path)

    assert report.server_errors == [] and report.failures == []
    assert load_run.lost_updates(plan, report) == []
    assert set(report.sent) >= {"layers", "search", "popup", "tiles", "coverage", "area_read", "area_save"}
    for kind in ("layers", "search", "popup", "coverage", "area_read"):
        assert set(report.statuses[kind]) == {200}, (kind, report.statuses[kind])
    assert set(report.statuses["tiles"]) <= {200, 304}
    # Saves of a version someone else saved first are refused, nothing else is.
    assert set(report.statuses["area_save"]) <= {200, 409}
    assert report.statuses["area_save"][409] == report.conflicts
    assert sum(len(s) for s in report.saves.values()) == report.statuses["area_save"][200] > 0
    # The requests were locust's: its own summary counted the same requests per kind.
    summary = (tmp_path / "locust.log").read_text()
    for kind, sent in report.sent.items():
        assert re.search(rf"^\S+\s+{kind}\s+{sent}\s", summary, re.M), (kind, sent, summary[-2000:])
    assert not (tmp_path / "plan.json").exists()  # session keys and tokens are not left behind
