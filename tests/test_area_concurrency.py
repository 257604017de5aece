"""Optimistic locking under real concurrency: many saves of one base version, each on its own connection."""
import json
import sys
import threading
from pathlib import Path

import pytest
import requests
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from layers.models import ManagementArea, ManagementAreaVersion
from layers.services import management_areas as svc

sys.path.insert(0, str(Path(__file__).resolve().parent / "benchmarks"))
from load_run import planners_ensure  # noqa: E402

THREADS = 8
EDITORS = 12  # planners editing one area over HTTP, each on its own thread and connection
ROUNDS = 4


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


@pytest.mark.django_db(transaction=True)
def test_parallel_editors_over_http_one_save_per_version(demo_city, live_server):
    """EDITORS planners (four accounts) read one area, then all save it with the version they read, ROUNDS times:
    per round one save wins, every other gets the documented 409; the history holds exactly the winners."""
    area = ManagementArea.objects.order_by("pk")[1]
    version0, name0 = area.version, area.name
    history0 = ManagementAreaVersion.objects.filter(area_id=area.pk).count()
    tokens = [user.auth_token.key for user in planners_ensure(4)]
    original = json.loads(area.geom.geojson)
    shrunk = json.loads(svc.to_geos(svc.to_shapely(area.geom).buffer(-0.00005)).geojson)
    url = f"{live_server.url}/api/management-areas/{area.pk}/"
    barrier = threading.Barrier(EDITORS, timeout=60)
    outcomes = [[None] * EDITORS for _ in range(ROUNDS)]  # round → editor → (version read, status, body)

    def editor(k):
        http = requests.Session()
        http.headers.update({"Authorization": f"Token {tokens[k % len(tokens)]}", "Accept-Language": "en"})
        for r in range(ROUNDS):
            barrier.wait()  # the previous round is over: everyone reads the same version
            version = http.get(url, timeout=30).json()["properties"]["version"]
            barrier.wait()  # everyone has read: all save at once
            properties = {"version": version, "name": f"并发编辑 {r}-{k}"}
            geometry = None
            if r % 2:  # odd rounds also redraw the boundary (validation, estates re-linked): the slow path
                geometry, properties["reason"] = (shrunk if r % 4 == 1 else original), f"round {r}"
            response = http.put(url, json={"type": "Feature", "geometry": geometry, "properties": properties},
                                timeout=60)
            outcomes[r][k] = (version, response.status_code, response.json())

    threads = [threading.Thread(target=editor, args=(k,)) for k in range(EDITORS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)

    winners = []
    for r, round_outcomes in enumerate(outcomes):
        assert all(o is not None for o in round_outcomes), f"round {r}: an editor failed"
        assert {read for read, _, _ in round_outcomes} == {version0 + r}
        statuses = sorted(status for _, status, _ in round_outcomes)
        assert statuses == [200] + [409] * (EDITORS - 1), (r, statuses)
        k, (_, _, won) = next((k, o) for k, o in enumerate(round_outcomes) if o[1] == 200)
        assert won["properties"]["version"] == version0 + r + 1 and won["properties"]["name"] == f"并发编辑 {r}-{k}"
        winners.append((k, won))
        for _, status, body in round_outcomes:
            if status == 409:
                assert body["current"]["properties"]["version"] == version0 + r + 1
                assert f"version {version0 + r + 1}" in body["error"]
                assert body["changed_by"] == f"load-planner-{k % len(tokens) + 1}"

    area.refresh_from_db()
    assert area.version == version0 + ROUNDS and area.name == winners[-1][1]["properties"]["name"] != name0
    rows = list(ManagementAreaVersion.objects.filter(area_id=area.pk).order_by("id"))[history0:]
    assert [row.version for row in rows] == list(range(version0 + 1, version0 + ROUNDS + 1))
    assert [row.user.username for row in rows] == [f"load-planner-{k % len(tokens) + 1}" for k, _ in winners]
    assert [row.action for row in rows] == ["update", "redraw"] * (ROUNDS // 2)


@pytest.mark.django_db(transaction=True)
def test_a_save_answers_the_version_it_made_although_another_save_follows_at_once(demo_city, monkeypatch):
    """The answer's version is the client's next base: a later save slipping in between the commit and the answer
    would hand this client someone else's version, and its next save would overwrite that one unchallenged. A
    second save is started just before the answer is read; it must wait until the answer has been read."""
    from layers.api import management_areas as api

    area = ManagementArea.objects.order_by("pk").first()
    base = area.version
    planner = User.objects.get(username="planner")
    other = {}

    def later_save():
        try:
            other["saved"] = svc.management_area_update(user=planner, area_id=area.pk, base_version=base + 1,
                                                        name="紧随其后")
        finally:
            connection.close()

    real_feature, thread = api.selectors.management_area_feature, threading.Thread(target=later_save)

    def feature_after_a_later_save(pk):
        thread.start()
        thread.join(timeout=2)  # with the row lock still held it cannot finish: it waits for the answer
        return real_feature(pk=pk)

    monkeypatch.setattr(api.selectors, "management_area_feature", feature_after_a_later_save)
    client = Client()
    client.force_login(planner)
    body = {"type": "Feature", "geometry": None, "properties": {"version": base, "name": "先保存"}}
    response = client.put(f"/api/management-areas/{area.pk}/", json.dumps(body), content_type="application/json")
    monkeypatch.undo()
    thread.join(timeout=30)

    assert response.status_code == 200
    answered = json.loads(response.content)["properties"]
    assert (answered["version"], answered["name"]) == (base + 1, "先保存")
    assert other["saved"].area.version == base + 2  # the later save did happen, after the answer, on top of it
    area.refresh_from_db()
    assert (area.version, area.name) == (base + 2, "紧随其后")
