"""Every bad input of tests/bad_geometries.py × every path that reads geometry, a bbox or a file → a specific 4xx.

Each case must be refused with the status the path documents (400; 413 for size), with a message containing the
case's keyword (in English: Accept-Language en), and with nothing written (tests/db_fingerprint.py). A control test
per path sends the same body around the same point with nothing wrong and expects it accepted: the refusals are
caused by the defect, not by the place.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from layers.models import Estate, ManagementArea

from .bad_geometries import BBOX_CASES, CASES, LINE_CASES, Case, valid_polygon
from .db_fingerprint import fingerprint

pytestmark = pytest.mark.django_db

ASSIGN_DATE = "2025-01-01"
MESSAGE_KEYS = {"error", "message", "errors", "refused", "description", "detail", "title"}


def messages(response) -> str:
    """The refusal's words: the JSON body's message fields (not echoed input), or a plain-text body."""
    return " | ".join(message_list(response))


def message_list(response) -> list[str]:
    """Each message of a refusal: the JSON body's message fields (not echoed input), or a plain-text body."""
    try:
        data = json.loads(response.content)
    except ValueError:
        return [response.content.decode("utf-8", "replace")]
    found = []

    def walk(value, key=None):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and key in MESSAGE_KEYS:
            found.append(value)

    walk(data)
    return found


# The language the cases are sent in: English here (the keywords are English); tests/test_error_language.py sends
# them again in Chinese.
LANGUAGE = "en"


def client(username="planner") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=LANGUAGE)
    c.force_login(User.objects.get(username=username))
    return c


def origin_in(geom) -> tuple[float, float]:
    """A corner for a D×D square centred on a point inside `geom`."""
    from .bad_geometries import D

    p = geom.point_on_surface
    return p.x - D / 2, p.y - D / 2


def free_estate() -> Estate:
    return Estate.objects.filter(management_area__isnull=True).order_by("code").first()


def unserved_estate() -> Estate:
    with connection.cursor() as cursor:
        cursor.execute("SELECT e.id FROM layers_estate e LEFT JOIN layers_active_contracts(%s) a ON a.estate_id = e.id "
                       "WHERE a.estate_id IS NULL ORDER BY e.id LIMIT 1", [ASSIGN_DATE])
        return Estate.objects.get(pk=cursor.fetchone()[0])


def an_area() -> ManagementArea:
    return ManagementArea.objects.order_by("code").first()


def raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def feature_text(geometry: str, properties: dict) -> str:
    return '{"type": "Feature", "properties": %s, "geometry": %s}' % (json.dumps(properties), geometry)


# --- the paths ---------------------------------------------------------------------------------------------------

@dataclass
class Path:
    """One way geometry (or a bbox) gets into the application; send(text) → response."""

    name: str
    cases: list
    send: object  # (Case) -> response
    accepted: tuple = (200, 201)
    # (case name → (status tuple, keyword)) where this path documents another answer for a case.
    overrides: dict = field(default_factory=dict)

    def __str__(self):
        return self.name


def _area_create(case: Case):
    x, y = origin_in(free_estate().geom)
    body = feature_text(case.build(x, y), {"name": "Bad input", "reason": "test"})
    return client().post("/api/management-areas/", raw(body), content_type="application/json")


def _area_update(case: Case):
    area = an_area()
    x, y = origin_in(area.geom)
    body = feature_text(case.build(x, y), {"version": area.version, "reason": "redraw"})
    return client().put(f"/api/management-areas/{area.pk}/", raw(body), content_type="application/json")


def _area_validate(case: Case):
    x, y = origin_in(free_estate().geom)
    return client().post("/api/management-areas/validate/", raw(feature_text(case.build(x, y), {})),
                         content_type="application/json")


def _area_clip(case: Case):
    x, y = origin_in(free_estate().geom)
    return client().post("/api/management-areas/clip/", raw(feature_text(case.build(x, y), {})),
                         content_type="application/json")


def _area_split(case: Case):
    area = an_area()
    minx, miny, maxx, maxy = area.geom.extent
    x, y = (minx + maxx) / 2, miny - 0.001
    line = case.build(x, y)
    if case.name == "valid":
        line = '{"type": "LineString", "coordinates": [[%r, %r], [%r, %r]]}' % (x, y, x, maxy + 0.001)
    body = '{"version": %d, "reason": "split", "line": %s}' % (area.version, line)
    return client().post(f"/api/management-areas/{area.pk}/split/", raw(body), content_type="application/json")


def _assign_selection(case: Case):
    x, y = origin_in(unserved_estate().geom)
    body = ('{"provider_kind": "district_fallback", "start_date": "%s", "dry_run": false, "selection": %s}'
            % (ASSIGN_DATE, case.build(x, y)))
    return client().post("/api/service/assign/", raw(body), content_type="application/json")


