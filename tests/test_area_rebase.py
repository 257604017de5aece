"""Re-applying my edit onto a version saved meanwhile (POST /api/management-areas/<id>/rebase/, docs/EDIT_API.md)."""
import json

import pytest
from django.contrib.auth.models import User
from django.test import Client
from shapely.geometry import MultiPolygon, Polygon, mapping

from layers.models import ManagementArea, ManagementAreaVersion
from layers.services import management_areas as svc

pytestmark = pytest.mark.django_db


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def planner():
    return User.objects.get(username="planner")


@pytest.fixture
def api(planner):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(planner)
    return client


@pytest.fixture
def area():
    from django.contrib.gis.db.models.functions import NumGeometries
    return ManagementArea.objects.annotate(parts=NumGeometries("geom")).filter(parts=1).order_by("pk").first()


def ring_of(area):
    return list(svc.to_shapely(area.geom).geoms[0].exterior.coords)[:-1]


def pulled(ring, index, t):
    """The ring with corner `index` pulled towards the centre by the share t."""
    cx, cy = Polygon(ring).centroid.coords[0]
    out = list(ring)
    x, y = out[index]
    out[index] = (x + (cx - x) * t, y + (cy - y) * t)
    return out


def has_corner(geom, point, tol=1e-9):
    return any(abs(x - point[0]) <= tol and abs(y - point[1]) <= tol
               for polygon in geom.geoms for x, y in polygon.exterior.coords)


def theirs_saved(planner, area, ring, index, t=0.1):
    return svc.management_area_update(user=planner, area_id=area.pk, base_version=area.version,
                                      geometry=MultiPolygon([Polygon(pulled(ring, index, t))]), reason="theirs").area


def test_rebase_applies_my_corner_onto_theirs_and_saving_it_keeps_both(api, planner, area):
    ring, base_version = ring_of(area), area.version
    theirs = theirs_saved(planner, area, ring, 0)
    mine = pulled(ring, len(ring) // 2, 0.1)
    url = f"/api/management-areas/{area.pk}/rebase/"
    response = post(api, url, {"base_version": base_version, "geometry": mapping(Polygon(mine))})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["places"] == [] and body["unresolved"] == [] and body["mine_changed"] is True
    assert body["current"]["properties"]["version"] == theirs.version == base_version + 1
    assert body["overwrite"]["corners"] == 1 and body["overwrite"]["area_m2"] > 1
    # Nothing saved by the preview.
    assert ManagementArea.objects.get(pk=area.pk).version == base_version + 1

    saved = api.put(f"/api/management-areas/{area.pk}/", data=json.dumps({
        "type": "Feature", "geometry": body["geometry"],
        "properties": {"version": theirs.version, "reason": "mine, re-applied"}}), content_type="application/json")
    assert saved.status_code == 200, saved.content
    now = svc.to_shapely(ManagementArea.objects.get(pk=area.pk).geom)
    assert has_corner(now, pulled(ring, 0, 0.1)[0])
    assert has_corner(now, mine[len(ring) // 2])
    assert ManagementAreaVersion.objects.filter(area_id=area.pk).order_by("-version").first().reason == \
        "mine, re-applied"

    # A third editor who also started from the base version still gets the conflict when saving.
    third = api.put(f"/api/management-areas/{area.pk}/", data=json.dumps({
        "type": "Feature", "geometry": mapping(Polygon(pulled(ring, 1, 0.1))),
        "properties": {"version": base_version, "reason": "third"}}), content_type="application/json")
    assert third.status_code == 409


def test_rebase_same_corner_is_a_place_and_the_choice_decides(api, planner, area):
    ring, base_version = ring_of(area), area.version
    theirs_saved(planner, area, ring, 0, 0.1)
    mine = pulled(ring, 0, 0.2)
    url = f"/api/management-areas/{area.pk}/rebase/"
    body = post(api, url, {"base_version": base_version, "geometry": mapping(Polygon(mine))}).json()
    assert len(body["places"]) == 1 and body["unresolved"] == [body["places"][0]["key"]]
    key = body["places"][0]["key"]
    default = MultiPolygon([Polygon(p[0]) for p in body["geometry"]["coordinates"]])
    assert has_corner(default, pulled(ring, 0, 0.1)[0])  # theirs until chosen

    chosen = post(api, url, {"base_version": base_version, "geometry": mapping(Polygon(mine)),
                             "choices": {key: "mine"}}).json()
    assert chosen["unresolved"] == [] and chosen["places"][0]["choice"] == "mine"
    merged = MultiPolygon([Polygon(p[0]) for p in chosen["geometry"]["coordinates"]])
    assert has_corner(merged, mine[0]) and not has_corner(merged, pulled(ring, 0, 0.1)[0])


def test_rebase_refuses_unknown_base_version_and_bad_choice(api, area):
    url = f"/api/management-areas/{area.pk}/rebase/"
    geometry = json.loads(area.geom.geojson)
    response = post(api, url, {"base_version": area.version + 50, "geometry": geometry})
    assert response.status_code == 400 and "no version" in response.json()["error"]
    response = post(api, url, {"base_version": area.version, "geometry": geometry, "choices": {"r0:0": "both"}})
    assert response.status_code == 400
    assert ManagementArea.objects.get(pk=area.pk).version == area.version
