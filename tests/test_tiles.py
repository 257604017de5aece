"""Vector tiles: one registered layer per tile, built by PostGIS, on the demo city."""
import datetime
import math

import mapbox_vector_tile
import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from layers.catalogue import tile_layers

pytestmark = pytest.mark.django_db

LAYERS = tile_layers()
STATUSES = {"enterprise", "caretaker", "self_governed", "none"}
PROPERTIES = {
    "roads": {"road_class", "name"},
    "management_areas": {"id", "code", "name", "version"},
    "estates": {"id", "name", "status", "old", "households", "build_year", "is_open"},
    "buildings": {"id", "estate_id", "label", "floors", "abandonment"},
    "jurisdictions": {"enterprise_id", "name", "list_status", "colour"},
    "renovations": {"id", "estate_id", "name", "status", "items"},
    "complaints": {"id", "category", "status", "overdue"},
}
# A point on one feature of each layer's table, and the zoom to ask at.
SAMPLE_POINT = {
    "complaints": ("SELECT ST_X(location), ST_Y(location) FROM layers_complaint WHERE location IS NOT NULL "
                   "ORDER BY id LIMIT 1", 14),
    "roads": ("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_LineInterpolatePoint(geom, 0.5) p FROM layers_road "
              "ORDER BY id LIMIT 1) s", 13),
    "management_areas": ("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM layers_managementarea "
                         "ORDER BY id LIMIT 1) s", 14),
    "estates": ("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM layers_estate "
                "ORDER BY id LIMIT 1) s", 14),
    "buildings": ("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM layers_building "
                  "ORDER BY id LIMIT 1) s", 16),
    "jurisdictions": ("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p "
                      "FROM layers_enterprisejurisdiction ORDER BY enterprise_id LIMIT 1) s", 12),
    "renovations": ("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(e.geom) p FROM layers_renovationproject r "
                    "JOIN layers_estate e ON e.id = r.estate_id ORDER BY r.id LIMIT 1) s", 14),
}


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The Web-Mercator tile (z, x, y) holding a lon/lat point."""
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    lat_r = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n)
    return z, min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def one_row(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def sample_tile(layer: str, z: int | None = None) -> tuple[int, int, int]:
    sql, default_z = SAMPLE_POINT[layer]
    row = one_row(sql)
    assert row is not None, f"the demo has no {layer}"
    return tile_of(row[0], row[1], z if z is not None else default_z)


def tile_url(layer, z, x, y):
    return f"/tiles/{layer}/{z}/{x}/{y}.mvt"


@pytest.fixture
def planner_client(client):
    client.force_login(User.objects.get(username="planner"))
    return client


def features(response, layer):
    assert response.status_code == 200
    decoded = mapbox_vector_tile.decode(response.content)
    return decoded[layer]["features"] if layer in decoded else []


def test_every_contract_layer_is_registered():
    # coverage_hex is an aggregate, not a feature layer: tests/test_coverage.py covers it.
    assert set(LAYERS) == set(PROPERTIES) | {"coverage_hex"}
    assert {name: layer.min_zoom for name, layer in LAYERS.items()} == {
        "roads": 11, "management_areas": 13, "estates": 12, "buildings": 15, "jurisdictions": 10, "renovations": 12,
        "coverage_hex": 11, "complaints": 10,
    }
    assert all(layer.max_features > 0 for layer in LAYERS.values())


@pytest.mark.parametrize("layer", sorted(PROPERTIES))
def test_layer_tile_has_features_with_contract_properties(planner_client, layer):
    """From the layer's detail zoom on, a tile carries every documented property."""
    response = planner_client.get(tile_url(layer, *sample_tile(layer, max(SAMPLE_POINT[layer][1], LAYERS[layer].detail_zoom))))
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert response["Cache-Control"] == "private, max-age=30, must-revalidate"
    decoded = mapbox_vector_tile.decode(response.content)
    assert list(decoded) == [layer]
    found = decoded[layer]["features"]
    assert len(found) > 0
    for feature in found:
        assert PROPERTIES[layer] <= set(feature["properties"]), feature["properties"]


def test_estate_statuses_agree_with_the_database(planner_client):
    found = features(planner_client.get(tile_url("estates", *sample_tile("estates", 14))), "estates")
    assert found
    statuses = {f["properties"]["id"]: f["properties"]["status"] for f in found}
    assert set(statuses.values()) <= STATUSES
    today = timezone.localdate()
    for pk in sorted(statuses)[:25]:
        (expected,) = one_row("SELECT layers_service_status(%s, %s)", [pk, today])
        assert statuses[pk] == expected
    for f in found:
        assert isinstance(f["properties"]["old"], bool)
        assert isinstance(f["properties"]["is_open"], bool)