def _export_polygon(case: Case):
    x, y = origin_in(free_estate().geom)
    return client().get(f"/api/export/estates.geojson?polygon={quote(raw(case.build(x, y)))}")


def _ogc_polygon(case: Case):
    x, y = origin_in(free_estate().geom)
    return client().get(f"/ogc/collections/estates/items?polygon={quote(raw(case.build(x, y)))}")


def _bbox_path(url: str):
    def send(case: Case):
        x, y = origin_in(free_estate().geom)
        return client().get(f"{url}bbox={quote(case.build(x, y))}")
    return send


SELECTION_REPAIRS = "a drawn lasso that crosses itself is repaired, not refused (docs/SERVICE_API.md)"
FILTER_OUTSIDE = "a filter polygon outside the district is a valid question: it selects nothing (200, empty)"
QUERY_DECODED = "Django decodes a query string's invalid UTF-8 as U+FFFD before any view sees it"
PATHS = [
    Path("area_create", CASES, _area_create),
    Path("area_update", CASES, _area_update),
    Path("area_validate", CASES, _area_validate),
    Path("area_clip", CASES, _area_clip),
    Path("area_split", LINE_CASES, _area_split),
    Path("assign_selection", CASES, _assign_selection,
         overrides={"outside_the_district": ((400,), r"No estate")}),
    Path("export_polygon", CASES, _export_polygon),
    Path("ogc_items_polygon", CASES, _ogc_polygon),
    Path("area_list_bbox", BBOX_CASES, _bbox_path("/api/management-areas/?")),
    Path("export_bbox", BBOX_CASES, _bbox_path("/api/export/estates.geojson?")),
    Path("ogc_items_bbox", BBOX_CASES, _bbox_path("/ogc/collections/estates/items?")),
]
# Cases whose refusal is checked elsewhere for a path (with the reason); everything else is refused as the case says.
NOT_REFUSED = {
    ("assign_selection", "self_intersection"): SELECTION_REPAIRS,
    ("assign_selection", "bow_tie"): SELECTION_REPAIRS,
    ("assign_selection", "spike"): SELECTION_REPAIRS,
    ("assign_selection", "inward_spike"): SELECTION_REPAIRS,
    ("export_polygon", "outside_the_district"): FILTER_OUTSIDE,
    ("ogc_items_polygon", "outside_the_district"): FILTER_OUTSIDE,
    ("export_polygon", "invalid_utf8"): QUERY_DECODED,
    ("ogc_items_polygon", "invalid_utf8"): QUERY_DECODED,
}

MATRIX = [pytest.param(path, case, id=f"{path}-{case}") for path in PATHS for case in path.cases
          if (path.name, case.name) not in NOT_REFUSED]


def refused_as_documented(path: Path, case: Case, response) -> None:
    statuses, keyword = path.overrides.get(case.name, (case.status, case.keyword))
    text = messages(response)
    if path.name == "area_validate" and response.status_code == 200:
        # The dry run answers 200 {"ok": false, "problems": […]} for a readable boundary that cannot be saved.
        assert response.json()["ok"] is False, response.content[:300]
    else:
        assert response.status_code in statuses, (response.status_code, response.content[:300])
    assert re.search(keyword, text, re.I), f"{keyword!r} not in {text[:300]!r}"


@pytest.mark.parametrize("path, case", MATRIX)
def test_bad_input_is_refused_specifically_and_writes_nothing(path, case):
    before = fingerprint()
    response = path.send(case)
    assert fingerprint() == before, "a refused request wrote something"
    refused_as_documented(path, case, response)


@pytest.mark.parametrize("path", [pytest.param(p, id=str(p)) for p in PATHS])
def test_the_same_input_without_its_defect_is_accepted(path):
    valid = Case("valid", "", valid_polygon)
    if path.cases is BBOX_CASES:
        valid = Case("valid", "", lambda x, y: f"{x},{y},{x + 0.0005},{y + 0.0005}")
    response = path.send(valid)
    assert response.status_code in path.accepted, (response.status_code, response.content[:500])


@pytest.mark.parametrize("path, case", [pytest.param(p, c, id=f"{p}-{c}") for p in PATHS for c in p.cases
                                        if (p.name, c.name) in NOT_REFUSED])
def test_documented_exceptions_still_write_nothing_or_answer_4xx(path, case):
    """A selection is a filter, not a stored shape: the app repairs it; it must still never answer 5xx."""
    response = path.send(case)
    assert response.status_code < 500, response.content[:300]
