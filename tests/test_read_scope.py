"""One read scope per role, the same in every output (docs/SECURITY.md "Read scope").

A street office locates every estate and building of the district (outline and name, for orientation) but sees the
state — an estate's service status, provider and contracts, a building's abandonment, renovations — only in its
own street. Each test reads one output as the street office of the first street and checks a neighbour street's
object: present, without its state; and an own-street object: with it. The planner, reading the same, gets the
state everywhere (the control: the hidden value exists).
"""
import json

import mapbox_vector_tile
import pytest
from django.contrib.auth.models import User
from django.test import Client

from layers.models import AdminArea, AdminLevel, Building, Estate, ServiceContract
from layers.models.estates import Abandonment, ServiceStatus
from layers.tiles import serve

from .test_tiles import one_row, tile_of

pytestmark = pytest.mark.django_db

NOT_SHOWN_ZH = "不在您的辖区范围内，不予显示"
NEVER_SERVED_ZH = "从未有过物业服务"
ENTERPRISE_ZH = "专业物业"
ABANDONED = [Abandonment.REPORTED, Abandonment.VERIFIED, Abandonment.UNDER_CARETAKER]


@pytest.fixture(autouse=True)
def cold_tile_cache():
    """Tiles fetched here must not stay in the in-process cache (tests/test_tile_cache.py builds tiles afresh)."""
    yield
    if serve.tile_cache is not None:
        serve.tile_cache.clear()


def streets():
    return list(AdminArea.objects.filter(level=AdminLevel.STREET).order_by("code"))


def own():
    return streets()[0]


def other():
    return streets()[1]


def client_for(username: str, language: str = "zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(User.objects.get(username=username))
    return client


def office(language: str = "zh-hans") -> Client:
    return client_for(f"street-{own().code}", language)


def planner(language: str = "zh-hans") -> Client:
    return client_for("planner", language)


def served_estate(street) -> Estate:
    """An estate of `street` served by an enterprise today (the fact a neighbour may not see)."""
    estate = (Estate.objects.with_service_status().filter(community__parent=street, service_status=ServiceStatus.ENTERPRISE)
              .order_by("code").first())
    assert estate is not None, "the demo has an enterprise-served estate in every street"
    return estate


def abandoned_building(street) -> Building:
    building = (Building.objects.filter(estate__community__parent=street, abandonment__in=ABANDONED)
                .select_related("estate").order_by("code").first())
    assert building is not None, "the demo has abandoned buildings in every street"
    return building


def current_enterprise_name(estate: Estate) -> str:
    contract = ServiceContract.objects.filter(estate=estate, enterprise__isnull=False, end_date__isnull=True).first()
    return contract.enterprise.name


def border_point() -> tuple[float, float]:
    """The middle of the shortest gap between a building of the own street and one of another street: a tile there
    holds features of both."""
    return one_row(
        """SELECT ST_X(p), ST_Y(p) FROM (
             SELECT ST_Centroid(ST_ShortestLine(a.geom, n.geom)) AS p
               FROM layers_building a
               JOIN layers_estate ea ON ea.id = a.estate_id
               JOIN layers_adminarea ca ON ca.id = ea.community_id
              CROSS JOIN LATERAL (
                SELECT b.geom FROM layers_building b
                  JOIN layers_estate eb ON eb.id = b.estate_id
                  JOIN layers_adminarea cb ON cb.id = eb.community_id
                 WHERE cb.parent_id <> %s ORDER BY b.geom <-> a.geom LIMIT 1) AS n
              WHERE ca.parent_id = %s
              ORDER BY ST_Distance(a.geom, n.geom) LIMIT 1) AS s""", [own().pk, own().pk])


def tile_features(client: Client, layer: str, z: int, x: int, y: int) -> list[dict]:
    response = client.get(f"/tiles/{layer}/{z}/{x}/{y}.mvt")
    assert response.status_code == 200
    return mapbox_vector_tile.decode(response.content).get(layer, {}).get("features", [])


def street_of_ids(model, ids) -> dict[int, int]:
    lookup = "community__parent_id" if model is Estate else "estate__community__parent_id"
    return dict(model.objects.filter(id__in=ids).values_list("id", lookup))


# --- tiles ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layer, model, attribute", [("estates", Estate, "status"),
                                                     ("buildings", Building, "abandonment")])
def test_tiles_locate_the_neighbours_without_their_state(layer, model, attribute):
    z, x, y = tile_of(*border_point(), 15)
    mine = tile_features(office(), layer, z, x, y)
    theirs = tile_features(planner(), layer, z, x, y)
    streets_by_id = street_of_ids(model, [f["properties"]["id"] for f in theirs])
    assert {s for s in streets_by_id.values()} >= {own().pk} and len(set(streets_by_id.values())) > 1
    # Every feature is there (orientation); the state only on the own street's.
    assert {f["properties"]["id"] for f in mine} == set(streets_by_id)
    assert all(attribute in f["properties"] for f in theirs)
    for f in mine:
        in_street = streets_by_id[f["properties"]["id"]] == own().pk
        assert (attribute in f["properties"]) == in_street, f["properties"]


