"""Management-area editing API (docs/EDIT_API.md): writes, validation, conflicts, history, estates, admin path."""
import json

import pytest
import shapely
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from shapely import affinity
from shapely.geometry import LineString, box, mapping

from layers.models import AdminArea, Estate, ManagementArea, ManagementAreaVersion, Role, UserProfile
from layers.services import management_areas as svc

pytestmark = pytest.mark.django_db

URL = "/api/management-areas/"


def geo(geom) -> dict:
    return json.loads(json.dumps(mapping(geom)))


def shp(django_geom):
    return svc.to_shapely(django_geom)


def feature(geom, **properties) -> dict:
    return {"type": "Feature", "geometry": geo(geom) if geom is not None else None, "properties": properties}


def send(client, method, url, body=None, **extra):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return getattr(client, method)(url, data=data, content_type="application/json", **extra)


@pytest.fixture
def planner():
    return User.objects.get(username="planner")


@pytest.fixture
def api(planner):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")  # the assertions read the English messages
    client.force_login(planner)
    return client


@pytest.fixture
def area():
    """A demo area that fully covers at least one estate."""
    return (ManagementArea.objects.filter(estates__isnull=False).order_by("pk").distinct().first())


def shrunk(area, factor=0.9):
    return affinity.scale(shp(area.geom), factor, factor)


@pytest.fixture
def free_estate():
    """An estate in no area whose outline meets no area: free ground inside the district."""
    with connection.cursor() as cursor:
        cursor.execute("""SELECT e.id FROM layers_estate e WHERE e.management_area_id IS NULL
                            AND NOT EXISTS (SELECT 1 FROM layers_managementarea m
                                             WHERE m.geom && e.geom AND ST_Intersects(m.geom, e.geom))
                          ORDER BY e.id LIMIT 1""")
        row = cursor.fetchone()
    assert row, "the small demo has no estate outside every area"
    return Estate.objects.get(pk=row[0])


def neighbour_of(area):
    return (ManagementArea.objects.exclude(pk=area.pk).filter(geom__dwithin=(area.geom, 0.002))
            .order_by("pk").first())


# --- reads ---------------------------------------------------------------------------------------------------------

def test_list_by_bbox_and_one_feature(api, area):
    minx, miny, maxx, maxy = shp(area.geom).bounds
    response = api.get(URL, {"bbox": f"{minx},{miny},{maxx},{maxy}"})
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["type"] == "FeatureCollection"
    assert area.pk in [f["id"] for f in body["features"]]
    assert api.get(URL).status_code == 400
    assert "bbox" in json.loads(api.get(URL, {"bbox": "1,2,3"}).content)["error"]

    one = json.loads(api.get(f"{URL}{area.pk}/").content)
    assert one["type"] == "Feature" and one["id"] == area.pk
    props = one["properties"]
    assert {"id", "code", "name", "street_id", "street", "district_id", "version", "updated_at", "estates"} <= set(props)
    assert props["version"] == area.version and props["estates"]
    assert api.get(f"{URL}999999/").status_code == 404


# --- create / update / delete --------------------------------------------------------------------------------------

def test_create_links_the_estate_it_covers_and_records_history(api, planner, free_estate):
    geom = shp(free_estate.geom).buffer(0.00001, join_style="mitre")
    response = send(api, "post", URL, feature(geom, name="新区域", reason="drawn for the estate"))
    assert response.status_code == 201, response.content
    body = json.loads(response.content)
    new = ManagementArea.objects.get(pk=body["id"])
    assert body["properties"]["version"] == 1 and new.code.startswith("MA-")
    assert {"id": free_estate.pk, "name": free_estate.name} in body["properties"]["estates"]
    free_estate.refresh_from_db()
    assert free_estate.management_area_id == new.pk
    [row] = ManagementAreaVersion.objects.filter(area_id=new.pk)
    assert (row.action, row.user, row.reason, row.version) == ("create", planner, "drawn for the estate", 1)
    assert row.geom_before is None and row.geom_after is not None and row.attrs_after["name"] == "新区域"


