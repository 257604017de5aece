"""The deterministic demo city (Acheng-like district): roads, admin areas, estates, buildings and services as plain data.

Pure shapely/numpy, no Django: the same (scale, seed) always gives the same codes, names, geometries and dates.
Layout happens in a local metre grid aligned with the axes, converted to CGCS2000 degrees by a per-axis affine map,
so shared boundaries (community/street/district edges, estate/area edges) keep exactly equal coordinates.
"""
from __future__ import annotations

import datetime
import math
import random
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon, box
from shapely.ops import unary_union

from ..credit_code import check_character
from ..planning.rules import is_old_estate
from .names import AGENCY_SUFFIX, NameBook

DEMO_TODAY = datetime.date(2026, 11, 22)  # the demo's "today": statuses are designed for this date
CENTRE_LON, CENTRE_LAT = 126.96, 45.54
DISTRICT_CODE = "230112"
DISTRICT_NAME = "阿城区"
CITY_CODE = "230100"
CITY_NAME = "哈尔滨市"
# The demo city's districts (DOMAIN.md "Levels"), first the one a single-district demo has always had, so its codes,
# accounts (planner, official) and links stay the same.
DISTRICTS = (("230112", "阿城区"), ("230102", "道里区"), ("230103", "南岗区"), ("230110", "香坊区"),
             ("230104", "道外区"), ("230108", "平房区"), ("230109", "松北区"), ("230111", "呼兰区"), ("230113", "双城区"))
DISTRICT_GAP_M = 1500.0  # between neighbouring demo districts
OLD_CUTOFF_YEAR = 2010
SRID = 4490

# Metres per degree at the centre latitude (series for the GRS80/CGCS2000 ellipsoid; ample for a city).
_PHI = math.radians(CENTRE_LAT)
M_PER_DEG_LAT = 111132.92 - 559.82 * math.cos(2 * _PHI) + 1.175 * math.cos(4 * _PHI)
M_PER_DEG_LON = 111412.84 * math.cos(_PHI) - 93.5 * math.cos(3 * _PHI)

ROAD_HALF_WIDTH = {"arterial": 20.0, "secondary": 12.0, "local": 6.0}
SETBACK = {"arterial": 6.0, "secondary": 5.0, "local": 4.0}


@dataclass(frozen=True)
class Scale:
    name: str
    superblocks: int  # blocks between arterial roads; ~7 estates each
    streets: int
    communities_per_street: int


SCALES = {
    "small": Scale("small", 36, 3, 3),
    "medium": Scale("medium", 1350, 8, 5),
    "large": Scale("large", 6750, 24, 5),
}
# `make run`'s city: districts the size of real ones — a few hundred to a thousand-odd old estates and 100,000 to
# 400,000 households each (about 7.5 estates of ~500 households per superblock), different from one another. The
# benchmark scales above stay as they were, per district.
REAL_SCALES = (Scale("real", 90, 8, 5), Scale("real", 55, 6, 4), Scale("real", 75, 7, 5), Scale("real", 40, 5, 4),
               Scale("real", 80, 7, 5), Scale("real", 45, 5, 4), Scale("real", 65, 6, 5), Scale("real", 50, 5, 4),
               Scale("real", 60, 6, 4))
SCALE_NAMES = (*SCALES, "real")


@dataclass
class AdminUnit:
    level: str
    code: str
    name: str
    parent_code: str | None
    geom: MultiPolygon


@dataclass
class RoadLine:
    name: str
    road_class: str
    geom: LineString


@dataclass
class BuildingRec:
    code: str
    label: str
    floors: int
    households: int
    build_year: int
    has_elevator: bool
    geom: Polygon
    abandonment: str = "none"
    abandoned_since: datetime.date | None = None


@dataclass
class EstateRec:
    code: str
    name: str
    address: str
    build_year: int
    households: int
    floor_area: float
    is_open: bool
    owners_committee: str
    community_code: str
    street_code: str
    area_code: str | None
    geom: Polygon
    buildings: list[BuildingRec] = field(default_factory=list)


@dataclass
class AreaRec:
    code: str
    name: str
    street_code: str
    geom: MultiPolygon


@dataclass
class EnterpriseRec:
    name: str
    credit_code: str
    credit_grade: str
    list_status: str
    filed_on: datetime.date
    contact_person: str
    contact_phone: str
    address: str


@dataclass
class AgencyRec:
    name: str
    kind: str
    street_code: str
    enterprise_code: str | None  # credit code of the custodian enterprise
    contact_phone: str


@dataclass
class ContractRec:
    estate_code: str
    provider_kind: str
    mode: str
    start_date: datetime.date
    end_date: datetime.date | None
    enterprise_code: str | None = None
    agency_name: str | None = None
    note: str = ""


@dataclass
class RenovationRec:
    estate_code: str
    name: str
    items: tuple[str, ...]
    funding_city: float
    funding_district: float
    funding_social: float
    funding_owners: float
    status: str
    start_year: int
    end_year: int | None


@dataclass
class City:
    scale: str
    seed: int
    today: datetime.date
    city: AdminUnit
    districts: list[AdminUnit]
    streets: list[AdminUnit]
    communities: list[AdminUnit]
    roads: list[RoadLine]
    areas: list[AreaRec]
    estates: list[EstateRec]
    enterprises: list[EnterpriseRec]
    agencies: list[AgencyRec]
    contracts: list[ContractRec]
    renovations: list[RenovationRec]

    @property
    def district(self) -> AdminUnit:
        """The first district: the one whose planner and official are the demo's `planner` and `official`."""
        return self.districts[0]

    def counts(self) -> dict[str, int]:
        return {
            "districts": len(self.districts),
            "streets": len(self.streets),
            "communities": len(self.communities),
            "roads": len(self.roads),
            "management areas": len(self.areas),
            "estates": len(self.estates),
            "buildings": sum(len(e.buildings) for e in self.estates),
            "enterprises": len(self.enterprises),
            "caretaker agencies": len(self.agencies),
            "contracts": len(self.contracts),
            "renovations": len(self.renovations),
        }


