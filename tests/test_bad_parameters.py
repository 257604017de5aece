"""Every parameter of every GET endpoint (tests/get_parameters.py) with a NUL character, and every numeric one with a
number that is not finite (1e309, inf, -inf, nan): each refused with 400 and a Chinese message naming the defect
(Accept-Language zh-hans), never 500, nothing written. Also NUL in the address, an undeclared parameter, a cookie,
the Authorization header, and the completeness of the table against the resolver, the OpenAPI schema and the views.
"""
from __future__ import annotations

import base64
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import get_resolver

from .db_fingerprint import fingerprint
from .get_parameters import (
    BBOX, GET_ENDPOINTS, IDS, NOT_GET, NOT_WALKED_PREFIXES, NUMERIC, OTHER_METHODS, Endpoint, Objects,
)
from .test_bad_input import messages

pytestmark = pytest.mark.django_db

NUL = "a\x00b"
NON_FINITE = ["1e309", "inf", "-inf", "nan"]
NUL_SAYS = "空字符"
NOT_FINITE_SAYS = "有限"


def bad_values(kind: str) -> list[str]:
    if kind == BBOX:
        return ["1e309,45.5,126.9,45.6", "126.8,inf,126.9,45.6", "126.8,45.5,-inf,45.6", "nan,45.5,126.9,45.6"]
    if kind == IDS:
        return [f"1,{v}" for v in NON_FINITE]
    return NON_FINITE


def zh_client(username: str) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    if username:
        c.force_login(User.objects.get(username=username))
    return c


@pytest.fixture
def objects():
    return Objects()


def get(endpoint: Endpoint, objects: Objects, params: dict, *, path_suffix: str = "", unchanged: bool = False):
    """Send the request; `unchanged`: and assert it wrote nothing (the address's objects are made before)."""
    query = urlencode({**endpoint.base, **params})
    address = endpoint.url(objects) + path_suffix + (f"?{query}" if query else "")
    send = getattr(zh_client(endpoint.user), endpoint.method)
    before = fingerprint() if unchanged else None
    response = send(address)
    assert not unchanged or fingerprint() == before, "a refused request wrote something"
    return response


def refused(response, says: str, *also: str) -> None:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    text = messages(response)
    for word in (says, *also):
        assert word in text, f"{word!r} not in {text[:300]!r}"
    assert "Traceback" not in text


WALKED = GET_ENDPOINTS + OTHER_METHODS
NUL_CASES = [pytest.param(e, name, id=f"{e}-{name}") for e in WALKED for name in e.params]
NUMBER_CASES = [pytest.param(e, name, value, id=f"{e}-{name}-{value}") for e in WALKED
                for name, kind in e.params.items() if kind in NUMERIC | {BBOX} for value in bad_values(kind)]


@pytest.mark.parametrize("endpoint, name", NUL_CASES)
def test_nul_in_a_parameter_is_refused(endpoint, name, objects):
    refused(get(endpoint, objects, {name: NUL}, unchanged=True), NUL_SAYS, name)


@pytest.mark.parametrize("endpoint, name, value", NUMBER_CASES)
def test_a_number_that_is_not_finite_is_refused(endpoint, name, value, objects):
    refused(get(endpoint, objects, {name: value}, unchanged=True), NOT_FINITE_SAYS, name)


@pytest.mark.parametrize("endpoint", [pytest.param(e, id=str(e)) for e in GET_ENDPOINTS])
def test_nul_in_the_address_or_an_undeclared_parameter_is_refused(endpoint, objects):
    refused(get(endpoint, objects, {}, path_suffix="%00", unchanged=True), NUL_SAYS)
    refused(get(endpoint, objects, {"x": NUL}), NUL_SAYS)
    refused(get(endpoint, objects, {"x\x00": "1"}), NUL_SAYS)