def test_update_redraw_needs_reason_then_bumps_version_with_before_and_after(api, planner, area):
    new_geom = shrunk(area)
    body = feature(new_geom, version=area.version, name=area.name)
    response = send(api, "put", f"{URL}{area.pk}/", body)
    assert response.status_code == 400 and "reason" in json.loads(response.content)["error"]
    assert ManagementArea.objects.get(pk=area.pk).version == area.version

    body["properties"]["reason"] = "road widened"
    response = send(api, "put", f"{URL}{area.pk}/", body)
    assert response.status_code == 200, response.content
    assert json.loads(response.content)["properties"]["version"] == area.version + 1
    row = ManagementAreaVersion.objects.filter(area_id=area.pk).order_by("-id").first()
    assert (row.version, row.action, row.reason, row.user) == (area.version + 1, "redraw", "road widened", planner)
    assert shp(row.geom_before).equals(shp(area.geom)) and shp(row.geom_after).equals_exact(new_geom, 1e-9)
    assert row.attrs_before["version"] == area.version and row.attrs_after["version"] == area.version + 1


def test_rename_without_geometry_change_needs_no_reason(api, area):
    current = json.loads(api.get(f"{URL}{area.pk}/").content)
    current["properties"]["name"] = "改名区域"
    response = send(api, "put", f"{URL}{area.pk}/", current)  # geometry as returned: unchanged
    assert response.status_code == 200, response.content
    assert ManagementAreaVersion.objects.filter(area_id=area.pk).order_by("-id").first().action == "update"


def test_saving_the_same_content_makes_no_new_version(api, area):
    current = json.loads(api.get(f"{URL}{area.pk}/").content)
    before = ManagementAreaVersion.objects.filter(area_id=area.pk).count()
    assert send(api, "put", f"{URL}{area.pk}/", current).status_code == 200
    assert ManagementArea.objects.get(pk=area.pk).version == area.version
    assert ManagementAreaVersion.objects.filter(area_id=area.pk).count() == before


def test_delete_needs_version_and_reason_and_unlinks_estates(api, area):
    estate_ids = list(area.estates.values_list("pk", flat=True))
    assert api.delete(f"{URL}{area.pk}/?version={area.version}").status_code == 400
    assert api.delete(f"{URL}{area.pk}/?version={area.version + 5}&reason=x").status_code == 409
    response = api.delete(f"{URL}{area.pk}/?version={area.version}&reason=no+longer+served")
    assert response.status_code == 204
    assert not ManagementArea.objects.filter(pk=area.pk).exists()
    assert not Estate.objects.filter(pk__in=estate_ids, management_area__isnull=False).exists()
    row = ManagementAreaVersion.objects.filter(area_id=area.pk).order_by("-id").first()
    assert (row.action, row.reason, row.geom_after) == ("delete", "no longer served", None)


# --- validation ----------------------------------------------------------------------------------------------------

def test_validate_reports_overlap_with_geometry_and_neighbour(api, area):
    other = neighbour_of(area)
    grown = shp(area.geom).union(shp(other.geom).buffer(-0.00001))
    response = send(api, "post", f"{URL}validate/", feature(grown, id=area.pk))
    body = json.loads(response.content)
    assert response.status_code == 200 and body["ok"] is False
    overlap = [p for p in body["problems"] if p["kind"] == "overlap"]
    assert [p["area_id"] for p in overlap] == [other.pk]
    assert overlap[0]["geometry"]["type"] in ("Polygon", "MultiPolygon") and overlap[0]["location"]
    assert shapely.geometry.shape(overlap[0]["geometry"]).area > 0
    # The same boundary as a save: 400 with the problems, nothing written.
    response = send(api, "put", f"{URL}{area.pk}/", feature(grown, version=area.version, reason="grow"))
    assert response.status_code == 400
    assert [p["kind"] for p in json.loads(response.content)["problems"]] == ["overlap"]
    assert ManagementArea.objects.get(pk=area.pk).version == area.version


def test_validate_reports_the_part_outside_the_district(api, area):
    district = AdminArea.objects.get(pk=area.district_id)
    minx, miny, maxx, maxy = shp(district.geom).bounds
    outside = box(maxx - 0.0001, miny + 0.001, maxx + 0.001, miny + 0.0015)
    body = json.loads(send(api, "post", f"{URL}validate/", feature(outside)).content)
    [problem] = [p for p in body["problems"] if p["kind"] == "outside_district"]
    part = shapely.geometry.shape(problem["geometry"])
    assert part.area == pytest.approx(outside.difference(shp(district.geom)).area, rel=1e-6)


