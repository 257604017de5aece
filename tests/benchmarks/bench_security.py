"""Benchmark (not a test): what the security layer costs — one audit INSERT, the login-lock query, the middlewares
on a read, and the bytes an audit row takes.

    DATABASE_URL=… .venv/bin/python -m pytest -q -s -p no:cacheprovider tests/benchmarks/bench_security.py

Runs in pytest's test database (the small demo city) and prints a Markdown table.
"""
import statistics
import time

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from layers.models import AuditEvent, AuditKind
from layers.security.audit import record
from layers.security.login_lock import locked_until

pytestmark = pytest.mark.django_db

N = 500


def timed(fn, n=N) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def row(name, times):
    q = statistics.quantiles(times, n=20)
    return f"| {name} | {len(times)} | {statistics.median(times):.2f} | {q[18]:.2f} |"


def test_bench_security(settings):
    admin = User.objects.get(username="admin")
    rows = [row("audit INSERT (record)", timed(lambda: record(AuditKind.CHANGE, user=admin, method="POST",
                                                               path="/bench/", status=200)))]
    for i in range(5):
        AuditEvent.objects.create(kind=AuditKind.LOGIN_FAILED, username="bench-user", detail=str(i))
    rows.append(row("login lock check (locked_until)", timed(lambda: locked_until("bench-user"))))
    official = User.objects.get(username="official")
    secured = Client()
    secured.force_login(official)
    secured.get("/enterprises/")  # a client builds its middleware chain on its first request
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.startswith("layers.security.")]
    plain = Client()
    plain.force_login(official)
    plain.get("/enterprises/")
    assert "Content-Security-Policy" in secured.get("/enterprises/")
    assert "Content-Security-Policy" not in plain.get("/enterprises/")
    # Interleaved, so both see the same moments of a shared, noisy machine.
    with_security, without = [], []
    for _ in range(200):
        with_security += timed(lambda: secured.get("/enterprises/"), 1)
        without += timed(lambda: plain.get("/enterprises/"), 1)
    rows += [row("GET /enterprises/ with CSP, size limit, audit middlewares", with_security),
             row("GET /enterprises/ without them", without)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT avg(pg_column_size(a.*))::int FROM layers_auditevent a")
        (row_bytes,) = cursor.fetchone()
    print("\n| step | n | median ms | p95 ms |\n|---|---|---|---|")
    print("\n".join(rows))
    print(f"\naverage audit row: {row_bytes} bytes (+ indexes)")
