"""OGC API – Features read by real clients against a live server: GDAL's OAPIF driver (ogrinfo) and OWSLib."""
import os
import re
import subprocess

from django.contrib.auth.models import User
from django.contrib.gis.geos import Polygon
from django.db import connection
from rest_framework.authtoken.models import Token

from layers.catalogue import feature_layers
from layers.models import AbandonmentReport, AdminArea, AdminLevel, Building

LAYERS = feature_layers()
FEATURE_ID = re.compile(r"^OGRFeature\(\w+\):(\d+)$", re.M)


def ogrinfo(*args, env_extra=None) -> str:
    env = {**os.environ, "GDAL_HTTP_USERPWD": "planner:demo12345", "CPL_DEBUG": "OFF", **(env_extra or {})}
    result = subprocess.run(["ogrinfo", "-ro", *args], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def layer_ids_in_bbox(layer, bbox) -> set[int]:
    """The DB's answer: ids of the layer's rows whose geometry meets the bbox (planner: the whole district)."""
    feature_layer = LAYERS[layer]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {feature_layer.id_sql} FROM {feature_layer.from_sql.replace('{on}', 'CURRENT_DATE')} "
            f"WHERE ST_Intersects({feature_layer.geom_sql}, ST_MakeEnvelope(%s, %s, %s, %s, 4490))", bbox)
        return {row[0] for row in cursor.fetchall()}


def middle_bbox():
    minx, miny, maxx, maxy = AdminArea.objects.get(level=AdminLevel.DISTRICT).geom.extent
    w, h = maxx - minx, maxy - miny
    return (minx + w * 0.25, miny + h * 0.25, minx + w * 0.7, miny + h * 0.7)


def test_ogrinfo_lists_every_collection(live_server, demo_city):
    out = ogrinfo("-so", f"OAPIF:{live_server.url}/ogc/")
    listed = re.findall(r"^\d+: (\w+)", out, re.M)
    assert listed == list(LAYERS)


def test_ogrinfo_reads_every_collection_in_a_bbox_with_paging_as_the_db_has_it(live_server, demo_city):
    # One test over all layers: each live-server test reloads the demo city (transactional tables are flushed).
    bbox = middle_bbox()
    for layer in LAYERS:
        expected = layer_ids_in_bbox(layer, bbox)
        if layer == "admin_areas":  # a district's users do not see the city record (docs/SECURITY.md)
            expected -= set(AdminArea.objects.filter(level=AdminLevel.CITY).values_list("pk", flat=True))
        assert expected, f"no {layer} in the test bbox"
        out = ogrinfo("-q", "-oo", "PAGE_SIZE=7", "-spat", *map(str, bbox), f"OAPIF:{live_server.url}/ogc/", layer)
        got = [int(i) for i in FEATURE_ID.findall(out)]
        assert len(got) == len(set(got)), f"{layer}: a feature came twice across pages"
        assert set(got) == expected, layer


def test_ogrinfo_pages_through_a_whole_collection_with_a_token(live_server, demo_city):
    token = Token.objects.create(user=User.objects.get(username="official"))
    out = ogrinfo("-q", "-oo", "PAGE_SIZE=500", f"OAPIF:{live_server.url}/ogc/", "buildings",
                  env_extra={"GDAL_HTTP_USERPWD": "", "GDAL_HTTP_HEADERS": f"Authorization: Token {token.key}"})
    got = [int(i) for i in FEATURE_ID.findall(out)]
    assert sorted(got) == sorted(Building.objects.values_list("pk", flat=True))
    assert "street_name (String) = " in out and "街道" in out  # Chinese attributes arrive intact


def test_ogrinfo_is_refused_without_credentials(live_server, demo_city):
    env = {**os.environ, "GDAL_HTTP_USERPWD": ""}
    result = subprocess.run(["ogrinfo", "-ro", "-so", f"OAPIF:{live_server.url}/ogc/"], capture_output=True,
                            text=True, timeout=60, env=env)
    assert result.returncode != 0 and "401" in result.stderr


def test_a_street_office_reads_outlines_everywhere_and_reports_only_of_its_street_through_gdal(live_server, demo_city):
    """The read scope (docs/SECURITY.md): buildings are located district-wide, reports only in one's own street."""
    street = AdminArea.objects.filter(level=AdminLevel.STREET).order_by("code").first()
    auth = {"GDAL_HTTP_USERPWD": f"street-{street.code}:demo12345"}
    out = ogrinfo("-q", "-oo", "PAGE_SIZE=1000", f"OAPIF:{live_server.url}/ogc/", "buildings", env_extra=auth)
    assert {int(i) for i in FEATURE_ID.findall(out)} == set(Building.objects.values_list("pk", flat=True))
    out = ogrinfo("-q", "-oo", "PAGE_SIZE=1000", f"OAPIF:{live_server.url}/ogc/", "abandonment_reports",
                  env_extra=auth)
    own = set(AbandonmentReport.objects.filter(street=street).values_list("pk", flat=True))
    assert own and {int(i) for i in FEATURE_ID.findall(out)} == own


def test_owslib_reads_collections_and_items_with_bbox_and_limit(live_server, demo_city):
    from owslib.ogcapi.features import Features
    from owslib.util import Authentication

    api = Features(f"{live_server.url}/ogc/", auth=Authentication("planner", "demo12345"))
    assert [c["id"] for c in api.collections()["collections"]] == list(LAYERS)
    assert api.collection("estates")["id"] == "estates"
    bbox = middle_bbox()
    expected = layer_ids_in_bbox("estates", bbox)
    items = api.collection_items("estates", bbox=list(bbox), limit=10)
    assert items["numberMatched"] == len(expected)
    assert items["numberReturned"] == len(items["features"]) == min(10, len(expected))
    assert {f["id"] for f in items["features"]} <= expected
    everything = api.collection_items("estates", bbox=list(bbox), limit=10000)
    assert {f["id"] for f in everything["features"]} == expected
    assert Polygon.from_bbox(bbox).intersects(Polygon(everything["features"][0]["geometry"]["coordinates"][0][0]))