def test_validate_self_intersection_gives_plain_words_and_location(api):
    bowtie = {"type": "Polygon", "coordinates": [[[126.9, 45.5], [126.91, 45.51], [126.91, 45.5], [126.9, 45.51],
                                                    [126.9, 45.5]]]}
    body = json.loads(send(api, "post", f"{URL}validate/",
                           {"type": "Feature", "geometry": bowtie, "properties": {}}).content)
    [problem] = body["problems"]
    assert problem["kind"] == "invalid" and problem["message"] == "The boundary crosses itself."
    assert problem["location"] == pytest.approx([126.905, 45.505])


def test_validate_warns_about_estates_cut(api, area):
    estate = area.estates.order_by("pk").first()
    minx, miny, maxx, maxy = shp(estate.geom).bounds
    half = shp(area.geom).difference(box(minx, miny, (minx + maxx) / 2, maxy))
    body = json.loads(send(api, "post", f"{URL}validate/", feature(half, id=area.pk)).content)
    assert body["ok"] is True
    [warning] = body["warnings"]
    assert warning["kind"] == "estates_cut" and estate.pk in [e["id"] for e in warning["estates"]]


@pytest.mark.parametrize("body, words", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "JSON object"),
    ('{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[NaN, 1], [2, 2], [2, 3], [NaN, 1]]]},'
     ' "properties": {"name": "x"}}', "NaN"),
    ({"type": "FeatureCollection"}, "Feature"),
    ({"type": "Feature", "geometry": {"type": "Polygon"}, "properties": {"name": "x"}}, "coordinates"),
    ({"type": "Feature", "geometry": {"type": "Blob", "coordinates": []}, "properties": {}}, "Blob"),
    ({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[["a", 1], [2, 2], [2, 3], [1, 1]]]},
      "properties": {"name": "x"}}, "numbers"),
    ({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[500, 1], [2, 2], [2, 3], [500, 1]]]},
      "properties": {"name": "x"}}, "longitude"),
    ({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[126.9, 45.5], [126.91, 45.5], [126.9, 45.5]]]},
      "properties": {"name": "x"}}, "too few points"),
    ({"type": "Feature", "geometry": {"type": "Point", "coordinates": [126.9, 45.5]}, "properties": {"name": "x"}},
     "not a Point"),
    ({"type": "Feature", "geometry": None, "properties": {"name": "x"}}, "empty"),
    ({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[126.9, 45.5], [126.91, 45.5], [126.91, 45.51],
                                                                         [126.9, 45.5]]]}, "properties": "x"}, "properties"),
])
def test_malformed_input_is_400_naming_the_problem(api, body, words):
    count = ManagementArea.objects.count()
    response = send(api, "post", URL, body)
    assert response.status_code == 400, response.content
    assert words.lower() in json.loads(response.content)["error"].lower()
    assert ManagementArea.objects.count() == count


def test_a_form_body_with_the_csrf_check_is_400_not_500(planner):
    """The CSRF check parses a form body first; the API then says to send JSON (it read request.body: a 500)."""
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(planner)
    client.get("/")  # the CSRF cookie
    token = client.cookies["csrftoken"].value
    count = ManagementArea.objects.count()
    response = client.post(URL, {"name": "x", "csrfmiddlewaretoken": token})
    assert response.status_code == 400, response.content
    assert "as json" in json.loads(response.content)["error"].lower()
    assert ManagementArea.objects.count() == count


def test_wrong_type_and_empty_come_as_problems(api):
    body = json.loads(send(api, "post", URL, {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]},
                                              "properties": {"name": "x"}}).content)
    assert [p["kind"] for p in body["problems"]] == ["wrong_type"]
    body = json.loads(send(api, "post", URL, {"type": "Feature", "geometry": None, "properties": {"name": "x"}}).content)
    assert [p["kind"] for p in body["problems"]] == ["empty"]


def test_bad_version_is_400(api, area):
    response = send(api, "put", f"{URL}{area.pk}/", feature(None, version="five", name="x"))
    assert response.status_code == 400 and "version" in json.loads(response.content)["error"]
    response = send(api, "put", f"{URL}{area.pk}/", feature(None, name="x"))
    assert response.status_code == 400 and "version" in json.loads(response.content)["error"]


# --- conflicts -----------------------------------------------------------------------------------------------------

