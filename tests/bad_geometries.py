"""A corpus of bad geometry input (docs/reliability/badinput.md): named cases, each with the word its refusal must contain.

A case builds the *text* of a GeoJSON geometry around a point (lon, lat) inside the district, so that only the
named defect is wrong (NaN, a truncated body and invalid UTF-8 cannot be written by json.dumps). Paths embed the
text in their own body, query string or file. BBOX_CASES and LINE_CASES serve the bbox parameters and the split
line; FILE_CASES (built by bad_files) are whole import files.
"""
from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass

D = 0.0005  # ~50 m: a small square fits inside a free spot of the demo district

# A byte that is not UTF-8 anywhere; bodies are encoded with surrogateescape so that it survives as \xff.
BAD_BYTE = "\udcff"


@dataclass(frozen=True)
class Case:
    name: str
    keyword: str  # a regular expression (case-insensitive) the refusal's message must match
    build: Callable[[float, float], str]
    status: tuple[int, ...] = (400,)

    def __str__(self) -> str:  # pytest ids
        return self.name


def _n(v) -> str:
    return repr(float(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)


def _positions(points) -> str:
    return "[" + ", ".join("[" + ", ".join(_n(v) for v in p) + "]" for p in points) + "]"


def polygon_text(rings, **members) -> str:
    extra = "".join(f', "{k}": {json.dumps(v)}' for k, v in members.items())
    return '{"type": "Polygon", "coordinates": [' + ", ".join(_positions(r) for r in rings) + "]" + extra + "}"


def square(x, y, d=D):
    return [(x, y), (x + d, y), (x + d, y + d), (x, y + d), (x, y)]


def valid_polygon(x, y) -> str:
    return polygon_text([square(x, y)])


def _scaled(x, y, shape):
    return [(x + a * D, y + b * D) for a, b in shape]


@functools.lru_cache(maxsize=4)
def _many_vertices(x, y) -> str:
    """200,000 corners: built once per origin (the text is ~8 MB)."""
    return polygon_text([_circle(x, y, 200_000)])


def _circle(x, y, n):
    r = D / 2
    ring = [(x + r + r * math.cos(2 * math.pi * k / n), y + r + r * math.sin(2 * math.pi * k / n)) for k in range(n)]
    return ring + [ring[0]]


def _named_crs(name):
    return {"type": "name", "properties": {"name": name}}


CASES = [
    Case("unclosed_ring", r"not closed", lambda x, y: polygon_text([square(x, y)[:-1]])),
    Case("ring_of_three_positions", r"too few points",
         lambda x, y: polygon_text([[(x, y), (x + D, y), (x, y)]])),
    Case("ring_of_one_position", r"too few points", lambda x, y: polygon_text([[(x, y)]])),
    Case("self_intersection", r"crosses itself",
         lambda x, y: polygon_text([_scaled(x, y, [(0, 0), (2, 0), (2, 2), (1, -1), (0, 2), (0, 0)])])),
    Case("bow_tie", r"crosses itself",
         lambda x, y: polygon_text([_scaled(x, y, [(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])])),
    Case("spike", r"spike",
         lambda x, y: polygon_text([_scaled(x, y, [(0, 0), (1, 0), (1, 1), (.5, 1), (.5, 2), (.5, 1), (0, 1),
                                                   (0, 0)])])),
    Case("inward_spike", r"spike",
         lambda x, y: polygon_text([_scaled(x, y, [(0, 0), (1, 0), (1, 1), (.5, 1), (.5, .5), (.5, 1), (0, 1),
                                                   (0, 0)])])),
    Case("nan_coordinate", r"NaN",
         lambda x, y: polygon_text([[(x, y), ("NaN", y), (x + D, y + D), (x, y)]])),
    Case("infinite_coordinate", r"Infinity",
         lambda x, y: polygon_text([[(x, y), ("Infinity", y), (x + D, y + D), (x, y)]])),
    Case("huge_number_overflows_to_infinity", r"finite|Infinity",
         lambda x, y: polygon_text([[(x, y), ("1e999", y), (x + D, y + D), (x, y)]])),
    Case("nul_in_the_type", r"NUL",
         lambda x, y: polygon_text([square(x, y)]).replace('"Polygon"', '"Poly\\u0000gon"')),
    Case("z_coordinates", r"3D|height",
         lambda x, y: polygon_text([[(px, py, 12.5) for px, py in square(x, y)]])),
    Case("point_for_polygon", r"Point",
         lambda x, y: '{"type": "Point", "coordinates": [%r, %r]}' % (x, y)),
    Case("linestring_for_polygon", r"LineString",
         lambda x, y: '{"type": "LineString", "coordinates": %s}' % _positions(square(x, y))),
    Case("geometry_collection_for_polygon", r"GeometryCollection",
         lambda x, y: '{"type": "GeometryCollection", "geometries": [%s]}' % valid_polygon(x, y)),
    Case("longitude_500", r"longitude", lambda x, y: polygon_text([square(500.0, y)])),
    Case("latitude_100", r"latitude", lambda x, y: polygon_text([square(x, 100.0)])),
    Case("outside_the_district", r"outside", lambda x, y: polygon_text([square(116.39, 39.9)])),
    Case("very_many_vertices", r"larger than|more than|at most", _many_vertices,
         status=(400, 413)),
    Case("truncated_json", r"JSON|readable|truncated", lambda x, y: valid_polygon(x, y)[:40]),
    Case("rings_nested_too_shallow", r"position|ring|list",
         lambda x, y: '{"type": "Polygon", "coordinates": %s}' % _positions(square(x, y))),
    Case("rings_nested_too_deep", r"position|number",
         lambda x, y: '{"type": "Polygon", "coordinates": [[%s]]}' % _positions(square(x, y))),
    Case("missing_coordinates", r"coordinates", lambda x, y: '{"type": "Polygon"}'),
    Case("unknown_type", r"type", lambda x, y: valid_polygon(x, y).replace('"Polygon"', '"Polygone"')),
    Case("strings_for_numbers", r"number",
         lambda x, y: polygon_text([[(f'"{px}"', f'"{py}"') for px, py in square(x, y)]])),
    Case("empty_polygon", r"empty", lambda x, y: '{"type": "Polygon", "coordinates": []}'),
    Case("crs_3857_with_degrees", r"EPSG:3857",
         lambda x, y: polygon_text([square(x, y)], crs=_named_crs("urn:ogc:def:crs:EPSG::3857"))),
    Case("crs_unknown", r"crs|coordinate system",
         lambda x, y: polygon_text([square(x, y)], crs=_named_crs("EPSG:999999"))),
    Case("invalid_utf8", r"UTF-8", lambda x, y: valid_polygon(x, y)[:-1] + f', "note": "{BAD_BYTE}"' + "}"),
]

# The line a split cuts along (a LineString): the same defects where they apply to a line.
LINE_CASES = [
    Case("nan_coordinate", r"NaN", lambda x, y: '{"type": "LineString", "coordinates": [[%r, %r], [NaN, %r]]}'
         % (x, y, y)),
    Case("infinite_coordinate", r"Infinity",
         lambda x, y: '{"type": "LineString", "coordinates": [[%r, %r], [-Infinity, %r]]}' % (x, y, y)),
    Case("z_coordinates", r"3D|height",
         lambda x, y: '{"type": "LineString", "coordinates": [[%r, %r, 1.0], [%r, %r, 1.0]]}' % (x, y, x, y + D)),
    Case("longitude_500", r"longitude",
         lambda x, y: '{"type": "LineString", "coordinates": [[500.0, %r], [501.0, %r]]}' % (y, y)),
    Case("one_position", r"two points", lambda x, y: '{"type": "LineString", "coordinates": [[%r, %r]]}' % (x, y)),
    Case("polygon_for_line", r"LineString", valid_polygon),
    Case("strings_for_numbers", r"number",
         lambda x, y: '{"type": "LineString", "coordinates": [["%r", "%r"], ["%r", "%r"]]}' % (x, y, x, y + D)),
    Case("missing_coordinates", r"coordinates", lambda x, y: '{"type": "LineString"}'),
    Case("truncated_json", r"JSON", lambda x, y: '{"type": "LineString", "coordinates": [[%r, ' % x),
    Case("crs_3857_with_degrees", r"EPSG:3857",
         lambda x, y: '{"type": "LineString", "coordinates": [[%r, %r], [%r, %r]], "crs": %s}'
         % (x, y, x, y + D, json.dumps(_named_crs("EPSG:3857")))),
]

# bbox=minx,miny,maxx,maxy query parameters (the map's view, an export of the view, OGC API items).
BBOX_CASES = [
    Case("nan", r"finite|number", lambda x, y: f"NaN,{y},{x + D},{y + D}"),
    Case("infinity", r"finite|number", lambda x, y: f"{x},{y},Infinity,{y + D}"),
    Case("longitude_500", r"degrees|longitude", lambda x, y: f"{x},{y},500,{y + D}"),
    Case("latitude_100", r"degrees|latitude", lambda x, y: f"{x},{y},{x + D},100"),
    Case("three_numbers", r"minx,miny,maxx,maxy|four|4", lambda x, y: f"{x},{y},{x + D}"),
    Case("strings", r"number", lambda x, y: f"west,{y},{x + D},{y + D}"),
    Case("min_above_max", r"minx < maxx|min", lambda x, y: f"{x + D},{y},{x},{y + D}"),
]
