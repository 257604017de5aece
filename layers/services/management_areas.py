"""Writes of management areas (rule 2): create, redraw, delete, split, merge, restore — validated, locked, recorded.

Every write runs in one transaction inside layers.history.change_context, so the history trigger (migration 0008)
records who, why and what; an edit names the version it started from and is refused with Conflict when the row
has moved on since (optimistic locking under SELECT … FOR UPDATE). Estates are re-linked after every save.
"""
from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field

import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely import affinity
from shapely.geometry import MultiPolygon
from shapely.ops import unary_union

from .. import refusals
from ..selectors import areas
from ..history import change_context
from ..models import AdminArea, AdminLevel, ChangeAction, ManagementArea, ManagementAreaVersion
from ..permissions import ADD, CHANGE, DELETE, get_restricted, recheck, require
from ..planning import area_geometry as ag
from ..planning import ring_merge
from ..refusals import Invalid

SRID = ManagementArea._meta.get_field("geom").srid
# Two boundaries closer than this (degrees, ~1 mm) are the same boundary: GeoJSON round trips are not exact.
SAME_BOUNDARY = 1e-8
MAX_TOLERANCE_M = 50.0
# An estate belongs to the area that covers it, or that holds more than this share of it.
ESTATE_SHARE = 0.5


class ValidationFailed(Invalid):
    """The boundary cannot be saved: each problem (what and where) goes into the body's "problems"."""

    def __init__(self, problems: list[ag.Problem], message: str | None = None):
        self.problems = problems
        super().__init__(message or (problems[0].message if len(problems) == 1 else
                                     _("The boundary has %(n)d problems.") % {"n": len(problems)}),
                         details={"problems": [p.as_dict() for p in problems]})


class Conflict(refusals.Conflict):
    """The area was changed since the version the edit started from; the body carries the area as it is now."""

    def __init__(self, area: ManagementArea, changed_by: str | None, changed_at: datetime.datetime | None, *,
                 current: dict | None = None):
        self.area, self.changed_by, self.changed_at = area, changed_by, changed_at
        when = timezone.localtime(changed_at).strftime("%Y-%m-%d %H:%M") if changed_at else "?"
        details = {"changed_by": changed_by, "changed_at": changed_at.isoformat() if changed_at else None}
        if current is not None:
            details["current"] = current
        super().__init__(
            _("Management area %(code)s was changed meanwhile: it is now version %(version)d, saved by %(user)s at "
              "%(when)s. Reload it and redo your edit.")
            % {"code": area.code, "version": area.version, "user": changed_by or _("the system"), "when": when},
            details=details,
        )


@dataclass
class Validation:
    problems: list[ag.Problem] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    district_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Saved:
    area: ManagementArea
    warnings: list[dict] = field(default_factory=list)


# --- geometry helpers -------------------------------------------------------------------------------------------

def to_shapely(geom):
    """A shapely geometry from a shapely or GEOS geometry (None stays None)."""
    if geom is None or isinstance(geom, shapely.Geometry):
        return geom
    return shapely.from_wkb(bytes(geom.wkb))


def to_geos(geom) -> GEOSGeometry:
    return GEOSGeometry(memoryview(shapely.to_wkb(ag.as_multipolygon(geom))), srid=SRID)


def _wkb(geom) -> bytes:
    return shapely.to_wkb(geom)


def _same_boundary(a, b) -> bool:
    return a is not None and b is not None and ag.as_multipolygon(a).equals_exact(ag.as_multipolygon(b), SAME_BOUNDARY)


def _tolerance_degrees(tolerance_m: float) -> float:
    if not 0 <= tolerance_m <= MAX_TOLERANCE_M:
        raise Invalid(_("The snap tolerance must be between 0 and %(max)d metres.") % {"max": MAX_TOLERANCE_M})
    return ag.metres_to_degrees(tolerance_m)


# --- validation (reads only) ------------------------------------------------------------------------------------