def test_stale_version_is_409_naming_version_user_and_time(api, planner, area):
    assert send(api, "put", f"{URL}{area.pk}/", feature(None, version=area.version, name="第一次")).status_code == 200
    response = send(api, "put", f"{URL}{area.pk}/", feature(None, version=area.version, name="第二次"))
    assert response.status_code == 409
    body = json.loads(response.content)
    assert f"version {area.version + 1}" in body["error"] and "planner" in body["error"]
    assert body["changed_by"] == "planner" and body["changed_at"]
    assert body["current"]["properties"]["name"] == "第一次"
    assert body["current"]["properties"]["version"] == area.version + 1
    assert ManagementArea.objects.get(pk=area.pk).name == "第一次"


# --- clip, split, merge, restore, history ----------------------------------------------------------------------------

def test_clip_cuts_away_neighbours(api, area):
    other = neighbour_of(area)
    grown = shp(area.geom).union(shp(other.geom).buffer(-0.00001)).convex_hull
    response = send(api, "post", f"{URL}clip/", feature(grown, id=area.pk))
    assert response.status_code == 200, response.content
    clipped = shapely.geometry.shape(json.loads(response.content)["geometry"])
    assert clipped.intersection(shp(other.geom)).area < 1e-12
    body = json.loads(send(api, "post", f"{URL}validate/", feature(clipped, id=area.pk)).content)
    assert not [p for p in body["problems"] if p["kind"] == "overlap"]


def test_split_gives_two_valid_non_overlapping_areas(api, planner, area):
    minx, miny, maxx, maxy = shp(area.geom).bounds
    x = (minx + maxx) / 2
    line = LineString([(x, miny - 0.0001), (x, maxy + 0.0001)])
    body = {"line": geo(line), "version": area.version, "reason": "two services", "name": "东半区"}
    response = send(api, "post", f"{URL}{area.pk}/split/", body)
    assert response.status_code == 200, response.content
    kept, new = json.loads(response.content)["features"]
    assert kept["id"] == area.pk and new["properties"]["name"] == "东半区"
    a, b = ManagementArea.objects.get(pk=kept["id"]), ManagementArea.objects.get(pk=new["id"])
    assert a.geom.valid and b.geom.valid
    assert shp(a.geom).intersection(shp(b.geom)).area < 1e-14
    assert shp(a.geom).union(shp(b.geom)).symmetric_difference(shp(area.geom)).area < 1e-12
    actions = set(ManagementAreaVersion.objects.filter(area_id__in=[a.pk, b.pk], action="split")
                  .values_list("area_id", "reason"))
    assert actions == {(a.pk, "two services"), (b.pk, "two services")}
    # Estates follow the side that holds them.
    for estate in Estate.objects.filter(management_area__in=[a, b]):
        assert estate.management_area.geom.covers(estate.geom) or \
            estate.geom.intersection(estate.management_area.geom).area > 0.5 * estate.geom.area


def test_split_refuses_a_line_that_misses(api, area):
    minx, miny, maxx, maxy = shp(area.geom).bounds
    line = LineString([(maxx + 0.01, miny), (maxx + 0.02, maxy)])
    response = send(api, "post", f"{URL}{area.pk}/split/", {"line": geo(line), "version": area.version, "reason": "x"})
    assert response.status_code == 400 and "does not cut" in json.loads(response.content)["error"]


def test_merge_after_split_restores_one_area(api, area):
    minx, miny, maxx, maxy = shp(area.geom).bounds
    x = (minx + maxx) / 2
    line = LineString([(x, miny - 0.0001), (x, maxy + 0.0001)])
    kept, new = json.loads(send(api, "post", f"{URL}{area.pk}/split/",
                                {"line": geo(line), "version": area.version, "reason": "split"}).content)["features"]
    body = {"ids": [kept["id"], new["id"]], "reason": "one service again",
            "versions": {str(kept["id"]): kept["properties"]["version"], str(new["id"]): new["properties"]["version"]}}
    response = send(api, "post", f"{URL}merge/", body)
    assert response.status_code == 200, response.content
    merged = ManagementArea.objects.get(pk=kept["id"])
    assert not ManagementArea.objects.filter(pk=new["id"]).exists()
    assert merged.geom.valid and shp(merged.geom).symmetric_difference(shp(area.geom)).area < 1e-12
    assert ManagementAreaVersion.objects.filter(area_id=new["id"], action="merge", geom_after__isnull=True).exists()


