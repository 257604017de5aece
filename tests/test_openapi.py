"""The OpenAPI description (docs/API.md): valid, complete, true to the responses; token auth; the docs page."""
import copy
import json
import re

import jsonschema
import pytest
import yaml
from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token

from layers.models import AdminArea, AdminLevel, Building, Estate, ManagementArea

pytestmark = pytest.mark.django_db

# Routes under api/ that describe the API rather than being part of it.
NOT_IN_SCHEMA = {"api/schema/", "api/docs/"}
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def login(username) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.get(username=username))
    return client


@pytest.fixture
def planner_client():
    return login("planner")


# --- the schema is valid and complete -------------------------------------------------------------------------

def test_schema_validates_without_a_warning(tmp_path):
    """`manage.py spectacular --validate --fail-on-warn` (raises on any warning or an invalid OpenAPI document)."""
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    document = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert document["openapi"].startswith("3.")
    assert {"cookieAuth", "tokenAuth"} <= set(document["components"]["securitySchemes"])


def routes(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.name


CONVERTER_SAMPLES = {"int": "1", "str": "x", "slug": "x", "path": "x", "uuid": "00000000-0000-0000-0000-000000000000"}


def sample_path(route: str) -> str:
    """A URL the route matches: `api/features/<str:kind>/<int:pk>/` → `/api/features/x/1/`."""
    if route.startswith("^"):  # re_path: drop the anchors and turn each group into one segment
        route = re.sub(r"\(\?P<\w+>[^)]*\)", "x", route.strip("^$"))
    return "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: CONVERTER_SAMPLES.get(m.group(1) or "str", "x"), route)


def schema_path_regex(template: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)) + "$")


def test_every_api_url_is_in_the_schema(schema):
    """Every URL under /api/ (whoever added it) is described; /ogc/ is OGC API – Features, described by itself."""
    documented = [schema_path_regex(p) for p in schema["paths"]]
    api_routes = {(route, name) for route, name in routes(get_resolver().url_patterns)
                  if route.lstrip("^").startswith("api/") and route.lstrip("^") not in NOT_IN_SCHEMA}
    assert len(api_routes) >= 20
    missing = sorted(f"/{route} (URL name {name!r})" for route, name in api_routes
                     if not any(regex.match(sample_path(route)) for regex in documented))
    assert not missing, ("URLs under /api/ missing from /api/schema/ — make them DRF views (@api_view) with "
                         "@extend_schema: " + ", ".join(missing))
    assert not any(p.startswith("/ogc") for p in schema["paths"])


def test_tile_endpoint_is_documented_as_binary(schema):
    tile = schema["paths"]["/tiles/{layer}/{z}/{x}/{y}.mvt"]["get"]
    assert set(tile["responses"]["200"]["content"]) == {"application/vnd.mapbox-vector-tile"}
    assert tile["responses"]["200"]["content"]["application/vnd.mapbox-vector-tile"]["schema"]["format"] == "binary"
    assert {p["name"] for p in tile["parameters"]} == {"layer", "z", "x", "y", "date"}


def test_photo_upload_is_documented_as_multipart(schema):
    body = schema["paths"]["/api/buildings/{id}/abandonment-reports/"]["post"]["requestBody"]["content"]
    assert list(body) == ["multipart/form-data"]
    fields = resolve(schema, body["multipart/form-data"]["schema"])["properties"]
    assert fields["photos"]["items"]["format"] == "binary"
    assert fields["reason"]["enum"][0] == "enterprise_left"


# --- the schema and the docs page are served --------------------------------------------------------------------

def test_schema_and_docs_need_a_log_in():
    for url in ("/api/schema/", "/api/docs/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_schema_is_served_as_yaml_and_json(planner_client):
    as_yaml = planner_client.get("/api/schema/")
    assert as_yaml.status_code == 200 and as_yaml["Content-Type"].startswith("application/vnd.oai.openapi")
    as_json = planner_client.get("/api/schema/?format=json")
    assert as_json.status_code == 200
    assert yaml.safe_load(as_yaml.content) == json.loads(as_json.content)
    assert "/api/coverage/" in json.loads(as_json.content)["paths"]


def test_docs_page_uses_only_local_assets(planner_client):
    response = planner_client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets), assets
    # Swagger UI's set-up script comes from the docs view itself (?script=): the CSP allows no inline script.
    assert "/api/docs/?script=" in assets
    for asset in (a for a in assets if a != "/api/docs/?script="):
        assert asset.startswith("/static/"), f"{asset} is not served by this site"
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not in the static files"
    script = planner_client.get("/api/docs/?script=").content.decode()
    for text in (html, script):
        assert not re.findall(r"https?://", text), "an absolute URL in the docs page"
    assert '"validatorUrl": null' in script  # Swagger UI would otherwise load a badge from validator.swagger.io
    assert '"/api/schema/"' in script  # the UI reads this site's schema


