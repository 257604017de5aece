"""Reads of management areas for editing: Features, history, overlaps, neighbours, district and street of a geometry,
estates cut by it.

Geometries travel as WKB (bytes) in storage SRID; callers (layers.services.management_areas) hold shapely objects.
"""
from __future__ import annotations

import datetime
import json

from django.contrib.gis.db.models.functions import AsGeoJSON
from django.contrib.gis.geos import Polygon
from django.db import connection
from django.db.models import QuerySet

from ..models import ChangeAction, ManagementArea, ManagementAreaVersion
from ..permissions import LOCATE, VIEW, restrict
from .map import _choice_label

AREA_FEATURE_SQL = """
SELECT json_build_object(
  'type', 'Feature', 'id', m.id, 'geometry', ST_AsGeoJSON(m.geom, 15)::json,
  'properties', json_build_object(
    'id', m.id, 'code', m.code, 'name', m.name, 'street_id', m.street_id, 'street', s.name,
    'district_id', m.district_id, 'version', m.version, 'updated_at', m.updated_at,
    'estates', (SELECT COALESCE(json_agg(json_build_object('id', e.id, 'name', e.name) ORDER BY e.name, e.id), '[]')
                  FROM layers_estate e WHERE e.management_area_id = m.id)))::text
  FROM layers_managementarea m LEFT JOIN layers_adminarea s ON s.id = m.street_id
 WHERE m.id = ANY(%(ids)s)
 ORDER BY m.code
"""


def management_area_features(*, ids: list[int]) -> list[dict]:
    """Editing Features (docs/EDIT_API.md) of the areas `ids`, by code; ids must already be restricted."""
    if not ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(AREA_FEATURE_SQL, {"ids": list(ids)})
        return [json.loads(row[0]) for row in cursor.fetchall()]


def management_area_feature(*, pk: int) -> dict | None:
    features = management_area_features(ids=[pk])
    return features[0] if features else None


def management_area_collection_json(*, queryset: QuerySet, bbox: tuple[float, float, float, float],
                                    limit: int = 500) -> str:
    """A FeatureCollection (text) of the areas of `queryset` (already restricted) whose box meets `bbox`."""
    box = Polygon.from_bbox(bbox)
    box.srid = ManagementArea._meta.get_field("geom").srid
    ids = list(queryset.filter(geom__bboverlaps=box).order_by("code").values_list("pk", flat=True)[: limit + 1])
    truncated = len(ids) > limit
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(json_agg(f::json), '[]')::text FROM ({AREA_FEATURE_SQL}) AS q(f)", {"ids": ids[:limit]}
        )
        features = cursor.fetchone()[0]
    return f'{{"type": "FeatureCollection", "truncated": {"true" if truncated else "false"}, "features": {features}}}'


def management_area_last_change(*, area_id: int):
    """The newest ManagementAreaVersion of an area (who saved the version now current, and when), or None."""
    return (ManagementAreaVersion.objects.filter(area_id=area_id).select_related("user")
            .order_by("-version", "-id").first())


def _merge_partners(rows) -> dict[int, dict]:
    """For each merge row: the other area of the same merge (one transaction, so one changed_at), as
    {"id", "code", "name", "removed"}: the surviving area for the removed one's row, and the other way round."""
    merges = [r for r in rows if r.action == ChangeAction.MERGE]
    if not merges:
        return {}
    found = {}
    partners = list(ManagementAreaVersion.objects.filter(action=ChangeAction.MERGE,
                                                         changed_at__in=[r.changed_at for r in merges])
                    .order_by("-id"))
    live = {}
    for row in merges:
        for other in partners:
            if other.changed_at == row.changed_at and other.area_id != row.area_id \
                    and (other.geom_after is None) != (row.geom_after is None):
                attrs = other.attrs_after or other.attrs_before or {}
                if other.area_id not in live:
                    live[other.area_id] = ManagementArea.objects.filter(pk=other.area_id).values("name", "code").first()
                now = live[other.area_id]
                found[row.pk] = {"id": other.area_id, "code": (now or attrs).get("code") or other.area_code,
                                 "name": (now or attrs).get("name") or other.area_code, "removed": now is None}
                break
    return found


def management_area_history(*, area_id: int) -> list[dict]:
    """Every recorded change of an area, newest first, with the boundary after each change as GeoJSON; a merge names
    the other area of the merge (`merged_with`)."""
    rows = list(ManagementAreaVersion.objects.filter(area_id=area_id).select_related("user")
                .annotate(geometry=AsGeoJSON("geom_after", precision=15)).order_by("-version", "-id"))
    partners = _merge_partners(rows)
    return [
        {
            "version": r.version,
            "action": r.action,
            "action_label": _choice_label(ChangeAction, r.action),
            "reason": r.reason,
            "user": r.user.get_username() if r.user else None,
            "changed_at": r.changed_at.isoformat(),
            "geometry": json.loads(r.geometry) if r.geometry else None,
            "attributes": r.attrs_after,
            "merged_with": partners.get(r.pk),
        }
        for r in rows
    ]


