"""Vector tiles: ETag/304, Cache-Control, the data version an edit bumps, the server-side cache, simplification and
attributes by zoom, the permission scope in the tile SQL, and the lean WSGI lane (layers/tiles/fast.py)."""
import datetime
import io
from urllib.parse import quote

import mapbox_vector_tile
import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.handlers.wsgi import WSGIHandler
from django.core import signals
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django.contrib.gis.geos import LineString

from layers.catalogue import tile_layers
from layers.models import (
    DISTRICT_ROLES, AdminArea, AdminLevel, Building, Estate, ManagementArea, Road, Role, ServiceContract, UserProfile,
)
from layers.permissions import DISTRICT_LOOKUP
from layers.services.management_areas import management_area_update
from layers.tiles import serve
from layers.tiles.fast import TileLane
from layers.tiles.registry import FULL_DETAIL_ZOOM, _feature_sql, simplify_tolerance

from .test_read_scope import border_point, own
from .test_tiles import one_row, sample_tile, tile_of, tile_url

pytestmark = pytest.mark.django_db

LAYERS = tile_layers()
CACHE_CONTROL = "private, max-age=30, must-revalidate"


def login(client, username):
    client.force_login(User.objects.get(username=username))
    return client


def tile_queries(queries) -> list[str]:
    """The statements that built a tile: the SQL itself, or the EXECUTE of a prepared tile statement."""
    prepared = [name for sql, (name, _prepare, _order) in serve._statements.items() if "ST_AsMVT" in sql]
    return [q["sql"] for q in queries
            if "ST_AsMVT" in q["sql"] or any(f"EXECUTE {name} " in q["sql"] + " " for name in prepared)]


def decoded(response, layer):
    assert response.status_code == 200, response.status_code
    found = mapbox_vector_tile.decode(response.content)
    return found[layer]["features"] if layer in found else []


def area_tile(area: ManagementArea, z: int = 15):
    (lon, lat) = one_row("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p "
                         "FROM layers_managementarea WHERE id = %s) s", [area.pk])
    return tile_url("management_areas", *tile_of(lon, lat, z))


def test_tile_has_etag_and_cache_control(client):
    login(client, "planner")
    response = client.get(tile_url("estates", *sample_tile("estates")))
    assert response.status_code == 200
    assert response["Cache-Control"] == CACHE_CONTROL
    etag = response["ETag"]
    assert etag.startswith('"estates.') and etag.endswith('"')
    # The date is part of the ETag: another day's state is another tile.
    other = client.get(tile_url("estates", *sample_tile("estates")), {"date": "2020-01-01"})
    assert other["ETag"] != etag
    # A cache buster (?v=, what the map adds after an edit) is not a tile parameter.
    assert client.get(tile_url("estates", *sample_tile("estates")), {"v": "123"})["ETag"] == etag


def test_if_none_match_is_304_without_running_the_tile_query(client):
    login(client, "planner")
    url = tile_url("buildings", *sample_tile("buildings", 16))
    first = client.get(url)
    assert first.status_code == 200 and first.content
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == CACHE_CONTROL
    assert tile_queries(queries) == []
    # Another ETag (in a list, weak or not) is not a match.
    assert client.get(url, HTTP_IF_NONE_MATCH='"other", W/"stale"').status_code == 200
    assert client.get(url, HTTP_IF_NONE_MATCH=f'"other", W/{first["ETag"]}').status_code == 304


def test_repeated_tile_comes_from_the_server_cache(client, monkeypatch):
    if serve.tile_cache is None:
        pytest.skip("TILE_CACHE_ENTRIES=0")
    serve.tile_cache.clear()  # earlier tests in this process (the permission matrix) may have asked these tiles
    login(client, "planner")
    url = tile_url("roads", *sample_tile("roads", 14))
    first = client.get(url)
    with CaptureQueriesContext(connection) as queries:
        second = client.get(url)
    assert second.content == first.content and second["ETag"] == first["ETag"]
    assert tile_queries(queries) == []  # PostGIS does not build the tile again
    assert queries  # (the version was read)
    # The check itself sees a tile query when there is one.
    with CaptureQueriesContext(connection) as queries:
        client.get(tile_url("roads", *sample_tile("roads", 15)))
    assert len(tile_queries(queries)) == 1


