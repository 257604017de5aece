"""Small GeoJSON layers built entirely in PostGIS (json_agg over ST_AsGeoJSON) and returned as bytes."""
from __future__ import annotations

from django.conf import settings
from django.db import connection

from ..models import AdminArea, AdminLevel
from ..permissions import VIEW, inlined, user_scope_sql

ADMIN_AREAS_LIMIT = 500
DEFAULT_ZOOM = 12
MAX_ZOOM = 22


def simplify_tolerance(zoom: int) -> float:
    """Half a 256-px screen pixel at this zoom, in degrees: simplification nobody can see."""
    return 360.0 / (256 * 2**zoom) / 2


# ST_MakeValid guards the rare self-touching ring simplification can leave (CollectionExtract keeps its polygons);
# ST_PointOnSurface is taken on the full geometry so the label point is inside the true boundary. Options 0: no
# "crs" member, the coordinates are read as lon/lat (CGCS2000 is within centimetres of WGS84).
ADMIN_AREAS_SQL = """
SELECT json_build_object(
         'type', 'FeatureCollection',
         'features', COALESCE(json_agg(f.feature ORDER BY f.code), '[]'::json)
       )::text
  FROM (
    SELECT a.code,
           json_build_object(
             'type', 'Feature',
             'id', a.id,
             'geometry', ST_AsGeoJSON(
                 ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SimplifyPreserveTopology(a.geom, %(tolerance)s)), 3)),
                 6, 0)::json,
             'properties', json_build_object(
                 'id', a.id, 'code', a.code, 'name', a.name, 'level', a.level,
                 'label_point', json_build_array(round(ST_X(p.pt)::numeric, 6), round(ST_Y(p.pt)::numeric, 6))
             )
           ) AS feature
      FROM layers_adminarea a
     CROSS JOIN LATERAL (SELECT ST_PointOnSurface(a.geom) AS pt) AS p
     WHERE a.level = %(level)s AND {scope}
       AND (%(minx)s::float8 IS NULL
            OR a.geom && ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, %(srid)s))
     ORDER BY a.code
     LIMIT %(limit)s
  ) AS f
"""


def admin_areas_geojson(
    *, level: str, bbox: tuple[float, float, float, float] | None = None, zoom: int = DEFAULT_ZOOM, user=None
) -> bytes:
    """A FeatureCollection of one level's admin areas meeting bbox (all when None), simplified for zoom; only those
    in the user's jurisdiction (permissions.scope_sql) when a user is given."""
    if level not in AdminLevel.values:
        raise ValueError(f"unknown level {level!r}")
    minx, miny, maxx, maxy = bbox if bbox else (None, None, None, None)
    params = {
        "level": level,
        "tolerance": simplify_tolerance(zoom),
        "minx": minx, "miny": miny, "maxx": maxx, "maxy": maxy,
        "srid": settings.STORAGE_SRID,
        "limit": ADMIN_AREAS_LIMIT,
    }
    scope = "TRUE" if user is None else inlined(*user_scope_sql(AdminArea, user, VIEW, "a.id"))
    with connection.cursor() as cursor:
        cursor.execute(ADMIN_AREAS_SQL.replace("{scope}", scope), params)
        return cursor.fetchone()[0].encode()
