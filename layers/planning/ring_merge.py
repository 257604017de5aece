"""Three-way merge of two edits of one management-area boundary (rule 2): my vertex edits applied onto theirs (pure).

Two planners start from the same version (base); the other saves first (theirs); mine is re-applied on top. Each
ring of mine and of theirs is compared with its base ring corner by corner (a corner within TOLERANCE of a base
corner is that corner): the runs of corners moved, added or removed are edits of a range of base corners. My edits
go onto theirs except where theirs edited the same corners (or inserted at the same place): those places are
conflicts, and each is resolved by a choice (mine or theirs; theirs until chosen). Rings only one side added (a
hole or a part cut off) are kept; rings one side removed are removed unless the other side changed them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from shapely import make_valid
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.polygon import orient

# Two corners closer than this (degrees, about 0.1 m) are the same corner.
TOLERANCE = 1e-6
MINE, THEIRS = "mine", "theirs"
M_PER_DEG = 111_320.0

Point = tuple[float, float]


@dataclass(frozen=True)
class Edit:
    """Base corners [start, end) of a ring replaced by `coords` (a move, an insertion, a removal)."""
    start: int
    end: int
    coords: tuple[Point, ...]

    def touches(self, other: Edit) -> bool:
        """Whether the two edits change the same corners or insert at the same place."""
        if max(self.start, other.start) < min(self.end, other.end):
            return True
        for a, b in ((self, other), (other, self)):
            if a.start == a.end and (b.start < a.start < b.end or (b.start == b.end == a.start)):
                return True
        return False

    def same_as(self, other: Edit) -> bool:
        return (self.start, self.end) == (other.start, other.end) and len(self.coords) == len(other.coords) and all(
            _near(p, q) for p, q in zip(self.coords, other.coords))

    def size(self) -> int:
        return max(self.end - self.start, len(self.coords))


@dataclass
class Place:
    """A place both edits changed: `key` is what a choice names; `mine` and `theirs` are the corners each left."""
    key: str
    location: Point
    mine: list[Point]
    theirs: list[Point]
    choice: str | None = None

    def as_dict(self) -> dict:
        return {"key": self.key, "location": list(self.location), "mine": [list(p) for p in self.mine],
                "theirs": [list(p) for p in self.theirs], "choice": self.choice}


@dataclass
class Merged:
    geometry: MultiPolygon
    places: list[Place] = field(default_factory=list)
    # What overwriting theirs entirely with mine would lose: corners of their change, and its area (m²).
    their_corners: int = 0
    their_area_m2: float = 0.0
    mine_changed: bool = True

    @property
    def unresolved(self) -> list[str]:
        return [p.key for p in self.places if p.choice is None]


def _near(p: Point, q: Point, tol: float = TOLERANCE) -> bool:
    return abs(p[0] - q[0]) <= tol and abs(p[1] - q[1]) <= tol


@dataclass
class _Ring:
    coords: list[Point]  # open, counter-clockwise
    exterior: bool


def _rings(geom) -> list[_Ring]:
    polygons = list(geom.geoms) if hasattr(geom, "geoms") else [geom]
    out = []
    for polygon in polygons:
        if polygon.is_empty:
            continue
        polygon = orient(polygon, 1.0)
        out.append(_Ring([tuple(c[:2]) for c in polygon.exterior.coords[:-1]], True))
        for hole in polygon.interiors:
            coords = [tuple(c[:2]) for c in hole.coords[:-1]]
            if Polygon(coords + coords[:1]).exterior.is_ccw is False:
                coords.reverse()
            out.append(_Ring(coords, False))
    return out


class _Index:
    """Corners of a ring on a grid of TOLERANCE cells: which corner (if any) is at a point."""

    def __init__(self, coords: list[Point]):
        self.cells: dict[tuple[int, int], list[int]] = {}
        self.coords = coords
        for i, p in enumerate(coords):
            self.cells.setdefault(self._cell(p), []).append(i)

    @staticmethod
    def _cell(p: Point) -> tuple[int, int]:
        return math.floor(p[0] / TOLERANCE), math.floor(p[1] / TOLERANCE)

    def find(self, p: Point) -> int | None:
        cx, cy = self._cell(p)
        best = None
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for i in self.cells.get((cx + dx, cy + dy), ()):
                    if _near(p, self.coords[i]):
                        d = abs(p[0] - self.coords[i][0]) + abs(p[1] - self.coords[i][1])
                        if best is None or d < best[0]:
                            best = (d, i)
        return None if best is None else best[1]


def _matches(base: list[Point], other: list[Point]) -> int:
    index = _Index(other)
    return sum(1 for p in base if index.find(p) is not None)


def _pair_rings(base: list[_Ring], other: list[_Ring]) -> dict[int, int]:
    """base ring index → other ring index, one to one, by the number of corners they share (at least one)."""
    scores = sorted(((_matches(b.coords, o.coords), i, j) for i, b in enumerate(base) for j, o in enumerate(other)),
                    reverse=True)
    pairs, used = {}, set()
    for score, i, j in scores:
        if score and i not in pairs and j not in used:
            pairs[i] = j
            used.add(j)
    return pairs


def _rotate(coords: list[Point], start: int) -> list[Point]:
    return coords[start:] + coords[:start]


def _diff(base: list[Point], other: list[Point]) -> tuple[list[Edit], dict[int, Point]]:
    """The edits turning base into other (both starting at the same corner), and other's corner for each kept one."""
    index = _Index(base)
    keys = []
    for k, p in enumerate(other):
        found = index.find(p)
        keys.append(found if found is not None else -1 - k)
    edits, kept = [], {}
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, list(range(len(base))), keys, autojunk=False).get_opcodes():
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2)):
                kept[i] = other[j]
        else:
            edits.append(Edit(i1, i2, tuple(other[j1:j2])))
    return edits, kept


