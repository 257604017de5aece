"""Strict reading of GeoJSON geometry sent to the API (drawn areas, split lines, selections, export polygons).

One parser for every endpoint, so that a defect gets the same plain-language message wherever it is sent: NaN and
Infinity, 3D positions, degrees out of range, unclosed or too-short rings, wrong nesting, a `crs` member naming
anything but longitude/latitude, too many points. The message names the position at fault (geometry.coordinates[0][3]).
"""
from __future__ import annotations

import json
import math
import re

from django.utils.translation import gettext as _
from shapely.geometry import LineString, MultiPolygon, Polygon, shape

from ..planning import area_geometry as ag
from ..refusals import Invalid
from .readers import nul_path

MAX_POSITIONS = ag.MAX_VERTICES
# A box or lasso drawn on the map to select (service assignment, export, OGC): no hand draws more points.
MAX_SELECTION_POINTS = 5_000
GEOMETRY_TYPES = ("Polygon", "MultiPolygon", "Point", "MultiPoint", "LineString", "MultiLineString",
                  "GeometryCollection")
# A `crs` member may only name longitude/latitude: CGCS2000 and WGS84 agree within centimetres (docs/MAP_API.md).
LONLAT_EPSG = {4490, 4326}
# A whole number of more digits is no finite float: math.isfinite() would raise OverflowError on it.
MAX_INT_DIGITS = 300
_EPSG_IN_NAME = re.compile(r"EPSG(?:::?|/\d+/)(\d+)$", re.I)


class BadInput(Invalid):
    """Input that cannot be understood (400); the message names the problem and where."""


class GeometryProblem(Invalid):
    """Well-formed JSON describing a geometry that cannot be an area (wrong type, too few points…): 400 with the
    problem in "problems"."""

    def __init__(self, problem: ag.Problem):
        self.problem = problem
        super().__init__(problem.message, details={"problems": [problem.as_dict()]})


class NulInText(BadInput):
    """A JSON string (or key) holding U+0000, which PostgreSQL cannot store in text."""


def _reject_constant(name):
    raise BadInput(_("The body contains %(name)s, which is not a number in JSON.") % {"name": name})


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e309: valid JSON, but no finite number
        raise BadInput(_("The body contains the number %(number)s, which is too large: numbers must be finite.")
                       % {"number": text[:40]})
    return number


def _whole(text: str) -> int:
    try:
        if len(text.lstrip("-")) > MAX_INT_DIGITS:
            raise ValueError
        return int(text)
    except ValueError:  # beyond any float (and Python's sys.get_int_max_str_digits)
        raise BadInput(_("The body contains a whole number of %(digits)d digits, which is too large.")
                       % {"digits": len(text)}) from None