def test_merge_refuses_areas_that_do_not_touch(api, area):
    other = neighbour_of(area)
    body = {"ids": [area.pk, other.pk], "reason": "x",
            "versions": {str(area.pk): area.version, str(other.pk): other.version}}
    response = send(api, "post", f"{URL}merge/", body)
    assert response.status_code == 400 and "apart" in json.loads(response.content)["error"]
    body["versions"][str(other.pk)] = other.version + 3
    assert send(api, "post", f"{URL}merge/", body).status_code == 409


def test_history_and_restore_make_a_new_version(api, area):
    original = shp(area.geom)
    send(api, "put", f"{URL}{area.pk}/", feature(shrunk(area), version=area.version, reason="shrink"))
    response = send(api, "post", f"{URL}{area.pk}/restore/",
                    {"version": area.version, "base_version": area.version + 1, "reason": "undo the shrink"})
    assert response.status_code == 200, response.content
    assert json.loads(response.content)["properties"]["version"] == area.version + 2
    assert shp(ManagementArea.objects.get(pk=area.pk).geom).equals(original)
    versions = json.loads(api.get(f"{URL}{area.pk}/history/").content)["versions"]
    assert [v["version"] for v in versions[:3]] == [area.version + 2, area.version + 1, area.version]
    assert [v["action"] for v in versions[:2]] == ["restore", "redraw"]
    assert versions[0]["reason"] == "undo the shrink" and versions[0]["user"] == "planner"
    assert versions[0]["geometry"]["type"] == "MultiPolygon" and versions[0]["action_label"]
    assert {"changed_at", "attributes"} <= set(versions[0])
    # Nothing erased: the demo creation row is still there, with its reason.
    assert versions[-1]["action"] == "create" and versions[-1]["reason"] == "demo city"


def test_restore_of_unknown_version_is_400(api, area):
    response = send(api, "post", f"{URL}{area.pk}/restore/", {"version": 99, "base_version": area.version, "reason": "x"})
    assert response.status_code == 400


# --- other write paths record history too --------------------------------------------------------------------------

def test_bulk_update_records_history(area):
    ManagementArea.objects.filter(pk=area.pk).update(name="批量改名")
    row = ManagementAreaVersion.objects.filter(area_id=area.pk).order_by("-id").first()
    assert (row.action, row.version, row.attrs_after["name"]) == ("update", area.version + 1, "批量改名")


def test_admin_change_goes_through_the_service_with_reason(area):
    admin_user = User.objects.get(username="admin")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")  # the assertions read the English messages
    client.force_login(admin_user)
    url = f"/admin/layers/managementarea/{area.pk}/change/"
    page = client.get(url)
    form = page.context["adminform"].form
    data = {name: form.initial.get(name) for name in ("code", "name", "street")}
    data["district"] = area.district_id
    data["geom"] = json.dumps(geo(shrunk(area)))
    data["base_version"] = area.version
    data["reason"] = ""
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the error
    assert "reason" in response.context["adminform"].form.errors
    data["reason"] = "corrected in the admin"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    row = ManagementAreaVersion.objects.filter(area_id=area.pk).order_by("-id").first()
    assert (row.action, row.reason, row.user) == ("redraw", "corrected in the admin", admin_user)
    # A stale form is a form error naming the version now current.
    data["name"] = "stale"
    response = client.post(url, data)
    assert response.status_code == 200
    assert f"version {area.version + 1}" in str(response.context["adminform"].form.non_field_errors())
    assert "history" in client.get(url).content.decode().lower() or "历史" in client.get(url).content.decode()