def test_jurisdiction_colour_is_a_stable_palette_index(planner_client):
    found = features(planner_client.get(tile_url("jurisdictions", *sample_tile("jurisdictions"))), "jurisdictions")
    assert found
    for f in found:
        assert f["properties"]["colour"] == f["properties"]["enterprise_id"] % 12


def test_estate_status_follows_the_date(planner_client):
    """An estate served today had no service the day before its first contract."""
    today = timezone.localdate()
    row = one_row(
        """SELECT e.id, min(c.start_date), ST_X(ST_PointOnSurface(e.geom)), ST_Y(ST_PointOnSurface(e.geom))
             FROM layers_servicecontract c JOIN layers_estate e ON e.id = c.estate_id
            WHERE layers_service_status(c.estate_id, %s) <> 'none'
            GROUP BY e.id ORDER BY e.id LIMIT 1""",
        [today],
    )
    assert row is not None, "no estate is served today"
    pk, first_start, lon, lat = row
    before = first_start - datetime.timedelta(days=1)
    url = tile_url("estates", *tile_of(lon, lat, 15))

    def status_on(date):
        found = features(planner_client.get(url, {"date": date.isoformat()}), "estates")
        return {f["properties"]["id"]: f["properties"]["status"] for f in found}[pk]

    assert status_on(today) == one_row("SELECT layers_service_status(%s, %s)", [pk, today])[0] != "none"
    assert status_on(before) == "none"
    # No ?date= means today.
    found = features(planner_client.get(url), "estates")
    assert {f["properties"]["id"]: f["properties"]["status"] for f in found}[pk] == status_on(today)


@pytest.mark.parametrize("layer", sorted(PROPERTIES))
def test_below_min_zoom_is_an_empty_tile(planner_client, layer):
    z, x, y = sample_tile(layer, LAYERS[layer].min_zoom - 1)
    response = planner_client.get(tile_url(layer, z, x, y))
    assert response.status_code == 200
    assert response.content == b""
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"


def test_empty_tile_far_from_the_city(planner_client):
    response = planner_client.get(tile_url("estates", 14, 0, 0))
    assert response.status_code == 200
    assert mapbox_vector_tile.decode(response.content) == {}


@pytest.mark.parametrize("z,x,y", [(23, 0, 0), (2, 4, 0), (2, 0, 4), (0, 1, 0)])
def test_out_of_range_tile_is_400(planner_client, z, x, y):
    response = planner_client.get(tile_url("estates", z, x, y), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")  # the one error body (layers/refusals.py)
    assert "range" in response.json()["error"]


@pytest.mark.parametrize("date", ["2024-13-01", "yesterday", "2024-1-1", "20240101"])
def test_bad_date_is_400(planner_client, date):
    response = planner_client.get(tile_url("estates", *sample_tile("estates")), {"date": date})
    assert response.status_code == 400
    assert b"date" in response.content


def test_unknown_layer_is_404(planner_client):
    assert planner_client.get(tile_url("parks", 14, 13000, 5000)).status_code == 404


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(tile_url("estates", 14, 13000, 5000))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_feature_cap_bounds_a_tile(planner_client, monkeypatch):
    from dataclasses import replace

    from layers import catalogue

    buildings = catalogue.get("buildings")
    monkeypatch.setitem(catalogue.LAYERS, "buildings", replace(buildings, tile=replace(buildings.tile, max_features=1)))
    found = features(planner_client.get(tile_url("buildings", *sample_tile("buildings", 15))), "buildings")
    assert len(found) == 1


@pytest.mark.parametrize("layer", sorted(PROPERTIES))
def test_tile_query_can_use_the_gist_index(layer):
    """The envelope test must stay index-assisted (no function wrapped around geom_web)."""
    tile_layer = LAYERS[layer]
    z, x, y = 15, 27700, 11600
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + tile_layer.tile_sql(), tile_layer.params(z=z, x=x, y=y, on=timezone.localdate()))
        plan = "\n".join(r[0] for r in cursor.fetchall())
    # Complaints are points in CGCS2000, tested against the tile envelope on their own GiST index (location).
    assert ("_location_" if layer == "complaints" else "_geom_web_gist") in plan, plan