def test_tile_of_an_abandoned_neighbour_building_hides_its_abandonment():
    building = abandoned_building(other())
    z, x, y = tile_of(*building.geom.point_on_surface.coords, 16)
    found = {f["properties"]["id"]: f["properties"] for f in tile_features(office(), "buildings", z, x, y)}
    assert building.pk in found and "abandonment" not in found[building.pk]
    assert found[building.pk]["label"] == building.label  # the name stays
    seen = {f["properties"]["id"]: f["properties"] for f in tile_features(planner(), "buildings", z, x, y)}
    assert seen[building.pk]["abandonment"] == building.abandonment


def test_tile_etag_names_the_scope():
    z, x, y = tile_of(*border_point(), 15)
    etags = {name: client.get(f"/tiles/estates/{z}/{x}/{y}.mvt")["ETag"]
             for name, client in (("office", office()), ("planner", planner()),
                                  ("neighbour", client_for(f"street-{other().code}")))}
    assert len(set(etags.values())) == 3, etags
    assert etags["office"].endswith(f'.street_office.{own().pk}"')


# --- map endpoints: popups and search --------------------------------------------------------------------------------

def popup_fields(client, kind, pk) -> dict:
    response = client.get(f"/api/features/{kind}/{pk}/")
    assert response.status_code == 200
    return dict(response.json()["fields"])