def _check(geom, *, exclude_ids: list[int], district_id: int | None = None) -> Validation:
    """Pure validity, then the database's rules: no overlap, inside the district; estates cut are warnings."""
    result = Validation(problems=ag.validity_problems(geom, _))
    if result.problems:
        return result
    wkb = _wkb(geom)
    for pk, code, overlap in areas.management_area_overlaps(wkb=wkb, exclude_ids=exclude_ids):
        part = shapely.from_wkb(overlap)
        point = part.representative_point() if not part.is_empty else None
        result.problems.append(ag.Problem(
            ag.OVERLAP, _("Overlaps management area %(code)s.") % {"code": code},
            location=(point.x, point.y) if point is not None else None, geometry=part, area_id=pk))
    if district_id is None:
        found = areas.district_for_geometry(wkb=wkb)
        district_id = found[0] if found else None
    result.district_id = district_id
    if district_id is None:
        point = geom.representative_point()
        result.problems.append(ag.Problem(ag.OUTSIDE_DISTRICT, _("The area lies outside every district."),
                                          location=(point.x, point.y), geometry=geom))
    else:
        outside = areas.district_outside_part(wkb=wkb, district_id=district_id)
        if outside is not None:
            part = shapely.from_wkb(outside)
            if not part.is_empty:
                point = part.representative_point()
                result.problems.append(ag.Problem(ag.OUTSIDE_DISTRICT, _("Part of the area lies outside the district."),
                                                  location=(point.x, point.y), geometry=part))
    result.warnings = _estates_cut_warning(geom)
    return result


def management_area_validate(*, user, geometry, area_id: int | None = None) -> Validation:
    """A dry run of a save of `geometry` (as area `area_id`, or a new area): problems and warnings; writes nothing."""
    if area_id is None:
        require(user, ManagementArea, ADD)
        return _check(to_shapely(geometry), exclude_ids=[])
    area = get_restricted(ManagementArea.objects.all(), user, CHANGE, pk=area_id)
    return _check(to_shapely(geometry), exclude_ids=[area.pk], district_id=area.district_id)


def management_area_clip(*, user, geometry, area_id: int | None = None, tolerance_m: float = 1.0) -> MultiPolygon:
    """`geometry` snapped to neighbours within tolerance_m, minus the other areas, inside its district."""
    geom = to_shapely(geometry)
    problems = ag.validity_problems(geom, _)
    if problems:
        raise ValidationFailed(problems)
    tolerance = _tolerance_degrees(tolerance_m)
    exclude, district_id = [], None
    if area_id is None:
        require(user, ManagementArea, ADD)
    else:
        area = get_restricted(ManagementArea.objects.all(), user, CHANGE, pk=area_id)
        exclude, district_id = [area.pk], area.district_id
    wkb = _wkb(geom)
    district = None
    if district_id is None:
        found = areas.district_for_geometry(wkb=wkb)
        if found is None:
            point = geom.representative_point()
            raise ValidationFailed([ag.Problem(ag.OUTSIDE_DISTRICT, _("The area lies outside every district."),
                                               location=(point.x, point.y), geometry=geom)])
        district = shapely.from_wkb(found[1])
    else:
        district = to_shapely(AdminArea.objects.get(pk=district_id).geom)
    neighbours = [shapely.from_wkb(g) for g in
                  areas.management_area_neighbours(wkb=wkb, exclude_ids=exclude, distance=tolerance)]
    clipped = ag.clip(geom, neighbours=neighbours, district=district, tolerance=tolerance)
    if clipped.is_empty:
        raise ValidationFailed([ag.Problem(ag.EMPTY, _("Nothing is left once the neighbouring areas are cut away."))])
    return clipped


# --- writing helpers --------------------------------------------------------------------------------------------

def _lock(user, action: str, pk: int, base_version) -> ManagementArea:
    """The area, row-locked until commit, if it is still at `base_version`; else Conflict."""
    area = get_restricted(ManagementArea.objects.select_for_update(of=("self",)), user, action, pk=pk)
    if base_version is None or int(base_version) != area.version:
        last = areas.management_area_last_change(area_id=area.pk)
        raise Conflict(area, last.user.get_username() if last and last.user else None,
                       last.changed_at if last else area.updated_at,
                       current=areas.management_area_feature(pk=area.pk))
    return area