# --- permissions -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["official", "street"])
def test_official_and_street_office_cannot_write(who, area, free_estate):
    if who == "street":
        user = UserProfile.objects.filter(role=Role.STREET_OFFICE).first().user
    else:
        user = User.objects.get(username="official")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")  # the assertions read the English messages
    client.force_login(user)
    versions, count = ManagementAreaVersion.objects.count(), ManagementArea.objects.count()
    minx, miny, maxx, maxy = shp(area.geom).bounds
    line = LineString([((minx + maxx) / 2, miny - 0.0001), ((minx + maxx) / 2, maxy + 0.0001)])
    other = neighbour_of(area)
    attempts = [
        send(client, "post", URL, feature(shp(free_estate.geom), name="x")),
        send(client, "put", f"{URL}{area.pk}/", feature(shrunk(area), version=area.version, reason="x", name="x")),
        client.delete(f"{URL}{area.pk}/?version={area.version}&reason=x"),
        send(client, "post", f"{URL}{area.pk}/split/", {"line": geo(line), "version": area.version, "reason": "x"}),
        send(client, "post", f"{URL}merge/", {"ids": [area.pk, other.pk], "reason": "x",
                                             "versions": {str(area.pk): area.version, str(other.pk): other.version}}),
        send(client, "post", f"{URL}{area.pk}/restore/", {"version": 1, "base_version": area.version, "reason": "x"}),
        send(client, "post", f"{URL}validate/", feature(shrunk(area), id=area.pk)),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    assert all("error" in json.loads(r.content) for r in attempts)
    assert ManagementAreaVersion.objects.count() == versions and ManagementArea.objects.count() == count
    assert client.get(f"{URL}{area.pk}/").status_code == 200  # reading is allowed


def test_csrf_is_enforced(planner, area):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(planner)
    response = send(client, "put", f"{URL}{area.pk}/", feature(None, version=area.version, name="x"))
    assert response.status_code == 403
    assert ManagementArea.objects.get(pk=area.pk).name == area.name


def test_anonymous_gets_403(area):
    assert Client().get(f"{URL}{area.pk}/").status_code == 403


# --- merging across a road, renaming, the history of a removed area -------------------------------------------------

def area_pairs(max_deg=0.0008):
    """Pairs of demo areas near each other (one district), nearest first."""
    with connection.cursor() as cursor:
        cursor.execute("""SELECT a.id, b.id FROM layers_managementarea a JOIN layers_managementarea b
                            ON a.id < b.id AND a.district_id = b.district_id AND ST_DWithin(a.geom, b.geom, %s)
                          ORDER BY a.id, b.id LIMIT 200""", [max_deg])
        return cursor.fetchall()


def find_pair(api, wanted):
    """The first pair whose merge preview (status, body) satisfies `wanted`."""
    for a, b in area_pairs():
        response = send(api, "post", f"{URL}merge/preview/", {"ids": [a, b]})
        body = json.loads(response.content)
        if wanted(response.status_code, body):
            return ManagementArea.objects.get(pk=a), ManagementArea.objects.get(pk=b), body
    pytest.fail("no such pair of areas in the demo city")


def geography_gap(a, b) -> float:
    with connection.cursor() as cursor:
        cursor.execute("""SELECT ST_Distance(ST_Transform(a.geom, 4326)::geography, ST_Transform(b.geom, 4326)::geography)
                            FROM layers_managementarea a, layers_managementarea b WHERE a.id = %s AND b.id = %s""",
                       [a.pk, b.pk])
        return cursor.fetchone()[0]


def estates_by_area() -> dict:
    return dict(Estate.objects.values_list("id", "management_area_id"))


def test_merge_preview_shows_the_gap_and_the_filled_part_then_the_merge_fills_it(api):
    versions_before, areas_before = ManagementAreaVersion.objects.count(), ManagementArea.objects.count()
    a, b, preview = find_pair(api, lambda status, body: status == 200 and body["ok"] and 5 < body["gap_m"] < 45)
    assert abs(preview["gap_m"] - geography_gap(a, b)) < 0.5  # metres on the ground, not degrees
    assert preview["max_gap_m"] == 50 and preview["gap_m"] <= preview["tolerance"] <= 50
    bridge, merged = shapely.geometry.shape(preview["bridge"]), shapely.geometry.shape(preview["merged"])
    assert bridge.area > 0 and preview["bridge_area_m2"] > 0
    assert merged.buffer(1e-9).contains(shp(a.geom).union(shp(b.geom)))
    # Previews are dry runs.
    assert (ManagementAreaVersion.objects.count(), ManagementArea.objects.count()) == (versions_before, areas_before)

    body = {"ids": [a.pk, b.pk], "versions": {str(a.pk): a.version, str(b.pk): b.version}, "reason": "跨路合并"}
    refused = send(api, "post", f"{URL}merge/", body)  # without a tolerance: the old refusal, with the distance
    assert refused.status_code == 400 and f"{preview['gap_m']:.0f} m apart" in json.loads(refused.content)["error"]
    before = estates_by_area()
    response = send(api, "post", f"{URL}merge/", {**body, "tolerance": preview["tolerance"]})
    assert response.status_code == 200, response.content
    kept = ManagementArea.objects.get(pk=a.pk)
    assert not ManagementArea.objects.filter(pk=b.pk).exists()
    assert kept.version == a.version + 1 and kept.geom.num_geom == 1
    assert shp(kept.geom).buffer(1e-9).contains(shp(a.geom).union(shp(b.geom)))
    assert abs(shp(kept.geom).area - merged.area) < 1e-12
    # Nothing of another area is taken: no overlap, and no estate of a third area changes hands.
    with connection.cursor() as cursor:
        cursor.execute("""SELECT count(*) FROM layers_managementarea m, layers_managementarea k
                           WHERE k.id = %s AND m.id <> k.id AND ST_Relate(m.geom, k.geom, '2********')""", [kept.pk])
        assert cursor.fetchone()[0] == 0
    after = estates_by_area()
    moved = {pk for pk in before if before[pk] != after[pk]}
    assert all(before[pk] in (a.pk, b.pk, None) and after[pk] in (a.pk, None) for pk in moved)


def test_merge_beyond_the_gap_limit_is_refused_with_the_distance(api, settings):
    a, b, body = find_pair(api, lambda status, body: status == 400 and body.get("gap_m", 0) > 50)
    assert body["max_gap_m"] == 50 and f"{body['gap_m']:.0f} m apart" in body["error"]
    count = ManagementAreaVersion.objects.count()
    merge = {"ids": [a.pk, b.pk], "versions": {str(a.pk): a.version, str(b.pk): b.version}, "reason": "x"}
    for tolerance in (50, 80):
        response = send(api, "post", f"{URL}merge/", {**merge, "tolerance": tolerance})
        assert response.status_code == 400 and "apart" in json.loads(response.content)["error"]
    assert ManagementAreaVersion.objects.count() == count and ManagementArea.objects.filter(pk=b.pk).exists()
    # The limit is a setting.
    near, other, preview = find_pair(api, lambda status, body: status == 200 and 20 < body["gap_m"] < 45)
    settings.MANAGEMENT_AREA_MERGE_MAX_GAP_M = 15
    response = send(api, "post", f"{URL}merge/preview/", {"ids": [near.pk, other.pk]})
    assert response.status_code == 400 and json.loads(response.content)["max_gap_m"] == 15
    assert "15 m" in json.loads(response.content)["error"]


def test_merge_never_fills_over_an_estate_of_a_third_area(api):
    a, b, preview = find_pair(api, lambda status, body: status == 200 and any(
        p["kind"] == "other_area_estate" for p in body["problems"]))
    problem = next(p for p in preview["problems"] if p["kind"] == "other_area_estate")
    assert problem["area_id"] not in (a.pk, b.pk) and problem["geometry"] is not None
    third = ManagementArea.objects.get(pk=problem["area_id"])
    assert third.name in problem["message"] and not preview["ok"]
    body = {"ids": [a.pk, b.pk], "versions": {str(a.pk): a.version, str(b.pk): b.version}, "reason": "x",
            "tolerance": preview["tolerance"]}
    count = ManagementAreaVersion.objects.count()
    response = send(api, "post", f"{URL}merge/", body)
    assert response.status_code == 400
    assert [p["kind"] for p in json.loads(response.content)["problems"]] == [p["kind"] for p in preview["problems"]]
    assert ManagementAreaVersion.objects.count() == count and ManagementArea.objects.filter(pk=b.pk).exists()


def test_rename_is_a_version_and_a_taken_code_is_refused_in_chinese(api, planner, area, free_estate):
    other = neighbour_of(area)
    response = send(api, "put", f"{URL}{area.pk}/",
                    feature(None, version=area.version, name="幸福里片区", code="MA-XF-01", reason="按街道意见改名"))
    assert response.status_code == 200, response.content
    renamed = ManagementArea.objects.get(pk=area.pk)
    assert (renamed.name, renamed.code, renamed.version) == ("幸福里片区", "MA-XF-01", area.version + 1)
    assert renamed.geom.equals(area.geom)
    row = ManagementAreaVersion.objects.get(area_id=area.pk, version=area.version + 1)
    assert (row.action, row.user, row.reason, row.attrs_after["code"]) == ("update", planner, "按街道意见改名", "MA-XF-01")
    versions = json.loads(api.get(f"{URL}{area.pk}/history/").content)["versions"]
    assert versions[0]["user"] == "planner" and versions[0]["attributes"]["name"] == "幸福里片区"

    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    chinese.force_login(planner)
    response = send(chinese, "put", f"{URL}{area.pk}/", feature(None, version=renamed.version, code=other.code))
    body = json.loads(response.content)
    assert response.status_code == 400 and body["field"] == "code"
    assert other.code in body["error"] and other.name in body["error"] and "已被" in body["error"]
    assert ManagementArea.objects.get(pk=area.pk).code == "MA-XF-01"
    # A new area with a taken code: the same refusal.
    count = ManagementArea.objects.count()
    response = send(chinese, "post", URL, feature(shp(free_estate.geom), name="x", code=other.code))
    assert response.status_code == 400 and json.loads(response.content)["field"] == "code"
    assert ManagementArea.objects.count() == count


def test_the_history_of_an_area_removed_by_a_merge_stays_readable(api, area):
    minx, miny, maxx, maxy = shp(area.geom).bounds
    x = (minx + maxx) / 2
    line = LineString([(x, miny - 0.0001), (x, maxy + 0.0001)])
    kept, new = json.loads(send(api, "post", f"{URL}{area.pk}/split/",
                                {"line": geo(line), "version": area.version, "reason": "split"}).content)["features"]
    body = {"ids": [kept["id"], new["id"]], "reason": "合并回去",
            "versions": {str(kept["id"]): kept["properties"]["version"], str(new["id"]): new["properties"]["version"]}}
    assert send(api, "post", f"{URL}merge/", body).status_code == 200
    assert api.get(f"{URL}{new['id']}/").status_code == 404  # the area itself is gone

    response = api.get(f"{URL}{new['id']}/history/")
    assert response.status_code == 200, response.content
    data = json.loads(response.content)
    assert [v["action"] for v in data["versions"]] == ["merge", "split"]
    assert data["removed"]["merged_into"] == {"id": area.pk, "code": area.code, "name": area.name, "removed": False}
    assert data["removed"]["name"] == new["properties"]["name"]
    survivor = json.loads(api.get(f"{URL}{area.pk}/history/").content)
    assert survivor["removed"] is None
    assert survivor["versions"][0]["merged_with"]["id"] == new["id"] and survivor["versions"][0]["merged_with"]["removed"]
    assert survivor["versions"][1]["merged_with"] is None

    page = api.get(f"/management-areas/{new['id']}/history/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-merged-into="{area.pk}"' in html and f'href="/management-areas/{area.pk}/"' in html
    assert area.name in html and html.count("data-version=") == 2
    assert api.get(f"/management-areas/{area.pk}/history/").status_code == 200
    # The removed area's own detail page (an old link, a bookmark) leads there too, not to a 404.
    detail = api.get(f"/management-areas/{new['id']}/")
    assert detail.status_code == 302 and detail["Location"] == f"/management-areas/{new['id']}/history/"
    followed = api.get(f"/management-areas/{new['id']}/", follow=True)
    assert followed.status_code == 200 and f'data-merged-into="{area.pk}"' in followed.content.decode()
    # Not for another district's planner: the surviving area is outside what they may see.
    from layers.models import Role, UserProfile

    from . import factories as f

    stranger = User.objects.create_user("planner-elsewhere")
    UserProfile.objects.create(user=stranger, role=Role.PLANNER, district=f.second_district())
    elsewhere = Client()
    elsewhere.force_login(stranger)
    assert elsewhere.get(f"/management-areas/{new['id']}/").status_code == 404
    # Nor the removed area's history, by the API or the page: it stays in its district (the versions carry it).
    assert ManagementAreaVersion.objects.filter(area_id=new["id"]).values_list("district_id", flat=True).distinct()[0] \
        == area.district_id
    assert elsewhere.get(f"{URL}{new['id']}/history/").status_code == 404
    assert elsewhere.get(f"/management-areas/{new['id']}/history/").status_code == 404
    never = ManagementAreaVersion.objects.order_by("-area_id").first().area_id + 1000
    assert api.get(f"{URL}{never}/history/").status_code == 404
    assert api.get(f"/management-areas/{never}/history/").status_code == 404