# --- token authentication --------------------------------------------------------------------------------------

@pytest.fixture
def planner_with_password():
    user = User.objects.get(username="planner")
    user.set_password(PASSWORD)
    user.save()
    return user


def test_token_for_username_and_password(planner_with_password):
    client = Client(enforce_csrf_checks=True)  # no session, so no CSRF token to send
    response = client.post("/api/token/", {"username": "planner", "password": PASSWORD},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json() == {"token": Token.objects.get(user=planner_with_password).key}
    again = client.post("/api/token/", {"username": "planner", "password": PASSWORD})  # form-encoded too
    assert again.json() == response.json()

    wrong = client.post("/api/token/", {"username": "planner", "password": "nope"}, content_type="application/json")
    assert wrong.status_code == 400 and wrong.json()["error"]
    assert set(wrong.json()) == {"error"}
    assert not Token.objects.exclude(user=planner_with_password).exists()


def token_client(username) -> Client:
    token, _ = Token.objects.get_or_create(user=User.objects.get(username=username))
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE="en")


def test_token_authenticates_a_get():
    estate = Estate.objects.order_by("pk").first()
    response = token_client("official").get("/api/search/", {"q": estate.name})
    assert response.status_code == 200
    assert estate.pk in [r["id"] for r in response.json()["results"]]
    assert token_client("official").get("/api/schema/").status_code == 200


def test_token_authenticates_a_post_without_csrf(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    building = Building.objects.filter(abandonment="none").order_by("code").first()
    data = {"abandoned_since": "2024-03-01", "reason": "developer_left", "description": "无人清扫",
            "photos": [SimpleUploadedFile("door.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200,
                                          content_type="image/jpeg")]}
    response = token_client("planner").post(f"/api/buildings/{building.pk}/abandonment-reports/", data)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["building_id"], body["description"], len(body["photos"])) == (building.pk, "无人清扫", 1)
    assert "无人清扫".encode() in response.content  # UTF-8, not \\u escapes

    # The same request on a session without the CSRF token is refused, and writes nothing.
    session = Client(enforce_csrf_checks=True)
    session.force_login(User.objects.get(username="planner"))
    data["photos"][0].seek(0)
    refused = session.post(f"/api/buildings/{building.pk}/abandonment-reports/", data)
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
    assert Building.objects.get(pk=building.pk).abandonment_reports.count() == 1


def test_token_keeps_the_role_rules():
    area = ManagementArea.objects.order_by("pk").first()
    response = token_client("official").delete(
        f"/api/management-areas/{area.pk}/?version={area.version}&reason=test")
    assert response.status_code == 403 and response.json()["error"]
    assert ManagementArea.objects.filter(pk=area.pk).exists()


def test_a_wrong_token_is_refused_with_the_error_shape():
    client = Client(HTTP_AUTHORIZATION="Token not-a-token", HTTP_ACCEPT_LANGUAGE="en")
    response = client.get("/api/coverage/")
    assert response.status_code in (401, 403)
    assert set(response.json()) == {"error"} and "token" in response.json()["error"].lower()
    assert client.get("/api/abandonment-reports/").status_code == 401


def test_tokens_are_managed_in_the_admin():
    response = login("admin").get("/admin/authtoken/tokenproxy/")
    assert response.status_code == 200


# --- responses match their schema ------------------------------------------------------------------------------

def resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def as_json_schema(node):
    """OpenAPI 3.0 → JSON Schema, strict: `nullable` becomes a null alternative, and an object documented with
    properties may carry no other key (so an undocumented key in a response fails the test)."""
    if isinstance(node, list):
        return [as_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: as_json_schema(v) for k, v in node.items() if k not in ("nullable", "readOnly", "writeOnly")}
    if out.get("type") == "object" and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if node.get("nullable"):
        out = {"anyOf": [out, {"type": "null"}]}
    return out


def check(schema, client, url, *, path, method="get", status=200, **kwargs):
    """Call `url` and validate the body against the schema documented for (path, method, status)."""
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code == status, response.content[:500]
    content = schema["paths"][path][method]["responses"][str(status)]["content"]
    media_type = response["Content-Type"].split(";")[0]
    assert media_type in content, f"{url} answered {media_type}, documented {list(content)}"
    validator = jsonschema.Draft7Validator({**as_json_schema(content[media_type]["schema"]),
                                           "components": as_json_schema(copy.deepcopy(schema["components"]))})
    body = json.loads(response.content)
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]
    assert not problems, f"{url}: " + "; ".join(problems[:5])
    return body


