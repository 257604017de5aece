"""Several app servers on one database with a read replica (docs/SCALING.md "Topology"): the router of
geoapp/routing.py and the tile cache's scope cookie of geoapp/tile_edge.py, in seconds.

The `replica` alias here is a second connection to the test database. It cannot see what the test's transaction
wrote — just like a replica that has not replayed a write yet — so a read that reaches it instead of the primary
shows the old data, and the tests can tell where each read went."""
import json
import subprocess
import time
from pathlib import Path

import mapbox_vector_tile
import pytest
from django.contrib.auth.models import User
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from geoapp import routing, tile_edge
from layers.models import AdminArea, AdminLevel, ManagementArea
from layers.tiles import serve

from .test_tile_cache import area_tile, call_lane
from .test_tiles import tile_url

pytestmark = pytest.mark.django_db
REPLICA = routing.REPLICA
AREAS = "/api/management-areas/"


@pytest.fixture
def replica(db):
    """A `replica` alias on the test database, found healthy by the next check. Its connection is opened here:
    the test case lets a test use the connections it opens itself, not open them on demand."""
    connections.settings[REPLICA] = dict(connections[DEFAULT_DB_ALIAS].settings_dict)
    connections[REPLICA].connect()
    routing.health.checked = float("-inf")
    yield connections[REPLICA]
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]
    routing.health.checked = float("-inf")


@pytest.fixture(autouse=True)
def cold_tiles():
    if serve.tile_cache is not None:
        serve.tile_cache.clear()


def planner_client() -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.get(username="planner"))
    return client


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]


def rename(client, area: ManagementArea, name: str):
    current = json.loads(client.get(f"{AREAS}{area.pk}/").content)
    current["properties"]["name"] = name
    return client.put(f"{AREAS}{area.pk}/", data=json.dumps(current), content_type="application/json")


def area_names(response) -> set[str]:
    assert response.status_code == 200, response.status_code
    layer = mapbox_vector_tile.decode(response.content).get("management_areas", {"features": []})
    return {f["properties"].get("name") for f in layer["features"]}


def test_without_a_replica_everything_reads_the_primary():
    assert not routing.configured()
    assert routing.alias_for("GET", "/tiles/estates/1/1/1.mvt", {}) == DEFAULT_DB_ALIAS
    response = planner_client().get("/dashboard/")
    assert response.status_code == 200 and routing.PIN_COOKIE not in response.cookies


def test_the_router_writes_and_migrates_only_on_the_primary(replica):
    router = routing.ReplicaRouter()
    token = routing.use(REPLICA)
    try:
        assert router.db_for_read(ManagementArea) == REPLICA
        assert router.db_for_write(ManagementArea) == DEFAULT_DB_ALIAS
        from django.contrib.sessions.models import Session

        assert router.db_for_read(Session) == DEFAULT_DB_ALIAS  # a log-in is read by the very next request
    finally:
        routing.reset(token)
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "layers") and not router.allow_migrate(REPLICA, "layers")
    assert routing.alias_for("POST", "/tiles/estates/1/1/1.mvt", {}) == DEFAULT_DB_ALIAS
    assert routing.alias_for("GET", "/management-areas/1/history/", {}) == DEFAULT_DB_ALIAS
    assert routing.alias_for("GET", "/ogc/collections", {}) == REPLICA


def test_read_only_work_reads_the_replica_and_an_edit_never_touches_it(replica):
    client = planner_client()
    for url in ("/dashboard/", "/api/coverage/", "/ogc/collections"):
        with CaptureQueriesContext(replica) as on_replica:
            assert client.get(url).status_code == 200, url
        assert on_replica.captured_queries, f"{url} read nothing from the replica"
    area = ManagementArea.objects.filter(estates__isnull=False).order_by("pk").first()
    with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(connections["default"]) as on_primary:
        response = rename(client, area, "主库改名")
    assert response.status_code == 200, response.content
    assert on_replica.captured_queries == []  # the edit, its version check and its answer: all on the primary
    assert writes(on_primary.captured_queries)
    assert float(response.cookies[routing.PIN_COOKIE].value) > time.time()