def _require_valid(validation: Validation) -> None:
    if validation.problems:
        raise ValidationFailed(validation.problems)


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("Say why the boundary changes: a reason is required."))
    return reason


RELINK_SQL = """
WITH g AS (SELECT ST_GeomFromWKB(%(wkb)s, %(srid)s) AS geom),
cand AS (
  SELECT e.id, e.geom, e.management_area_id FROM layers_estate e, g
   WHERE e.management_area_id = ANY(%(ids)s) OR (e.geom && g.geom AND ST_Intersects(e.geom, g.geom))
),
best AS (
  SELECT c.id, c.management_area_id AS old_id, b.id AS new_id
    FROM cand c LEFT JOIN LATERAL (
      SELECT m.id FROM layers_managementarea m
       WHERE m.geom && c.geom AND ST_Intersects(m.geom, c.geom)
         AND (ST_CoveredBy(c.geom, m.geom)
              OR ST_Area(ST_Intersection(m.geom, c.geom)) > %(share)s * ST_Area(c.geom))
       ORDER BY ST_Area(ST_Intersection(m.geom, c.geom)) DESC, m.id LIMIT 1) b ON true
)
UPDATE layers_estate e SET management_area_id = best.new_id
  FROM best WHERE e.id = best.id AND best.new_id IS DISTINCT FROM best.old_id
"""


def _relink_estates(*, area_ids: list[int], geoms: list) -> int:
    """Give each estate near the changed areas the area covering (most of) it, or none; return estates moved."""
    region = unary_union([g for g in geoms if g is not None and not g.is_empty])
    with connection.cursor() as cursor:
        cursor.execute(RELINK_SQL, {"wkb": _wkb(region) if not region.is_empty else _wkb(shapely.Point(0, 0)),
                                    "srid": SRID, "ids": list(area_ids), "share": ESTATE_SHARE})
        return cursor.rowcount


def _next_code() -> str:
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT nextval(pg_get_serial_sequence('layers_managementarea', 'id'))")
            code = f"MA-{cursor.fetchone()[0]:06d}"
            if not ManagementArea.objects.filter(code=code).exists():
                return code


def _free_code(code: str, *, area_id: int | None = None) -> str:
    """`code` stripped, if no other management area has it (the database's unique constraint says the same)."""
    code = code.strip()
    other = ManagementArea.objects.filter(code=code).exclude(pk=area_id).only("name", "code").first()
    if other is not None:
        raise Invalid(_("Code %(code)s is already used by management area %(name)s: choose another code.")
                      % {"code": code, "name": other.name}, field="code")
    return code


def _translate_db_error(exc: IntegrityError) -> Invalid:
    """The database's own rules (migrations 0002, 0008), hit by a concurrent write, as plain refusals."""
    code = getattr(exc.__cause__, "pgcode", None)
    if code == "23P01":
        # PostgreSQL's own text is English and names the constraint: say what happened instead.
        return ValidationFailed([ag.Problem(ag.OVERLAP, _("The boundary overlaps a management area saved at the same "
                                                          "moment by someone else: reload the map and try again."))])
    if code == "23514" and "reason" in str(exc):
        return Invalid(_("Say why the boundary changes: a reason is required."))
    if code == "23505":
        return Invalid(_("Another management area already has this code."))
    raise exc


def _saving(fn):
    """Run a write, turning the database's refusals into Invalid refusals."""
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except IntegrityError as exc:
            raise _translate_db_error(exc) from exc
    wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
    return wrapper


def _street_id(street_id, *, district_id: int, geom) -> int | None:
    if street_id in (None, ""):
        return areas.street_for_geometry(wkb=_wkb(geom), district_id=district_id)
    if not AdminArea.objects.filter(pk=street_id, level=AdminLevel.STREET, parent_id=district_id).exists():
        raise Invalid(_("Street %(id)s is not a street of this district.") % {"id": street_id})
    return int(street_id)