def _clusters(mine: list[Edit], theirs: list[Edit]) -> list[tuple[list[Edit], list[Edit]]]:
    """Groups of my and their edits that touch each other (transitively); edits touching nothing are not listed."""
    nodes = [(MINE, e) for e in mine] + [(THEIRS, e) for e in theirs]
    parent = list(range(len(nodes)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a in range(len(mine)):
        for b in range(len(mine), len(nodes)):
            if nodes[a][1].touches(nodes[b][1]):
                parent[root(a)] = root(b)
    groups: dict[int, list[int]] = {}
    for i in range(len(nodes)):
        groups.setdefault(root(i), []).append(i)
    out = []
    for members in groups.values():
        sides = {nodes[i][0] for i in members}
        if sides == {MINE, THEIRS}:
            out.append(([nodes[i][1] for i in members if nodes[i][0] == MINE],
                        [nodes[i][1] for i in members if nodes[i][0] == THEIRS]))
    return out


def _centre(points: list[Point]) -> Point:
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def _merge_ring(key: str, base: list[Point], mine: list[Point], theirs: list[Point],
                choices: dict[str, str], places: list[Place]) -> list[Point] | None:
    """One ring present in all three: my edits onto theirs; conflicting places appended to `places`."""
    mine_index, theirs_index = _Index(mine), _Index(theirs)
    anchor = next((i for i, p in enumerate(base)
                   if mine_index.find(p) is not None and theirs_index.find(p) is not None), None)
    if anchor is None:
        # No corner left untouched by both: the whole ring is one place, unless one side did not change it at all.
        return _whole_ring(key, base, mine, theirs, choices, places)
    size = len(base)
    base = _rotate(base, anchor)
    mine = _rotate(mine, mine_index.find(base[0]))
    theirs = _rotate(theirs, theirs_index.find(base[0]))
    my_edits = _diff(base, mine)[0]
    their_edits, theirs_kept = _diff(base, theirs)
    my_edits = [e for e in my_edits if not any(e.same_as(t) for t in their_edits)]
    if not my_edits:
        return theirs
    chosen = list(their_edits)
    for number, (mine_group, theirs_group) in enumerate(_clusters(my_edits, their_edits)):
        start = min(e.start for e in mine_group + theirs_group)
        place_key = f"{key}:{(start + anchor) % size}"  # the first corner's number in the base ring
        corners = [p for e in mine_group for p in e.coords] or [base[min(e.start, len(base) - 1)] for e in mine_group]
        choice = choices.get(place_key)
        places.append(Place(place_key, _centre(corners),
                            [p for e in mine_group for p in e.coords], [p for e in theirs_group for p in e.coords],
                            choice if choice in (MINE, THEIRS) else None))
        for e in mine_group:
            my_edits.remove(e)
        if choice == MINE:
            chosen = [e for e in chosen if e not in theirs_group] + mine_group
    chosen += my_edits
    chosen.sort(key=lambda e: (e.start, e.end))
    out, position = [], 0
    for edit in chosen:
        out += [theirs_kept.get(i, base[i]) for i in range(position, edit.start)]
        out += list(edit.coords)
        position = max(position, edit.end)
    out += [theirs_kept.get(i, base[i]) for i in range(position, len(base))]
    return out


def _unchanged(base: list[Point], other: list[Point]) -> bool:
    if len(base) != len(other):
        return False
    index = _Index(other)
    start = index.find(base[0])
    return start is not None and all(_near(p, q) for p, q in zip(base, _rotate(other, start)))


def _whole_ring(key, base, mine, theirs, choices, places) -> list[Point] | None:
    """A ring one side changed entirely (or removed: None): the other side's ring, or a place to choose."""
    if mine is not None and theirs is not None and _unchanged(mine, theirs):
        return theirs
    if mine is None and theirs is None:
        return None
    if theirs is not None and _unchanged(base, theirs):
        return mine
    if mine is not None and _unchanged(base, mine):
        return theirs
    choice = choices.get(key)
    places.append(Place(key, _centre(mine or theirs), list(mine or []), list(theirs or []),
                        choice if choice in (MINE, THEIRS) else None))
    return mine if choice == MINE else theirs


def _assemble(rings: list[_Ring]) -> MultiPolygon:
    exteriors = [Polygon(r.coords + r.coords[:1]) for r in rings if r.exterior and len(r.coords) >= 3]
    holes: list[list] = [[] for _ in exteriors]
    for ring in rings:
        if ring.exterior or len(ring.coords) < 3:
            continue
        point = Polygon(ring.coords + ring.coords[:1]).representative_point()
        for k, exterior in enumerate(exteriors):
            if exterior.contains(point):
                holes[k].append(ring.coords + ring.coords[:1])
                break
    return MultiPolygon([Polygon(e.exterior.coords, h) for e, h in zip(exteriors, holes)])


def _area_m2(geom) -> float:
    if geom.is_empty:
        return 0.0
    lat = geom.centroid.y
    return geom.area * M_PER_DEG * M_PER_DEG * math.cos(math.radians(lat))


def merge_boundaries(base, mine, theirs, choices: dict[str, str] | None = None) -> Merged:
    """My change (base → mine) applied onto theirs (base → theirs); shapely (Multi)Polygons in lon/lat."""
    choices = choices or {}
    base_rings, my_rings, their_rings = _rings(base), _rings(mine), _rings(theirs)
    to_mine, to_theirs = _pair_rings(base_rings, my_rings), _pair_rings(base_rings, their_rings)
    places: list[Place] = []
    out: list[_Ring] = []
    their_corners = 0
    for i, ring in enumerate(base_rings):
        m = my_rings[to_mine[i]].coords if i in to_mine else None
        t = their_rings[to_theirs[i]].coords if i in to_theirs else None
        exterior = (their_rings[to_theirs[i]] if t is not None else my_rings[to_mine[i]] if m is not None
                    else ring).exterior
        if t is None:
            their_corners += len(ring.coords)
        else:
            aligned = _aligned(ring.coords, t)
            their_corners += sum(e.size() for e in _diff(*aligned)[0]) if aligned else len(t)
        if m is not None and t is not None:
            merged = _merge_ring(f"r{i}", ring.coords, m, t, choices, places)
        else:
            merged = _whole_ring(f"r{i}", ring.coords, m, t, choices, places)
        if merged is not None:
            out.append(_Ring(merged, exterior))
    # Rings only one side has (a hole or a part one of them cut off): kept.
    out += [r for j, r in enumerate(my_rings) if j not in to_mine.values()]
    added_by_them = [r for j, r in enumerate(their_rings) if j not in to_theirs.values()]
    their_corners += sum(len(r.coords) for r in added_by_them)
    out += added_by_them
    base_shape, my_shape, their_shape = (make_valid(_assemble(r)) for r in (base_rings, my_rings, their_rings))
    their_change = their_shape.symmetric_difference(base_shape)
    lost = their_change.intersection(their_shape.symmetric_difference(my_shape))
    return Merged(_assemble(out), places, their_corners, _area_m2(lost),
                  mine_changed=not my_shape.normalize().equals_exact(base_shape.normalize(), TOLERANCE))


def _aligned(base: list[Point], other: list[Point]) -> tuple[list[Point], list[Point]] | None:
    """base and other rotated to start at a corner they share, or None when they share none."""
    index = _Index(other)
    for i, p in enumerate(base):
        j = index.find(p)
        if j is not None:
            return _rotate(base, i), _rotate(other, j)
    return None
