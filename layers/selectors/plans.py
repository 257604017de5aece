"""Reads of bundled-takeover plans: list, bundles and map layers as GeoJSON built in SQL, versions, coverage
before/after per street, and the candidates for a bundle."""
from __future__ import annotations

import functools
import hashlib
import json

from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone

from ..models import AdminLevel, Bundle, PlanStatus, PlanVersion, TakeoverPlan
from ..permissions import VIEW, get_restricted, restrict
from ..rules import contract_not_ended_sql, old_estate_cutoff, old_estate_sql
from ..tiles.registry import BUFFER, ENVELOPE, EXTENT, FULL_DETAIL_ZOOM, simplify_tolerance
from .candidates import nearby_candidates
from .coverage import coverage_figures


def plan_get(*, user, pk: int) -> TakeoverPlan:
    """One plan the user may see: 403 for a refused role, 404 when absent."""
    return get_restricted(TakeoverPlan.objects.select_related("street", "district", "created_by", "approved_by"),
                          user, VIEW, pk=pk)


def plans_visible(*, user):
    return (restrict(TakeoverPlan.objects.all(), user, VIEW).select_related("street", "district", "created_by")
            .annotate(bundle_count=Count("bundles", distinct=True),
                      households=Sum("bundles__households"),
                      with_enterprise=Count("bundles", filter=Q(bundles__enterprise__isnull=False), distinct=True))
            .order_by("-updated_at", "-id"))


def plan_summary(plan: TakeoverPlan) -> dict:
    """The plan's own fields, as JSON."""
    return {
        "id": plan.pk,
        "name": plan.name,
        "street": {"id": plan.street_id, "name": plan.street.name} if plan.street_id else None,
        "district": {"id": plan.district_id, "name": plan.district.name} if plan.district_id else None,
        "status": plan.status,
        "status_label": str(PlanStatus(plan.status).label),
        "version": plan.version,
        "start_date": plan.start_date.isoformat(),
        "parameters": plan.parameters,
        "created_by": plan.created_by.get_username() if plan.created_by_id else None,
        "created_at": plan.created_at.isoformat() if plan.created_at else None,
        "updated_at": plan.updated_at.isoformat() if plan.updated_at else None,
        "updated_at_display": timezone.localtime(plan.updated_at).strftime("%Y-%m-%d %H:%M") if plan.updated_at else "",
        "approved_by": plan.approved_by.get_username() if plan.approved_by_id else None,
        "approved_at": plan.approved_at.isoformat() if plan.approved_at else None,
    }


def plan_list_rows(*, user) -> list[dict]:
    rows = []
    for plan in plans_visible(user=user):
        row = plan_summary(plan)
        row.update({"bundles": plan.bundle_count, "households": plan.households or 0,
                    "bundles_with_enterprise": plan.with_enterprise})
        rows.append(row)
    return rows


# Each bundle with its outline (lon/lat, 6 decimals), bounding box, members and enterprise, easy first.
BUNDLES_SQL = """
SELECT COALESCE(json_agg(json_build_object(
         'type', 'Feature', 'id', b.id,
         'geometry', ST_AsGeoJSON(b.geom, 6, 0)::json,
         'properties', json_build_object(
            'id', b.id, 'number', b.number, 'rank', b.rank, 'households', b.households,
            'floor_area', round(b.floor_area::numeric, 2),
            'score', round(b.score::numeric, 4), 'enterprise_id', b.enterprise_id, 'enterprise', en.name,
            'enterprise_grade', en.credit_grade, 'enterprise_list_status', en.list_status,
            'estate_count', m.estate_count, 'estate_ids', m.estate_ids, 'contracts', m.contracts,
            'label_point', ST_AsGeoJSON(ST_PointOnSurface(b.geom), 6, 0)::json,
            'bbox', json_build_array(round(ST_XMin(b.geom)::numeric, 6), round(ST_YMin(b.geom)::numeric, 6),
                                     round(ST_XMax(b.geom)::numeric, 6), round(ST_YMax(b.geom)::numeric, 6))))
         ORDER BY b.rank, b.id), '[]'::json)::text
  FROM layers_bundle b
  LEFT JOIN layers_enterprise en ON en.id = b.enterprise_id
  LEFT JOIN LATERAL (
      SELECT count(*) AS estate_count, COALESCE(json_agg(be.estate_id ORDER BY be.estate_id), '[]'::json) AS estate_ids,
             (SELECT count(*) FROM layers_servicecontract sc WHERE sc.bundle_id = b.id) AS contracts
        FROM layers_bundleestate be WHERE be.bundle_id = b.id) m ON true
 WHERE b.plan_id = %(plan)s
"""