# --- writes -----------------------------------------------------------------------------------------------------

@_saving
def management_area_create(*, user, geometry, name: str, code: str | None = None, street_id: int | None = None,
                           reason: str = "") -> Saved:
    require(user, ManagementArea, ADD)
    geom = to_shapely(geometry)
    problems = ag.validity_problems(geom, _)
    if problems:
        raise ValidationFailed(problems)
    geom = ag.as_multipolygon(geom)
    name = (name or "").strip()
    if not name:
        raise Invalid(_("A management area needs a name."))
    validation = _check(geom, exclude_ids=[])
    _require_valid(validation)
    with change_context(user=user, reason=reason or _("new management area"), action=ChangeAction.CREATE):
        area = ManagementArea.objects.create(
            code=_free_code(code) if (code or "").strip() else _next_code(), name=name, district_id=validation.district_id,
            street_id=_street_id(street_id, district_id=validation.district_id, geom=geom), geom=to_geos(geom))
        _relink_estates(area_ids=[area.pk], geoms=[geom])
        recheck(area, user, ADD)
        area.refresh_from_db()  # in the transaction: the version this write made
    return Saved(area, validation.warnings)


@_saving
def management_area_update(*, user, area_id: int, base_version, geometry=None, name: str | None = None,
                           code: str | None = None, street_id=None, reason: str = "",
                           action: str | None = None) -> Saved:
    """Change an area's boundary and/or attributes; a changed boundary needs a reason."""
    warnings: list[dict] = []
    with transaction.atomic():
        area = _lock(user, CHANGE, area_id, base_version)
        old = to_shapely(area.geom)
        new = to_shapely(geometry)
        if new is not None:
            problems = ag.validity_problems(new, _)
            if problems:
                raise ValidationFailed(problems)
            new = ag.as_multipolygon(new)
        redraw = new is not None and not _same_boundary(new, old)
        if redraw:
            reason = _require_reason(reason)
            validation = _check(new, exclude_ids=[area.pk], district_id=area.district_id)
            _require_valid(validation)
            warnings = validation.warnings
            area.geom = to_geos(new)
        if name is not None:
            if not name.strip():
                raise Invalid(_("A management area needs a name."))
            area.name = name.strip()
        if code is not None and code.strip():
            area.code = _free_code(code, area_id=area.pk)
        if street_id is not None:
            area.street_id = _street_id(street_id, district_id=area.district_id, geom=new if new is not None else old)
        action = action or (ChangeAction.REDRAW if redraw else ChangeAction.UPDATE)
        with change_context(user=user, reason=reason, action=action):
            area.save()
            if redraw:
                _relink_estates(area_ids=[area.pk], geoms=[old, new])
            recheck(area, user, CHANGE)
        area.refresh_from_db()  # in the transaction: the version this write made
    return Saved(area, warnings)


@_saving
def management_area_delete(*, user, area_id: int, base_version, reason: str) -> None:
    reason = _require_reason(reason)
    with transaction.atomic():
        area = _lock(user, DELETE, area_id, base_version)
        old = to_shapely(area.geom)
        with change_context(user=user, reason=reason, action=ChangeAction.DELETE):
            area.delete()
            _relink_estates(area_ids=[area_id], geoms=[old])


