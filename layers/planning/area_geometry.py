"""Geometry rules for drawing management areas: validity in plain words, clip, split, merge, snap (pure shapely)."""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, mapping
from shapely.ops import split as shapely_split
from shapely.ops import unary_union
from shapely.validation import explain_validity

# Metres per degree of latitude (CGCS2000/WGS84, mid latitudes); tolerances are given in metres by people.
M_PER_DEG = 111_320.0
# More corners than this is not a boundary someone drew (or needs): simplify it first. Drawn and imported alike.
MAX_VERTICES = 100_000

INVALID = "invalid"
OVERLAP = "overlap"
OUTSIDE_DISTRICT = "outside_district"
EMPTY = "empty"
WRONG_TYPE = "wrong_type"
TOO_LARGE = "too_large"

Translate = Callable[[str], str]


def _identity(message: str) -> str:
    return message


translate = _identity  # marks the messages below for makemessages; callers translate them at use


@dataclass
class Problem:
    """One reason a boundary cannot be saved; `location` is (lon, lat), `geometry` a shapely geometry."""

    kind: str
    message: str
    location: tuple[float, float] | None = None
    geometry: object | None = None
    area_id: int | None = None
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "message": self.message,
            "location": list(self.location) if self.location is not None else None,
            "geometry": mapping(self.geometry) if self.geometry is not None and not self.geometry.is_empty else None,
            "area_id": self.area_id,
        }


class GeometryRefused(ValueError):
    """An operation (split, merge) that cannot be done on these geometries; the message says why."""


def metres_to_degrees(metres: float) -> float:
    return metres / M_PER_DEG


# --- validity ---------------------------------------------------------------------------------------------------

# GEOS reasons (is_valid_reason) → plain words. %s is filled by nothing; the location is given separately.
RING_TOO_FEW_POINTS = translate("A ring has too few points: a polygon needs at least three corners.")
RING_NOT_CLOSED = translate("A ring is not closed: its last point must equal its first.")

_REASONS = {
    "Self-intersection": translate("The boundary crosses itself."),
    "Ring Self-intersection": translate("The boundary touches itself at a point, pinching off a loop."),
    "Interior is disconnected": translate("A hole cuts the area into separate pieces."),
    "Hole lies outside shell": translate("A hole lies outside the outer boundary."),
    "Holes are nested": translate("A hole lies inside another hole."),
    "Nested shells": translate("One part lies inside another part."),
    "Duplicate Rings": translate("The same ring is drawn twice."),
    "Too few points in geometry component": RING_TOO_FEW_POINTS,
    "Invalid Coordinate": translate("A corner has an invalid coordinate (not a number)."),
    "Ring is not closed": RING_NOT_CLOSED,
}
_REASON_AT = re.compile(r"^(?P<reason>[^\[]+?)\s*\[(?P<x>[-+0-9.eEinfaN]+)\s+(?P<y>[-+0-9.eEinfaN]+)\]\s*$")


def explain(geom, translate: Translate = _identity) -> tuple[str, tuple[float, float] | None]:
    """GEOS's validity reason ('Self-intersection[126.9 45.5]') as (a plain-language message, (x, y) or None)."""
    raw = explain_validity(geom)
    match = _REASON_AT.match(raw)
    reason, location = (match["reason"], (float(match["x"]), float(match["y"]))) if match else (raw, None)
    if location is not None and not all(math.isfinite(v) for v in location):
        location = None
    message = _REASONS.get(reason.strip())
    if message is None:
        return translate("The boundary is not a valid polygon (%(reason)s).") % {"reason": reason.strip()}, location
    return translate(message), location


def spike_at(geom) -> tuple[float, float] | None:
    """The tip of a spike (a corner where the boundary turns straight back on itself), or None."""
    polygons = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
    for polygon in polygons:
        for ring in [polygon.exterior, *polygon.interiors]:
            points = [p for k, p in enumerate(ring.coords[:-1]) if k == 0 or p != ring.coords[k - 1]]
            n = len(points)
            for k in range(n):
                (ax, ay), (bx, by), (cx, cy) = points[k - 1], points[k], points[(k + 1) % n]
                ux, uy, vx, vy = bx - ax, by - ay, cx - bx, cy - by
                parallel = abs(ux * vy - uy * vx) <= 1e-9 * math.hypot(ux, uy) * math.hypot(vx, vy)
                if parallel and ux * vx + uy * vy < 0:
                    return bx, by
    return None