def bundles_geojson(plan: TakeoverPlan) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(BUNDLES_SQL, {"plan": plan.pk})
        features = json.loads(cursor.fetchone()[0])
    return {"type": "FeatureCollection", "features": features}


# The plan page's compact form (?view=page): one row per bundle, easy first, without its outline (the page draws
# the estates from the vector tiles), coordinates to 5 decimals (about 1 m); the enterprises of the bundles and of
# the territories once each.
BUNDLE_COLUMNS = ["id", "number", "rank", "households", "floor_area", "score", "enterprise_id", "contracts",
                  "estate_ids", "label_point", "bbox"]
BUNDLE_ROWS_SQL = """
SELECT COALESCE(json_agg(json_build_array(
         b.id, b.number, b.rank, b.households, round(b.floor_area::numeric), round(b.score::numeric, 3),
         b.enterprise_id, m.contracts, m.estate_ids,
         json_build_array(round(ST_X(p.pt)::numeric, 5), round(ST_Y(p.pt)::numeric, 5)),
         json_build_array(round(ST_XMin(b.geom)::numeric, 5), round(ST_YMin(b.geom)::numeric, 5),
                          round(ST_XMax(b.geom)::numeric, 5), round(ST_YMax(b.geom)::numeric, 5)))
         ORDER BY b.rank, b.id), '[]'::json)::text,
       (SELECT COALESCE(json_object_agg(en.id, json_build_array(en.name, en.credit_grade, en.list_status)), '{}')::text
          FROM layers_enterprise en
         WHERE en.id IN (SELECT enterprise_id FROM layers_bundle WHERE plan_id = %(plan)s)
            OR en.id IN (SELECT enterprise_id FROM layers_enterprisejurisdiction))
  FROM layers_bundle b
  CROSS JOIN LATERAL (SELECT ST_PointOnSurface(b.geom) AS pt) p
  LEFT JOIN LATERAL (
      SELECT COALESCE(json_agg(be.estate_id ORDER BY be.estate_id), '[]'::json) AS estate_ids,
             (SELECT count(*) FROM layers_servicecontract sc WHERE sc.bundle_id = b.id) AS contracts
        FROM layers_bundleestate be WHERE be.bundle_id = b.id) m ON true
 WHERE b.plan_id = %(plan)s
"""


def bundle_rows(plan: TakeoverPlan) -> dict:
    """The plan page's form of the bundles: {"columns", "rows", "enterprises": {id: [name, grade, list status]}}
    (the enterprises of its bundles and of every territory)."""
    with connection.cursor() as cursor:
        cursor.execute(BUNDLE_ROWS_SQL, {"plan": plan.pk})
        rows, enterprises = cursor.fetchone()
    return {"columns": BUNDLE_COLUMNS, "rows": json.loads(rows), "enterprises": json.loads(enterprises)}