# --- coordinates -----------------------------------------------------------------------------------------------

def _lon(x):
    return CENTRE_LON + np.asarray(x, dtype=float) / M_PER_DEG_LON


def _lat(y):
    return CENTRE_LAT + np.asarray(y, dtype=float) / M_PER_DEG_LAT


def _to_degrees(geom):
    """Local metres → degrees, axis by axis (keeps shared and collinear coordinates exactly shared)."""
    return shapely.transform(geom, lambda xy: np.column_stack([_lon(xy[:, 0]), _lat(xy[:, 1])]))


def _as_multi(geom) -> MultiPolygon:
    if isinstance(geom, MultiPolygon):
        return geom
    return MultiPolygon([geom])


def _date(rng: np.random.Generator, year: int, *, latest: datetime.date | None = None) -> datetime.date:
    day = datetime.date(year, 1, 1) + datetime.timedelta(days=int(rng.integers(0, 365)))
    if latest and day > latest:
        day = latest
    return day


# --- road grid and blocks -----------------------------------------------------------------------------------------

@dataclass
class _Block:
    cell: int  # index of its superblock
    x0: float
    y0: float
    x1: float
    y1: float
    edges: dict  # side ("w", "e", "s", "n") -> (road_class, road_name)


def _spacings(rng, n: int) -> np.ndarray:
    """n+1 arterial positions with irregular 400–600 m spacing, centred on 0."""
    gaps = rng.uniform(400.0, 600.0, size=n)
    pos = np.concatenate([[0.0], np.cumsum(gaps)])
    return np.round(pos - pos[-1] / 2, 1).tolist()


def _select_cells(rng, xs, ys, count: int) -> np.ndarray:
    """A boolean grid of the superblocks inside a noisy closed curve, exactly `count` of them."""
    xs, ys = np.asarray(xs), np.asarray(ys)
    cx = (xs[:-1] + xs[1:]) / 2
    cy = (ys[:-1] + ys[1:]) / 2
    gx, gy = np.meshgrid(cx, cy, indexing="ij")
    half = max(xs[-1], ys[-1])
    theta = np.arctan2(gy, gx)
    radius = np.ones_like(theta)
    for k in range(2, 7):
        radius += rng.uniform(0.04, 0.22) / k * 2 * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    ratio = np.hypot(gx, gy) / half / radius
    order = np.argsort(ratio.ravel(), kind="stable")
    inside = np.zeros(ratio.size, dtype=bool)
    inside[order[:count]] = True
    return inside.reshape(ratio.shape)


