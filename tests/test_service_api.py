"""The service API: assign (ids or a drawn selection), end, worklists, nearby candidates, history; 400/403/404/409."""
import json

import pytest
from django.contrib.auth.models import User
from django.contrib.gis.db.models import Extent
from django.contrib.gis.geos import Polygon
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from layers.models import (
    AdminArea,
    AdminLevel,
    Estate,
    ListStatus,
    RegisterChange,
    RenovationProject,
    ServiceContract,
)
from layers.services.contracts import contracts_assign

from . import factories as f

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate().isoformat()


def client(username="planner"):
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    if username:
        c.force_login(User.objects.get(username=username))
    return c


def post(c, url, body):
    return c.post(url, json.dumps(body), content_type="application/json")


def estates(n=3, **kw):
    community = f.community()
    return [f.estate(community_area=community, **kw) for _ in range(n)]


def fallback(ids, **kw):
    return {"estate_ids": ids, "provider_kind": "district_fallback", "start_date": "2025-01-01", **kw}


def test_assign_by_ids_returns_the_contracts():
    es = estates()
    response = post(client(), "/api/service/assign/", fallback([e.pk for e in es], note="兜底"))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["count"] == 3 and data["households"] == sum(e.households for e in es)
    assert {c["estate_id"] for c in data["contracts"]} == {e.pk for e in es}
    assert data["contracts"][0]["mode"] == "caretaker" and data["contracts"][0]["created_by"] == "planner"
    assert ServiceContract.objects.filter(estate__in=es, note="兜底").count() == 3


def test_assign_by_selection_takes_the_unserved_estates_inside():
    community = f.community()
    inside = [f.estate(community_area=community, geom=f.multi(f.rect(0.3 + 0.002 * k, 0.3))) for k in range(3)]
    outside = f.estate(community_area=community, geom=f.multi(f.rect(0.32, 0.3)))
    served = inside.pop()
    contracts_assign(user=User.objects.get(username="planner"), estate_ids=[served.pk], provider_kind="community",
                     mode="", start_date=f.d("2020-01-01"))
    x0, y0 = f.ORIGIN[0] + 0.2995, f.ORIGIN[1] + 0.2995
    box = Polygon.from_bbox((x0, y0, x0 + 0.0065, y0 + 0.002))
    selection = {"type": "Feature", "geometry": json.loads(box.geojson), "properties": {}}
    body = {"selection": selection, "provider_kind": "district_fallback", "start_date": "2025-01-01"}
    dry = post(client(), "/api/service/assign/", {**body, "dry_run": True})
    assert dry.status_code == 200 and dry.json()["count"] == 2
    assert not ServiceContract.objects.filter(estate__in=inside).exists()  # a dry run writes nothing
    response = post(client(), "/api/service/assign/", body)
    assert response.status_code == 201, response.content
    assert set(response.json()["estate_ids"]) == {e.pk for e in inside}
    assert not ServiceContract.objects.filter(estate=outside).exists()


def test_selection_with_nothing_to_assign_is_a_400():
    x0, y0 = f.ORIGIN[0] + 0.9, f.ORIGIN[1] + 0.9
    box = json.loads(Polygon.from_bbox((x0, y0, x0 + 0.001, y0 + 0.001)).geojson)
    response = post(client(), "/api/service/assign/", {"selection": box, "provider_kind": "district_fallback",
                                                         "start_date": "2025-01-01"})
    assert response.status_code == 400 and response.json()["code"] == "selection"


@pytest.mark.parametrize("body, code", [
    ({"provider_kind": "district_fallback", "start_date": "2025-01-01"}, "estate_ids"),
    ({"estate_ids": "1,2", "provider_kind": "district_fallback", "start_date": "2025-01-01"}, "estate_ids"),
    ({"selection": {"type": "Point", "coordinates": [1, 2]}, "provider_kind": "district_fallback",
      "start_date": "2025-01-01"}, "selection"),
    ("ESTATES", "start_date"),
])
def test_bad_input_is_a_400_naming_the_field(body, code):
    es = estates(1)
    if body == "ESTATES":
        body = fallback([es[0].pk], start_date="1.1.2025")
    response = post(client(), "/api/service/assign/", body)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code and response.json()["error"]