# The map of a plan: its bundles' estates and the old estates of its scope still free (uncovered from the start
# date on, in no bundle), with their status on the start date; and the enterprises' current territories nearby.
# An estate of the plan's scope free to bundle: old, in its street (or its district: DOMAIN.md "Levels", a district
# plans its own estates only) and without a contract from the start date on. `e` is the estate, `c` its community.
FREE_TO_BUNDLE_SQL = f"""{old_estate_sql("e.build_year")}
     AND (%(street)s::bigint IS NULL OR c.parent_id = %(street)s::bigint)
     AND (%(district)s::bigint IS NULL OR e.district_id = %(district)s::bigint)
     AND NOT EXISTS (SELECT 1 FROM layers_servicecontract sc
                      WHERE sc.estate_id = e.id AND {contract_not_ended_sql("sc")})"""
UNCOVERED_SQL = f"""
  SELECT e.id FROM layers_estate e JOIN layers_adminarea c ON c.id = e.community_id
   WHERE {FREE_TO_BUNDLE_SQL}"""


def scope_params(plan: TakeoverPlan) -> dict:
    """The parameters of FREE_TO_BUNDLE_SQL and of the queries built on it."""
    return {"plan": plan.pk, "street": plan.street_id, "district": plan.district_id, "on": plan.start_date,
            "cutoff": old_estate_cutoff()}
ESTATES_SQL = f"""
WITH scope AS ({UNCOVERED_SQL}
  UNION
  SELECT be.estate_id FROM layers_bundleestate be WHERE be.plan_id = %(plan)s
)
SELECT COALESCE(json_agg(json_build_object(
         'type', 'Feature', 'id', e.id,
         'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(e.geom, 0.000003), 6, 0)::json,
         'properties', json_build_object(
            'id', e.id, 'code', e.code, 'name', e.name, 'households', e.households,
            'floor_area', round(e.floor_area::numeric, 2), 'street_id', c.parent_id, 'bundle_id', be.bundle_id,
            'status', COALESCE(a.status, 'none')))
         ORDER BY e.id), '[]'::json)::text
  FROM scope s
  JOIN layers_estate e ON e.id = s.id
  JOIN layers_adminarea c ON c.id = e.community_id
  LEFT JOIN layers_bundleestate be ON be.estate_id = e.id AND be.plan_id = %(plan)s
  LEFT JOIN layers_active_contracts(%(on)s) a ON a.estate_id = e.id
"""

TERRITORIES_SQL = """
SELECT COALESCE(json_agg(json_build_object(
         'type', 'Feature', 'id', j.enterprise_id,
         'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(j.geom, 0.00001), 6, 0)::json,
         'properties', json_build_object('enterprise_id', j.enterprise_id, 'name', en.name, 'grade', en.credit_grade,
                                         'list_status', en.list_status, 'households', j.households))
         ORDER BY j.enterprise_id), '[]'::json)::text
  FROM layers_enterprisejurisdiction j
  JOIN layers_enterprise en ON en.id = j.enterprise_id
 WHERE %(street)s::bigint IS NULL
    OR j.geom && (SELECT ST_Expand(a.geom, 0.01) FROM layers_adminarea a WHERE a.id = %(street)s::bigint)
"""


FREE_SQL = f"""
SELECT COALESCE(array_agg(f.id ORDER BY f.id), '{{}}') FROM ({UNCOVERED_SQL}) f
 WHERE NOT EXISTS (SELECT 1 FROM layers_bundleestate be WHERE be.plan_id = %(plan)s AND be.estate_id = f.id)
"""


def free_estate_ids(plan: TakeoverPlan) -> list[int]:
    """The uncovered old estates of the plan's scope (from its start date on) in no bundle of it: what the plan
    page draws as free (the estates themselves come as vector tiles)."""
    with connection.cursor() as cursor:
        cursor.execute(FREE_SQL, scope_params(plan))
        return list(cursor.fetchone()[0])


def plan_map_data(plan: TakeoverPlan) -> dict:
    params = scope_params(plan)
    with connection.cursor() as cursor:
        cursor.execute(ESTATES_SQL, params)
        estates = json.loads(cursor.fetchone()[0])
        cursor.execute(TERRITORIES_SQL, params)
        territories = json.loads(cursor.fetchone()[0])
    return {"estates": {"type": "FeatureCollection", "features": estates},
            "territories": {"type": "FeatureCollection", "features": territories}}