@_saving
def management_area_split(*, user, area_id: int, base_version, line, reason: str, new_name: str | None = None,
                          tolerance_m: float = 1.0) -> tuple[Saved, Saved]:
    """Cut an area in two along `line`: the larger side keeps the area, the other becomes a new one."""
    reason = _require_reason(reason)
    tolerance = _tolerance_degrees(tolerance_m)
    with transaction.atomic():
        area = _lock(user, CHANGE, area_id, base_version)
        old = to_shapely(area.geom)
        try:
            kept, new = ag.split_polygon(old, to_shapely(line), tolerance=tolerance, translate=_)
        except ag.GeometryRefused as exc:
            raise Invalid(str(exc)) from None
        problems = ag.validity_problems(kept, _) + ag.validity_problems(new, _)
        if problems:
            raise ValidationFailed(problems)
        with change_context(user=user, reason=reason, action=ChangeAction.SPLIT):
            area.geom = to_geos(kept)
            area.save()
            other = ManagementArea.objects.create(
                code=_next_code(), name=(new_name or "").strip() or f"{area.name} (2)", district_id=area.district_id,
                street_id=_street_id(None, district_id=area.district_id, geom=new) or area.street_id,
                geom=to_geos(new))
            _relink_estates(area_ids=[area.pk, other.pk], geoms=[old])
            recheck(area, user, CHANGE)
            recheck(other, user, ADD)
        area.refresh_from_db()  # in the transaction: the versions this write made
        other.refresh_from_db()
    return (Saved(area, _estates_cut_warning(kept)), Saved(other, _estates_cut_warning(new)))


def _estates_cut_warning(geom) -> list[dict]:
    cut = areas.estates_cut_by(wkb=_wkb(geom))
    if not cut:
        return []
    return [{"kind": "estates_cut",
             "message": _("The boundary cuts through %(n)d estate(s): %(names)s.")
             % {"n": len(cut), "names": "、".join(e["name"] for e in cut[:10]) + ("…" if len(cut) > 10 else "")},
             "estates": cut}]


def merge_max_gap_m() -> float:
    """The widest gap (metres) a merge may fill: settings.MANAGEMENT_AREA_MERGE_MAX_GAP_M (docs/EDIT_API.md)."""
    return float(settings.MANAGEMENT_AREA_MERGE_MAX_GAP_M)


@dataclass
class MergePlan:
    """What merging b into a gives: the merged boundary, the filled gap (None when they share an edge), in metres."""
    merged: MultiPolygon
    bridge: object | None
    gap_m: float
    tolerance_m: float
    bridge_area_m2: float
    problems: list[ag.Problem] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)


def _local(geom, k: float, *, back: bool = False):
    """Longitudes scaled by cos(latitude) (or back): distances in degrees then read as metres / M_PER_DEG."""
    return affinity.scale(geom, xfact=(1.0 / k if back else k), yfact=1.0, origin=(0, 0))


def _bridge_tolerance(gap_m: float, limit: float) -> float:
    """The default reach of the filled gap: 1.5 × the narrowest gap + 1 m (roads are not of one width), capped."""
    return min(limit, math.ceil(gap_m * 1.5 + 1)) if gap_m > 0 else 0.0