def test_after_an_edit_the_editor_reads_the_primary_and_sees_it(replica):
    client = planner_client()
    area = ManagementArea.objects.filter(estates__isnull=False).order_by("pk").first()
    url = area_tile(area)
    stranger = planner_client()  # another session, never wrote: reads the replica, which has not seen the edit
    assert rename(client, area, "刚改的名字").status_code == 200
    with CaptureQueriesContext(replica) as on_replica:
        mine = client.get(url)
    assert "刚改的名字" in area_names(mine) and on_replica.captured_queries == []
    with CaptureQueriesContext(replica) as on_replica:
        theirs = stranger.get(url)
    assert "刚改的名字" not in area_names(theirs) and on_replica.captured_queries
    # Once the pin is over, the editor reads the replica again.
    client.cookies[routing.PIN_COOKIE] = str(int(time.time()) - 1)
    with CaptureQueriesContext(replica) as on_replica:
        client.get(url)
    assert on_replica.captured_queries


def test_a_lagging_replica_is_not_used_and_is_checked_at_most_every_few_seconds(replica, settings, monkeypatch):
    settings.REPLICA_MAX_LAG_SECONDS, settings.REPLICA_CHECK_SECONDS = 5, 60
    lags = []

    def measure(self):
        lags.append(30.0)
        return 30.0

    monkeypatch.setattr(routing.Health, "measure", measure)
    client = planner_client()
    for _ in range(3):
        with CaptureQueriesContext(replica) as on_replica:
            assert client.get("/dashboard/").status_code == 200
        assert on_replica.captured_queries == []
    assert lags == [30.0]  # one check for three requests
    monkeypatch.setattr(routing.Health, "measure", lambda self: 0.5)
    routing.health.checked = float("-inf")  # the next check is due
    with CaptureQueriesContext(replica) as on_replica:
        assert client.get("/dashboard/").status_code == 200
    assert on_replica.captured_queries and routing.health.lag == 0.5


def test_the_real_lag_query_runs_on_a_server_that_is_no_standby(replica):
    assert routing.Health().measure() == 0.0


def test_a_replica_that_is_down_is_not_used(replica, monkeypatch):
    def refuse(self):
        raise OperationalError("connection refused")

    monkeypatch.setattr(routing.Health, "measure", refuse)
    assert planner_client().get("/dashboard/").status_code == 200
    assert routing.health.usable is False and routing.read_alias() == DEFAULT_DB_ALIAS


def lose_replica(replica):
    """The replica was fine at the last check, and its server is gone now (the backend killed under it)."""
    if replica.connection is None:
        replica.connect()
    pid = replica.connection.info.backend_pid
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    routing.health.usable, routing.health.checked = True, time.monotonic()


def test_a_read_that_loses_the_replica_is_answered_from_the_primary(replica):
    client = planner_client()
    area = ManagementArea.objects.filter(estates__isnull=False).order_by("pk").first()
    url = area_tile(area)
    for path in ("/dashboard/", "/api/coverage/", url):
        lose_replica(replica)
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert routing.health.usable is False


def test_the_tile_lane_reads_the_primary_when_the_replica_is_lost(replica, client, settings, monkeypatch):
    settings.ALLOWED_HOSTS = ["testserver"]
    client.force_login(User.objects.get(username="planner"))
    area = ManagementArea.objects.filter(estates__isnull=False).order_by("pk").first()
    lose_replica(replica)
    replica.close()

    def refuse(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr(replica, "ensure_connection", refuse)  # and it does not come back
    status, headers, body = call_lane(area_tile(area),
                                      client.cookies["sessionid"].value)
    assert status == 200 and "Content-Language" not in headers  # the lane answered, from the primary
    assert area.name in {f["properties"].get("name") for f in
                         mapbox_vector_tile.decode(body).get("management_areas", {"features": []})["features"]}
    assert routing.health.usable is False


# The tile cache's scope cookie (geoapp/tile_edge.py): what nginx keys cached tiles by, and how it checks it.

def office_client(street) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=f"street-{street.code}"))
    return client


def streets():
    return list(AdminArea.objects.filter(level=AdminLevel.STREET).order_by("code")[:2])


def test_two_streets_have_two_scopes_and_one_street_one(settings):
    settings.TILE_EDGE_SECRET = "s" * 32
    first, second = streets()
    scopes = []
    for street in (first, second, first):
        client = office_client(street)
        response = client.get("/")
        assert response.status_code == 200
        value = response.cookies[tile_edge.COOKIE].value
        scopes.append(tile_edge.verify(value, client.cookies["sessionid"].value, secret=settings.TILE_EDGE_SECRET,
                                       now=time.time()))
    assert scopes[0] == scopes[2] == f"street_office.{first.pk}" and scopes[1] == f"street_office.{second.pk}"