def plan_versions(plan: TakeoverPlan) -> list[dict]:
    return [
        {"version": v.version, "note": v.note, "user": v.user.get_username() if v.user_id else None,
         "saved_at": timezone.localtime(v.saved_at).isoformat() if v.saved_at else None,
         "status": v.snapshot.get("status"),
         "bundles": len(v.snapshot.get("bundles", [])),
         "households": sum(b.get("households", 0) for b in v.snapshot.get("bundles", []))}
        for v in PlanVersion.objects.filter(plan=plan).select_related("user").order_by("-version")
    ]


def bundle_candidates(*, plan: TakeoverPlan, bundle_id: int, limit: int = 10) -> list[dict]:
    """The enterprises best placed to take the bundle (nearby_candidates; never black-listed), best first."""
    bundle = plan.bundles.filter(pk=bundle_id).first()
    if bundle is None or bundle.geom is None:
        return []
    return [
        {"enterprise_id": c.enterprise_id, "name": c.name, "distance_m": round(c.distance_m, 1), "grade": c.grade,
         "households_served": c.households_served, "list_status": c.list_status, "score": round(c.score, 4),
         "rank": c.rank}
        for c in nearby_candidates(geom=bundle.geom, households=bundle.households, limit=limit)
    ]


# --- coverage before and after, per street ---------------------------------------------------------------------

# What the plan moves from uncovered to enterprise service, per street: its bundles' old estates that are uncovered
# on the start date (an estate served meanwhile is not counted twice).
MOVED_SQL = f"""
SELECT c.parent_id, count(*), COALESCE(sum(e.households), 0), COALESCE(sum(e.floor_area), 0)
  FROM layers_bundleestate be
  JOIN layers_estate e ON e.id = be.estate_id
  JOIN layers_adminarea c ON c.id = e.community_id
  LEFT JOIN layers_active_contracts(%(on)s) a ON a.estate_id = e.id
 WHERE be.plan_id = %(plan)s AND a.estate_id IS NULL AND {old_estate_sql("e.build_year")}
 GROUP BY c.parent_id
"""


def _rate(num, den):
    return round(num / den, 6) if den else None


def _figures(old_e, old_h, old_f, ent_e, ent_h, ent_f, srv_e, srv_h) -> dict:
    return {
        "enterprise_estates": ent_e, "enterprise_households": ent_h, "enterprise_floor_area": round(ent_f, 2),
        "served_estates": srv_e, "served_households": srv_h,
        "uncovered_estates": old_e - srv_e, "uncovered_households": old_h - srv_h,
        "socialised_rate_estates": _rate(ent_e, old_e), "socialised_rate_households": _rate(ent_h, old_h),
        "socialised_rate_floor_area": _rate(ent_f, old_f),
        "service_rate_estates": _rate(srv_e, old_e), "service_rate_households": _rate(srv_h, old_h),
    }


def _before_after(row: dict, moved: tuple[int, int, float]) -> dict:
    me, mh, mf = moved
    old_e, old_h, old_f = row["old_estates"], row["old_households"], float(row["old_floor_area"] or 0)
    ent, srv = row["enterprise"], row["served"]
    return {
        "id": row["id"], "code": row["code"], "name": row["name"],
        "old_estates": old_e, "old_households": old_h, "old_floor_area": round(old_f, 2),
        "moved": {"estates": me, "households": mh, "floor_area": round(mf, 2)},
        "before": _figures(old_e, old_h, old_f, ent["estates"], ent["households"], float(ent["floor_area"]),
                           srv["estates"], srv["households"]),
        "after": _figures(old_e, old_h, old_f, ent["estates"] + me, ent["households"] + mh,
                          float(ent["floor_area"]) + mf, srv["estates"] + me, srv["households"] + mh),
    }


