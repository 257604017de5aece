"""OGC API – Features Part 1 Core at /ogc/ (docs/OGC_API.md): document structure, paging, filters, auth and scope."""
import base64
import json

import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import Polygon
from django.test import Client
from rest_framework.authtoken.models import Token

from layers.io.feature_layers import LAYERS
from layers.models import AbandonmentReport, AdminArea, AdminLevel, Building, Estate

pytestmark = pytest.mark.django_db


def basic(username="planner", password="demo12345") -> Client:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return Client(HTTP_AUTHORIZATION=f"Basic {token}")


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.content[:400]
    return response, json.loads(response.content)


def rels(doc) -> dict:
    return {link["rel"]: link for link in doc["links"]}


def test_landing_page_links_to_the_api_conformance_and_data():
    response, doc = get(basic(), "/ogc/")
    assert response["Content-Type"] == "application/json"
    links = rels(doc)
    assert {"self", "service-desc", "conformance", "data"} <= set(links)
    assert links["data"]["href"].endswith("/ogc/collections")
    _, api = get(basic(), "/ogc/api")
    assert api["openapi"].startswith("3.0")
    assert "/collections/estates/items" in api["paths"]


def test_conformance_declares_core_and_geojson():
    _, doc = get(basic(), "/ogc/conformance")
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in doc["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in doc["conformsTo"]


def test_one_collection_per_layer_with_extent_and_items_link():
    _, doc = get(basic(), "/ogc/collections")
    assert [c["id"] for c in doc["collections"]] == list(LAYERS)
    for collection in doc["collections"]:
        assert collection["itemType"] == "feature"
        minx, miny, maxx, maxy = collection["extent"]["spatial"]["bbox"][0]
        assert 120 < minx < maxx < 135 and 40 < miny < maxy < 50
        assert rels(collection)["items"]["type"] == "application/geo+json"
    _, estates = get(basic(), "/ogc/collections/estates")
    assert estates["id"] == "estates"
    get(basic(), "/ogc/collections/parcels", status=404)


def test_items_page_counts_and_next_prev_links_walk_the_whole_layer():
    client = basic()
    seen, url, pages = [], "/ogc/collections/buildings/items?limit=700", 0
    while url:
        response, doc = get(client, url)
        assert response["Content-Type"] == "application/geo+json"
        assert doc["type"] == "FeatureCollection"
        assert doc["numberMatched"] == Building.objects.count()
        assert doc["numberReturned"] == len(doc["features"])
        if pages:
            assert "prev" in rels(doc)
        seen += [f["id"] for f in doc["features"]]
        url = rels(doc).get("next", {}).get("href")
        pages += 1
    assert pages == -(-Building.objects.count() // 700)
    assert seen == sorted(Building.objects.values_list("pk", flat=True))


def test_number_matched_past_the_last_page_and_on_an_exact_last_page():
    """numberMatched is counted even when the page cannot tell it (empty past the end, or exactly full)."""
    client, total = basic(), Building.objects.count()
    _, doc = get(client, f"/ogc/collections/buildings/items?limit=10&offset={total + 50}")
    assert doc["numberReturned"] == 0 and doc["numberMatched"] == total
    _, doc = get(client, f"/ogc/collections/buildings/items?limit=10&offset={total - 10}")
    assert doc["numberReturned"] == 10 and doc["numberMatched"] == total


def test_features_are_geojson_in_lon_lat_without_a_crs_member():
    _, doc = get(basic(), "/ogc/collections/estates/items?limit=1")
    feature = doc["features"][0]
    estate = Estate.objects.get(pk=feature["id"])
    assert feature["geometry"]["type"] == "MultiPolygon" and "crs" not in feature["geometry"]
    lon, lat = feature["geometry"]["coordinates"][0][0][0]
    assert abs(lon - estate.geom.coords[0][0][0][0]) < 1e-6 and abs(lat - estate.geom.coords[0][0][0][1]) < 1e-6
    assert feature["properties"]["name"] == estate.name


def test_bbox_and_property_filters():
    district = AdminArea.objects.get(level=AdminLevel.DISTRICT)
    minx, miny, maxx, maxy = district.geom.extent
    bbox = (minx, miny, (minx + maxx) / 2, (miny + maxy) / 2)
    expected = set(Estate.objects.filter(geom__intersects=Polygon.from_bbox(bbox)).values_list("pk", flat=True))
    _, doc = get(basic(), f"/ogc/collections/estates/items?limit=10000&bbox={','.join(map(str, bbox))}")
    assert {f["id"] for f in doc["features"]} == expected and doc["numberMatched"] == len(expected)
    street = AdminArea.objects.filter(level=AdminLevel.STREET).order_by("code").first()
    _, doc = get(basic(), f"/ogc/collections/estates/items?street_code={street.code}&is_open=false&limit=10000")
    assert {f["id"] for f in doc["features"]} == set(
        Estate.objects.filter(community__parent=street, is_open=False).values_list("pk", flat=True))
    _, doc = get(basic(), "/ogc/collections/estates/items?colour=red", status=400)
    assert "colour" in doc["description"]


def test_limit_above_the_maximum_is_clamped_and_bad_values_are_400():
    _, doc = get(basic(), "/ogc/collections/roads/items?limit=50000")
    assert "limit=10000" in rels(doc)["self"]["href"]
    get(basic(), "/ogc/collections/roads/items?limit=0", status=400)
    get(basic(), "/ogc/collections/roads/items?bbox=1,2", status=400)
    get(basic(), "/ogc/collections/roads/items?bbox-crs=http://www.opengis.net/def/crs/EPSG/0/3857", status=400)


def test_estates_status_date_from_on_or_datetime():
    _, a = get(basic(), "/ogc/collections/estates/items?on=2015-01-01&limit=1")
    _, b = get(basic(), "/ogc/collections/estates/items?datetime=2015-01-01&limit=1")
    assert a["statusOn"] == b["statusOn"] == "2015-01-01"
    assert a["features"][0]["properties"]["status_on"] == "2015-01-01"


def test_single_item_and_scope_for_a_street_office():
    street, other = AdminArea.objects.filter(level=AdminLevel.STREET).order_by("code")[:2]
    inside = Building.objects.filter(estate__community__parent=street).first()
    outside = Building.objects.filter(estate__community__parent=other).first()
    office = basic(f"street-{street.code}")
    _, feature = get(office, f"/ogc/collections/buildings/items/{inside.pk}")
    assert feature["id"] == inside.pk and feature["properties"]["code"] == inside.code
    assert feature["properties"]["abandonment"] == inside.abandonment
    # Another street's building: its outline and name, not its abandonment (docs/SECURITY.md "Read scope").
    _, feature = get(office, f"/ogc/collections/buildings/items/{outside.pk}")
    assert feature["properties"]["code"] == outside.code and feature["properties"]["abandonment"] is None
    _, doc = get(office, "/ogc/collections/buildings/items?limit=10000")
    assert doc["numberMatched"] == Building.objects.count()
    shown = {f["properties"]["street_code"] for f in doc["features"] if f["properties"]["abandonment"] is not None}
    assert shown == {street.code}
    # Abandonment reports are all state: another street's are absent.
    report = AbandonmentReport.objects.filter(street=other).first()
    get(office, f"/ogc/collections/abandonment_reports/items/{report.pk}", status=404)


def test_login_required_by_basic_token_or_session():
    response = Client().get("/ogc/collections")
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Basic")
    assert basic(password="wrong").get("/ogc/collections").status_code == 401
    token = Token.objects.create(user=User.objects.get(username="official"))
    assert Client(HTTP_AUTHORIZATION=f"Token {token.key}").get("/ogc/collections").status_code == 200
    session = Client()
    session.force_login(User.objects.get(username="official"))
    assert session.get("/ogc/collections/roads/items").status_code == 200
    assert basic().post("/ogc/collections").status_code == 405