@pytest.mark.parametrize("endpoint", [pytest.param(e, id=str(e)) for e in GET_ENDPOINTS])
def test_the_controls_are_answered(endpoint, objects):
    """The same addresses without a defect are not refused: the refusals above are the defects'."""
    response = get(endpoint, objects, {})
    assert response.status_code in (200, 302), (response.status_code, response.content[:300])


def test_a_nul_in_the_session_cookie_is_refused():
    c = zh_client("")
    c.cookies["sessionid"] = "abc\x00defghijkl"
    refused(c.get("/"), NUL_SAYS)
    refused(c.get("/api/search/?q=x"), NUL_SAYS)


@pytest.mark.parametrize("url", ["/ogc/collections", "/api/plans/", "/api/search/?q=x"])
def test_a_nul_in_the_basic_user_name_or_the_token_is_refused(url):
    basic = base64.b64encode("plan\x00ner:demo12345".encode()).decode()
    refused(Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(url, HTTP_AUTHORIZATION=f"Basic {basic}"), NUL_SAYS)
    refused(Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(url, HTTP_AUTHORIZATION="Token abc\x00def"), NUL_SAYS)


def test_a_nul_in_the_admin_search_is_refused():
    response = zh_client("admin").get("/admin/layers/estate/?q=" + "%00")
    refused(response, NUL_SAYS)


def test_refusals_speak_english_on_request_and_pages_answer_in_the_site_layout():
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(User.objects.get(username="planner"))
    api = c.get("/api/search/?q=a%00b")
    assert api.status_code == 400 and "NUL" in api.json()["error"] and "“q”" in api.json()["error"]
    page = c.get("/enterprises/?q=a%00b")
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")
    assert "NUL" in page.content.decode() and "<html" in page.content.decode()
    number = c.get("/api/admin-areas.geojson?level=street&zoom=1e309")
    assert number.status_code == 400 and "finite" in number.json()["error"]


# --- the table is complete ----------------------------------------------------------------------------------------

def routes() -> set[str]:
    def walk(patterns, prefix=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern)
    return {r for r in walk(get_resolver().url_patterns) if not r.startswith(NOT_WALKED_PREFIXES)}


def test_every_route_is_walked_or_answers_no_get():
    listed = {e.route for e in GET_ENDPOINTS} | NOT_GET
    assert routes() - listed == set(), "routes missing from tests/get_parameters.py"
    assert listed - routes() == set(), "routes in tests/get_parameters.py that no longer exist"


@pytest.mark.parametrize("route", sorted(NOT_GET))
def test_routes_said_to_answer_no_get_refuse_it(route):
    url = "/" + re.sub(r"<int:\w+>", "1", route)
    assert zh_client("planner").get(url).status_code == 405


def test_every_documented_get_parameter_is_walked():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    walked: dict[str, set[str]] = {}
    for e in GET_ENDPOINTS:
        walked.setdefault(e.route, set()).update(e.params)
    missing = []
    for path, operations in schema["paths"].items():
        if "get" not in operations:
            continue
        pattern = "".join("<[^>]+>" if part.startswith("{") else re.escape(part)
                          for part in re.split(r"(\{[^}]+\})", path.lstrip("/")))
        matching = [r for r in walked if re.fullmatch(pattern, r)]
        assert matching, f"{path} is not in tests/get_parameters.py"
        for p in operations["get"].get("parameters", []):
            if p["in"] == "query" and not any(p["name"] in walked[r] for r in matching):
                missing.append(f"{path} ?{p['name']}")
    assert missing == []


READS = re.compile(r"""(?:GET|query_params|query)(?:\.get\(|\[)\s*["']([\w-]+)["']""")


def test_every_parameter_a_view_reads_is_walked():
    layers = Path(__file__).resolve().parent.parent / "layers"
    read = {m for path in layers.rglob("*.py") for m in READS.findall(path.read_text(encoding="utf-8"))}
    walked = {name for e in WALKED for name in e.params}
    assert read - walked == set()