def validity_problems(geom, translate: Translate = _identity) -> list[Problem]:
    """Why `geom` cannot be a management-area boundary (empty list when it can): type, emptiness, validity."""
    if geom is None or geom.is_empty:
        return [Problem(EMPTY, translate("The boundary is empty: draw at least one polygon."))]
    if not isinstance(geom, (Polygon, MultiPolygon)):
        return [Problem(WRONG_TYPE, translate("A management area must be a polygon or multipolygon, not a %(type)s.")
                        % {"type": geom.geom_type})]
    coords = shapely.get_coordinates(geom)
    if not all(math.isfinite(v) for v in coords.ravel()):
        return [Problem(INVALID, translate("A corner has an invalid coordinate (not a number)."))]
    rings = [r for p in (geom.geoms if isinstance(geom, MultiPolygon) else [geom]) for r in [p.exterior, *p.interiors]]
    if any(len(r.coords) < 4 for r in rings):
        return [Problem(INVALID, translate(_REASONS["Too few points in geometry component"]))]
    if len(coords) > MAX_VERTICES:
        message = translate("The boundary has %(n)d corners; at most %(max)d are accepted: simplify it first.")
        return [Problem(TOO_LARGE, message % {"n": len(coords), "max": MAX_VERTICES})]
    problems = []
    if not geom.is_valid:
        spike = spike_at(geom)
        if spike is not None:
            problems.append(Problem(INVALID, translate("The boundary has a spike: it runs out to a point and straight "
                                                       "back, a part with no width."), location=spike))
        else:
            message, location = explain(geom, translate)
            problems.append(Problem(INVALID, message, location=location))
    elif geom.area <= 0:
        problems.append(Problem(EMPTY, translate("The boundary encloses no area.")))
    return problems


def as_multipolygon(geom) -> MultiPolygon:
    """The polygonal part of `geom` as a MultiPolygon (empty MultiPolygon when there is none)."""
    if geom is None or geom.is_empty:
        return MultiPolygon()
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, (Polygon, MultiPolygon))]
    polygons: list[Polygon] = []
    for part in parts:
        polygons.extend(part.geoms if isinstance(part, MultiPolygon) else [part])
    return MultiPolygon([p for p in polygons if not p.is_empty])


def _drop_slivers(geom, min_area: float) -> MultiPolygon:
    return MultiPolygon([p for p in as_multipolygon(geom).geoms if p.area > min_area])


# --- snap and clip ----------------------------------------------------------------------------------------------

def snap(geom, neighbours: Iterable, tolerance: float):
    """Move the corners of `geom` onto the neighbours' corners and edges within `tolerance` (geometry units).

    Drawing by hand leaves tiny gaps and overlaps along a shared edge; snapping makes the edge exactly shared.
    """
    neighbours = [n for n in neighbours if n is not None and not n.is_empty]
    if tolerance <= 0 or not neighbours:
        return geom
    snapped = shapely.snap(geom, unary_union(neighbours), tolerance)
    if not snapped.is_valid:
        snapped = shapely.make_valid(snapped)
    return as_multipolygon(snapped)


def clip(geom, *, neighbours: Iterable = (), district=None, tolerance: float = 0.0) -> MultiPolygon:
    """`geom` snapped to its neighbours, minus the neighbours, inside the district; slivers below tolerance² go."""
    neighbours = [n for n in neighbours if n is not None and not n.is_empty]
    result = snap(geom, [*neighbours, *([district.boundary] if district is not None else [])], tolerance)
    if district is not None and not district.is_empty:
        result = result.intersection(district)
    if neighbours:
        result = result.difference(unary_union(neighbours))
    if not result.is_valid:
        result = shapely.make_valid(result)
    return _drop_slivers(result, max(tolerance * tolerance, 0.0))


# --- split ------------------------------------------------------------------------------------------------------

def _extend(line: LineString, distance: float) -> LineString:
    """The line with both ends pushed outwards by `distance` along their end segments."""
    coords = list(line.coords)
    if distance <= 0 or len(coords) < 2:
        return line

    def pushed(a, b):
        dx, dy = a[0] - b[0], a[1] - b[1]
        length = math.hypot(dx, dy)
        return a if length == 0 else (a[0] + dx / length * distance, a[1] + dy / length * distance)

    coords[0] = pushed(coords[0], coords[1])
    coords[-1] = pushed(coords[-1], coords[-2])
    return LineString(coords)


