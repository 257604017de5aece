"""Optimistic locking under real concurrency: many saves of one base version, each on its own connection."""
import json
import threading

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from layers.models import ManagementArea, ManagementAreaVersion
from layers.services import management_areas as svc

THREADS = 8


def run_together(target, n=THREADS):
    barrier = threading.Barrier(n)
    results = [None] * n

    def worker(k):
        try:
            barrier.wait()
            results[k] = target(k)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[k] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_api_saves_of_one_version_exactly_one_wins(demo_city):
    area = ManagementArea.objects.order_by("pk").first()
    planner = User.objects.get(username="planner")
    rows_before = ManagementAreaVersion.objects.filter(area_id=area.pk).count()

    def save(k):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")  # the assertions read the English messages
        client.force_login(planner)
        body = {"type": "Feature", "geometry": None, "properties": {"version": area.version, "name": f"并发{k}"}}
        response = client.put(f"/api/management-areas/{area.pk}/", json.dumps(body), content_type="application/json")
        return response.status_code, json.loads(response.content)

    results = run_together(save)
    statuses = sorted(r[0] for r in results)
    assert statuses == [200] + [409] * (THREADS - 1), results
    winner = next(body for status, body in results if status == 200)
    for status, body in results:
        if status == 409:
            assert body["current"]["properties"]["version"] == area.version + 1
            assert body["changed_by"] == "planner" and f"version {area.version + 1}" in body["error"]
    base = area.version
    area.refresh_from_db()
    assert area.version == winner["properties"]["version"] == base + 1
    assert area.name == winner["properties"]["name"]
    assert ManagementAreaVersion.objects.filter(area_id=area.pk).count() == rows_before + 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_service_redraws_exactly_one_wins(demo_city):
    from shapely import affinity

    area = ManagementArea.objects.order_by("-pk").first()
    planner = User.objects.get(username="planner")
    rows_before = ManagementAreaVersion.objects.filter(area_id=area.pk).count()
    geom = svc.to_shapely(area.geom)

    def redraw(k):
        shrunk = affinity.scale(geom, 0.9 - k * 0.01, 0.9 - k * 0.01)
        return svc.management_area_update(user=planner, area_id=area.pk, base_version=area.version,
                                          geometry=shrunk, reason=f"thread {k}")

    results = run_together(redraw)
    saved = [r for r in results if isinstance(r, svc.Saved)]
    conflicts = [r for r in results if isinstance(r, svc.Conflict)]
    assert len(saved) == 1 and len(conflicts) == THREADS - 1, results
    assert ManagementAreaVersion.objects.filter(area_id=area.pk).count() == rows_before + 1
    row = ManagementAreaVersion.objects.filter(area_id=area.pk).order_by("-id").first()
    assert row.version == area.version + 1 and row.action == "redraw" and row.reason.startswith("thread ")