def test_map_responses_match_the_schema(schema, planner_client):
    estate = Estate.objects.order_by("pk").first()
    results = check(schema, planner_client, f"/api/search/?q={estate.name}", path="/api/search/")["results"]
    assert results
    for kind, pk in [("estate", estate.pk), ("building", Building.objects.order_by("pk").first().pk),
                     ("management_area", ManagementArea.objects.order_by("pk").first().pk)]:
        popup = check(schema, planner_client, f"/api/features/{kind}/{pk}/", path="/api/features/{kind}/{id}/")
        assert (popup["kind"], popup["id"]) == (kind, pk)
    check(schema, planner_client, "/api/features/estate/987654321/", path="/api/features/{kind}/{id}/", status=404)
    areas = check(schema, planner_client, "/api/admin-areas.geojson?level=street&zoom=12",
                  path="/api/admin-areas.geojson")
    assert len(areas["features"]) == AdminArea.objects.filter(level=AdminLevel.STREET).count()
    check(schema, planner_client, "/api/admin-areas.geojson?level=nowhere", path="/api/admin-areas.geojson",
          status=400)


def test_coverage_responses_match_the_schema(schema, planner_client):
    figures = check(schema, planner_client, "/api/coverage/?level=community", path="/api/coverage/")
    assert figures["rows"] and figures["total"]["old_estates"] > 0
    trend = check(schema, planner_client, "/api/coverage/trend/?from=2024-01-01&to=2024-12-31",
                  path="/api/coverage/trend/")
    assert len(trend["points"]) == 12
    points = check(schema, planner_client, "/api/coverage/uncovered-households.json",
                   path="/api/coverage/uncovered-households.json")["points"]
    assert points
    check(schema, planner_client, "/api/coverage/?date=tomorrow", path="/api/coverage/", status=400)
    for extension in ("xlsx", "csv"):
        response = planner_client.get(f"/api/coverage/export.{extension}")
        content = schema["paths"][f"/api/coverage/export.{extension}"]["get"]["responses"]["200"]["content"]
        assert response["Content-Type"].split(";")[0] in content


def test_editing_responses_match_the_schema(schema, planner_client):
    area = ManagementArea.objects.filter(estates__isnull=False).order_by("pk").distinct().first()
    minx, miny, maxx, maxy = area.geom.extent
    collection = check(schema, planner_client, f"/api/management-areas/?bbox={minx},{miny},{maxx},{maxy}",
                       path="/api/management-areas/")
    assert area.pk in [f["id"] for f in collection["features"]]
    one = check(schema, planner_client, f"/api/management-areas/{area.pk}/", path="/api/management-areas/{id}/")
    assert one["properties"]["estates"]
    check(schema, planner_client, f"/api/management-areas/{area.pk}/history/",
          path="/api/management-areas/{id}/history/")
    geometry = json.loads(area.geom.json)
    result = check(schema, planner_client, "/api/management-areas/validate/", path="/api/management-areas/validate/",
                   method="post", content_type="application/json",
                   data={"type": "Feature", "geometry": geometry, "properties": {}})
    assert result["ok"] is False and result["problems"][0]["kind"] == "overlap"  # it overlaps itself as a new area
    stale = check(schema, planner_client, f"/api/management-areas/{area.pk}/", path="/api/management-areas/{id}/",
                  method="put", status=409, content_type="application/json",
                  data={"type": "Feature", "geometry": geometry,
                        "properties": {"version": area.version - 1 if area.version > 1 else area.version + 1}})
    assert stale["current"]["id"] == area.pk
    check(schema, planner_client, "/api/management-areas/validate/", path="/api/management-areas/validate/",
          method="post", status=400, content_type="application/json", data={"type": "Feature", "geometry": {
              "type": "Polygon", "coordinates": [[[126.6, 45.7], [126.61, 45.7], [126.6, 45.7]]]}})


def test_abandonment_responses_match_the_schema(schema, planner_client):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM layers_abandonmentreport")
        assert cursor.fetchone()[0] > 0, "the demo city has abandonment reports"
    page = check(schema, planner_client, "/api/abandonment-reports/", path="/api/abandonment-reports/")
    report = page["reports"][0]
    check(schema, planner_client, f"/api/abandonment-reports/{report['id']}/", path="/api/abandonment-reports/{id}/")
    check(schema, planner_client, "/api/abandonment-reports/?state=lost", path="/api/abandonment-reports/",
          status=400)
    check(schema, Client(), "/api/abandonment-reports/", path="/api/abandonment-reports/", status=401)


def test_complaint_responses_match_the_schema(schema, planner_client, no_demo_complaints):
    estate = Estate.objects.filter(community__parent__parent__code__isnull=False).order_by("code").first()
    created = planner_client.post("/api/complaints/", {"channel": "visit", "caller_words": "楼道灯不亮",
                                                       "estate": estate.pk}, content_type="application/json")
    assert created.status_code == 201, created.content
    page = check(schema, planner_client, "/api/complaints/", path="/api/complaints/")
    assert page["count"] == 1 and page["complaints"][0]["estate"]["id"] == estate.pk
    check(schema, planner_client, "/api/complaints/?overdue=perhaps", path="/api/complaints/", status=400)