def _road_runs(units: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs [a, b) of True in a 1-D boolean array."""
    runs, start = [], None
    for i, flag in enumerate(list(units) + [False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i))
            start = None
    return runs


def _road_grid(rng, names: NameBook, scale: Scale):
    n = int(math.ceil(math.sqrt(scale.superblocks * 1.7))) + 2
    xs, ys = _spacings(rng, n), _spacings(rng, n)
    inside = _select_cells(rng, xs, ys, scale.superblocks)
    roads: list[RoadLine] = []

    def add_line(road_class, name, fixed, lo_hi, vertical):
        (a, b) = lo_hi
        coords = [(fixed, a), (fixed, b)] if vertical else [(a, fixed), (b, fixed)]
        roads.append(RoadLine(name, road_class, LineString(coords)))

    # Arterials: vertical lines at xs[i] and horizontal at ys[j]; a unit is drawn next to an included superblock.
    v_names = [names.road("arterial") for _ in xs]
    h_names = [names.road("arterial") for _ in ys]
    for i, x in enumerate(xs):
        left = inside[i - 1] if i > 0 else np.zeros(n, bool)
        right = inside[i] if i < n else np.zeros(n, bool)
        for a, b in _road_runs(left | right):
            add_line("arterial", v_names[i], x, (ys[a], ys[b]), True)
    for j, y in enumerate(ys):
        below = inside[:, j - 1] if j > 0 else np.zeros(n, bool)
        above = inside[:, j] if j < n else np.zeros(n, bool)
        for a, b in _road_runs(below | above):
            add_line("arterial", h_names[j], y, (xs[a], xs[b]), False)

    # Secondary roads split wide strips between arterials along their whole length.
    sec_x = [None] * n
    sec_y = [None] * n
    for i in range(n):
        if xs[i + 1] - xs[i] >= 440 and rng.random() < 0.9:
            sec_x[i] = (round(float((xs[i] + xs[i + 1]) / 2 + rng.uniform(-40, 40)), 1), names.road("secondary"))
        if ys[i + 1] - ys[i] >= 440 and rng.random() < 0.9:
            sec_y[i] = (round(float((ys[i] + ys[i + 1]) / 2 + rng.uniform(-40, 40)), 1), names.road("secondary"))
    for i in range(n):
        if sec_x[i]:
            for a, b in _road_runs(inside[i]):
                add_line("secondary", sec_x[i][1], sec_x[i][0], (ys[a], ys[b]), True)
        if sec_y[i]:
            for a, b in _road_runs(inside[:, i]):
                add_line("secondary", sec_y[i][1], sec_y[i][0], (xs[a], xs[b]), False)

    # Blocks: each included superblock split by its secondaries, then maybe by a local road.
    blocks: list[_Block] = []
    cells: list[tuple[int, int]] = []
    for i in range(n):
        for j in range(n):
            if not inside[i, j]:
                continue
            cell = len(cells)
            cells.append((i, j))
            xcuts = [(xs[i], ("arterial", v_names[i]))]
            if sec_x[i]:
                xcuts.append((sec_x[i][0], ("secondary", sec_x[i][1])))
            xcuts.append((xs[i + 1], ("arterial", v_names[i + 1])))
            ycuts = [(ys[j], ("arterial", h_names[j]))]
            if sec_y[j]:
                ycuts.append((sec_y[j][0], ("secondary", sec_y[j][1])))
            ycuts.append((ys[j + 1], ("arterial", h_names[j + 1])))
            for (xa, wa), (xb, wb) in zip(xcuts, xcuts[1:]):
                for (ya, sa), (yb, sb) in zip(ycuts, ycuts[1:]):
                    blocks.extend(_local_split(rng, names, roads, cell, xa, ya, xb, yb,
                                               {"w": wa, "e": wb, "s": sa, "n": sb}))
    return xs, ys, cells, blocks, roads


def _local_split(rng, names, roads, cell, x0, y0, x1, y1, edges) -> list[_Block]:
    """Split a block once by a local road when it is long; the local road joins the two roads it crosses between."""
    w, h = x1 - x0, y1 - y0
    if max(w, h) > 300 and rng.random() < 0.75:
        name = names.road("local")
        if w >= h:
            xm = round(float(x0 + w * rng.uniform(0.4, 0.6)), 1)
            roads.append(RoadLine(name, "local", LineString([(xm, y0), (xm, y1)])))
            return [_Block(cell, x0, y0, xm, y1, {**edges, "e": ("local", name)}),
                    _Block(cell, xm, y0, x1, y1, {**edges, "w": ("local", name)})]
        ym = round(float(y0 + h * rng.uniform(0.4, 0.6)), 1)
        roads.append(RoadLine(name, "local", LineString([(x0, ym), (x1, ym)])))
        return [_Block(cell, x0, y0, x1, ym, {**edges, "n": ("local", name)}),
                _Block(cell, x0, ym, x1, y1, {**edges, "s": ("local", name)})]
    return [_Block(cell, x0, y0, x1, y1, edges)]


# --- estates inside blocks ----------------------------------------------------------------------------------------

MIN_SIDE = 60.0


def _subdivide(rng, rect, depth=0):
    """Guillotine tree of parcels separated by small gaps: ("leaf", rect) or ("node", rect, [children])."""
    x0, y0, x1, y1 = rect
    w, h = x1 - x0, y1 - y0
    target = rng.uniform(195, 250)
    if max(w, h) <= target or max(w, h) < 2 * MIN_SIDE + 16:
        return ("leaf", rect)
    gap = float(rng.uniform(6, 14))
    along_x = w >= h
    length = w if along_x else h
    cut = min(max(float(length * rng.uniform(0.35, 0.65)), MIN_SIDE), float(length - MIN_SIDE - gap))
    if along_x:
        a, b = (x0, y0, x0 + cut, y1), (x0 + cut + gap, y0, x1, y1)
    else:
        a, b = (x0, y0, x1, y0 + cut), (x0, y0 + cut + gap, x1, y1)
    return ("node", rect, [_subdivide(rng, a, depth + 1), _subdivide(rng, b, depth + 1)])


def _leaves(tree):
    if tree[0] == "leaf":
        return [tree[1]]
    return [r for child in tree[2] for r in _leaves(child)]


def _parcels(rng, tree, out):
    """Flatten the tree into (rect, group) parcels; a subtree of 2–4 parcels may become one open (街区制) group."""
    if tree[0] == "leaf":
        out.append((tree[1], None))
        return
    leaves = _leaves(tree)
    if 2 <= len(leaves) <= 4 and rng.random() < 0.22:
        group = tree[1]
        out.extend((leaf, group) for leaf in leaves)
        return
    for child in tree[2]:
        _parcels(rng, child, out)


# --- buildings ----------------------------------------------------------------------------------------------------

def _typology(rng, year: int):
    """(kind, length, depth, floors, elevator, households per floor per length unit)."""
    if year <= 1995 or (year <= 2010 and rng.random() < 0.7):
        return "slab", 50 + 30 * rng.beta(1.3, 2.5), rng.uniform(10, 14), int(rng.choice([5, 6, 6, 6, 7])), False
    if year <= 2010 or rng.random() < 0.35:
        return "mid", rng.uniform(35, 55), rng.uniform(13, 16), int(rng.integers(7, 12)), True
    s = rng.uniform(20, 30)
    return "tower", s, s * rng.uniform(0.8, 1.0), int(rng.integers(11, 34)), True


def _place_buildings(rng, rect, notch, year):
    """Footprints (x0, y0, x1, y1, floors, elevator, households) in rows inside rect minus notch, with a margin."""
    margin = float(rng.uniform(5, 9))
    x0, y0, x1, y1 = (float(v) for v in (rect[0] + margin, rect[1] + margin, rect[2] - margin, rect[3] - margin))
    W, H = x1 - x0, y1 - y0
    kind, length, depth, floors, elevator = _typology(rng, year)
    length, depth = float(length), float(depth)
    length = min(length, W)
    col_gap = float(rng.uniform(6, 12)) if kind != "tower" else float(rng.uniform(18, 30))
    row_gap = max(10.0, floors * 3.0 * (0.7 if kind == "slab" else 0.4)) if kind != "tower" else float(rng.uniform(25, 35))
    ncols = max(1, int((W + col_gap) // (length + col_gap)))
    nrows = max(1, int((H + row_gap) // (depth + row_gap)))
    depth = min(depth, H)
    spare_x = W - (ncols * length + (ncols - 1) * col_gap)
    spare_y = H - (nrows * depth + (nrows - 1) * row_gap)
    out = []
    for r in range(nrows):
        by0 = y0 + spare_y / 2 + r * (depth + row_gap)
        shift = float(rng.uniform(0, spare_x)) if spare_x > 1 else 0.0
        for c in range(ncols):
            bx0 = x0 + shift + c * (length + col_gap)
            b = (round(bx0, 2), round(by0, 2), round(bx0 + length, 2), round(by0 + depth, 2))
            if notch and not (b[2] + margin <= notch[0] or b[0] - margin >= notch[2]
                              or b[3] + margin <= notch[1] or b[1] - margin >= notch[3]):
                continue
            out.append(b)
    if not out:  # an L too tight for a row: one small building in the corner opposite the notch
        bw, bd = min(40.0, W * 0.45), min(12.0, H * 0.45)
        cx = x0 if (not notch or notch[0] > rect[0]) else x1 - bw
        cy = y0 if (not notch or notch[1] > rect[1]) else y1 - bd
        out.append((round(cx, 2), round(cy, 2), round(cx + bw, 2), round(cy + bd, 2)))
    result = []
    for b in out:
        bl = b[2] - b[0]
        if kind == "tower":
            per_floor = int(rng.choice([4, 4, 6, 6, 8]))
        else:
            per_floor = 2 * max(1, round(bl / 15))  # two flats per stair per floor, a stair every ~15 m
        bf = max(1, floors + int(rng.integers(-1, 2))) if kind != "slab" else floors
        result.append((*b, bf, elevator, bf * per_floor))
    return result


# --- administrative grouping --------------------------------------------------------------------------------------

def _bisect(rng, items: list[tuple[int, float, float]], k: int) -> list[list[int]]:
    """Split items (index, x, y) into k spatially compact groups of near-equal size by recursive bisection."""
    if k == 1:
        return [[i for i, _, _ in items]]
    k1 = k // 2
    n1 = round(len(items) * k1 / k)
    xs = [p[1] for p in items]
    ys = [p[2] for p in items]
    angle = (0.0 if max(xs) - min(xs) >= max(ys) - min(ys) else math.pi / 2) + rng.uniform(-0.35, 0.35)
    c, s = math.cos(angle), math.sin(angle)
    ordered = sorted(items, key=lambda p: (p[1] * c + p[2] * s, p[0]))
    return _bisect(rng, ordered[:n1], k1) + _bisect(rng, ordered[n1:], k - k1)


# --- the generator ------------------------------------------------------------------------------------------------

def credit_code(rng: np.random.Generator, district_code: str = DISTRICT_CODE) -> str:
    """A valid unified social credit code for an enterprise (91) registered in the district."""
    body = "".join(str(d) for d in rng.integers(0, 10, size=8))
    weights = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation-code check digit
    check = 11 - sum(int(ch) * w for ch, w in zip(body, weights)) % 11
    org = body + {10: "X", 11: "0"}.get(check, str(check))
    first17 = "91" + district_code + org
    return first17 + check_character(first17)


def generate_city(*, scale: str = "small", seed: int = 1, today: datetime.date = DEMO_TODAY,
                  districts: int = 1) -> City:
    """The demo city: `districts` districts side by side (DOMAIN.md "Levels"), each generated like the original
    single district at `scale` (or, for "real", at sizes of real districts), with its own seed; a few enterprises
    serve estates in two districts (one city-wide register)."""
    if not 1 <= districts <= len(DISTRICTS):
        raise ValueError(f"districts must be 1 to {len(DISTRICTS)}")
    parts = []
    for k in range(districts):
        code, name = DISTRICTS[k]
        sc = REAL_SCALES[k] if scale == "real" else SCALES[scale]
        parts.append(_generate_district(sc, seed + 7919 * k, today, code, name, "" if k == 0 else code))
    _place_side_by_side(parts)
    city = City(scale, seed, today, AdminUnit("city", CITY_CODE, CITY_NAME, None,
                                              _as_multi(unary_union([p.district.geom for p in parts]))),
                *([] for _ in range(10)))
    for part in parts:
        for name in ("districts", "streets", "communities", "roads", "areas", "estates", "enterprises", "agencies",
                     "contracts", "renovations"):
            getattr(city, name).extend(getattr(part, name))
    _serve_across_districts(city, parts)
    return city


def _place_side_by_side(parts: list[City]) -> None:
    """Move every district but the first beside the previous ones, in rows of two (west to east, then north)."""
    boxes = [p.district.geom.bounds for p in parts]
    width = max(b[2] - b[0] for b in boxes) + DISTRICT_GAP_M / M_PER_DEG_LON
    height = max(b[3] - b[1] for b in boxes) + DISTRICT_GAP_M / M_PER_DEG_LAT
    for k, part in enumerate(parts[1:], start=1):
        dx, dy = (k % 2) * width, (k // 2) * height
        move = lambda g: shapely.transform(g, lambda xy: xy + (dx, dy))  # noqa: E731
        for unit in (part.district, *part.streets, *part.communities):
            unit.geom = move(unit.geom)
        for item in (*part.roads, *part.areas, *part.estates):
            item.geom = move(item.geom)
        for estate in part.estates:
            for b in estate.buildings:
                b.geom = move(b.geom)


def _serve_across_districts(city: City, parts: list[City]) -> None:
    """Enterprises serving several districts: in every district after the first, the enterprise contracts of its
    first few estates under contract go to an enterprise of the previous district instead (same dates)."""
    for previous, part in zip(parts, parts[1:]):
        guests = [e for e in previous.enterprises if e.list_status != "black"][:2]
        mine = {e.credit_code for e in part.enterprises}
        moved = 0
        for c in part.contracts:
            if moved >= 6 or not guests:
                break
            if (c.provider_kind == "enterprise" and c.enterprise_code in mine and c.end_date is None
                    and c.start_date < city.today):  # not a renewal of today (its pair keeps one enterprise)
                c.enterprise_code = guests[moved % len(guests)].credit_code
                moved += 1


def _generate_district(sc: Scale, seed: int, today: datetime.date, district_code: str, district_name: str,
                       prefix: str) -> City:
    """One district at the origin; `prefix` keeps its estate and area codes apart from other districts'."""
    rng = np.random.default_rng(seed)
    names = NameBook(random.Random(seed))

    xs, ys, cells, blocks, roads = _road_grid(rng, names, sc)
    half = float(max(xs[-1], ys[-1]))

    # Streets and communities: groups of whole superblocks, so their boundaries run along arterial roads.
    cell_pts = [(k, float((xs[i] + xs[i + 1]) / 2), float((ys[j] + ys[j + 1]) / 2)) for k, (i, j) in enumerate(cells)]
    street_groups = _bisect(rng, cell_pts, sc.streets)
    street_names = names.streets(sc.streets)
    community_names = names.communities(sc.streets * sc.communities_per_street)
    cell_rect = [box(xs[i], ys[j], xs[i + 1], ys[j + 1]) for i, j in cells]
    cell_community: dict[int, tuple[str, str]] = {}
    streets, communities = [], []
    street_geoms_m = []
    for s, group in enumerate(street_groups):
        scode = f"{district_code}{s + 1:03d}"
        sub = _bisect(rng, [cell_pts[k] for k in group], sc.communities_per_street)
        community_geoms_m = []
        for c, cgroup in enumerate(sub):
            ccode = f"{scode}{c + 1:03d}"
            g = unary_union([cell_rect[k] for k in sorted(cgroup)])
            community_geoms_m.append(g)
            communities.append(AdminUnit("community", ccode, community_names[s * sc.communities_per_street + c],
                                         scode, _as_multi(_to_degrees(g))))
            for k in cgroup:
                cell_community[k] = (ccode, scode)
        g = unary_union(community_geoms_m)
        street_geoms_m.append(g)
        streets.append(AdminUnit("street", scode, street_names[s], district_code, _as_multi(_to_degrees(g))))
    district = AdminUnit("district", district_code, district_name, CITY_CODE,
                         _as_multi(_to_degrees(unary_union(street_geoms_m))))

    # Parcels: per block, guillotine subdivision of the block inset from its roads.
    parcels = []  # (community code, street code, block index, rect, group rect or None, address edge)
    for bi, bl in enumerate(blocks):
        inset = {side: ROAD_HALF_WIDTH[cls] + SETBACK[cls] for side, (cls, _) in bl.edges.items()}
        rect = (bl.x0 + inset["w"], bl.y0 + inset["s"], bl.x1 - inset["e"], bl.y1 - inset["n"])
        if rect[2] - rect[0] < MIN_SIDE or rect[3] - rect[1] < MIN_SIDE:
            continue
        out = []
        _parcels(rng, _subdivide(rng, rect), out)
        ccode, scode = cell_community[bl.cell]
        for prect, group in out:
            parcels.append((ccode, scode, bi, prect, group))
    # Codes follow community order, then block order: stable and readable.
    order = sorted(range(len(parcels)), key=lambda p: (parcels[p][0], p))
    parcels = [parcels[p] for p in order]

    n = len(parcels)
    centres = np.array([((r[0] + r[2]) / 2, (r[1] + r[3]) / 2) for _, _, _, r, _ in parcels])
    r_norm = np.hypot(centres[:, 0], centres[:, 1]) / half
    is_open = np.array([g is not None for *_, g in parcels])
    # Newer estates towards the edge of town; open (街区制) estates are old.
    p_new = np.clip(0.06 + 0.40 * r_norm ** 1.3, 0, 0.7)
    new = (rng.random(n) < p_new) & ~is_open
    old_years = (1960 + 50 * rng.beta(2.4, 1.5, size=n)).astype(int)
    new_years = rng.integers(2011, 2021, size=n)
    years = np.where(new, new_years, np.minimum(old_years, OLD_CUTOFF_YEAR))
    # The newest old estates were finished in the cutoff year itself (no extra random draw): the boundary of
    # DOMAIN.md "old estate" (004 §1, built before the end of 2010) is in the data, so a rule written with `<`
    # instead of `<=` changes the figures.
    years = np.where(~new & (old_years == OLD_CUTOFF_YEAR - 1), OLD_CUTOFF_YEAR, years)

    estates: list[EstateRec] = []
    for idx, (ccode, scode, bi, rect, group) in enumerate(parcels):
        year = int(years[idx])
        w, h = rect[2] - rect[0], rect[3] - rect[1]
        notch = None
        if group is None and min(w, h) >= 110 and rng.random() < 0.25:
            fx, fy = rng.uniform(0.3, 0.45), rng.uniform(0.3, 0.45)
            corner = int(rng.integers(0, 4))
            nx0 = rect[0] if corner in (0, 3) else rect[2] - w * fx
            ny0 = rect[1] if corner in (0, 1) else rect[3] - h * fy
            notch = (round(nx0, 2), round(ny0, 2), round(nx0 + w * fx, 2), round(ny0 + h * fy, 2))
        rect = tuple(round(v, 2) for v in rect)
        outline = box(*rect)
        if notch:
            outline = outline.difference(box(*notch))
        code = f"{prefix}E{idx + 1:06d}"
        bl = blocks[bi]
        # Address on the nearest bounding road; numbers run along the road, odd on one side, even on the other.
        dists = {"w": rect[0] - bl.x0, "e": bl.x1 - rect[2], "s": rect[1] - bl.y0, "n": bl.y1 - rect[3]}
        side = min(("s", "w", "n", "e"), key=lambda k: dists[k])
        road_name = bl.edges[side][1]
        along = (rect[0] + rect[2]) / 2 if side in ("s", "n") else (rect[1] + rect[3]) / 2
        number = 2 * max(1, int((along + half) / 20)) + (1 if side in ("s", "w") else 0)
        name = names.estate(old=is_old_estate(year, cutoff=OLD_CUTOFF_YEAR), road=road_name, number=number)
        buildings = []
        hh_total, area_total = 0, 0.0
        for k, (bx0, by0, bx1, by1, floors, elevator, hh) in enumerate(_place_buildings(rng, rect, notch, year)):
            byear = min(2020, max(1950, year + int(rng.integers(-1, 2))))
            buildings.append(BuildingRec(f"{code}-B{k + 1:02d}", f"{k + 1}号楼", floors, hh, byear, elevator,
                                         (bx0, by0, bx1, by1)))
            hh_total += hh
            area_total += (bx1 - bx0) * (by1 - by0) * floors
        if is_old_estate(year, cutoff=OLD_CUTOFF_YEAR):
            committee = rng.choice(["none", "community_acting", "preparing", "established"], p=[0.5, 0.3, 0.1, 0.1])
        else:
            committee = rng.choice(["none", "preparing", "established"], p=[0.2, 0.25, 0.55])
        estates.append(EstateRec(code, name, f"{road_name}{number}号", year, hh_total, round(area_total, 1),
                                 bool(group is not None), str(committee), ccode, scode, None, outline, buildings))

    # Geometry to degrees in bulk.
    est_geoms = _to_degrees(np.array([e.geom for e in estates], dtype=object))
    for e, g in zip(estates, est_geoms):
        e.geom = g
    flat = [b for e in estates for b in e.buildings]
    bb = np.array([b.geom for b in flat], dtype=float).reshape(-1, 4)
    bgeoms = shapely.box(_lon(bb[:, 0]), _lat(bb[:, 1]), _lon(bb[:, 2]), _lat(bb[:, 3]))
    for b, g in zip(flat, bgeoms):
        b.geom = g
    roads_deg = _to_degrees(np.array([r.geom for r in roads], dtype=object))
    for r, g in zip(roads, roads_deg):
        r.geom = g

    areas = _management_areas(rng, parcels, estates, prefix)
    services = _Services(rng, names, today, estates, centres, streets, communities, parcels, district_code)
    if prefix:  # agency names are keys of the city's loader: another district's street may share a name
        for agency in services.agencies:
            agency.name = district_name + agency.name
        for contract in services.contracts:
            if contract.agency_name:
                contract.agency_name = district_name + contract.agency_name
    return City(sc.name, seed, today, None, [district], streets, communities, roads, areas, estates, services.enterprises,
                services.agencies, services.contracts, services.renovations)


def _management_areas(rng, parcels, estates, prefix: str = "") -> list[AreaRec]:
    """Closed estates: their own boundary. Open groups: the group's parcel rectangle (holds members and gaps only)."""
    areas: list[AreaRec] = []
    seen_groups: dict[tuple, str | None] = {}
    members: dict[tuple, list] = {}
    for p, e in zip(parcels, estates):
        if p[4] is not None:
            members.setdefault((p[2], p[4]), []).append(e.geom)
    for (ccode, scode, bi, rect, group), e in zip(parcels, estates):
        if group is None:
            if e.is_open and rng.random() < 0.1:
                continue
            code = f"MA-{prefix}{len(areas) + 1:06d}"
            areas.append(AreaRec(code, f"{e.name}物业管理区域", scode, _as_multi(e.geom)))
            e.area_code = code
            continue
        key = (bi, group)
        if key not in seen_groups:
            if rng.random() < 0.1:  # planners have not drawn this one yet
                seen_groups[key] = None
            else:
                code = f"MA-{prefix}{len(areas) + 1:06d}"
                g = _to_degrees(box(*(round(v, 2) for v in group)))
                g = unary_union([g, *members[key]])  # members share its edges exactly; the union is a safety net
                areas.append(AreaRec(code, f"{e.name}片区物业管理区域", scode, _as_multi(g)))
                seen_groups[key] = code
        e.area_code = seen_groups[key]
    return areas


# --- providers, contracts, abandonment, renovation ----------------------------------------------------------------

RENOVATION_ITEMS = ("water_meter", "heat_meter", "power_meter", "gas_meter", "elevator", "roof", "pipes", "facade")


RENEWAL_NOTE = "合同期满续约"


def _days(d: datetime.date, n: int) -> datetime.date:
    return d + datetime.timedelta(days=int(n))


class _Services:
    """Enterprises, caretaker agencies and dated contracts giving a realistic coverage history for `today`."""

    def __init__(self, rng, names: NameBook, today, estates, centres, streets, communities, parcels,
                 district_code: str = DISTRICT_CODE):
        self.rng, self.names, self.today = rng, names, today
        self.district_code = district_code
        self.estates = estates
        self.contracts: list[ContractRec] = []
        self.renovations: list[RenovationRec] = []
        n = len(estates)

        # Service units: an open group with a management area is served as one; every other estate alone.
        unit_key, units = {}, []
        for i, e in enumerate(estates):
            key = e.area_code if (parcels[i][4] is not None and e.area_code) else ("estate", i)
            if key not in unit_key:
                unit_key[key] = len(units)
                units.append([])
            units[unit_key[key]].append(i)
        ucentre = np.array([centres[m].mean(axis=0) for m in units])

        self._enterprises(n, centres)
        self._agencies(streets)

        # Each unit's nearest enterprise by weighted distance (with noise), so territories are compact patches.
        nu = len(units)
        nearest = np.empty((nu, 2), dtype=int)
        proximity = np.empty(nu)
        for a in range(0, nu, 4096):
            c = ucentre[a:a + 4096]
            d = np.hypot(c[:, None, 0] - self.homes[None, :, 0], c[:, None, 1] - self.homes[None, :, 1]) / self.reach
            d *= rng.lognormal(0, 0.12, size=d.shape)
            order = np.argsort(d, axis=1, kind="stable")
            nearest[a:a + 4096] = order[:, :2]
            proximity[a:a + 4096] = np.take_along_axis(d, order[:, :1], axis=1)[:, 0]

        # Today's status of old units: the best-placed ~40% (by estates) have an enterprise, the rest a mix.
        old_units = [u for u in range(nu) if is_old_estate(estates[units[u][0]].build_year, cutoff=OLD_CUTOFF_YEAR)]
        old_total = sum(len(units[u]) for u in old_units)
        score = proximity * rng.lognormal(0, 0.45, size=nu)
        status = {}
        covered = 0
        for u in sorted(old_units, key=lambda u: (score[u], u)):
            if covered < 0.40 * old_total:
                status[u] = "enterprise"
                covered += len(units[u])
            else:
                status[u] = str(rng.choice(["caretaker", "self_governed", "none"], p=[0.28, 0.12, 0.60]))

        # An uncovered estate of the cutoff year, for the worklists' boundary: when none is, the newest uncovered old
        # estate served alone is dated to the cutoff year (no random draw).
        alone = [u for u in old_units if status[u] == "none" and len(units[u]) == 1]
        if alone and not any(estates[units[u][0]].build_year == OLD_CUTOFF_YEAR for u in alone):
            newest = max(alone, key=lambda u: (estates[units[u][0]].build_year, -u))
            estates[units[newest][0]].build_year = OLD_CUTOFF_YEAR

        for u in range(nu):
            members = units[u]
            first = estates[members[0]]
            ents = [int(nearest[u, 0]), int(nearest[u, 1])]
            if not is_old_estate(first.build_year, cutoff=OLD_CUTOFF_YEAR):
                plan, abandon = self._new_estate(first, ents)
            else:
                plan, abandon = self._old_estate(status[u], first, ents, len(members))
            for i in members:
                e = estates[i]
                for kind, mode, start, end, ent, agency, note in plan:
                    self.contracts.append(ContractRec(e.code, kind, mode, start, end, ent, agency, note))
                if abandon:
                    self._abandon(e, *abandon)

        old_idx = [i for i, e in enumerate(estates) if is_old_estate(e.build_year, cutoff=OLD_CUTOFF_YEAR)]
        for i in old_idx:
            if rng.random() < 0.17:
                self._renovation(estates[i])
        self._renew_on_today()

    # providers

    def _enterprises(self, n, centres):
        rng, names = self.rng, self.names
        count = max(8, round(n / 150))
        home_idx = rng.choice(n, size=count, replace=False)
        self.homes = centres[home_idx]
        self.reach = rng.lognormal(0, 0.3, size=count)
        perm = rng.permutation(count)
        n_black, n_red = max(1, round(0.05 * count)), max(1, round(0.1 * count))
        status = ["normal"] * count
        for k in perm[:n_black]:
            status[k] = "black"
        for k in perm[n_black:n_black + n_red]:
            status[k] = "red"
        self.enterprises, used = [], set()
        for k in range(count):
            code = credit_code(rng, self.district_code)
            while code in used:
                code = credit_code(rng, self.district_code)
            used.add(code)
            grade = {"red": rng.choice(["AAA", "AA"]), "black": rng.choice(["C", "B"], p=[0.8, 0.2])}.get(
                status[k], rng.choice(["AA", "A", "A", "B"]))
            self.enterprises.append(EnterpriseRec(
                names.enterprise(), code, str(grade), status[k], _date(rng, int(rng.integers(2005, 2020))),
                names.person(), names.mobile(), self.estates[int(home_idx[k])].address))
        self.black = {k for k in range(count) if status[k] == "black"}

    def _agencies(self, streets):
        rng, names = self.rng, self.names
        self.agencies = [AgencyRec(s.name + AGENCY_SUFFIX, "street_agency", s.code, None, names.landline())
                         for s in streets]
        self.street_agency = {s.code: s.name + AGENCY_SUFFIX for s in streets}
        candidates = [k for k in range(len(self.enterprises)) if k not in self.black]
        n_cust = max(2, len(streets) // 3)
        self.custodian: dict[str, str] = {}
        for k in rng.choice(candidates, size=min(n_cust, len(candidates)), replace=False):
            ent = self.enterprises[int(k)]
            # Custodian for the street its office stands in.
            home = self.homes[int(k)]
            d = [np.hypot(*(home - np.array(self._street_centre(s)))) for s in streets]
            street = streets[int(np.argmin(d))]
            name = f"{ent.name}托底代管项目部"
            self.agencies.append(AgencyRec(name, "custodian_enterprise", street.code, ent.credit_code, ent.contact_phone))
            self.custodian.setdefault(street.code, name)

    def _street_centre(self, street):
        c = street.geom.centroid
        return ((c.x - CENTRE_LON) * M_PER_DEG_LON, (c.y - CENTRE_LAT) * M_PER_DEG_LAT)

    # dates

    def _year(self, lo, hi, slope=0.0):
        years = np.arange(lo, hi + 1)
        w = 1 + slope * (years - lo)
        return int(self.rng.choice(years, p=w / w.sum()))

    def _start(self, lo, hi, slope=0.0):
        return _date(self.rng, self._year(lo, hi, slope), latest=_days(self.today, -7))

    # contracts

    def _ent(self, k, start, *, mode):
        """An enterprise contract tuple; blacklisted enterprises only keep contracts from before their listing."""
        if k in self.black and start.year > 2020:
            start = _date(self.rng, int(self.rng.integers(2012, 2020)))
        return ["enterprise", mode, start, None, self.enterprises[k].credit_code, None, ""]

    def _caretaker(self, street, start):
        r = self.rng.random()
        if r < 0.15:
            return ["district_fallback", "caretaker", start, None, None, None, "区政府兜底"]
        if r < 0.40 and street in self.custodian:
            return ["caretaker_agency", "caretaker", start, None, None, self.custodian[street], "就近代管"]
        return ["caretaker_agency", "caretaker", start, None, None, self.street_agency[street], ""]

    def _enterprise_mode(self, size):
        if size > 1:
            return "bundled" if self.rng.random() < 0.7 else "single"
        return "nearby" if self.rng.random() < 0.2 else "single"

    def _new_estate(self, e, ents):
        rng = self.rng
        r = rng.random()
        if r < 0.05:
            return [], None
        if r < 0.09:
            return [["community", "self_governed", _date(rng, e.build_year + 1), None, None, None, ""]], None
        first = self._ent(ents[0], _date(rng, e.build_year), mode="single")
        if rng.random() < 0.06:  # changed enterprise later
            switch = self._start(max(2019, e.build_year + 2), 2026)
            if switch > first[2]:
                first[3] = switch
                second = self._ent(ents[1], switch, mode="single")
                if second[2] == switch:
                    return [first, second], None
                first[3] = None
        return [first], None

    def _old_estate(self, status, e, ents, size):
        """Contracts (oldest first) and an optional abandonment (kind, since) for an old unit."""
        rng, today = self.rng, self.today
        street = e.street_code
        if status == "enterprise":
            cur = self._ent(ents[0], self._start(2012, 2026, slope=0.3), mode=self._enterprise_mode(size))
            if rng.random() < 0.25:
                cur[3] = _days(today, rng.integers(100, 1100))  # a term running out in the next years
            r = rng.random()
            start = cur[2]
            if r < 0.18 and start.year >= 2014:
                prev_start = _date(rng, int(rng.integers(2008, start.year - 1)))
                prev = self._ent(ents[1], prev_start, mode="single")
                if rng.random() < 0.35 and (start - prev[2]).days > 800:
                    prev[3] = _days(start, -int(rng.integers(200, (start - prev[2]).days - 100)))
                    return [prev, cur], ("resolved", prev[3])
                prev[3] = start
                if prev[2] < prev[3]:
                    return [prev, cur], None
                return [cur], None
            if r < 0.28 and start.year >= 2017:
                care = self._caretaker(street, _date(rng, int(rng.integers(2015, start.year))))
                if care[2] < start:
                    care[3] = start
                    return [care, cur], None
            return [cur], None

        if status == "caretaker":
            care = self._caretaker(street, self._start(2016, 2026, slope=0.25))
            if rng.random() < 0.35:
                prev = self._ent(ents[0], _date(rng, int(rng.integers(2009, 2016))), mode="single")
                prev[3] = _date(rng, int(rng.integers(2017, 2024)))
                if prev[3] <= prev[2]:
                    prev[3] = _days(prev[2], 400)
                care[2] = min(max(care[2], _days(prev[3], rng.integers(0, 300))), _days(today, -7))
                if care[2] >= prev[3]:
                    return [prev, care], ("under_caretaker", prev[3])
            return [care], None

        if status == "self_governed":
            own = ["community", "self_governed", self._start(2013, 2026), None, None, None, "社区自治管理"]
            if rng.random() < 0.1 and own[2].year >= 2015:
                prev = self._ent(ents[0], _date(rng, 2010 + int(rng.integers(0, own[2].year - 2011))), mode="single")
                if prev[2] < own[2]:
                    prev[3] = own[2]
                    return [prev, own], None
            return [own], None

        # none: nobody serves it today; many once had an enterprise (or a caretaker) that left.
        r = rng.random()
        if r < 0.32:
            prev = self._ent(ents[0], _date(rng, int(rng.integers(2010, 2018))), mode="single")
            prev[3] = _date(rng, int(rng.integers(2018, 2025)))
            if prev[3] <= prev[2]:
                prev[3] = _days(prev[2], 500)
            kind = "reported" if rng.random() < 0.4 else "verified"
            return [prev], (kind, _days(prev[3], rng.integers(0, 60)))
        if r < 0.40:
            care = self._caretaker(street, _date(rng, int(rng.integers(2017, 2021))))
            care[3] = _date(rng, int(rng.integers(2022, 2026)))
            return [care], ("reported", care[3])
        if r < 0.46:
            return [], ("reported", _date(rng, int(rng.integers(2019, 2027)), latest=_days(today, -1)))
        return [], None

    def _renew_on_today(self):
        """Renew one old estate's open-ended enterprise contract on `today` itself (no random draw): the old term
        ends on today (end dates are exclusive) and the new one starts on it, so both boundaries of "active on a
        date" (migration 0014) are in the data while the estate's status never changes."""
        black = {self.enterprises[k].credit_code for k in self.black}
        old = {e.code for e in self.estates if is_old_estate(e.build_year, cutoff=OLD_CUTOFF_YEAR)}
        per_estate: dict[str, int] = {}
        for c in self.contracts:
            per_estate[c.estate_code] = per_estate.get(c.estate_code, 0) + 1
        for c in self.contracts:
            if (c.provider_kind == "enterprise" and c.mode in ("single", "nearby") and c.end_date is None
                    and c.enterprise_code not in black and c.estate_code in old and per_estate[c.estate_code] == 1
                    and c.start_date.year <= self.today.year - 3):
                c.end_date = self.today
                self.contracts.append(ContractRec(c.estate_code, c.provider_kind, c.mode, self.today, None,
                                                  c.enterprise_code, None, RENEWAL_NOTE))
                return

    def _abandon(self, e, kind, since):
        """Mark some of the estate's buildings (at least one) abandoned since `since`."""
        share = 0.3 if kind != "reported" else 0.2
        marked = [b for b in e.buildings if self.rng.random() < share] or [e.buildings[0]]
        for b in marked:
            b.abandonment = kind
            b.abandoned_since = min(since, self.today)

    def _renovation(self, e):
        rng = self.rng
        items = [it for it, p in zip(RENOVATION_ITEMS, (0.7, 0.6, 0.5, 0.4, 0.12, 0.6, 0.5, 0.45)) if rng.random() < p]
        if not items:
            items = ["roof"]
        start = int(rng.integers(2016, 2028))
        end = start + int(rng.integers(0, 2))
        if start > self.today.year:
            status, end = "planned", None
        elif end < self.today.year:
            status = "completed"
        else:
            status = "in_progress" if start < self.today.year or rng.random() < 0.6 else "planned"
        total = e.floor_area * rng.uniform(120, 380) / 10000  # 万元
        shares = rng.dirichlet([4, 3, 1, 1.5])
        city, district, social, owners = (round(float(total * s), 2) for s in shares)
        self.renovations.append(RenovationRec(
            e.code, f"{e.name}{start}年老旧小区改造", tuple(items), city, district, social, owners, status, start, end))
