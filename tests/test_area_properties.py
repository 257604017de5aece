"""Property-based tests (hypothesis) of management-area create and update with generated boundaries.

Polygons valid and invalid (random corners, sometimes unclosed, crossing, degenerate), near the district or far
from it, at random precision. Every answer is 2xx or 4xx, never 5xx; after a 2xx the stored boundary is valid
(ST_IsValid), covered by its district, and round-trips: the Feature returned equals the row stored, and the row
stored equals what was sent, within SAME_BOUNDARY (1e-8°, ~1 mm; the API writes 15 decimals).

`make test` runs a few examples per property (profile "badinput"); `make fuzz` runs many ("badinput-fuzz"), or
BADINPUT_PROFILE=badinput-fuzz pytest tests/test_area_properties.py.
"""
from __future__ import annotations

import json
import math
import os

import pytest
import shapely
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import shape

from layers.planning.area_geometry import as_multipolygon
from layers.services.management_areas import SAME_BOUNDARY

from .test_bad_input import an_area, client, free_estate

pytestmark = pytest.mark.django_db

COMMON = dict(deadline=None, derandomize=False, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
settings.register_profile("badinput", max_examples=20, **COMMON)
settings.register_profile("badinput-fuzz", max_examples=400, **COMMON)
PROFILE_NAME = os.environ.get("BADINPUT_PROFILE", "badinput")
PROFILE = settings.get_profile(PROFILE_NAME)


@st.composite
def rings(draw, centre):
    """A ring around `centre` (near) or anywhere on Earth (far): 1–12 corners, rounded to 0–12 decimals; closed
    nine times in ten; in random order the ring often crosses itself, equal corners make it degenerate."""
    near = draw(st.booleans()) or draw(st.booleans())  # three in four near the district
    if near:
        cx, cy = centre
        span = draw(st.sampled_from([1e-6, 1e-4, 5e-4, 2e-3, 0.05]))
        coordinate = st.tuples(st.floats(cx - span, cx + span), st.floats(cy - span, cy + span))
    else:
        coordinate = st.tuples(st.floats(-180, 180), st.floats(-90, 90))
    digits = draw(st.integers(0, 12))
    corners = [(round(x, digits), round(y, digits)) for x, y in draw(st.lists(coordinate, min_size=1, max_size=12))]
    if draw(st.booleans()):  # sorted by angle around the centre: a star-shaped ring, valid unless degenerate
        corners.sort(key=lambda p: math.atan2(p[1] - centre[1], p[0] - centre[0]))
    closed = draw(st.integers(0, 9)) > 0
    return corners + [corners[0]] if closed else corners


def polygons(centre):
    return st.one_of(
        rings(centre).map(lambda r: {"type": "Polygon", "coordinates": [r]}),
        st.lists(rings(centre), min_size=1, max_size=3).map(
            lambda rs: {"type": "MultiPolygon", "coordinates": [[r] for r in rs]}),
    )


def stored(area_id: int):
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT ST_IsValid(m.geom), ST_CoveredBy(m.geom, d.geom), ST_AsBinary(m.geom)
                 FROM layers_managementarea m JOIN layers_adminarea d ON d.id = m.district_id WHERE m.id = %s""",
            [area_id])
        valid, inside, wkb = cursor.fetchone()
    return valid, inside, shapely.from_wkb(bytes(wkb))


def check_answer(response, sent: dict):
    assert response.status_code < 500, response.content[:300]
    assert response.status_code < 300 or 400 <= response.status_code < 500
    if response.status_code >= 300:
        assert response.json().get("error"), response.content[:300]
        return
    feature = response.json()
    valid, inside, geom = stored(feature["id"])
    assert valid, "an invalid boundary was stored"
    assert inside, "a boundary outside its district was stored"
    returned = shape(feature["geometry"])
    assert returned.equals_exact(geom, SAME_BOUNDARY / 10), "the API returns another boundary than the one stored"
    assert as_multipolygon(shape(sent)).equals_exact(geom, SAME_BOUNDARY), "the stored boundary is not what was sent"


def in_a_savepoint(fn):
    """Each example in its own savepoint, rolled back: the examples do not see each other's areas."""
    with transaction.atomic():
        fn()
        transaction.set_rollback(True)


@pytest.fixture
def free_centre():
    p = free_estate().geom.point_on_surface
    return p.x, p.y


@pytest.fixture
def area():
    return an_area()


def test_create_answers_4xx_or_stores_a_valid_boundary_inside_the_district(free_centre):
    @settings(PROFILE)
    @given(polygons(free_centre))
    def create(geometry):
        def send():
            body = {"type": "Feature", "properties": {"name": "生成的区域", "reason": "hypothesis"},
                    "geometry": geometry}
            check_answer(client().post("/api/management-areas/", json.dumps(body), content_type="application/json"),
                         geometry)
        in_a_savepoint(send)

    create()


def test_update_answers_4xx_or_stores_a_valid_boundary_inside_the_district(area):
    p = area.geom.point_on_surface

    @settings(PROFILE)
    @given(polygons((p.x, p.y)))
    def update(geometry):
        def send():
            body = {"type": "Feature", "properties": {"version": area.version, "reason": "hypothesis"},
                    "geometry": geometry}
            check_answer(client().put(f"/api/management-areas/{area.pk}/", json.dumps(body),
                                      content_type="application/json"), geometry)
        in_a_savepoint(send)

    update()