def plan_coverage(*, plan: TakeoverPlan) -> dict:
    """Coverage per street on the plan's start date before the plan and after it (its bundles' uncovered estates
    moved to enterprise service). An approved plan answers with the figures kept when it was approved."""
    if plan.status == PlanStatus.APPROVED:
        kept = (PlanVersion.objects.filter(plan=plan, snapshot__has_key="coverage").order_by("-version")
                .values_list("snapshot", flat=True).first())
        if kept:
            return {**kept["coverage"], "as_approved": True}
    figures = coverage_figures(on=plan.start_date, level=AdminLevel.STREET, parent_id=plan.district_id)
    with connection.cursor() as cursor:
        cursor.execute(MOVED_SQL, {"plan": plan.pk, "on": plan.start_date,
                                   "cutoff": old_estate_cutoff()})
        moved = {street: (int(n), int(h), float(f)) for street, n, h, f in cursor.fetchall()}
    rows = [r for r in figures["rows"] if plan.street_id is None or r["id"] == plan.street_id]
    streets = [_before_after(r, moved.get(r["id"], (0, 0, 0.0))) for r in rows]
    total_moved = tuple(sum(m[k] for m in moved.values()) for k in range(3)) if moved else (0, 0, 0.0)
    total_row = figures["total"] if plan.street_id is None else next(
        (r for r in figures["rows"] if r["id"] == plan.street_id), figures["total"])
    street_moved = moved.get(plan.street_id, (0, 0, 0.0))
    total = _before_after(total_row, total_moved if plan.street_id is None else street_moved)
    return {"date": plan.start_date.isoformat(), "streets": streets, "total": total, "as_approved": False}


def bundle_of_plan(plan: TakeoverPlan, bundle_id: int) -> Bundle | None:
    return plan.bundles.filter(pk=bundle_id).first()


# --- the plan page's vector tiles ------------------------------------------------------------------------------
# Two layers per plan (docs/PLANS.md "Pages"), built like the catalogue's tile layers (layers/tiles/registry.py:
# clipped MVT geometry, simplified below FULL_DETAIL_ZOOM): "estates", the plan's estates — its bundles' and the
# uncovered old estates of its scope from its start date on — with their status on that date (name and households
# from DETAIL_ZOOM on); "territories", every enterprise's current territory (its name and grade are in the plan's
# page form, once each).
# Which bundle an estate is in is not in the tile: the page has it from the plan, and an edit does not refetch tiles
# (plan_tiles_key).
PLAN_TILE_DETAIL_ZOOM = 14


def _plan_tile_sql(layer: str, z: int) -> str:
    geom = "{alias}.geom_web"
    if z < FULL_DETAIL_ZOOM:
        geom = f"ST_Simplify({geom}, %(tolerance)s, true)"
    geom = f"ST_AsMVTGeom({geom}, {ENVELOPE}, {EXTENT}, {BUFFER}, true) AS geom"
    if layer == "estates":
        detail = ", e.name, e.households" if z >= PLAN_TILE_DETAIL_ZOOM else ""
        features = f"""
        SELECT e.id, COALESCE(a.status, 'none') AS status{detail}, {geom.format(alias="e")}
          FROM layers_estate e
          JOIN layers_adminarea c ON c.id = e.community_id
          LEFT JOIN layers_bundleestate be ON be.estate_id = e.id AND be.plan_id = %(plan)s
          -- Looked up per estate of the tile (at most one contract is active on a date: the no-overlap
          -- constraint), as the catalogue's estate tiles: a join hashed every active contract of the city.
          LEFT JOIN LATERAL (SELECT ac.status FROM layers_active_contracts(%(on)s) ac WHERE ac.estate_id = e.id
                              LIMIT 1) a ON true
         WHERE e.geom_web && {ENVELOPE}
           AND (be.id IS NOT NULL OR ({FREE_TO_BUNDLE_SQL}))
         LIMIT %(limit)s"""
    else:
        features = f"""
        SELECT j.enterprise_id, {geom.format(alias="j")}
          FROM layers_enterprisejurisdiction j
         WHERE j.geom_web && {ENVELOPE}
         LIMIT %(limit)s"""
    return f"SELECT ST_AsMVT(f, %(layer)s, {EXTENT}, 'geom') FROM ({features}) AS f"