def test_black_listed_is_a_400_and_overlap_a_409():
    es = estates(2)
    black = f.enterprise(list_status=ListStatus.BLACK)
    response = post(client(), "/api/service/assign/", fallback([es[0].pk], provider_kind="enterprise", mode="single",
                                                              enterprise_id=black.pk))
    assert response.status_code == 400 and black.name in response.json()["error"]
    assert post(client(), "/api/service/assign/", fallback([es[0].pk])).status_code == 201
    response = post(client(), "/api/service/assign/", fallback([e.pk for e in es]))
    assert response.status_code == 409 and es[0].name in response.json()["error"]
    assert not ServiceContract.objects.filter(estate=es[1]).exists()


@pytest.mark.parametrize("username, expected", [("official", 403), ("street-230112001", 403), (None, 403)])
def test_assign_refused_for_other_roles(username, expected):
    es = estates(1)
    response = post(client(username), "/api/service/assign/", fallback([es[0].pk]))
    assert response.status_code == expected
    assert not ServiceContract.objects.filter(estate=es[0]).exists()


def test_end_a_contract_and_its_errors():
    es = estates(1)
    contract = contracts_assign(user=User.objects.get(username="planner"), estate_ids=[es[0].pk],
                                provider_kind="district_fallback", mode="", start_date=f.d("2020-01-01"))[0]
    url = f"/api/service/contracts/{contract.pk}/end/"
    assert post(client(), url, {"end_date": "2025-02-01"}).status_code == 400  # no reason
    assert post(client(), url, {"end_date": "2019-02-01", "reason": "x"}).status_code == 400
    assert post(client("official"), url, {"end_date": "2025-02-01", "reason": "x"}).status_code == 403
    assert post(client(), "/api/service/contracts/999999999/end/", {"end_date": "2025-02-01",
                                                                     "reason": "x"}).status_code == 404
    response = post(client(), url, {"end_date": "2025-02-01", "reason": "合同到期"})
    assert response.status_code == 200 and response.json()["end_date"] == "2025-02-01"
    assert Estate.objects.with_service_status(f.d("2025-02-01")).get(pk=es[0].pk).service_status == "none"


def test_worklist_endpoint_pages_counts_and_map_ids():
    response = client().get("/api/service/worklists/uncovered/?per_page=5&page=2")
    assert response.status_code == 200
    data = response.json()
    assert data["page"] == 2 and len(data["rows"]) == 5 and data["count"] == data["counts"]["uncovered"]
    assert set(data["counts"]) == {"uncovered", "renovated", "abandoned"}
    # For the map: the page's outlines, and the ids, names and extent of the whole list (the page draws the rest of
    # the list from the estate tiles).
    assert data["features"]["type"] == "FeatureCollection"
    assert [f["id"] for f in data["features"]["features"]] == [r["id"] for r in data["rows"]]
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in data["features"]["features"])
    assert len(data["ids"]) == len(set(data["ids"])) == data["count"] and data["ids_truncated"] is False
    assert [r["id"] for r in data["rows"]] == data["ids"][5:10]
    names = dict(Estate.objects.filter(pk__in=data["ids"]).values_list("pk", "name"))
    assert data["names"] == [names[pk] for pk in data["ids"]]
    extents = Estate.objects.filter(pk__in=data["ids"]).aggregate(e=Extent("geom"))["e"]
    assert data["bbox"] == pytest.approx(list(extents), abs=1e-5)
    assert client().get("/api/service/worklists/nonsense/").status_code == 404
    assert client().get("/api/service/worklists/uncovered/?date=tomorrow").status_code == 400
    assert client().get("/api/service/worklists/uncovered/?street=999999999").status_code == 404