def _side(line: LineString, point: Point) -> int:
    """+1 when `point` lies left of `line` (seen along its direction) at the nearest segment, −1 right, 0 on it."""
    coords = list(line.coords)
    best, best_d = 0, math.inf
    for (x0, y0), (x1, y1) in zip(coords, coords[1:]):
        segment = LineString([(x0, y0), (x1, y1)])
        d = segment.distance(point)
        if d < best_d:
            cross = (x1 - x0) * (point.y - y0) - (y1 - y0) * (point.x - x0)
            best, best_d = (cross > 0) - (cross < 0), d
    return best


def split_polygon(geom, line, *, tolerance: float = 0.0, translate: Translate = _identity
                  ) -> tuple[MultiPolygon, MultiPolygon]:
    """Cut an area in two along `line`: (the larger side, the smaller side).

    The line must cross the area from boundary to boundary; ends that stop short by at most `tolerance` are
    extended. A line that zig-zags across the area cuts it into several pieces: these are grouped by the side of
    the line they lie on, so the result is always two sides, each possibly several polygons.
    """
    if not isinstance(line, LineString) or line.is_empty or len(line.coords) < 2:
        raise GeometryRefused(translate("The cutting line must be a line with at least two points."))
    if not line.is_simple:
        raise GeometryRefused(translate("The cutting line crosses itself."))
    area = as_multipolygon(geom)
    if area.is_empty:
        raise GeometryRefused(translate("There is no area to split."))
    line = _extend(line, tolerance)
    pieces = [p for p in shapely_split(area, line).geoms if isinstance(p, Polygon) and p.area > 0]
    if len(pieces) < 2:
        raise GeometryRefused(translate(
            "The line does not cut the area in two: draw it across the area, "
            "from one side of the boundary to the other."))
    sides: dict[int, list[Polygon]] = {1: [], -1: []}
    for piece in pieces:
        side = _side(line, piece.representative_point())
        sides[side or 1].append(piece)
    if not sides[1] or not sides[-1]:
        raise GeometryRefused(translate("The line does not cut the area in two: all pieces lie on one side of it."))
    a, b = (as_multipolygon(unary_union(sides[s])) for s in (1, -1))
    min_area = area.area * 1e-6
    if a.area <= min_area or b.area <= min_area:
        raise GeometryRefused(translate("One side of the cut would have almost no area."))
    return (a, b) if a.area >= b.area else (b, a)


# --- merge ------------------------------------------------------------------------------------------------------

def merge_polygons(a, b, *, tolerance: float = 0.0, translate: Translate = _identity, keep_out=None,
                   within=None) -> MultiPolygon:
    """One area made of `a` and `b`, which must share an edge, or lie at most `tolerance` apart (the gap is filled).

    Touching at a single corner is not enough: the merged area would be two pieces joined at a point. The filled
    gap never takes in `keep_out` (e.g. the other areas) and stays inside `within` (e.g. the district).
    """
    a, b = as_multipolygon(a), as_multipolygon(b)
    if a.is_empty or b.is_empty:
        raise GeometryRefused(translate("Both areas need a boundary to be merged."))
    gap = a.distance(b)
    if gap > tolerance:
        raise GeometryRefused(
            translate("The two areas do not touch: they are %(metres).0f m apart.")
            % {"metres": gap * M_PER_DEG}
        )
    shared = a.boundary.intersection(b.boundary).length if gap == 0 else 0.0
    if gap == 0 and shared > 0:
        merged = unary_union([a, b])
    elif tolerance > 0:
        # Fill the gap: the part of the combined hull lying within `tolerance` of both areas.
        reach_a = a.buffer(tolerance, join_style="mitre")
        reach_b = b.buffer(tolerance, join_style="mitre")
        bridge = reach_a.intersection(reach_b).intersection(unary_union([a, b]).convex_hull)
        if keep_out is not None and not keep_out.is_empty:
            bridge = bridge.difference(keep_out)
        if within is not None and not within.is_empty:
            bridge = bridge.intersection(within)
        merged = unary_union([a, b, bridge])
    else:
        raise GeometryRefused(translate("The two areas touch only at a corner: they must share an edge."))
    if not merged.is_valid:
        merged = shapely.make_valid(merged)
    merged = as_multipolygon(shapely.simplify(merged, 0))  # drop the corners left on straight edges
    if len(merged.geoms) != 1:
        raise GeometryRefused(translate("The two areas do not join into one piece: they must share an edge."))
    return merged
