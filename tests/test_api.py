"""JSON endpoints of the map: admin-area GeoJSON built in SQL, estate search, popups."""
import json

import pytest
import shapely.geometry
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import override

from layers.models import AdminArea, Building, Enterprise, Estate, ManagementArea

pytestmark = pytest.mark.django_db

GEOJSON_URL = "/api/admin-areas.geojson"


@pytest.fixture
def planner_client(client):
    client.force_login(User.objects.get(username="planner"))
    return client


def geojson(client, **params):
    response = client.get(GEOJSON_URL, params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/geo+json"
    return json.loads(response.content)


# --- admin areas ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("level", ["district", "street", "community"])
@pytest.mark.parametrize("zoom", [8, 12, 16])
def test_admin_areas_are_valid_features_labelled_inside_the_district(planner_client, level, zoom):
    collection = geojson(planner_client, level=level, zoom=zoom)
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == AdminArea.objects.filter(level=level).count() > 0
    minx, miny, maxx, maxy = AdminArea.objects.filter(level="district").first().geom.extent
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        assert set(feature["properties"]) >= {"id", "code", "name", "level", "label_point"}
        assert feature["properties"]["level"] == level
        assert feature["geometry"]["type"] == "MultiPolygon" and "crs" not in feature["geometry"]
        geometry = shapely.geometry.shape(feature["geometry"])
        assert geometry.is_valid and not geometry.is_empty
        lon, lat = feature["properties"]["label_point"]
        assert minx <= lon <= maxx and miny <= lat <= maxy
        assert geometry.buffer(1e-5).contains(shapely.geometry.Point(lon, lat))


def test_admin_areas_are_simplified_by_zoom(planner_client):
    def vertices(zoom):
        collection = geojson(planner_client, level="street", zoom=zoom)
        return sum(len(p.exterior.coords) for f in collection["features"]
                   for p in shapely.geometry.shape(f["geometry"]).geoms)

    assert vertices(6) <= vertices(18)


def test_bbox_filter_reduces_the_count(planner_client):
    everything = geojson(planner_client, level="community")["features"]
    assert len(everything) >= 2, "the demo has a single community"
    lon, lat = everything[0]["properties"]["label_point"]
    nearby = geojson(planner_client, level="community", bbox=f"{lon - 1e-4},{lat - 1e-4},{lon + 1e-4},{lat + 1e-4}")
    assert 1 <= len(nearby["features"]) < len(everything)
    assert everything[0]["properties"]["id"] in {f["properties"]["id"] for f in nearby["features"]}
    far = geojson(planner_client, level="community", bbox="10,10,11,11")
    assert far == {"type": "FeatureCollection", "features": []}


@pytest.mark.parametrize(
    "params,parameter",
    [
        ({}, "level"),
        ({"level": "province"}, "level"),
        ({"level": "street", "bbox": "1,2,3"}, "bbox"),
        ({"level": "street", "bbox": "a,b,c,d"}, "bbox"),
        ({"level": "street", "bbox": "127,45,126,46"}, "bbox"),
        ({"level": "street", "bbox": "nan,45,126,46"}, "bbox"),
        ({"level": "street", "bbox": "126,45,127,95"}, "bbox"),
        ({"level": "street", "zoom": "far"}, "zoom"),
        ({"level": "street", "zoom": "99"}, "zoom"),
    ],
)
def test_bad_geojson_parameters_are_400_naming_the_parameter(planner_client, params, parameter):
    response = planner_client.get(GEOJSON_URL, params)
    assert response.status_code == 400
    assert parameter in response.json()["error"]


# --- search --------------------------------------------------------------------------------------------------

def search(client, q):
    response = client.get("/api/search/", {"q": q})
    assert response.status_code == 200
    return response.json()["results"]


def test_search_by_part_of_the_name(planner_client):
    estate = Estate.objects.order_by("id").first()
    part = estate.name[1:-1] or estate.name
    results = search(planner_client, part)
    assert estate.pk in {r["id"] for r in results}
    assert len(results) <= 20
    hit = next(r for r in results if r["id"] == estate.pk)
    assert hit["name"] == estate.name
    assert hit["address"] == estate.address
    assert hit["community"] == estate.community.name
    assert hit["status"] in {"enterprise", "caretaker", "self_governed", "none"}
    minx, miny, maxx, maxy = hit["bbox"]
    assert minx < maxx and miny < maxy
    lon, lat = hit["centroid"]
    assert minx <= lon <= maxx and miny <= lat <= maxy


def test_search_by_address(planner_client):
    estate = Estate.objects.exclude(address="").order_by("id").first()
    results = search(planner_client, estate.address[-6:])
    assert estate.pk in {r["id"] for r in results}


def test_search_is_case_insensitive_and_literal(planner_client):
    estate = Estate.objects.order_by("id").first()
    estate.name = "Sunny Garden 阳光"
    estate.save(update_fields=["name"])
    assert estate.pk in {r["id"] for r in search(planner_client, "sunny GARDEN")}
    assert search(planner_client, "%") == []
    assert search(planner_client, "_") == []


def test_empty_search(planner_client):
    assert search(planner_client, "") == []
    assert search(planner_client, "   ") == []


# --- popups --------------------------------------------------------------------------------------------------

def popup(client, kind, pk, language="en"):
    return client.get(f"/api/features/{kind}/{pk}/", HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_estate_popup_in_both_languages(planner_client, language):
    estate = Estate.objects.order_by("id").first()
    response = popup(planner_client, "estate", estate.pk, language)
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "estate" and body["id"] == estate.pk and body["title"] == estate.name
    assert body["detail_url"] == f"/estates/{estate.pk}/"
    values = [value for _, value in body["fields"]]
    assert estate.households in values
    assert estate.build_year in values
    assert all(isinstance(label, str) and label for label, _ in body["fields"])


def test_estate_popup_labels_go_through_gettext(planner_client):
    estate = Estate.objects.order_by("id").first()
    with override("en"):
        fields = dict(map(tuple, popup(planner_client, "estate", estate.pk, "en").json()["fields"]))
    assert fields["Households"] == estate.households
    assert fields["Build year"] == estate.build_year
    status = Estate.objects.with_service_status().get(pk=estate.pk).service_status
    from layers.models import ServiceStatus

    with override("en"):
        assert fields["Service status"] == str(ServiceStatus(status).label)
    assert "Service provider" in fields and "Management area" in fields


@pytest.mark.parametrize(
    "kind,model,labels",
    [
        ("building", Building, {"Estate", "Label", "Floors", "Households", "Build year", "Elevator", "Abandonment"}),
        ("management_area", ManagementArea, {"Code", "Name", "Street", "Estates", "Version", "Updated at"}),
        ("enterprise", Enterprise, {"Unified social credit code", "Credit grade", "List status",
                                    "Estates served today", "Households served"}),
    ],
)
def test_other_popups(planner_client, kind, model, labels):
    obj = model.objects.order_by("pk").first()
    body = popup(planner_client, kind, obj.pk).json()
    assert body["kind"] == kind and body["id"] == obj.pk and body["title"]
    assert labels <= {label for label, _ in body["fields"]}
    assert body["detail_url"].endswith(f"/{obj.pk}/")


@pytest.mark.parametrize("kind,model", [("estate", Estate), ("building", Building), ("management_area", ManagementArea)])
def test_popup_carries_where_to_open_it(planner_client, kind, model):
    from django.contrib.gis.geos import Point

    obj = model.objects.order_by("-pk").first()
    body = popup(planner_client, kind, obj.pk).json()
    minx, miny, maxx, maxy = body["bbox"]
    assert (minx, miny, maxx, maxy) == pytest.approx(obj.geom.extent, abs=1e-6)
    point = Point(*body["point"], srid=obj.geom.srid)
    assert obj.geom.buffer(1e-6).contains(point)


def test_enterprise_popup_bbox_is_its_jurisdiction(planner_client):
    from layers.models import EnterpriseJurisdiction

    territory = EnterpriseJurisdiction.objects.order_by("pk").first()
    body = popup(planner_client, "enterprise", territory.pk).json()
    assert body["bbox"] == pytest.approx(territory.geom.extent, abs=1e-6)


def test_enterprise_popup_counts_todays_estates(planner_client):
    from layers.selectors.contracts import contracts_active_on

    contract = contracts_active_on(timezone.localdate()).filter(enterprise__isnull=False).first()
    assert contract is not None, "the demo city has enterprise contracts today"
    fields = dict(map(tuple, popup(planner_client, "enterprise", contract.enterprise_id).json()["fields"]))
    served = contracts_active_on(timezone.localdate()).filter(enterprise_id=contract.enterprise_id)
    assert fields["Estates served today"] == served.count() >= 1
    assert fields["Households served"] == sum(c.estate.households for c in served)


@pytest.mark.parametrize("kind", ["estate", "building", "management_area", "enterprise"])
def test_popup_of_an_unknown_object_is_404(planner_client, kind):
    assert popup(planner_client, kind, 987654321).status_code == 404


def test_popup_of_an_unknown_kind_is_404(planner_client):
    assert popup(planner_client, "road", 1).status_code == 404


@pytest.mark.parametrize(
    "url", [GEOJSON_URL + "?level=district", "/api/search/?q=a", "/api/features/estate/1/"]
)
def test_anonymous_is_sent_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
