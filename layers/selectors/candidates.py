"""Selector for nearby custody (就近代管): enterprises near an estate or bundle, ranked by planning.candidates."""
from __future__ import annotations

import datetime
import json

from django.db import connection
from django.utils import timezone

from ..planning.candidates import Candidate, RankedCandidate, rank_candidates

MAX_DISTANCE_M = 3000.0
# Distances in metres on the spheroid (geography), between the outline and each territory; 4490 and 4326 agree to
# centimetres, and geography wants a lon/lat system PostGIS knows for certain.
TODAY_TERRITORIES = """
SELECT j.enterprise_id, j.geom, j.households FROM layers_enterprisejurisdiction j
"""
# On another date: the union of the areas served on that date (the same definition as services.jurisdictions).
DATED_TERRITORIES = """
SELECT s.enterprise_id, ST_Multi(ST_CollectionExtract(ST_Union(s.geom), 3)) AS geom,
       COALESCE(sum(s.households), 0) AS households
  FROM (SELECT a.enterprise_id, e.households, COALESCE(m.geom, e.geom) AS geom
          FROM layers_active_contracts(%(on)s) a
          JOIN layers_estate e ON e.id = a.estate_id
          LEFT JOIN layers_managementarea m ON m.id = e.management_area_id
         WHERE a.provider_kind = 'enterprise') AS s
 GROUP BY s.enterprise_id
"""
CANDIDATES_SQL = """
WITH target AS (SELECT ST_Transform(ST_GeomFromEWKT(%(geom)s), 4326)::geography AS g),
     t AS ({territories})
SELECT en.id, en.name, ST_Distance(ST_Transform(t.geom, 4326)::geography, target.g) AS distance_m,
       en.credit_grade, t.households, en.list_status
  FROM t
  JOIN layers_enterprise en ON en.id = t.enterprise_id
 CROSS JOIN target
 WHERE en.list_status <> 'black'
"""


def _candidates(*, geom, on: datetime.date | None) -> list[Candidate]:
    today = timezone.localdate()
    territories = TODAY_TERRITORIES if on is None or on == today else DATED_TERRITORIES
    with connection.cursor() as cursor:
        cursor.execute(CANDIDATES_SQL.format(territories=territories), {"geom": geom.ewkt, "on": on or today})
        return [
            Candidate(enterprise_id=row[0], name=row[1], distance_m=float(row[2]), grade=row[3],
                      households_served=int(row[4]), list_status=row[5])
            for row in cursor.fetchall()
        ]


def nearby_candidates(*, geom, on: datetime.date | None = None, limit: int = 10, households: int = 0,
                      max_distance_m: float = MAX_DISTANCE_M) -> list[RankedCandidate]:
    """The `limit` best enterprises to take over `geom` (a GEOSGeometry in SRID 4490: an estate or a bundle outline).

    Candidates are the enterprises with a territory (serving some estate on `on`, default today); black-listed ones
    are never returned. `households` is the load the takeover adds (the estate's or bundle's households).
    """
    ranked = rank_candidates(_candidates(geom=geom, on=on), max_distance_m=max_distance_m, households=households)
    return ranked[: max(0, int(limit))]


def territories_geojson(*, enterprise_ids: list[int], on: datetime.date | None = None) -> dict[int, dict]:
    """enterprise id → its territory as a GeoJSON geometry (lon/lat, simplified to ~1 m), for drawing candidates."""
    if not enterprise_ids:
        return {}
    today = timezone.localdate()
    territories = TODAY_TERRITORIES if on is None or on == today else DATED_TERRITORIES
    sql = (f"SELECT t.enterprise_id, ST_AsGeoJSON(ST_SimplifyPreserveTopology(t.geom, 0.00001), 6) "
           f"FROM ({territories}) AS t WHERE t.enterprise_id = ANY(%(ids)s)")
    with connection.cursor() as cursor:
        cursor.execute(sql, {"ids": list(enterprise_ids), "on": on or today})
        return {row[0]: json.loads(row[1]) for row in cursor.fetchall()}