def test_management_area_edit_changes_the_etag_and_the_next_tile(client):
    login(client, "planner")
    planner = User.objects.get(username="planner")
    area = ManagementArea.objects.order_by("id").first()
    url = area_tile(area)
    before = client.get(url)
    names = {f["properties"]["id"]: f["properties"]["name"] for f in decoded(before, "management_areas")}
    assert names[area.pk] == area.name
    # The cached tile is warm: the edit must still show.
    assert client.get(url, HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 304

    management_area_update(user=planner, area_id=area.pk, base_version=area.version, name="改名后的管理区域")

    assert client.get(url, HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 200
    after = client.get(url)
    assert after["ETag"] != before["ETag"]
    features = {f["properties"]["id"]: f["properties"] for f in decoded(after, "management_areas")}
    assert features[area.pk]["name"] == "改名后的管理区域"
    assert features[area.pk]["version"] == area.version + 1
    # Other layers' versions did not move: their ETags (and cache entries) stay valid.
    estates = tile_url("estates", *sample_tile("estates"))
    tag = client.get(estates)["ETag"]
    management_area_update(user=planner, area_id=area.pk, base_version=area.version + 1, name="再次改名")
    assert client.get(estates)["ETag"] == tag


def test_contract_insert_changes_the_estate_tile(client):
    login(client, "planner")
    today = timezone.localdate()
    row = one_row(
        """SELECT e.id, ST_X(ST_PointOnSurface(e.geom)), ST_Y(ST_PointOnSurface(e.geom))
             FROM layers_estate e
            WHERE layers_service_status(e.id, %s) = 'none'
              AND NOT EXISTS (SELECT 1 FROM layers_servicecontract c WHERE c.estate_id = e.id
                               AND (c.end_date IS NULL OR c.end_date > %s))
            ORDER BY e.id LIMIT 1""", [today, today - datetime.timedelta(days=1)])
    assert row, "the demo has no unserved estate"
    pk, lon, lat = row
    url = tile_url("estates", *tile_of(lon, lat, 15))
    before = client.get(url)
    assert {f["properties"]["id"]: f["properties"]["status"] for f in decoded(before, "estates")}[pk] == "none"

    template = ServiceContract.objects.filter(enterprise__isnull=False).exclude(enterprise__list_status="black").first()
    ServiceContract.objects.create(
        estate_id=pk, provider_kind=template.provider_kind, enterprise=template.enterprise, mode=template.mode,
        start_date=today - datetime.timedelta(days=1))

    after = client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert {f["properties"]["id"]: f["properties"]["status"] for f in decoded(after, "estates")}[pk] != "none"


def far_area(area: ManagementArea) -> ManagementArea:
    """The management area of the same district farthest from `area` (map cells of 1,223 Web-Mercator metres: more
    than two cells away)."""
    pk = one_row("SELECT b.id FROM layers_managementarea a, layers_managementarea b WHERE a.id = %s "
                 "AND b.district_id = a.district_id ORDER BY ST_Distance(a.geom_web, b.geom_web) DESC LIMIT 1",
                 [area.pk])[0]
    assert one_row("SELECT ST_Distance(a.geom_web, b.geom_web) FROM layers_managementarea a, layers_managementarea b "
                   "WHERE a.id = %s AND b.id = %s", [area.pk, pk])[0] > 2500
    return ManagementArea.objects.get(pk=pk)


def test_an_edit_leaves_the_tiles_far_from_it_cached(client):
    """The data version is per map cell (migration 0028_tile18): a save changes the tiles over the area only; a tile
    elsewhere keeps its ETag (a 304 for a browser or nginx) and its entry in the server cache."""
    login(client, "planner")
    planner = User.objects.get(username="planner")
    area = ManagementArea.objects.filter(district_id=planner.profile.district_id).order_by("id").first()
    far = far_area(area)
    near_url, far_url = area_tile(area, 16), area_tile(far, 16)
    (lon, lat) = one_row("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p "
                         "FROM layers_managementarea WHERE id = %s) s", [area.pk])
    wide_url = tile_url("management_areas", *tile_of(lon, lat, 13))  # covers 16 cells, the area's among them
    low_url = tile_url("management_areas", *tile_of(lon, lat, 10))  # below the cells: the layer's version
    far_low_url = tile_url("management_areas", *tile_of(lon + 3, lat, 10))
    before = {url: client.get(url) for url in (near_url, far_url, wide_url, low_url, far_low_url)}
    assert {f["properties"]["id"] for f in decoded(before[far_url], "management_areas")} >= {far.pk}

    management_area_update(user=planner, area_id=area.pk, base_version=area.version, name="只改这里")

    changed = {url for url, old in before.items()
               if client.get(url, HTTP_IF_NONE_MATCH=old["ETag"]).status_code == 200}
    assert changed == {near_url, wide_url, low_url, far_low_url}
    assert "只改这里" in {f["properties"]["name"] for f in decoded(client.get(near_url), "management_areas")}
    again = client.get(far_url, HTTP_IF_NONE_MATCH=before[far_url]["ETag"])
    assert again.status_code == 304 and again["ETag"] == before[far_url]["ETag"]
    if serve.tile_cache is not None:
        with CaptureQueriesContext(connection) as queries:
            cached = client.get(far_url)
        assert cached.content == before[far_url].content and tile_queries(queries) == []
    # A second save changes the near tiles again: a version never comes back.
    wide = client.get(wide_url)["ETag"]
    management_area_update(user=planner, area_id=area.pk, base_version=area.version + 1, name="再改这里")
    assert client.get(wide_url)["ETag"] not in {wide, before[wide_url]["ETag"]}
    assert client.get(far_url)["ETag"] == before[far_url]["ETag"]


def test_a_moved_feature_changes_the_tiles_of_its_old_and_new_place(client):
    """The triggers read the row's old and new geometry: moving a road changes the tiles where it was and where it
    is; the tiles beyond both stay as they were. Deleting it changes the tiles where it was."""
    login(client, "planner")
    pk, lon, lat = one_row("SELECT id, ST_X(p), ST_Y(p) FROM (SELECT id, ST_LineInterpolatePoint(geom, 0.5) p "
                           "FROM layers_road ORDER BY id LIMIT 1) s")
    old_url = tile_url("roads", *tile_of(lon, lat, 16))
    new_lon, new_lat, east = one_row("SELECT ST_X(p), ST_Y(p), ST_XMax(g) FROM (SELECT ST_Translate(geom, 0.05, 0) g "
                                     "FROM layers_road WHERE id = %s) s, LATERAL ST_LineInterpolatePoint(g, 0.5) p",
                                     [pk])
    new_url = tile_url("roads", *tile_of(new_lon, new_lat, 16))
    beyond_url = tile_url("roads", *tile_of(east + 0.05, new_lat, 16))  # ≈ 4 km east of where it goes
    assert len({old_url, new_url, beyond_url}) == 3
    tags = {url: client.get(url)["ETag"] for url in (old_url, new_url, beyond_url)}

    with connection.cursor() as cursor:
        cursor.execute("UPDATE layers_road SET geom = ST_Translate(geom, 0.05, 0) WHERE id = %s", [pk])

    moved = {url: client.get(url)["ETag"] for url in tags}
    assert moved[old_url] != tags[old_url] and moved[new_url] != tags[new_url]
    assert moved[beyond_url] == tags[beyond_url]
    Road.objects.filter(pk=pk).delete()
    gone = {url: client.get(url)["ETag"] for url in tags}
    assert gone[new_url] != moved[new_url] and gone[beyond_url] == tags[beyond_url]


# Each source table of a layer, a change to one of its rows, and the point of what the layer draws for the row
# (migration 0028_tile18). None: a table without a place of its own, whose changes reach every tile of the layer.
PLACED_BY = [
    ("layers_road", "name = COALESCE(name, '') || '′'", "roads",
     "SELECT id, ST_LineInterpolatePoint(geom, 0.5) FROM layers_road ORDER BY id LIMIT 1"),
    ("layers_managementarea", "name = COALESCE(name, '') || '′'", "management_areas",
     "SELECT id, ST_PointOnSurface(geom) FROM layers_managementarea ORDER BY id LIMIT 1"),
    ("layers_estate", "name = COALESCE(name, '') || '′'", "estates",
     "SELECT id, ST_PointOnSurface(geom) FROM layers_estate ORDER BY id LIMIT 1"),
    ("layers_estate", "name = COALESCE(name, '') || '′'", "renovations",
     "SELECT id, ST_PointOnSurface(geom) FROM layers_estate ORDER BY id LIMIT 1"),
    ("layers_estate", "name = COALESCE(name, '') || '′'", "coverage_hex",
     "SELECT id, ST_PointOnSurface(geom) FROM layers_estate ORDER BY id LIMIT 1"),
    ("layers_estate", "name = COALESCE(name, '') || '′'", "buildings",  # its street scopes its buildings' state
     "SELECT estate_id, ST_PointOnSurface(geom) FROM layers_building ORDER BY id LIMIT 1"),
    ("layers_building", "label = COALESCE(label, '') || '′'", "buildings",
     "SELECT id, ST_PointOnSurface(geom) FROM layers_building ORDER BY id LIMIT 1"),
    ("layers_abandonmentreport", "description = COALESCE(description, '') || '′'", "buildings",
     "SELECT r.id, ST_PointOnSurface(b.geom) FROM layers_abandonmentreport r "
     "JOIN layers_building b ON b.id = r.building_id ORDER BY r.id LIMIT 1"),
    ("layers_servicecontract", "note = COALESCE(note, '') || '′'", "estates",
     "SELECT c.id, ST_PointOnSurface(e.geom) FROM layers_servicecontract c "
     "JOIN layers_estate e ON e.id = c.estate_id ORDER BY c.id LIMIT 1"),
    ("layers_servicecontract", "note = COALESCE(note, '') || '′'", "coverage_hex",
     "SELECT c.id, ST_PointOnSurface(e.geom) FROM layers_servicecontract c "
     "JOIN layers_estate e ON e.id = c.estate_id ORDER BY c.id LIMIT 1"),
    ("layers_renovationproject", "name = COALESCE(name, '') || '′'", "renovations",
     "SELECT r.id, ST_PointOnSurface(e.geom) FROM layers_renovationproject r "
     "JOIN layers_estate e ON e.id = r.estate_id ORDER BY r.id LIMIT 1"),
    ("layers_enterprisejurisdiction", "households = households + 1", "jurisdictions",
     "SELECT enterprise_id, ST_PointOnSurface(geom) FROM layers_enterprisejurisdiction ORDER BY enterprise_id LIMIT 1"),
    ("layers_enterprise", "name = COALESCE(name, '') || '′'", "jurisdictions", None),
    ("layers_adminarea", "name = COALESCE(name, '') || '′'", "buildings", None),
]


@pytest.mark.parametrize("table,change,layer,placed", PLACED_BY, ids=[f"{t[0][7:]}-{t[2]}" for t in PLACED_BY])
def test_every_source_table_changes_the_tiles_over_its_rows(client, table, change, layer, placed):
    """A write to any table a layer is built from (any write path: here plain SQL) changes the ETag of the tile over
    the row; a tile far away keeps its ETag unless the table has no place (then every tile of the layer changes).
    The row written back unchanged, or a statement changing no row, changes nothing — not even the layer's whole
    version (low zooms, coverage memory, plan tiles); a change does."""
    login(client, "planner")
    key = "enterprise_id" if table == "layers_enterprisejurisdiction" else "id"
    if placed is None:
        placed = f"SELECT b.id, ST_PointOnSurface(g.geom) FROM {table} b, layers_building g ORDER BY b.id, g.id LIMIT 1"
    pk, lon, lat = one_row(f"SELECT s.pk, ST_X(s.p), ST_Y(s.p) FROM ({placed}) AS s(pk, p)")
    zoom = max(16, LAYERS[layer].min_zoom)
    near, far = tile_url(layer, *tile_of(lon, lat, zoom)), tile_url(layer, *tile_of(lon + 1, lat, zoom))
    tags = {url: client.get(url)["ETag"] for url in (near, far)}
    version = one_row("SELECT version FROM layers_tileversion WHERE layer = %s", [layer])[0]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {key} = {key} WHERE {key} = %s", [pk])
        assert cursor.rowcount == 1
        cursor.execute(f"UPDATE {table} SET {key} = {key} WHERE {key} = -1")  # as Django's SET_NULL of no row
        cursor.execute(f"DELETE FROM {table} WHERE {key} = -1")
        assert cursor.rowcount == 0
        if table not in ("layers_enterprise", "layers_adminarea"):
            assert {url: client.get(url)["ETag"] for url in tags} == tags
            assert one_row("SELECT version FROM layers_tileversion WHERE layer = %s", [layer])[0] == version
        cursor.execute(f"UPDATE {table} SET {change} WHERE {key} = %s", [pk])
        assert cursor.rowcount == 1
    assert one_row("SELECT version FROM layers_tileversion WHERE layer = %s", [layer])[0] > version
    assert client.get(near)["ETag"] != tags[near]
    assert (client.get(far)["ETag"] == tags[far]) == (table not in ("layers_enterprise", "layers_adminarea"))


def vertices(geometry) -> int:
    def count(coords):
        if coords and isinstance(coords[0], (int, float)):
            return 1
        return sum(count(c) for c in coords)

    return count(geometry["coordinates"])


def test_simplification_follows_the_zoom(client):
    """A winding road (a 3 m zig-zag every 5 m) is one straight stroke at z12 and keeps its bends from z17 on."""
    layer = LAYERS["roads"]
    assert "ST_Simplify" in layer.feature_sql(12) and "ST_Simplify" not in layer.feature_sql(FULL_DETAIL_ZOOM)
    assert simplify_tolerance(12) == pytest.approx(2 * simplify_tolerance(13))
    (lon, lat) = one_row("SELECT ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM layers_adminarea "
                         "WHERE level = 'district'")
    points = [(lon + i * 0.00005, lat + (0.00003 if i % 2 else 0)) for i in range(200)]
    road = Road.objects.create(name="蜿蜒路", road_class="local", geom=LineString(points, srid=4490))
    login(client, "planner")

    def road_vertices(z, simplified=None):
        z, x, y = tile_of(lon + 0.0001, lat, z)
        if simplified is None:
            found = decoded(client.get(tile_url("roads", z, x, y)), "roads")
            return sum(vertices(f["geometry"]) for f in found if f["properties"].get("name") == road.name)
        sql = _feature_sql(layer, True, simplified, "TRUE")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT ST_AsMVT(f, %(layer)s, 4096, 'geom') FROM ({sql}) AS f WHERE f.name = %(name)s",
                           {**layer.params(z=z, x=x, y=y), "name": road.name})
            content = bytes(cursor.fetchone()[0])
        return sum(vertices(f["geometry"]) for f in mapbox_vector_tile.decode(content)["roads"]["features"])

    # At z14 the endpoint sends the simplified line: far fewer vertices than the same tile unsimplified.
    assert road_vertices(14) == road_vertices(14, simplified=True) < road_vertices(14, simplified=False) / 4
    # From FULL_DETAIL_ZOOM on, the endpoint sends every bend.
    assert road_vertices(FULL_DETAIL_ZOOM) == road_vertices(FULL_DETAIL_ZOOM, simplified=False) > 20


@pytest.mark.parametrize("layer,low,high", [
    ("estates", 13, 14), ("buildings", 15, 16), ("roads", 13, 14), ("jurisdictions", 12, 13), ("renovations", 13, 14),
])
def test_attributes_follow_the_zoom(client, layer, low, high):
    login(client, "planner")
    tile_layer = LAYERS[layer]
    assert tile_layer.detail_zoom == high
    lean = decoded(client.get(tile_url(layer, *sample_tile(layer, low))), layer)
    full = decoded(client.get(tile_url(layer, *sample_tile(layer, high))), layer)
    assert lean and full
    assert {k for f in lean for k in f["properties"]} <= set(tile_layer.property_names(low))
    assert {k for f in full for k in f["properties"]} == set(tile_layer.property_names(high))
    assert len(tile_layer.property_names(low)) < len(tile_layer.property_names(high))


@pytest.fixture
def fresh_scopes():
    """The compiled scopes are dropped before and after (a test may change the role table)."""
    serve._scopes.clear()
    yield
    serve._scopes.clear()


# docs/SECURITY.md "Read scope": a street office locates every feature of these layers, sees their state in its street.
LOCATED_DISTRICT_WIDE = {"estates", "buildings"}
STREET_ONLY = {"renovations"}  # no outline-only rows: a renovation project is a detail of its estate


def test_scope_per_layer_and_role(client, fresh_scopes):
    office = User.objects.select_related("profile").get(username="street-230112001")
    viewer = serve.Viewer("street_office", office.profile.street_id)
    district_id = office.profile.street.parent_id
    for name, layer in LAYERS.items():
        scope = serve.scope_for(layer, viewer)
        district_scoped = layer.scope_model in DISTRICT_LOOKUP  # DOMAIN.md "Levels": one district's features
        if name in LOCATED_DISTRICT_WIDE:
            # Located in its whole district (not the city), state in its street.
            assert scope.sql != "TRUE" and scope.visible.startswith(f"{layer.state_alias or layer.scope_alias}.")
            assert scope.key == f"street_office.{office.profile.street_id}", name
        elif name in STREET_ONLY:
            assert scope.sql != "TRUE" and scope.key != "all", name
        else:
            assert (scope == serve.ALL) != district_scoped, name
        planner = serve.scope_for(layer, serve.Viewer("planner", district_id=district_id))
        assert (planner == serve.ALL) != district_scoped, name
        if district_scoped:
            assert planner.key == f"planner.d{district_id}" and planner.sql != "TRUE", name
    for role in ("city_official", "administrator"):
        assert all(serve.scope_for(layer, serve.Viewer(role)) == serve.ALL for layer in LAYERS.values())
    assert serve.scope_for(LAYERS["estates"], serve.Viewer(None)).empty  # no role: nothing
    assert serve.scope_for(LAYERS["estates"], serve.Viewer("planner")).empty  # a district role without a district


def test_tiles_are_built_over_the_restricted_queryset(client, fresh_scopes):
    """The tile SQL takes its scope from permissions.scope_sql(): a street office gets every feature a planner
    gets, with the state attribute on its own street's only."""
    office = User.objects.select_related("profile").get(username="street-230112001")
    street_id = office.profile.street_id
    assert office.profile.street.code == own().code
    lon, lat = border_point()  # a tile holding features of the office's street and of another
    for layer, attribute in (("estates", "status"), ("buildings", "abandonment")):
        url = tile_url(layer, *tile_of(lon, lat, 15))
        login(client, "planner")
        planner = client.get(url)
        everything = {f["properties"]["id"] for f in decoded(planner, layer)}
        assert all(attribute in f["properties"] for f in decoded(planner, layer))
        client.force_login(office)
        response = client.get(url)
        features = decoded(response, layer)
        assert {f["properties"]["id"] for f in features} == everything
        with_state = {f["properties"]["id"] for f in features if attribute in f["properties"]}
        model = Estate if layer == "estates" else Building
        lookup = "community__parent_id" if layer == "estates" else "estate__community__parent_id"
        in_street = set(model.objects.filter(id__in=everything, **{lookup: street_id}).values_list("id", flat=True))
        assert with_state == in_street and with_state and with_state != everything, layer
        assert response["ETag"] != planner["ETag"]
    scope = serve.scope_for(LAYERS["buildings"], serve.Viewer("street_office", street_id))
    assert scope.visible.startswith("b.estate_id IN (SELECT") and scope.key != "all"


def call_wsgi(app, path, cookie=None, **headers):
    """Run a WSGI application on one request; (status, headers, body)."""
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path.split("?")[0], "QUERY_STRING": path.partition("?")[2],
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "HTTP_HOST": "testserver", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""), "wsgi.errors": io.StringIO(), "SCRIPT_NAME": "",
    }
    if cookie:
        environ["HTTP_COOKIE"] = f"sessionid={cookie}"
    environ.update(headers)
    seen = {}

    def start_response(status, response_headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(response_headers)

    # As django.test.Client does: the request signals must not close the test's connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(app(environ, start_response))
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return int(seen["status"].split()[0]), seen["headers"], body


def call_lane(path, cookie=None, *, lane=None, **headers):
    """geoapp's WSGI application (the lane around Django; `lane`: one kept across calls, its session cache warm)."""
    return call_wsgi(lane or TileLane(WSGIHandler()), path, cookie, **headers)


def call_django(path, cookie=None, **headers):
    """The full Django stack alone, as with TILE_LANE=0."""
    return call_wsgi(WSGIHandler(), path, cookie, **headers)


def test_lane_answers_like_the_django_view(client, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    login(client, "official")
    cookie = client.cookies["sessionid"].value
    url = tile_url("estates", *sample_tile("estates"))
    view = client.get(url)
    status, headers, body = call_lane(url, cookie)
    assert status == 200 and body == view.content and headers["ETag"] == view["ETag"]
    assert headers["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert headers["Cache-Control"] == CACHE_CONTROL and headers["X-Content-Type-Options"] == "nosniff"
    # Served by the lane, not by Django (whose LocaleMiddleware adds Content-Language).
    assert "Content-Language" in view.headers and "Content-Language" not in headers
    with CaptureQueriesContext(connection) as queries:
        status, _headers, body = call_lane(url, cookie, HTTP_IF_NONE_MATCH=view["ETag"])
    assert (status, body) == (304, b"") and tile_queries(queries) == []
    # Dated: the same date handling as the view.
    assert call_lane(url + "?date=2020-01-01", cookie)[1]["ETag"] == client.get(url, {"date": "2020-01-01"})["ETag"]
    # Whatever the lane is not sure of goes to Django: bad date and range → 400, anonymous → log-in page.
    assert call_lane(url + "?date=yesterday", cookie)[0] == 400
    assert call_lane(tile_url("estates", 23, 0, 0), cookie)[0] == 400
    assert call_lane(tile_url("parks", 14, 1, 1), cookie)[0] == 404
    assert call_lane(url)[0] == 302
    assert call_lane(url, "not-a-session")[0] == 302
    # A NUL in the query or the session cookie goes to Django too, which refuses it (RequestInput middleware).
    assert call_lane(url + "?x=a%00b", cookie)[0] == 400
    assert call_lane(url, "abc\x00defghijkl")[0] == 400
    # A password change logs the session out, in the lane as in Django.
    official = User.objects.get(username="official")
    official.set_password("another-password-1")
    official.save()
    assert call_lane(url, cookie)[0] == 302


def test_lane_scope_for_a_street_office(client, settings, fresh_scopes):
    settings.ALLOWED_HOSTS = ["testserver"]
    office = User.objects.get(username="street-230112002")
    client.force_login(office)
    url = tile_url("buildings", *sample_tile("buildings", 16))
    status, headers, body = call_lane(url, client.cookies["sessionid"].value)
    view = client.get(url)
    assert status == 200 and body == view.content and headers["ETag"] == view["ETag"]
    assert headers["ETag"].endswith(f'.street_office.{office.profile.street_id}"')


# --- the lane authenticates as django.contrib.auth does: compared with the full stack (TILE_LANE=0) -------------

def _inactive(client, user, key):
    user.is_active = False
    user.save(update_fields=["is_active"])


def _expired(client, user, key):
    assert Session.objects.filter(session_key=key).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))


def _logged_out(client, user, key):
    client.post("/accounts/logout/")  # django.contrib.auth's LogoutView: the session is flushed
    assert not Session.objects.filter(session_key=key).exists()


def _password_changed(client, user, key):
    user.set_password("another-password-1")
    user.save()


def _user_deleted(client, user, key):
    User.objects.filter(pk=user.pk).delete()


def _edit_session(key, change):
    store = SessionStore(session_key=key)
    change(store)
    store.save()


def _no_auth_hash(client, user, key):
    _edit_session(key, lambda store: store.pop(HASH_SESSION_KEY))


def _unlisted_backend(client, user, key):
    """A session made by a backend that is not (or no longer) in AUTHENTICATION_BACKENDS."""
    _edit_session(key, lambda store: store.__setitem__(BACKEND_SESSION_KEY,
                                                       "django.contrib.auth.backends.RemoteUserBackend"))


def _other_user_id(client, user, key):
    """The session's user id no longer matches the hash (e.g. written by other code): another user's id."""
    other = User.objects.get(username="planner")
    _edit_session(key, lambda store: store.__setitem__(SESSION_KEY, str(other.pk)))


REFUSALS = [_inactive, _expired, _logged_out, _password_changed, _user_deleted, _no_auth_hash, _unlisted_backend,
            _other_user_id]


def viewer(client, role=Role.OFFICIAL, street=None):
    """A new user of `role`, logged in through `client`: (user, session key)."""
    user = User.objects.create_user("lane-viewer", password="lane-password-1")
    district = AdminArea.objects.filter(level=AdminLevel.DISTRICT).order_by("code").first() if role in DISTRICT_ROLES else None
    UserProfile.objects.create(user=user, role=role, street=street, district=district)
    client.force_login(user)
    return user, client.cookies["sessionid"].value


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
@pytest.mark.parametrize("case", REFUSALS, ids=[c.__name__.strip("_") for c in REFUSALS])
def test_lane_refuses_a_session_as_django_does(client, settings, case, warm):
    """Cold: the lane sees the session for the first time; warm: it served the session a tile before the change, so
    the key is in its per-process cache. Either way the lane must not answer: Django does, as with TILE_LANE=0."""
    settings.ALLOWED_HOSTS = ["testserver"]
    user, key = viewer(client)
    url = tile_url("estates", *sample_tile("estates"))
    lane = TileLane(WSGIHandler())
    if warm:
        status, headers, _body = call_lane(url, key, lane=lane)
        assert status == 200 and "Content-Language" not in headers and key in lane.sessions  # the lane served it
    case(client, user, key)
    lane_status, lane_headers, _body = call_lane(url, key, lane=lane)
    django_status, django_headers, _body = call_django(url, key)
    assert lane_status == django_status == 302
    assert lane_headers["Location"] == django_headers["Location"] == f"/accounts/login/?next={quote(url)}"
    assert "Content-Language" in lane_headers  # answered by Django (LocaleMiddleware), not by the lane


def test_lane_with_a_warm_session_follows_role_and_street_changes(client, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    user, key = viewer(client)
    url = tile_url("buildings", *sample_tile("buildings", 16))
    lane = TileLane(WSGIHandler())
    assert call_lane(url, key, lane=lane)[1]["ETag"] == call_django(url, key)[1]["ETag"]
    streets = AdminArea.objects.filter(level=AdminLevel.STREET).order_by("code").values_list("pk", flat=True)[:2]
    for street_id in streets:  # now a street office, then another street's
        UserProfile.objects.filter(user=user).update(role=Role.STREET_OFFICE, street_id=street_id, district=None)
        status, headers, body = call_lane(url, key, lane=lane)
        django_status, django_headers, django_body = call_django(url, key)
        assert status == django_status == 200 and "Content-Language" not in headers
        assert headers["ETag"] == django_headers["ETag"] and headers["ETag"].endswith(f'.street_office.{street_id}"')
        assert body == django_body


def test_lane_leaves_idle_timeout_sessions_to_django(client, settings):
    """SESSION_SAVE_EVERY_REQUEST (an idle timeout): Django renews the session on every request, tiles included. The
    lane does not write sessions, so it steps aside: panning the map keeps the session alive as with TILE_LANE=0."""
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.SESSION_SAVE_EVERY_REQUEST = True
    _user, key = viewer(client)
    soon = timezone.now() + datetime.timedelta(seconds=60)
    Session.objects.filter(session_key=key).update(expire_date=soon)
    url = tile_url("estates", *sample_tile("estates"))
    status, headers, body = call_lane(url, key)
    assert status == 200 and "Content-Language" in headers  # Django answered
    assert f"sessionid={key}" in headers["Set-Cookie"]
    assert Session.objects.get(session_key=key).expire_date > soon + datetime.timedelta(minutes=30)
    assert body == call_django(url, key)[2]


def test_a_changed_layer_definition_changes_the_etag():
    """The cap, zooms or SQL of a layer are in its ETag: a deploy that changes them does not serve old tiles."""
    from dataclasses import replace

    layer = LAYERS["buildings"]
    assert replace(layer, max_features=1).version != layer.version
    assert replace(layer, detail_zoom=17).version != layer.version
    assert replace(layer).version == layer.version
