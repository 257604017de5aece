"""Against the running cluster of `make cluster` (docs/SCALING.md "Topology"): the load balancer spreads one editing
session over both app servers, a killed replica fails no request, the tile cache never hands a street office another
street's tile, and an edit reaches cached tiles at once. Run with `make test-cluster`; skipped in `make test`."""
import json
import os
import subprocess
import threading
import time
from pathlib import Path

import mapbox_vector_tile
import psycopg2
import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
BASE = os.environ.get("GEOAPP_CLUSTER_URL", "")
PRIMARY = os.environ.get("GEOAPP_CLUSTER_PRIMARY", "host=127.0.0.1 port=55440 dbname=geoapp user=geoapp password=geoapp")
APP_SERVERS = os.environ.get("GEOAPP_CLUSTER_APPS", "http://127.0.0.1:8101,http://127.0.0.1:8102").split(",")
PASSWORD = "demo12345"  # the demo accounts' (layers/demo)

pytestmark = [pytest.mark.cluster,
              pytest.mark.skipif(not BASE, reason="needs the running cluster: make test-cluster")]


def sql(query, params=()):
    with psycopg2.connect(PRIMARY) as db, db.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def login(username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{BASE}/accounts/login/")
    assert page.status_code == 200
    answer = session.post(f"{BASE}/accounts/login/", allow_redirects=False, data={
        "username": username, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]})
    assert answer.status_code == 302, (username, answer.status_code)
    session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
    # The log-in is a write: it pins the user's reads to the primary, past the tile cache, for REPLICA_PIN_SECONDS.
    assert float(session.cookies["geoapp_pin"]) > time.time()
    session.cookies.clear(domain="127.0.0.1", path="/", name="geoapp_pin")  # those seconds are over
    assert session.get(f"{BASE}/").status_code == 200  # the map page hands out the signed tile-scope cookie
    return session


def rename(editor: requests.Session, area_id: int, name: str) -> None:
    """The editor saves a new name for the management area (its current version: no conflict)."""
    body = editor.get(f"{BASE}/api/management-areas/{area_id}/").json()
    body["properties"]["name"] = name
    saved = editor.put(f"{BASE}/api/management-areas/{area_id}/", data=json.dumps(body),
                       headers={"Content-Type": "application/json"})
    assert saved.status_code == 200, saved.content[:300]


def tile_of(lon, lat, z):
    import math
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return z, x, y


def features(response, layer):
    assert response.status_code == 200, response.status_code
    return mapbox_vector_tile.decode(response.content).get(layer, {"features": []})["features"]


def test_one_editing_session_is_served_by_both_app_servers_and_conflicts_still_show():
    planner = login("planner")
    (area_id,), = sql("SELECT m.id FROM layers_managementarea m JOIN layers_adminarea d ON d.id = m.district_id "
                      "WHERE d.code = '230112' ORDER BY m.id LIMIT 1")  # the planner's district
    url = f"{BASE}/api/management-areas/{area_id}/"
    seen = set()
    first = planner.get(url)
    assert first.status_code == 200
    seen.add(first.headers["X-Upstream"])
    stale = first.json()
    answers = []
    for name in ("集群改名一", "集群改名二"):
        current = planner.get(url)
        seen.add(current.headers["X-Upstream"])
        body = current.json()
        body["properties"]["name"] = name
        answer = planner.put(url, data=json.dumps(body), headers={"Content-Type": "application/json"})
        answers.append(answer)
        seen.add(answer.headers["X-Upstream"])
    assert [a.status_code for a in answers] == [200, 200], [a.content[:200] for a in answers]
    assert len(seen) == 2, seen  # the same session, both app servers
    stale["properties"]["name"] = "过时的版本"
    conflict = planner.put(url, data=json.dumps(stale), headers={"Content-Type": "application/json"})
    assert conflict.status_code == 409, conflict.content[:300]
    assert sql("SELECT name FROM layers_managementarea WHERE id = %s", [area_id]) == [("集群改名二",)]