# "plan": both in one tile (the territories first, drawn beneath): what the page asks, one request instead of two.
PLAN_TILE_LAYERS = ("estates", "territories", "plan")
PLAN_TILE_LIMIT = 8000
TILE_VERSIONS_SQL = ("SELECT COALESCE(string_agg(version::text, '.' ORDER BY layer), '0') FROM layers_tileversion "
                     "WHERE layer IN ('estates', 'jurisdictions')")


# The plan's estates in its tiles are its scope's estates free to bundle and its members; a member is free to
# bundle when added, so the members beyond those are only the ones given a contract since. What a plan's tiles hold
# is therefore fixed by its scope (district, street, start date), those few members and the data's tile versions —
# not by the plan itself: an edit moving, adding or removing estates leaves its tiles as they were (the page
# restyles them), and plans alike share their tiles.
MEMBERS_NOT_FREE_SQL = f"""
SELECT COALESCE(md5(string_agg(be.estate_id::text, ',' ORDER BY be.estate_id)), '')
  FROM layers_bundleestate be
  JOIN layers_estate e ON e.id = be.estate_id
  JOIN layers_adminarea c ON c.id = e.community_id
 WHERE be.plan_id = %(plan)s AND NOT ({FREE_TO_BUNDLE_SQL})"""


@functools.lru_cache(maxsize=256)
def _members_not_free(plan_id: int, plan_version: int, versions: str, params: tuple) -> str:
    """A digest of MEMBERS_NOT_FREE_SQL; once per plan version and data version per process (both only grow)."""
    with connection.cursor() as cursor:
        cursor.execute(MEMBERS_NOT_FREE_SQL, dict(params))
        return cursor.fetchone()[0]


def plan_tiles_key(plan: TakeoverPlan) -> str:
    """What the plan's tiles hold, named (see MEMBERS_NOT_FREE_SQL): in their address (?v=) and their ETags."""
    with connection.cursor() as cursor:
        cursor.execute(TILE_VERSIONS_SQL)
        versions = cursor.fetchone()[0]
    params = scope_params(plan)
    extra = _members_not_free(plan.pk, plan.version, versions, tuple(sorted(params.items())))
    scope = f"{plan.district_id}.{plan.street_id}.{plan.start_date}.{params['cutoff']}.{versions}.{extra}"
    return hashlib.md5(scope.encode()).hexdigest()[:16]


def plan_tile_etag(plan: TakeoverPlan, layer: str, z: int, x: int, y: int) -> str:
    return f'"plan.{plan_tiles_key(plan)}.{layer}.{z}.{x}.{y}"'


def plan_tile(plan: TakeoverPlan, layer: str, z: int, x: int, y: int) -> bytes:
    """One vector tile of the plan page's `layer` (PLAN_TILE_LAYERS); empty below the estates' minimum zoom."""
    if layer == "plan":
        # A vector tile is a sequence of layers: two tiles end to end are one tile with both.
        return plan_tile(plan, "territories", z, x, y) + plan_tile(plan, "estates", z, x, y)
    # The territories are a tint without outlines: simplified by two pixels; the estates by half a pixel, as the
    # catalogue's layers.
    tolerance = simplify_tolerance(z) * (4 if layer == "territories" else 1)
    params = {"layer": layer, "z": z, "x": x, "y": y, "limit": PLAN_TILE_LIMIT, "tolerance": tolerance,
              **scope_params(plan)}
    with connection.cursor() as cursor:
        cursor.execute(_plan_tile_sql(layer, z), params)
        tile = cursor.fetchone()[0]
    return bytes(tile) if tile is not None else b""