def test_a_scope_cookie_is_bound_to_its_session_its_secret_and_its_time():
    value = tile_edge.cookie_value("street_office.7.-", "session-a", secret="k" * 32, now=1000, seconds=300)
    assert tile_edge.verify(value, "session-a", secret="k" * 32, now=1200) == "street_office.7.-"
    assert tile_edge.verify(value, "session-b", secret="k" * 32, now=1200) is None  # copied into another session
    assert tile_edge.verify(value, "session-a", secret="x" * 32, now=1200) is None  # made without the secret
    assert tile_edge.verify(value, "session-a", secret="k" * 32, now=1301) is None  # expired
    forged = value.replace("street_office.7.", "street_office.8.")
    assert tile_edge.verify(forged, "session-a", secret="k" * 32, now=1200) is None


def test_the_signature_is_what_nginx_secure_link_md5_computes():
    # nginx's documented recipe: echo -n '<expression>' | openssl md5 -binary | openssl base64 | tr +/ -_ | tr -d =
    expression = "1700000300street_office.7.-abc123 secret-of-the-cluster"
    recipe = subprocess.run(
        ["bash", "-c", f"printf %s '{expression}' | openssl md5 -binary | openssl base64 | tr +/ -_ | tr -d ="],
        capture_output=True, text=True, check=True).stdout.strip()
    assert tile_edge.signature("street_office.7.-", 1700000300, "abc123", "secret-of-the-cluster") == recipe


def test_no_scope_cookie_on_tiles_nor_without_a_secret(settings):
    first, _second = streets()
    client = office_client(first)
    settings.TILE_EDGE_SECRET = ""
    assert tile_edge.COOKIE not in client.get("/").cookies
    settings.TILE_EDGE_SECRET = "s" * 32
    area = ManagementArea.objects.order_by("pk").first()
    response = client.get(area_tile(area))
    assert response.status_code == 200 and tile_edge.COOKIE not in response.cookies
    fresh = client.get("/").cookies[tile_edge.COOKIE].value
    client.cookies[tile_edge.COOKIE] = fresh
    assert tile_edge.COOKIE not in client.get("/").cookies  # still good: not set again


# What the tile cache is told about freshness (geoapp/tile_edge.py edge_cache_control, scripts/cluster/nginx.conf).

def test_only_the_tile_cache_is_told_to_keep_a_tile_and_revalidate_it_in_the_background(settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.TILE_EDGE_SECRET = "s" * 32
    settings.TILE_EDGE_FRESH, settings.TILE_EDGE_STALE = 2, 7
    client = Client()
    client.force_login(User.objects.get(username="planner"))
    path = area_tile(ManagementArea.objects.order_by("pk").first())
    cookie = client.cookies["sessionid"].value
    edge = "max-age=2, stale-while-revalidate=7"
    # Both paths (the Django view and the lean lane), first answer and 304 (nginx revalidates with the ETag).
    assert client.get(path, HTTP_X_TILE_EDGE="s" * 32)["Cache-Control"] == edge
    status, headers, _ = call_lane(path, cookie, HTTP_X_TILE_EDGE="s" * 32)
    assert status == 200 and headers["Cache-Control"] == edge
    status, headers, _ = call_lane(path, cookie, HTTP_X_TILE_EDGE="s" * 32, HTTP_IF_NONE_MATCH=headers["ETag"])
    assert status == 304 and headers["Cache-Control"] == edge
    # A browser — without the header, with a guessed one, or with no cache in front at all — gets its own.
    assert client.get(path)["Cache-Control"] == serve.CACHE_CONTROL
    assert call_lane(path, cookie, HTTP_X_TILE_EDGE="guess")[1]["Cache-Control"] == serve.CACHE_CONTROL
    settings.TILE_EDGE_SECRET = ""
    assert call_lane(path, cookie, HTTP_X_TILE_EDGE="")[1]["Cache-Control"] == serve.CACHE_CONTROL


def test_nginx_hands_browsers_the_apps_own_cache_control_and_never_passes_a_clients_edge_header():
    conf = (Path(__file__).resolve().parent.parent / "scripts" / "cluster" / "nginx.conf").read_text()
    assert f'add_header Cache-Control "{serve.CACHE_CONTROL}" always;' in conf
    assert "proxy_hide_header Cache-Control;" in conf and "proxy_cache_background_update on;" in conf
    server, tiles = conf.split("location /tiles/", 1)
    assert 'proxy_set_header X-Tile-Edge "";' in server  # every other location: a client's header is dropped
    assert 'proxy_set_header X-Tile-Edge "@EDGE_SECRET@";' in tiles.split("location /", 1)[0]
    assert "keepalive_timeout 0;" in tiles.split("location /", 1)[0]  # a stale answer's update holds its connection