def test_estate_popup_of_a_neighbour_hides_status_and_provider():
    estate = served_estate(other())
    enterprise = current_enterprise_name(estate)
    response = office().get(f"/api/features/estate/{estate.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert enterprise not in body and ENTERPRISE_ZH not in body
    fields = dict(response.json()["fields"])
    assert fields["物业服务状态"] == fields["服务主体"] == NOT_SHOWN_ZH
    assert response.json()["title"] == estate.name  # the name stays
    seen = popup_fields(planner(), "estate", estate.pk)
    assert seen["物业服务状态"] == ENTERPRISE_ZH and seen["服务主体"] == enterprise


def test_estate_popup_in_the_own_street_shows_status_and_provider():
    estate = served_estate(own())
    fields = popup_fields(office(), "estate", estate.pk)
    assert fields["物业服务状态"] == ENTERPRISE_ZH and fields["服务主体"] == current_enterprise_name(estate)


def test_building_popup_hides_the_abandonment_of_a_neighbour_only():
    theirs, mine = abandoned_building(other()), abandoned_building(own())
    assert popup_fields(office(), "building", theirs.pk)["弃管状态"] == NOT_SHOWN_ZH
    shown = popup_fields(office(), "building", mine.pk)["弃管状态"]
    assert shown != NOT_SHOWN_ZH and shown == popup_fields(planner(), "building", mine.pk)["弃管状态"]
    assert popup_fields(planner(), "building", theirs.pk)["弃管状态"] != NOT_SHOWN_ZH


def test_search_finds_a_neighbour_estate_without_its_status():
    theirs, mine = served_estate(other()), served_estate(own())
    for estate, status in ((theirs, None), (mine, ServiceStatus.ENTERPRISE)):
        results = office().get("/api/search/", {"q": estate.name}).json()["results"]
        found = {r["id"]: r for r in results}
        assert estate.pk in found and found[estate.pk]["status"] == status
        assert {r["id"]: r for r in planner().get("/api/search/", {"q": estate.name}).json()["results"]}[
            estate.pk]["status"] == ServiceStatus.ENTERPRISE


# --- detail pages ----------------------------------------------------------------------------------------------------

def test_estate_page_of_a_neighbour_states_no_service_fact():
    estate = served_estate(other())
    enterprise = current_enterprise_name(estate)
    response = office().get(f"/estates/{estate.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert estate.name in html  # outline and name for orientation
    assert NEVER_SERVED_ZH not in html
    assert enterprise not in html and ENTERPRISE_ZH not in html
    assert NOT_SHOWN_ZH in html and "该信息不在您的辖区范围内，不予显示" in html
    # The planner's page states what the office's page hides.
    seen = planner().get(f"/estates/{estate.pk}/").content.decode()
    assert enterprise in seen and ENTERPRISE_ZH in seen


def test_estate_page_in_the_own_street_shows_service_and_contracts():
    estate = served_estate(own())
    html = office().get(f"/estates/{estate.pk}/").content.decode()
    assert current_enterprise_name(estate) in html and ENTERPRISE_ZH in html
    assert NOT_SHOWN_ZH not in html


def test_estate_page_of_a_neighbour_hides_its_buildings_abandonment():
    building = abandoned_building(other())
    html = office().get(f"/estates/{building.estate_id}/").content.decode()
    label = str(building.get_abandonment_display())
    assert label not in html
    assert label in planner().get(f"/estates/{building.estate_id}/").content.decode()


def test_building_page_hides_the_abandonment_of_a_neighbour_only():
    theirs, mine = abandoned_building(other()), abandoned_building(own())
    html = office().get(f"/buildings/{theirs.pk}/").content.decode()
    assert theirs.label in html and NOT_SHOWN_ZH in html
    assert str(theirs.get_abandonment_display()) not in html
    html = office().get(f"/buildings/{mine.pk}/").content.decode()
    assert str(mine.get_abandonment_display()) in html and NOT_SHOWN_ZH not in html


def test_lists_of_estates_show_the_status_of_the_own_street_only():
    """The management-area page and the dashboard's estate list: every estate named, the status in the own street."""
    theirs = served_estate(other())
    community = theirs.community
    html = office().get("/dashboard/", {"community": community.pk}).content.decode()
    row = html.split(f'data-estate="{theirs.pk}"', 1)[1].split("</tr>", 1)[0]
    assert theirs.name in row and NOT_SHOWN_ZH in row and ENTERPRISE_ZH not in row
    seen = planner().get("/dashboard/", {"community": community.pk}).content.decode()
    assert ENTERPRISE_ZH in seen.split(f'data-estate="{theirs.pk}"', 1)[1].split("</tr>", 1)[0]
    if theirs.management_area_id:
        html = office().get(f"/management-areas/{theirs.management_area_id}/").content.decode()
        assert theirs.name in html and NOT_SHOWN_ZH in html


def test_enterprise_page_lists_the_contracts_of_the_own_street_only():
    estate = served_estate(other())
    contract = ServiceContract.objects.filter(estate=estate, enterprise__isnull=False, end_date__isnull=True).first()
    html = office().get(f"/enterprises/{contract.enterprise_id}/").content.decode()
    assert f'href="/estates/{estate.pk}/"' not in html
    assert "不在您的辖区范围内，不予显示" in html
    assert f'href="/estates/{estate.pk}/"' in planner().get(f"/enterprises/{contract.enterprise_id}/").content.decode()


# --- export and OGC API -----------------------------------------------------------------------------------------------

def export_features(client, layer, **params) -> dict[int, dict]:
    response = client.get(f"/api/export/{layer}.geojson", params)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return {f["properties"]["id"]: f["properties"] for f in json.loads(body)["features"]}


def ogc_features(client, layer, **params) -> dict[int, dict]:
    response = client.get(f"/ogc/collections/{layer}/items", {"limit": 10000, **params})
    assert response.status_code == 200
    return {f["id"]: f["properties"] for f in json.loads(response.content)["features"]}


STATE_FIELDS = {"estates": ("service_status", "service_mode", "provider"),
                "buildings": ("abandonment", "abandoned_since")}


@pytest.mark.parametrize("read", [export_features, ogc_features], ids=["export", "ogc"])
@pytest.mark.parametrize("layer", ["estates", "buildings"])
def test_export_and_ogc_give_outlines_of_the_neighbours_without_their_state(read, layer):
    mine, theirs = read(office(), layer), read(planner(), layer)
    assert set(mine) == set(theirs)  # every row: the outlines are the map's
    for pk, props in mine.items():
        in_street = props["street_code"] == own().code
        for name in STATE_FIELDS[layer]:
            if in_street:
                assert props[name] == theirs[pk][name], (pk, name)
            else:
                assert props[name] is None, (pk, name)
    hidden = {pk for pk, props in theirs.items() if props["street_code"] != own().code
              and props[STATE_FIELDS[layer][0]] not in (None, "none")}
    assert hidden, "the planner sees a state the office does not: the test proves something"


@pytest.mark.parametrize("read", [export_features, ogc_features], ids=["export", "ogc"])
def test_a_state_filter_finds_no_neighbour_row(read):
    """?service_status=enterprise cannot be used to learn a neighbour's status through the rows it returns."""
    mine = read(office(), "estates", service_status="enterprise")
    assert mine and {p["street_code"] for p in mine.values()} == {own().code}
    theirs = read(planner(), "estates", service_status="enterprise")
    assert len({p["street_code"] for p in theirs.values()}) > 1
    found = read(office(), "buildings", abandonment=abandoned_building(other()).abandonment)
    assert other().code not in {p["street_code"] for p in found.values()}


def test_ogc_item_of_a_neighbour_building_has_no_abandonment():
    building = abandoned_building(other())
    response = office().get(f"/ogc/collections/buildings/items/{building.pk}")
    assert response.status_code == 200
    props = json.loads(response.content)["properties"]
    assert props["code"] == building.code and props["abandonment"] is None and props["abandoned_since"] is None


def test_abandonment_reports_and_renovations_stay_in_the_own_street():
    """Layers that are all state give a street office no row of another street at all."""
    for layer in ("abandonment_reports", "renovations"):
        codes = {p["street_code"] for p in export_features(office(), layer).values()}
        assert codes == {own().code}, layer
        assert len({p["street_code"] for p in export_features(planner(), layer).values()}) > 1, layer