def _plan_merge(a: ManagementArea, b: ManagementArea, *, tolerance_m: float | None) -> MergePlan:
    """The merged boundary of a and b; a gap up to tolerance_m (default: just wider than the gap) is filled, without
    taking in other areas or land outside the district; farther apart than the limit → Invalid with the distance."""
    if a.district_id != b.district_id:
        raise Invalid(_("Areas of different districts cannot be merged."))
    limit = merge_max_gap_m()
    ga, gb = ag.as_multipolygon(to_shapely(a.geom)), ag.as_multipolygon(to_shapely(b.geom))
    k = math.cos(math.radians(unary_union([ga, gb]).centroid.y))
    la, lb = _local(ga, k), _local(gb, k)
    gap_m = la.distance(lb) * ag.M_PER_DEG
    if gap_m > limit:
        raise Invalid(_("The two areas are %(gap).0f m apart: a merge fills gaps of at most %(max).0f m. Redraw one of "
                        "them closer first, or merge areas that are nearer.") % {"gap": gap_m, "max": limit},
                      details={"gap_m": round(gap_m, 1), "max_gap_m": limit})
    if tolerance_m is None:
        tolerance_m = _bridge_tolerance(gap_m, limit)
    if not 0 <= tolerance_m <= limit:
        raise Invalid(_("The gap to fill must be between 0 and %(max)d metres.") % {"max": limit}, field="tolerance")
    if gap_m > tolerance_m:
        raise Invalid(_("The two areas do not touch: they are %(metres).0f m apart.") % {"metres": gap_m},
                      details={"gap_m": round(gap_m, 1), "max_gap_m": limit})
    if gap_m == 0:
        try:
            return MergePlan(ag.merge_polygons(ga, gb, translate=_), None, 0.0, tolerance_m, 0.0)
        except ag.GeometryRefused as exc:
            if tolerance_m <= 0:
                raise Invalid(str(exc)) from None
    # Fill the gap where lengths are metres; the filled part keeps out of the other areas and the district's edge.
    hull = unary_union([ga, gb]).convex_hull
    tolerance = ag.metres_to_degrees(tolerance_m)
    others = [shapely.from_wkb(g) for g in areas.management_area_neighbours(
        wkb=_wkb(hull), exclude_ids=[a.pk, b.pk], distance=tolerance / max(k, 0.1))]
    district = to_shapely(AdminArea.objects.get(pk=a.district_id).geom)
    try:
        merged_local = ag.merge_polygons(
            la, lb, tolerance=tolerance, translate=_, within=_local(district, k),
            keep_out=_local(unary_union(others), k) if others else None)
    except ag.GeometryRefused as exc:
        raise Invalid(str(exc)) from None
    bridge_local = merged_local.difference(unary_union([la, lb]))
    bridge = shapely.snap(_local(bridge_local, k, back=True), unary_union([ga, gb]), SAME_BOUNDARY)
    merged = unary_union([ga, gb, bridge])
    if not merged.is_valid:
        merged = shapely.make_valid(merged)
    merged = ag.as_multipolygon(shapely.simplify(merged, 0))
    if len(merged.geoms) != 1:
        raise Invalid(_("The two areas do not join into one piece: they must share an edge."))
    plan = MergePlan(merged, bridge, gap_m, tolerance_m, bridge_local.area * ag.M_PER_DEG ** 2)
    for row in areas.estates_of_other_areas(wkb=_wkb(bridge), exclude_ids=[a.pk, b.pk]):
        part = shapely.from_wkb(row["overlap"])
        point = part.representative_point() if not part.is_empty else None
        plan.problems.append(ag.Problem(
            OTHER_AREA_ESTATE,
            _("The filled gap would take in estate %(estate)s of management area %(area)s.")
            % {"estate": row["estate"], "area": f"{row['area_name']}（{row['area_code']}）"},
            location=(point.x, point.y) if point is not None else None, geometry=part, area_id=row["area_id"]))
    return plan


# A filled gap may not take in an estate (or a building of one) that belongs to a third area (rule 1, rule 2).
OTHER_AREA_ESTATE = "other_area_estate"


def management_area_merge_preview(*, user, area_ids: list[int], tolerance_m: float | None = None) -> MergePlan:
    """A dry run of a merge: the gap, the filled part and the merged boundary, problems and warnings; writes nothing."""
    a, b = _merge_pair(user, area_ids, lock=False, base_versions=None)
    plan = _plan_merge(a, b, tolerance_m=tolerance_m)
    if not plan.problems:
        validation = _check(plan.merged, exclude_ids=[a.pk, b.pk], district_id=a.district_id)
        plan.problems, plan.warnings = validation.problems, validation.warnings
    return plan


def _merge_pair(user, area_ids, *, lock: bool, base_versions) -> tuple[ManagementArea, ManagementArea]:
    if len(area_ids) != 2 or area_ids[0] == area_ids[1]:
        raise Invalid(_("Name two different management areas to merge."))
    a_id, b_id = (int(i) for i in area_ids)
    if lock:
        # Lock in id order so two merges of the same pair cannot deadlock.
        found = {pk: _lock(user, CHANGE if pk == a_id else DELETE, pk, _version_of(base_versions, pk))
                 for pk in sorted((a_id, b_id))}
    else:
        found = {pk: get_restricted(ManagementArea.objects.all(), user, CHANGE if pk == a_id else DELETE, pk=pk)
                 for pk in (a_id, b_id)}
    return found[a_id], found[b_id]