def test_killing_the_replica_under_traffic_fails_no_request():
    official = login("official")
    z, x, y = tile_of(*sql("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Collect(geom)) c "
                           "FROM layers_estate) s")[0], 14)
    urls = [f"{BASE}/dashboard/", f"{BASE}/api/coverage/", f"{BASE}/ogc/collections",
            f"{BASE}/tiles/estates/{z}/{x}/{y}.mvt"]
    statuses, stop = [], threading.Event()

    def traffic():
        session = requests.Session()
        session.cookies.update(official.cookies)
        while not stop.is_set():
            for url in urls:
                statuses.append((url, session.get(url, timeout=30).status_code))

    threads = [threading.Thread(target=traffic) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        before = len(statuses)
        subprocess.run([ROOT / "scripts" / "cluster.sh", "stop-replica"], check=True)
        time.sleep(6)
        during = len(statuses) - before
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        subprocess.run([ROOT / "scripts" / "cluster.sh", "start-replica"], check=True)
    failed = [s for s in statuses if s[1] != 200]
    assert during > 20 and not failed, (during, failed[:10])


def street_pair():
    """Two streets of one district with estates, and a tile at zoom 14 that shows estates of both."""
    rows = sql("""
        SELECT a.code, b.code, ST_X(p), ST_Y(p) FROM layers_adminarea a
          JOIN layers_adminarea b ON b.parent_id = a.parent_id AND b.code > a.code AND b.level = a.level
          CROSS JOIN LATERAL (SELECT ST_ClosestPoint(ST_Centroid(b.geom), ST_Boundary(a.geom)) p) q
         WHERE a.level = 'street' ORDER BY a.code, b.code LIMIT 1""")
    assert rows, "the demo has two streets in one district"
    own, other, lon, lat = rows[0]
    return own, other, tile_of(lon, lat, 14)


def test_a_street_office_never_gets_another_streets_cached_tile():
    own, other, (z, x, y) = street_pair()
    url = f"{BASE}/tiles/estates/{z}/{x}/{y}.mvt"
    first, second = login(f"street-{own}"), login(f"street-{other}")
    assert first.cookies["geoapp_tile_scope"] != second.cookies["geoapp_tile_scope"]
    warm = [first.get(url) for _ in range(2)]
    assert warm[1].headers["X-Tile-Cache"] == "HIT"  # the first street's tile is in the cache
    theirs = second.get(url)
    assert theirs.headers["X-Tile-Cache"] != "HIT"
    # Byte for byte what an app server answers the second street directly, with no cache in between.
    direct = requests.get(f"{APP_SERVERS[0]}/tiles/estates/{z}/{x}/{y}.mvt", cookies=second.cookies)
    assert features(theirs, "estates") == features(direct, "estates")
    assert features(theirs, "estates") != features(warm[0], "estates")  # the two streets see different states
    # The first street's scope cookie in the second street's session: the signature fails, nothing is cached.
    answer = requests.get(url, cookies={"sessionid": second.cookies["sessionid"],
                                        "geoapp_tile_scope": first.cookies["geoapp_tile_scope"]})
    assert answer.headers["X-Tile-Cache"] == "BYPASS"
    assert features(answer, "estates") == features(direct, "estates")


def test_an_edit_reaches_cached_tiles_at_once():
    editor, colleague = login("planner"), login("planner-230112")
    (area_id, lon, lat), = sql("SELECT m.id, ST_X(ST_PointOnSurface(m.geom)), ST_Y(ST_PointOnSurface(m.geom)) "
                               "FROM layers_managementarea m JOIN layers_adminarea d ON d.id = m.district_id "
                               "WHERE d.code = '230112' ORDER BY m.id DESC LIMIT 1")  # the planners' district
    z, x, y = tile_of(lon, lat, 15)
    url = f"{BASE}/tiles/management_areas/{z}/{x}/{y}.mvt"
    for _ in range(2):
        cached = colleague.get(url)
    assert cached.headers["X-Tile-Cache"] == "HIT"
    name = f"刚改 {time.time():.0f}"
    rename(editor, area_id, name)
    mine = editor.get(url)  # pinned to the primary after the write: past the cache, and refreshing it
    assert mine.headers["X-Tile-Cache"] == "BYPASS"
    assert name in {f["properties"].get("name") for f in features(mine, "management_areas")}
    theirs = colleague.get(url)
    assert name in {f["properties"].get("name") for f in features(theirs, "management_areas")}


def test_an_edit_reaches_another_scopes_cached_tile_within_its_fresh_and_stale_seconds():
    """A scope other than the editor's (the city official's) is answered from the cache at once, and gets the edited
    tile after at most TILE_EDGE_FRESH + TILE_EDGE_STALE seconds (geoapp/tile_edge.py: 5 + 5)."""
    editor, city = login("planner"), login("city")
    (area_id, lon, lat), = sql("SELECT m.id, ST_X(ST_PointOnSurface(m.geom)), ST_Y(ST_PointOnSurface(m.geom)) "
                               "FROM layers_managementarea m JOIN layers_adminarea d ON d.id = m.district_id "
                               "WHERE d.code = '230112' ORDER BY m.id DESC LIMIT 1 OFFSET 1")
    url = "{}/tiles/management_areas/{}/{}/{}.mvt".format(BASE, *tile_of(lon, lat, 15))
    for _ in range(2):
        cached = city.get(url)
    assert cached.headers["X-Tile-Cache"] == "HIT"
    assert cached.headers["Cache-Control"] == "private, max-age=30, must-revalidate"  # the browser's, not nginx's
    name = f"市里看 {time.time():.0f}"
    rename(editor, area_id, name)
    saved_at = time.monotonic()
    time.sleep(6.1)  # past the 5 s of freshness (nginx counts whole seconds): answered at once, asked behind
    stale = city.get(url)
    assert stale.headers["X-Tile-Cache"] == "STALE" and stale.content == cached.content
    assert stale.headers["Connection"] == "close"  # the next tile does not wait for this one's background update
    while name not in {f["properties"].get("name") for f in features(city.get(url), "management_areas")}:
        assert time.monotonic() - saved_at < 5 + 5 + 2, "the edit did not reach the city's cached tile"
        time.sleep(0.2)


def test_an_edit_leaves_cached_tiles_far_from_it_valid():
    """Data versions per map cell (migration 0028_tile18): after a save, a cached tile far from the edited area is
    still a hit, and once its seconds of freshness are over nginx answers it at once and revalidates it behind the
    answer: a 304 (the same ETag kept), not a new tile."""
    editor, colleague = login("planner"), login("planner-230112")
    (area_id, far_lon, far_lat), = sql(
        "SELECT a.id, ST_X(ST_PointOnSurface(b.geom)), ST_Y(ST_PointOnSurface(b.geom)) "
        "FROM layers_managementarea a JOIN layers_adminarea d ON d.id = a.district_id, layers_managementarea b "
        "WHERE d.code = '230112' AND b.district_id = a.district_id AND ST_Distance(a.geom_web, b.geom_web) > 5000 "
        "ORDER BY a.id, b.id LIMIT 1")
    z, x, y = tile_of(far_lon, far_lat, 16)
    url = f"{BASE}/tiles/management_areas/{z}/{x}/{y}.mvt"
    for _ in range(2):
        cached = colleague.get(url)
    assert cached.headers["X-Tile-Cache"] == "HIT"
    rename(editor, area_id, f"远处不变 {time.time():.0f}")
    time.sleep(6.1)  # past TILE_EDGE_FRESH (5 s, whole seconds): nginx answers from the cache, asks the app behind
    again = colleague.get(url)
    assert again.headers["X-Tile-Cache"] == "STALE", again.headers["X-Tile-Cache"]
    assert again.headers["ETag"] == cached.headers["ETag"] and again.content == cached.content
    time.sleep(0.3)
    after = colleague.get(url)  # the app found the far tile unchanged: the entry is fresh again, same ETag
    assert after.headers["X-Tile-Cache"] == "HIT" and after.headers["ETag"] == cached.headers["ETag"]