def removed_area_in_scope(*, area_id: int, user) -> bool:
    """The area no longer exists and its history lies in the user's scope (its district's, like the area's)."""
    return (not ManagementArea.objects.filter(pk=area_id).exists()
            and restrict(ManagementAreaVersion.objects.filter(area_id=area_id), user, VIEW).exists())


def management_area_removed(*, area_id: int) -> dict | None:
    """An area that is gone but has a history: how it ended ({"action", "changed_at", "name", "code",
    "merged_into"}), or None when the area still exists or never did."""
    if ManagementArea.objects.filter(pk=area_id).exists():
        return None
    last = ManagementAreaVersion.objects.filter(area_id=area_id).order_by("-version", "-id").first()
    if last is None:
        return None
    attrs = last.attrs_before or last.attrs_after or {}
    merged_into = _merge_partners([last]).get(last.pk) if last.geom_after is None else None
    return {"action": last.action, "action_label": _choice_label(ChangeAction, last.action),
            "changed_at": last.changed_at.isoformat(), "name": attrs.get("name") or last.area_code,
            "code": attrs.get("code") or last.area_code, "merged_into": merged_into}


def estates_of_other_areas(*, wkb: bytes, exclude_ids: list[int], limit: int = 20) -> list[dict]:
    """Estates of areas other than `exclude_ids` whose outline, or one of whose buildings, the geometry takes in:
    {"estate", "area_id", "area_code", "area_name", "overlap" (WKB)}."""
    with connection.cursor() as cursor:
        cursor.execute(
            """WITH g AS (SELECT ST_GeomFromWKB(%(wkb)s, %(srid)s) AS geom),
               hit AS (
                 SELECT e.id, ST_Intersection(e.geom, g.geom) AS part FROM layers_estate e, g
                  WHERE e.geom && g.geom AND ST_Relate(e.geom, g.geom, '2********')
                    AND e.management_area_id IS NOT NULL AND e.management_area_id <> ALL(%(exclude)s)
                 UNION ALL
                 SELECT e.id, ST_Intersection(b.geom, g.geom) FROM layers_building b
                   JOIN layers_estate e ON e.id = b.estate_id, g
                  WHERE b.geom && g.geom AND ST_Relate(b.geom, g.geom, '2********')
                    AND e.management_area_id IS NOT NULL AND e.management_area_id <> ALL(%(exclude)s))
               SELECT e.name, m.id, m.code, m.name, ST_AsBinary(ST_CollectionExtract(ST_Union(hit.part), 3))
                 FROM hit JOIN layers_estate e ON e.id = hit.id JOIN layers_managementarea m ON m.id = e.management_area_id
                GROUP BY e.id, e.name, m.id, m.code, m.name ORDER BY m.code, e.name LIMIT %(limit)s""",
            {"wkb": wkb, "srid": ManagementArea._meta.get_field("geom").srid, "exclude": list(exclude_ids),
             "limit": limit},
        )
        return [{"estate": estate, "area_id": pk, "area_code": code, "area_name": name, "overlap": bytes(part)}
                for estate, pk, code, name, part in cursor.fetchall()]


def management_area_overlaps(*, wkb: bytes, exclude_ids: list[int]) -> list[tuple[int, str, bytes]]:
    """(id, code, WKB of the overlap) for every area whose interior overlaps the geometry."""
    with connection.cursor() as cursor:
        cursor.execute(
            """WITH g AS (SELECT ST_GeomFromWKB(%(wkb)s, %(srid)s) AS geom)
               SELECT m.id, m.code, ST_AsBinary(ST_CollectionExtract(ST_Intersection(m.geom, g.geom), 3))
                 FROM layers_managementarea m, g
                WHERE m.geom && g.geom AND ST_Relate(m.geom, g.geom, '2********') AND m.id <> ALL(%(exclude)s)
                ORDER BY m.code LIMIT 50""",
            {"wkb": wkb, "srid": ManagementArea._meta.get_field("geom").srid, "exclude": list(exclude_ids)},
        )
        return [(pk, code, bytes(g)) for pk, code, g in cursor.fetchall()]


def management_area_neighbours(*, wkb: bytes, exclude_ids: list[int], distance: float = 0.0) -> list[bytes]:
    """WKB of the areas within `distance` (degrees) of the geometry, for clipping and snapping."""
    with connection.cursor() as cursor:
        cursor.execute(
            """WITH g AS (SELECT ST_GeomFromWKB(%(wkb)s, %(srid)s) AS geom)
               SELECT ST_AsBinary(m.geom) FROM layers_managementarea m, g
                WHERE m.geom && ST_Expand(g.geom, %(d)s) AND ST_DWithin(m.geom, g.geom, %(d)s)
                  AND m.id <> ALL(%(exclude)s)""",
            {"wkb": wkb, "srid": ManagementArea._meta.get_field("geom").srid, "exclude": list(exclude_ids),
             "d": distance},
        )
        return [bytes(row[0]) for row in cursor.fetchall()]


