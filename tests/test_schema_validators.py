"""The OpenAPI schema's request bodies and date parameters are what the views check (layers/api/validation.py).

For every operation of /api/schema/ with a request body, a body missing everything is refused with 400 naming the
first field (in the schema's order) that the schema marks required (the serializer the schema documents is the
validator, so its first missing field is the schema's); where the schema marks none (PATCH), the first documented
property sent with a wrong type is refused naming it; a JSON array instead of an object is refused naming the body.
Every date query parameter of the schema refuses the spellings date_param refuses (an ISO week date, a compact date)
naming the parameter, and accepts YYYY-MM-DD.
"""
from __future__ import annotations

import datetime
import json

import pytest
from django.contrib.auth.models import User
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from layers.models import Bundle, Enterprise, Estate, ManagementArea, TakeoverPlan

pytestmark = pytest.mark.django_db

JSON = "application/json"
MULTIPART = "multipart/form-data"


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def admin() -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.get(username="admin"))
    return client


@pytest.fixture
def ids():
    """Path ids of objects that exist: the views that look their object up first find it."""
    from layers.services.plans import plan_create

    plan = plan_create(user=User.objects.get(username="planner"), name="模式检查计划",
                       start_date=datetime.date(2027, 1, 1), street_id=None, min_households=1)
    bundle = Bundle.objects.filter(plan=plan).order_by("rank").first()
    assert isinstance(plan, TakeoverPlan) and bundle is not None
    return {"plans": plan.pk, "bundles": bundle.pk, "enterprises": Enterprise.objects.order_by("pk").first().pk,
            "management-areas": ManagementArea.objects.order_by("pk").first().pk,
            "estates": Estate.objects.order_by("pk").first().pk}


def url_of(path: str, ids: dict) -> str:
    """The path with each {param} replaced by the id of an object of the collection before it."""
    parts = path.strip("/").split("/")
    out = []
    for k, part in enumerate(parts):
        if part == "{bid}":
            out.append(str(ids["bundles"]))
        elif part.startswith("{"):
            out.append(str(ids.get(parts[k - 1], 1)))
        else:
            out.append(part)
    return "/" + "/".join(out) + ("/" if path.endswith("/") else "")


def component(schema, ref: str) -> dict:
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def body_operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                content = operation["requestBody"]["content"]
                media = JSON if JSON in content else next(iter(content))
                yield path, method, media, component(schema, content[media]["schema"]["$ref"])


def send(client: Client, method: str, url: str, media: str, body):
    if media == MULTIPART:
        return client.post(url, body)
    return getattr(client, method)(url, json.dumps(body), content_type=JSON)


WRONG_TYPE = {"x": {"y": 1}}  # no text, number, date, list or choice field takes an object


def test_every_request_body_is_checked_by_its_documented_serializer(schema, ids):
    client = admin()
    checked = []
    for path, method, media, documented in body_operations(schema):
        url = url_of(path, ids)
        required = documented.get("required", [])
        if required:
            response = send(client, method, url, media, {})
            expected = next(name for name in documented["properties"] if name in required)
        else:
            expected = next(iter(documented["properties"]))
            response = send(client, method, url, media, {expected: WRONG_TYPE})
        assert response.status_code == 400, (method, path, response.status_code, response.content[:300])
        body = response.json()
        assert body.get("field") == expected, (method, path, expected, body)
        assert expected in body["error"], (method, path, body)
        if media == JSON:
            array = getattr(client, method)(url, "[1]", content_type=JSON)
            assert array.status_code == 400, (method, path, array.content[:300])
        checked.append((method, path))
    # The operations the schema gives a body: every editing endpoint, not a handful.
    assert len(checked) >= 20, checked


def date_parameters(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and parameter.get("schema", {}).get("format") == "date":
                    yield path, method, parameter["name"]


def concrete(path: str, ids: dict) -> str:
    if path.startswith("/tiles/"):
        return "/tiles/estates/3/6/2.mvt"
    if path.startswith("/api/export/{layer}"):
        return "/api/export/estates.geojson"
    return url_of(path, ids).replace("/worklists/1/", "/worklists/uncovered/")


@pytest.mark.parametrize("spelling", ["2024-W01-1", "20240101", "2024-02-30", "1.1.2024"])
def test_every_date_parameter_refuses_what_date_param_refuses(schema, ids, spelling):
    client = admin()
    found = list(date_parameters(schema))
    assert len(found) >= 8, found
    for path, method, name in found:
        url = concrete(path, ids)
        refused = getattr(client, method)(url, {name: spelling})
        assert refused.status_code == 400, (url, name, refused.status_code, refused.content[:200])
        assert name in refused.json()["error"], (url, name, refused.content[:200])
        accepted = getattr(client, method)(url, {name: "2024-01-01"})
        assert accepted.status_code == 200, (url, name, accepted.status_code, accepted.content[:200])