def test_worklist_in_one_statement_matches_each_list_read_alone():
    # The page past the last is the last page; the tab counts are each list's own count, the map ids its rows.
    per_page = 7
    for name in ("uncovered", "renovated", "abandoned"):
        data = client().get(f"/api/service/worklists/{name}/?per_page={per_page}&page=99999").json()
        assert data["count"] > 0, name
        assert data["page"] == data["pages"] == -(-data["count"] // per_page)
        assert len(data["rows"]) == data["count"] - (data["pages"] - 1) * per_page
        first = client().get(f"/api/service/worklists/{name}/?per_page=200").json()
        assert first["ids"][:len(first["rows"])] == [r["id"] for r in first["rows"]]
        households = Estate.objects.filter(pk__in=first["ids"]).aggregate(n=Sum("households"))["n"]
        assert first["households"] == households
        for other, count in data["counts"].items():
            alone = client().get(f"/api/service/worklists/{other}/?features=0&per_page=200").json()
            assert alone["count"] == count and alone["ids"] == alone["names"] == [] and alone["bbox"] is None
            assert alone["features"]["features"] == []


def counted_lists(queries) -> int:
    """How many statements counted other worklists (worklist_counts' statement) among captured queries."""
    return sum("(SELECT count(*)::int FROM (" in q["sql"] for q in queries)


def test_tab_counts_are_remembered_on_the_data_version_and_counted_again_after_an_edit():
    # A page turn or another tab does not count the other lists again while the data is the same (worklist_counts'
    # memory, keyed by the data version read with the list); any write — here a completed renovation project —
    # changes the version, and the counts are read again.
    es = estates(3, build_year=1990)
    c = client()
    first = c.get("/api/service/worklists/uncovered/?per_page=1").json()
    with CaptureQueriesContext(connection) as turn:
        second = c.get("/api/service/worklists/uncovered/?per_page=1&page=2").json()
    assert second["page"] == 2 and second["counts"] == first["counts"] and counted_lists(turn) == 0
    with CaptureQueriesContext(connection) as tab:
        renovated = c.get("/api/service/worklists/renovated/").json()
    assert renovated["counts"] == first["counts"] and counted_lists(tab) == 0
    RenovationProject.objects.create(estate=es[0], name="改造", items=["roof"], status="completed", start_year=2022,
                                     end_year=2023)
    with CaptureQueriesContext(connection) as after:
        third = c.get("/api/service/worklists/uncovered/?per_page=1&page=2").json()
    assert counted_lists(after) == 1
    assert third["counts"]["renovated"] == first["counts"]["renovated"] + 1
    assert third["counts"] == {name: c.get(f"/api/service/worklists/{name}/?features=0").json()["count"]
                               for name in ("uncovered", "renovated", "abandoned")}


def test_street_office_worklist_and_estates_are_limited_to_its_street():
    office = User.objects.get(username="street-230112001")
    own = office.profile.street
    other = AdminArea.objects.filter(level=AdminLevel.STREET).exclude(pk=own.pk).order_by("code").first()
    c = client("street-230112001")
    data = c.get("/api/service/worklists/uncovered/?per_page=200").json()
    assert data["street"]["id"] == own.pk and {r["street_id"] for r in data["rows"]} == {own.pk}
    assert c.get(f"/api/service/worklists/uncovered/?street={other.pk}").status_code == 404
    outside = Estate.objects.filter(community__parent=other).first()
    inside = Estate.objects.filter(community__parent=own).first()
    assert c.get(f"/api/estates/{outside.pk}/candidates/").status_code == 404
    assert c.get(f"/api/estates/{outside.pk}/contracts/").status_code == 404
    assert c.get(f"/api/estates/{inside.pk}/candidates/").status_code == 200


def test_candidates_endpoint_gives_ranked_territories():
    estate = Estate.objects.uncovered().order_by("code").first()
    response = client().get(f"/api/estates/{estate.pk}/candidates/?limit=3")
    assert response.status_code == 200
    data = response.json()
    assert data["estate"]["id"] == estate.pk and data["estate"]["geometry"]["type"] == "MultiPolygon"
    features = data["features"]
    assert 1 <= len(features) <= 3
    assert [ft["properties"]["rank"] for ft in features] == list(range(1, len(features) + 1))
    assert all(ft["geometry"]["type"] in ("MultiPolygon", "Polygon") for ft in features)
    assert all(ft["properties"]["list_status"] != "black" for ft in features)
    scores = [ft["properties"]["score"] for ft in features]
    assert scores == sorted(scores, reverse=True)
    assert client().get("/api/estates/999999999/candidates/").status_code == 404
    assert client().get(f"/api/estates/{estate.pk}/candidates/?limit=x").status_code == 400


def test_history_lists_contracts_and_changes():
    es = estates(1)
    planner = User.objects.get(username="planner")
    contracts_assign(user=planner, estate_ids=[es[0].pk], provider_kind="community", mode="",
                     start_date=f.d("2020-01-01"), note="自治")
    contracts_assign(user=planner, estate_ids=[es[0].pk], provider_kind="district_fallback", mode="",
                     start_date=f.d("2024-01-01"), replace=True)
    data = client("official").get(f"/api/estates/{es[0].pk}/contracts/").json()
    assert [c["provider_kind"] for c in data["contracts"]] == ["district_fallback", "community"]
    assert data["contracts"][1]["end_date"] == "2024-01-01"
    assert sorted(ch["action"] for ch in data["changes"]) == ["contract_create", "contract_create", "contract_end"]
    assert data["estate"]["status"] == "caretaker"
    assert RegisterChange.objects.filter(estate=es[0]).count() == 3


def test_schema_documents_the_endpoints():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path in ("/api/service/assign/", "/api/service/contracts/{id}/end/", "/api/service/worklists/{name}/",
                 "/api/estates/{id}/candidates/", "/api/estates/{id}/contracts/"):
        assert path in schema["paths"], path
    assert "requestBody" in schema["paths"]["/api/service/assign/"]["post"]


def test_service_page_for_each_role():
    assert client().get("/service/").status_code == 200
    page = client("street-230112001").get("/service/")
    assert page.status_code == 200
    config = page.context["map_config"]["service"]
    assert config["canAssign"] is False and config["ownStreet"] is not None and config["enterprises"] == []
    planner_config = client().get("/service/").context["map_config"]["service"]
    assert planner_config["canAssign"] and all(e["listStatus"] != "black" for e in planner_config["enterprises"])
    assert client(None).get("/service/").status_code == 302


def test_responses_match_the_schema():
    from drf_spectacular.generators import SchemaGenerator

    from .test_openapi import check

    schema = SchemaGenerator().get_schema(request=None, public=True)
    planner = client()
    es = estates(2)
    created = check(schema, planner, "/api/service/assign/", path="/api/service/assign/", method="post", status=201,
                    data=json.dumps(fallback([es[0].pk])), content_type="application/json")
    check(schema, planner, "/api/service/assign/", path="/api/service/assign/", method="post", status=200,
          data=json.dumps(fallback([es[1].pk], dry_run=True)), content_type="application/json")
    check(schema, planner, "/api/service/assign/", path="/api/service/assign/", method="post", status=409,
          data=json.dumps(fallback([es[0].pk])), content_type="application/json")
    contract_id = created["contracts"][0]["id"]
    check(schema, planner, f"/api/service/contracts/{contract_id}/end/", path="/api/service/contracts/{id}/end/",
          method="post", data=json.dumps({"end_date": "2025-06-01", "reason": "到期"}), content_type="application/json")
    for name in ("uncovered", "renovated", "abandoned"):
        check(schema, planner, f"/api/service/worklists/{name}/?per_page=3", path="/api/service/worklists/{name}/")
    estate = Estate.objects.uncovered().order_by("code").first()
    check(schema, planner, f"/api/estates/{estate.pk}/candidates/", path="/api/estates/{id}/candidates/")
    check(schema, planner, f"/api/estates/{es[0].pk}/contracts/", path="/api/estates/{id}/contracts/")
    check(schema, planner, "/api/estates/999999999/contracts/", path="/api/estates/{id}/contracts/", status=404)
