"""Every refusal of the bad-input corpus, sent in Chinese, answers in Chinese and shows no internals.

The cases are the tables of tests/test_bad_input.py (geometry, bbox), tests/test_bad_body.py (ids, dates, files,
tiles) and tests/test_bad_import.py (import files), sent again with `Accept-Language: zh-hans`: each message of the
answer must contain a Chinese character and name no server path, Python file or traceback. The 403 and 404 pages
(in the site layout, with the navigation) and their JSON under /api/ are checked for every role.
"""
from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from layers.models import UserProfile
from layers.views.errors import server_error

from . import test_bad_input
from .test_bad_body import CASES as BODY_CASES
from .test_bad_import import FILE_CASE_NAMES, GEOMETRY_CASES, _file_case, _geometry_file, import_on_the_web
from .test_bad_input import MATRIX, message_list

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")
INTERNALS = re.compile(r"/tmp|/work|/usr|\.py\b|Traceback")


@pytest.fixture(autouse=True)
def in_chinese(monkeypatch):
    """The corpus's requests go out with Accept-Language: zh-hans."""
    monkeypatch.setattr(test_bad_input, "LANGUAGE", "zh-hans")


def assert_chinese(said: list[str], where: str) -> None:
    assert said, f"{where}: the answer carries no message"
    for message in said:
        assert CHINESE.search(message), f"{where}: no Chinese in {message[:300]!r}"
        assert not INTERNALS.search(message), f"{where}: internals in {message[:300]!r}"


def assert_refused_in_chinese(response, where: str) -> None:
    assert 400 <= response.status_code < 500 or response.status_code == 200, (response.status_code, where)
    assert_chinese(message_list(response), where)


@pytest.mark.parametrize("path, case", MATRIX)
def test_bad_geometry_and_bbox_refusals_are_chinese(path, case):
    response = path.send(case)
    if path.name == "area_validate" and response.status_code == 200:
        assert response.json()["ok"] is False  # the dry run's problems are the refusal
    else:
        assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert_refused_in_chinese(response, f"{path}-{case}")


@pytest.mark.parametrize("name, send, statuses, keyword", BODY_CASES, ids=[c[0] for c in BODY_CASES])
def test_bad_body_refusals_are_chinese(name, send, statuses, keyword):
    if name.startswith(("bundle_", "step_")):
        send = send()
    response = send()
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    if name.startswith("report_page-"):
        # The page shows the form again with the error beside the field, or — for a NUL character, refused before any
        # view reads the form (layers/security/middleware.py) — the refusal page: Chinese either way, with no path.
        text = response.content.decode()
        assert ("field-error" in text or (name.endswith("nul_in_description") and "请求被拒绝" in text))
        assert CHINESE.search(text) and not INTERNALS.search(text)
        return
    assert_chinese(message_list(response), name)


@pytest.mark.parametrize("case", GEOMETRY_CASES, ids=str)
def test_bad_geometry_file_refusals_are_chinese(case, tmp_path):
    statuses, said = import_on_the_web(_geometry_file(tmp_path, case))
    assert statuses[-1] in (400, 413), statuses
    assert_chinese([m for m in said.split(" | ") if m], str(case))


@pytest.mark.parametrize("name", FILE_CASE_NAMES)
def test_bad_file_refusals_are_chinese(name, tmp_path):
    statuses, said = import_on_the_web(_file_case(tmp_path, name))
    assert statuses[-1] in (400, 413), statuses
    assert_chinese([m for m in said.split(" | ") if m], name)


# --- 403 and 404 for each role ------------------------------------------------------------------------------------

def street_office() -> str:
    return UserProfile.objects.filter(role="street_office").order_by("user__username").first().user.username


ROLES = ["planner", "official", "street_office", "admin"]


def chinese_client(role: str) -> Client:
    username = street_office() if role == "street_office" else role
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(User.objects.get(username=username))
    return c


def assert_error_page(response, status: int) -> None:
    """The page in the site layout: the top bar with the navigation, a Chinese message, no internals."""
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert 'class="topbar"' in page and 'data-nav="map"' in page, "no site layout with navigation"
    message = re.search(r'<p class="error-message"[^>]*>(.*?)</p>', page, re.S)
    assert message, "no error message on the page"
    assert_chinese([message.group(1)], f"{status} page")
    assert not INTERNALS.search(page)


@pytest.mark.parametrize("role", ROLES)
def test_404_page_and_api_are_chinese_in_the_layout(role):
    c = chinese_client(role)
    assert_error_page(c.get("/no-such-page/"), 404)
    assert_error_page(c.get("/estates/987654321/"), 404)  # a view's own 404
    for url in ("/api/no-such-endpoint/", "/api/features/estate/987654321/", "/api/plans/987654321/"):
        response = c.get(url)
        assert response.status_code in (403, 404), (url, response.status_code)
        assert_chinese(message_list(response), url)


# What each role may not open: a page, and an API call (None: the role may do everything there is).
FORBIDDEN = {
    "planner": ("/audit/", None),
    "official": ("/audit/", ("post", "/api/enterprises/")),
    "street_office": ("/imports/", ("post", "/api/imports/")),
    "admin": (None, None),
}


@pytest.mark.parametrize("role", ROLES)
def test_403_page_and_api_are_chinese_in_the_layout(role):
    page, call = FORBIDDEN[role]
    c = chinese_client(role)
    if page:
        assert_error_page(c.get(page), 403)
    if call:
        method, url = call
        response = getattr(c, method)(url, "{}", content_type="application/json")
        assert response.status_code == 403, (url, response.status_code)
        assert_chinese(message_list(response), url)


class BrokenUser:
    """A user whose menu cannot be drawn, as when the database failed under the request."""

    @property
    def is_authenticated(self):
        raise RuntimeError("the database is down")


def test_500_page_is_chinese_in_the_layout_and_survives_without_the_request(rf):
    request = rf.get("/dashboard/")
    request.user = User.objects.get(username="planner")
    with translation.override("zh-hans"):
        response = server_error(request)
        broken = rf.get("/dashboard/")
        broken.user = BrokenUser()
        fallback = server_error(broken)
        api = rf.get("/api/coverage/figures/")
        api.user = request.user
        as_json = server_error(api)
    assert response.status_code == 500 and 'data-nav="map"' in response.content.decode()
    assert fallback.status_code == 500 and 'data-nav="map"' not in fallback.content.decode()
    for page in (response, fallback):
        message = re.search(r'<p class="error-message"[^>]*>(.*?)</p>', page.content.decode(), re.S).group(1)
        assert_chinese([message], "500 page")
    assert as_json.status_code == 500
    assert_chinese(message_list(as_json), "500 JSON")