def loads(data: bytes | str):
    """JSON as RFC 8259 has it: UTF-8 text, no NaN or ±Infinity (Python's json reads them), no number too large to be
    finite (1e309), no unpaired surrogate escapes (\\udcff decodes to a string no database can store), no NUL
    (\\u0000, which PostgreSQL cannot store); BadInput says which rule is broken, and where."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadInput(_("The body is not UTF-8 text (byte %(at)d).") % {"at": exc.start}) from None
    try:
        value = json.loads(data, parse_constant=_reject_constant, parse_float=_finite_float, parse_int=_whole)
    except json.JSONDecodeError as exc:
        raise BadInput(_("The body is not valid JSON (%(reason)s at line %(line)d, column %(col)d).")
                       % {"reason": exc.msg, "line": exc.lineno, "col": exc.colno}) from None
    if "\\u0000" in data.lower():
        where = nul_path(value)
        if where is not None:
            where = where or _("the body")
            raise NulInText(_("The body contains a NUL character (\\u0000) in %(where)s; no text may contain it: "
                              "remove it and send again.") % {"where": where})
    if "\\ud" in data.lower():
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise BadInput(_("The body contains an unpaired UTF-16 surrogate escape (%(escape)s), which is not text.")
                           % {"escape": f"\\u{ord(exc.object[exc.start]):04x}"}) from None
    return value


def _position(value, where: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) < 2:
        raise BadInput(_("%(where)s: a position must be [longitude, latitude].") % {"where": where})
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise BadInput(_("%(where)s: coordinates must be numbers, not %(value)s.")
                           % {"where": where, "value": json.dumps(v, ensure_ascii=False)[:40]})
        if not math.isfinite(v):
            raise BadInput(_("%(where)s: coordinates must be finite numbers (%(value)s is not).")
                           % {"where": where, "value": v})
    if len(value) > 2:
        raise BadInput(_("%(where)s: a position must be [longitude, latitude]; 3D positions (with a height) are not "
                         "accepted.") % {"where": where})
    lon, lat = float(value[0]), float(value[1])
    if not -180 <= lon <= 180:
        raise BadInput(_("%(where)s: %(lon)s is not a longitude in degrees (-180 to 180).")
                       % {"where": where, "lon": value[0]})
    if not -90 <= lat <= 90:
        raise BadInput(_("%(where)s: %(lat)s is not a latitude in degrees (-90 to 90).")
                       % {"where": where, "lat": value[1]})
    return lon, lat


def _ring(value, where: str) -> list[tuple[float, float]]:
    if not isinstance(value, list):
        raise BadInput(_("%(where)s must be a list of positions.") % {"where": where})
    points = [_position(p, f"{where}[{k}]") for k, p in enumerate(value)]
    if len(points) < 4:
        location = points[0] if points else None
        raise GeometryProblem(ag.Problem(ag.INVALID, _(ag.RING_TOO_FEW_POINTS), location=location))
    if points[0] != points[-1]:
        raise GeometryProblem(ag.Problem(ag.INVALID, _(ag.RING_NOT_CLOSED), location=points[-1]))
    return points


def _polygon(value, where: str) -> Polygon:
    if not isinstance(value, list):
        raise BadInput(_("%(where)s must be a list of rings.") % {"where": where})
    if not value:
        raise GeometryProblem(ag.Problem(ag.EMPTY, _("The boundary is empty: draw at least one polygon.")))
    rings = [_ring(r, f"{where}[{k}]") for k, r in enumerate(value)]
    return Polygon(rings[0], rings[1:])


def _count_positions(coords, limit: int) -> int:
    """Positions in nested coordinate lists, counted up to just past `limit` (a huge list is not walked whole)."""
    count, stack = 0, [coords]
    while stack and count <= limit:
        item = stack.pop()
        if isinstance(item, list) and item and not isinstance(item[0], list):
            count += 1
        elif isinstance(item, list):
            stack.extend(item)
    return count


def check_crs(value: dict, where: str) -> None:
    """A GeoJSON `crs` member (2008 spec, still sent by GIS tools) must name longitude/latitude, or be absent."""
    crs = value.get("crs")
    if crs is None:
        return
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) and isinstance(
        crs.get("properties"), dict) else None
    if not isinstance(name, str):
        raise BadInput(_("%(where)s: \"crs\" must be {\"type\": \"name\", \"properties\": {\"name\": …}}.")
                       % {"where": where})
    if name.upper().endswith("CRS84"):
        return
    match = _EPSG_IN_NAME.search(name.strip())
    epsg = int(match[1]) if match else None
    if epsg in LONLAT_EPSG:
        return
    if epsg is not None:
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            CRS.from_epsg(epsg)
        except CRSError:
            epsg = None
    if epsg is None:
        raise BadInput(_("%(where)s: the crs “%(name)s” is not a coordinate system this service knows; send "
                         "longitude/latitude (EPSG:4490, EPSG:4326 or CRS84).") % {"where": where, "name": name[:80]})
    raise BadInput(_("%(where)s: the crs names EPSG:%(epsg)d; this service takes longitude/latitude only (EPSG:4490, "
                     "EPSG:4326 or CRS84): convert the coordinates first.") % {"where": where, "epsg": epsg})


def parse_geometry(value, where: str = "geometry"):
    """A shapely geometry from GeoJSON; polygons and lines strictly, other types only so that they can be refused
    by name. None stays None."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadInput(_("%(where)s must be a GeoJSON geometry object.") % {"where": where})
    kind, coords = value.get("type"), value.get("coordinates")
    if not isinstance(kind, str):
        raise BadInput(_("%(where)s has no \"type\".") % {"where": where})
    if kind not in GEOMETRY_TYPES:
        raise BadInput(_("%(where)s: \"%(type)s\" is not a GeoJSON geometry type.") % {"where": where, "type": kind})
    check_crs(value, where)
    if kind == "GeometryCollection":
        return _shape(value, where, kind)
    if not isinstance(coords, list):
        raise BadInput(_("%(where)s has no \"coordinates\" list.") % {"where": where})
    positions = _count_positions(coords, MAX_POSITIONS)
    if positions > MAX_POSITIONS:
        raise BadInput(_("%(where)s has more than %(max)d points; simplify it first.")
                       % {"where": where, "max": MAX_POSITIONS})
    if kind == "Polygon":
        return _polygon(coords, f"{where}.coordinates")
    if kind == "MultiPolygon":
        if not coords:
            return MultiPolygon()
        return MultiPolygon([_polygon(p, f"{where}.coordinates[{k}]") for k, p in enumerate(coords)])
    if kind == "LineString":
        return LineString([_position(p, f"{where}.coordinates[{k}]") for k, p in enumerate(coords)]) \
            if len(coords) >= 2 else LineString()
    return _shape(value, where, kind)


def _shape(value, where, kind):
    try:
        return shape(value)
    except Exception:  # noqa: BLE001 - any malformed non-polygon: name it
        raise BadInput(_("%(where)s is a malformed %(type)s.") % {"where": where, "type": kind}) from None


def parse_polygonal(value, where: str):
    """A Polygon or MultiPolygon (a GeoJSON geometry or a Feature of one) that encloses some area; else BadInput or
    GeometryProblem with the reason in plain words."""
    if isinstance(value, dict) and value.get("type") == "Feature":
        check_crs(value, where)
        value = value.get("geometry")
    geom = parse_geometry(value, where)
    problems = ag.validity_problems(geom, _)
    if problems:
        raise GeometryProblem(problems[0])
    return geom