def district_for_geometry(*, wkb: bytes) -> tuple[int, bytes] | None:
    """(id, WKB boundary) of the district holding most of the geometry, or None when it meets no district."""
    with connection.cursor() as cursor:
        cursor.execute(
            """WITH g AS (SELECT ST_GeomFromWKB(%(wkb)s, %(srid)s) AS geom)
               SELECT a.id, ST_AsBinary(a.geom) FROM layers_adminarea a, g
                WHERE a.level = 'district' AND a.geom && g.geom AND ST_Intersects(a.geom, g.geom)
                ORDER BY ST_Area(ST_Intersection(a.geom, g.geom)) DESC, a.id LIMIT 1""",
            {"wkb": wkb, "srid": ManagementArea._meta.get_field("geom").srid},
        )
        row = cursor.fetchone()
        return (row[0], bytes(row[1])) if row else None


def district_outside_part(*, wkb: bytes, district_id: int) -> bytes | None:
    """WKB of the part of the geometry outside the district, or None when it lies inside."""
    with connection.cursor() as cursor:
        cursor.execute(
            """WITH g AS (SELECT ST_GeomFromWKB(%(wkb)s, %(srid)s) AS geom)
               SELECT CASE WHEN ST_CoveredBy(g.geom, a.geom) THEN NULL
                           ELSE ST_AsBinary(ST_CollectionExtract(ST_Difference(g.geom, a.geom), 3)) END
                 FROM layers_adminarea a, g WHERE a.id = %(district)s""",
            {"wkb": wkb, "srid": ManagementArea._meta.get_field("geom").srid, "district": district_id},
        )
        row = cursor.fetchone()
        return bytes(row[0]) if row and row[0] is not None else None


def street_for_geometry(*, wkb: bytes, district_id: int) -> int | None:
    """The street of the district holding most of the geometry."""
    with connection.cursor() as cursor:
        cursor.execute(
            """WITH g AS (SELECT ST_GeomFromWKB(%(wkb)s, %(srid)s) AS geom)
               SELECT a.id FROM layers_adminarea a, g
                WHERE a.level = 'street' AND a.parent_id = %(district)s AND a.geom && g.geom
                  AND ST_Intersects(a.geom, g.geom)
                ORDER BY ST_Area(ST_Intersection(a.geom, g.geom)) DESC, a.id LIMIT 1""",
            {"wkb": wkb, "srid": ManagementArea._meta.get_field("geom").srid, "district": district_id},
        )
        row = cursor.fetchone()
        return row[0] if row else None


def estates_cut_by(*, wkb: bytes, limit: int = 100) -> list[dict]:
    """Estates partly inside and partly outside the geometry (rule 1: an estate should not be split)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """WITH g AS (SELECT ST_GeomFromWKB(%(wkb)s, %(srid)s) AS geom)
               SELECT e.id, e.name FROM layers_estate e, g
                WHERE e.geom && g.geom AND ST_Relate(e.geom, g.geom, '2********') AND NOT ST_CoveredBy(e.geom, g.geom)
                ORDER BY e.name, e.id LIMIT %(limit)s""",
            {"wkb": wkb, "srid": ManagementArea._meta.get_field("geom").srid, "limit": limit},
        )
        return [{"id": pk, "name": name} for pk, name in cursor.fetchall()]


def management_area_merged_into(*, pk: int, user) -> dict | None:
    """The surviving area ({"id", "code", "name", "removed"}) of an area removed by a merge, when the user may see
    the survivor (so in the user's district: a merge joins two areas of one district); None otherwise."""
    removed = management_area_removed(area_id=pk)
    survivor = removed and removed["merged_into"]
    if not survivor or survivor["removed"]:
        return None
    return survivor if restrict(ManagementArea.objects.filter(pk=survivor["id"]), user, VIEW).exists() else None


def management_area_history_page(*, pk: int, user) -> dict | None:
    """The history page of an area, current or removed: its name, how it ended, its versions; None if the user may
    not see it or it never existed."""
    area = restrict(ManagementArea.objects.all(), user, LOCATE).filter(pk=pk).first()
    removed = None
    if area is None:
        if not removed_area_in_scope(area_id=pk, user=user):
            return None  # never existed, or another district's
        removed = management_area_removed(area_id=pk)
        if removed is None:
            return None
        removed["changed_at"] = datetime.datetime.fromisoformat(removed["changed_at"])
    versions = management_area_history(area_id=pk)
    for v in versions:
        v["changed_at"] = datetime.datetime.fromisoformat(v["changed_at"])
        v["name"] = (v["attributes"] or {}).get("name")
        v["code"] = (v["attributes"] or {}).get("code")
    return {"area": area, "removed": removed, "versions": versions,
            "title": area.name if area is not None else removed["name"],
            "code": area.code if area is not None else removed["code"]}