@_saving
def management_area_merge(*, user, area_ids: list[int], base_versions: dict, reason: str,
                          tolerance_m: float = 0.0) -> Saved:
    """Join area b into area a (a keeps its id and name, b is deleted); they must share an edge or lie within
    tolerance_m of each other (the gap is then filled, at most settings.MANAGEMENT_AREA_MERGE_MAX_GAP_M)."""
    reason = _require_reason(reason)
    with transaction.atomic():
        a, b = _merge_pair(user, area_ids, lock=True, base_versions=base_versions)
        plan = _plan_merge(a, b, tolerance_m=tolerance_m)
        if plan.problems:
            raise ValidationFailed(plan.problems)
        merged, ids = plan.merged, [a.pk, b.pk]
        validation = _check(merged, exclude_ids=ids, district_id=a.district_id)
        _require_valid(validation)
        with change_context(user=user, reason=reason, action=ChangeAction.MERGE):
            b.delete()
            a.geom = to_geos(merged)
            a.save()
            _relink_estates(area_ids=ids, geoms=[merged])
            recheck(a, user, CHANGE)
        a.refresh_from_db()  # in the transaction: the version this write made
    return Saved(a, validation.warnings)


def _area_name(pk: int) -> str:
    """How a refusal names an area the user may see: its name and code, never its database id."""
    area = ManagementArea.objects.filter(pk=pk).only("name", "code").first()
    return f"{area.name}（{area.code}）" if area is not None else str(pk)


def _version_of(base_versions: dict, pk: int):
    value = base_versions.get(str(pk), base_versions.get(pk)) if isinstance(base_versions, dict) else None
    if value is None:
        raise Invalid(_("Give the version you edited of management area %(name)s.") % {"name": _area_name(pk)},
                      field="versions")
    return value


@_saving
def management_area_restore(*, user, area_id: int, version: int, base_version, reason: str) -> Saved:
    """Bring back the boundary and name an area had at `version`, as a new version (history is kept)."""
    reason = _require_reason(reason)
    old = (ManagementAreaVersion.objects.filter(area_id=area_id, version=version, geom_after__isnull=False)
           .order_by("-id").first())
    # Look the area up (403/404) before saying anything about its history.
    get_restricted(ManagementArea.objects.all(), user, CHANGE, pk=area_id)
    if old is None:
        raise Invalid(_("Management area %(name)s has no version %(version)s.")
                      % {"name": _area_name(area_id), "version": version}, field="version")
    attrs = old.attrs_after or {}
    return management_area_update(
        user=user, area_id=area_id, base_version=base_version, geometry=to_shapely(old.geom_after),
        name=attrs.get("name"), street_id=attrs.get("street_id"), reason=reason, action=ChangeAction.RESTORE)


def management_area_rebase(*, user, area_id: int, base_version, geometry, choices: dict | None = None):
    """My edit (from `base_version` to `geometry`) applied onto the area as it is now (rule 2), for a preview.

    Writes nothing: the result is saved by management_area_update with the current version as its base, so a third
    save made meanwhile still conflicts. Returns (the ring_merge.Merged result, the area as it is now).
    """
    area = get_restricted(ManagementArea.objects.all(), user, CHANGE, pk=area_id)
    mine = ag.as_multipolygon(to_shapely(geometry))
    if mine.is_empty:
        raise Invalid(_("The boundary is empty: draw at least one polygon."), field="geometry")
    current = to_shapely(area.geom)
    if int(base_version) == area.version:
        base = current
    else:
        row = (ManagementAreaVersion.objects.filter(area_id=area_id, version=base_version, geom_after__isnull=False)
               .order_by("-id").first())
        if row is None:
            raise Invalid(_("Management area %(name)s has no version %(version)s.")
                          % {"name": area.name, "version": base_version}, field="base_version")
        base = to_shapely(row.geom_after)
    return ring_merge.merge_boundaries(base, mine, current, choices or {}), area
