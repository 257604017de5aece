"""What a community (residents' committee) and an enterprise read (DOMAIN.md "Who uses it"): the community its own
community's state and reports, outlines district-wide like a street office; the enterprise nothing of the map, the
registers or the exports — its complaints only (permissions.ROLE_PATHS, ENTERPRISE_LOOKUP)."""
import json

import pytest

from layers.models import AbandonmentReport, Estate, RenovationProject

from .test_permission_matrix import client_for, export_ids, own_community

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("layer, model, lookup", [
    ("abandonment_reports", AbandonmentReport, "building__estate__community"),
    ("renovations", RenovationProject, "estate__community"),
])
def test_community_exports_and_ogc_hold_its_community_only(layer, model, lookup, tmp_path):
    client = client_for("community")
    own = set(model.objects.filter(**{lookup: own_community()}).values_list("pk", flat=True))
    exported = export_ids(body(client.get(f"/api/export/{layer}.csv")), "csv", tmp_path)
    assert exported == own
    served = json.loads(client.get(f"/ogc/collections/{layer}/items?limit=10000").content)
    assert {f["id"] for f in served["features"]} == own
    assert model.objects.exclude(pk__in=own).exists(), "the demo has rows outside the community"


def test_community_sees_every_estate_outline_and_only_its_estates_state():
    served = json.loads(client_for("community").get("/ogc/collections/estates/items?limit=10000").content)
    assert {f["id"] for f in served["features"]} == set(Estate.objects.values_list("pk", flat=True))
    with_state = {f["id"] for f in served["features"] if f["properties"]["service_status"] is not None}
    assert with_state == set(Estate.objects.filter(community=own_community()).values_list("pk", flat=True))


def test_community_worklists_hold_its_community_only():
    response = client_for("community").get("/api/service/worklists/uncovered/?per_page=500&features=0")
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["rows"]}
    assert ids and ids <= set(Estate.objects.filter(community=own_community()).values_list("pk", flat=True))


@pytest.mark.parametrize("url", [
    "/", "/dashboard/", "/api/export/estates.geojson", "/ogc/collections/estates/items", "/api/search/?q=小区",
    "/tiles/buildings/15/27300/11600.mvt", "/api/coverage/", "/enterprises/", "/abandonment/", "/service/",
])
def test_an_enterprise_opens_nothing_but_its_complaints(url):
    response = client_for("enterprise").get(url)
    if url == "/":
        assert response.status_code == 302 and response["Location"] == "/complaints/"
    else:
        assert response.status_code == 403, (url, response.status_code)
