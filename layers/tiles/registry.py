"""Vector tile layers registered by name: one SQL definition, minimum zoom and feature cap per layer.

Each layer's SQL selects the features of one tile. It is a constant string (never built from user input)
with two placeholders filled from this module, ``{geom}`` (the clipped MVT geometry of ``<alias>.geom_web``)
and ``{in_tile}`` (the index-assisted ``geom_web && envelope`` test), and named psycopg2 parameters
``%(z)s %(x)s %(y)s %(limit)s`` plus, for dated layers, ``%(date)s``. The cap is a LIMIT in the feature
subquery, so no tile is unbounded whatever the data.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings

ENVELOPE = "ST_TileEnvelope(%(z)s, %(x)s, %(y)s)"
EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 22


@dataclass(frozen=True)
class TileLayer:
    name: str
    min_zoom: int
    max_features: int
    sql: str  # feature SELECT with {geom} and {in_tile} placeholders for the table alias given below
    alias: str
    dated: bool = False  # takes ?date= (the state on that date)

    def feature_sql(self) -> str:
        return self.sql.format(
            geom=f"ST_AsMVTGeom({self.alias}.geom_web, {ENVELOPE}, {EXTENT}, {BUFFER}, true) AS geom",
            in_tile=f"{self.alias}.geom_web && {ENVELOPE}",
        )

    def tile_sql(self) -> str:
        # ST_AsMVTGeom returns NULL for a feature clipped away entirely, and ST_AsMVT skips rows with a NULL
        # geometry: no WHERE here, which would clip every feature twice.
        return f"SELECT ST_AsMVT(f, %(layer)s, {EXTENT}, 'geom') FROM ({self.feature_sql()}) AS f"

    def params(self, *, z: int, x: int, y: int, on: datetime.date | None = None) -> dict:
        params = {"layer": self.name, "z": z, "x": x, "y": y, "limit": self.max_features}
        if self.dated:
            params["date"] = on
            params["old_cutoff"] = settings.OLD_ESTATE_CUTOFF_YEAR
        return params


LAYERS: dict[str, TileLayer] = {}


def register(layer: TileLayer) -> TileLayer:
    if layer.name in LAYERS:
        raise ValueError(f"tile layer {layer.name!r} registered twice")
    LAYERS[layer.name] = layer
    return layer


def get_layer(name: str) -> TileLayer | None:
    return LAYERS.get(name)


register(TileLayer(
    name="roads",
    min_zoom=11,
    max_features=5000,
    alias="r",
    sql="""
        SELECT r.road_class, r.name, {geom}
          FROM layers_road r
         WHERE {in_tile}
         LIMIT %(limit)s
    """,
))

register(TileLayer(
    name="management_areas",
    min_zoom=13,
    max_features=3000,
    alias="m",
    sql="""
        SELECT m.id, m.code, m.name, m.version, {geom}
          FROM layers_managementarea m
         WHERE {in_tile}
         LIMIT %(limit)s
    """,
))

# The cap applies to estates before the join; at most one contract is active per estate (exclusion constraint).
register(TileLayer(
    name="estates",
    min_zoom=12,
    max_features=6000,
    alias="e",
    dated=True,
    sql="""
        SELECT e.id, e.name, COALESCE(a.status, 'none') AS status,
               e.build_year <= %(old_cutoff)s AS old, e.households, e.build_year, e.is_open, {geom}
          FROM (SELECT id, name, build_year, households, is_open, geom_web
                  FROM layers_estate
                 WHERE geom_web && ST_TileEnvelope(%(z)s, %(x)s, %(y)s)
                 LIMIT %(limit)s) AS e
          LEFT JOIN layers_active_contracts(%(date)s) a ON a.estate_id = e.id
    """,
))

register(TileLayer(
    name="buildings",
    min_zoom=15,
    max_features=8000,
    alias="b",
    sql="""
        SELECT b.id, b.estate_id, b.label, b.floors, b.abandonment, {geom}
          FROM layers_building b
         WHERE {in_tile}
         LIMIT %(limit)s
    """,
))

# colour: a stable palette index, so an enterprise keeps its colour across tiles and days.
register(TileLayer(
    name="jurisdictions",
    min_zoom=10,
    max_features=2000,
    alias="j",
    sql="""
        SELECT j.enterprise_id, en.name, en.list_status, (j.enterprise_id %% 12)::int AS colour, {geom}
          FROM layers_enterprisejurisdiction j
          JOIN layers_enterprise en ON en.id = j.enterprise_id
         WHERE {in_tile}
         LIMIT %(limit)s
    """,
))

register(TileLayer(
    name="renovations",
    min_zoom=12,
    max_features=4000,
    alias="e",
    sql="""
        SELECT p.id, p.estate_id, p.name, p.status, array_to_string(p.items, ',') AS items, {geom}
          FROM layers_renovationproject p
          JOIN layers_estate e ON e.id = p.estate_id
         WHERE {in_tile}
         LIMIT %(limit)s
    """,
))

# Hexagons of an anchored grid (ST_HexagonGrid starts at the origin, so a cell is the same in every tile that
# touches it) holding old estates' points on surface. Each estate finds its own cell (the grid over the point):
# a cell cut by a tile edge carries the same figures on both sides, hex_i/hex_j identify it across tiles, and an
# estate on a shared edge counts once. Joining a whole-tile grid to the estates instead made PostgreSQL's cost
# estimate (1000 rows per grid × ST_Intersects) cross the JIT threshold: 600 ms of compiling for a 6 ms query.
# Cell edge length in Web-Mercator metres by zoom (docs/COVERAGE_API.md).
register(TileLayer(
    name="coverage_hex",
    min_zoom=11,
    max_features=4000,
    alias="h",
    dated=True,
    sql="""
        WITH placed AS (
          SELECT g.i, g.j, g.geom, e.households, COALESCE(a.status, 'none') AS status
            FROM (SELECT id, households, ST_PointOnSurface(geom_web) AS pos
                    FROM layers_estate
                   WHERE build_year <= %(old_cutoff)s
                     AND geom_web && ST_Expand(ST_TileEnvelope(%(z)s, %(x)s, %(y)s),
                                               2 * (CASE WHEN %(z)s <= 11 THEN 2000 WHEN %(z)s = 12 THEN 1000
                                                         WHEN %(z)s = 13 THEN 500 ELSE 250 END))) AS e
            -- The grid over a point holds every cell whose box covers it; the cell holding the point is the one
            -- with the nearest centre (hexagons are the Voronoi cells of their centres). Plain arithmetic, not
            -- ST_Intersects: that function's declared cost pushed the plan over the JIT threshold (+350 ms).
            CROSS JOIN LATERAL (
              SELECT c.i, c.j, c.geom
                FROM ST_HexagonGrid(CASE WHEN %(z)s <= 11 THEN 2000 WHEN %(z)s = 12 THEN 1000
                                         WHEN %(z)s = 13 THEN 500 ELSE 250 END, e.pos) AS c
               ORDER BY (ST_XMin(c.geom) + ST_XMax(c.geom) - 2 * ST_X(e.pos)) ^ 2
                        + (ST_YMin(c.geom) + ST_YMax(c.geom) - 2 * ST_Y(e.pos)) ^ 2, c.i, c.j
               LIMIT 1) AS g
            LEFT JOIN layers_active_contracts(%(date)s) a ON a.estate_id = e.id
        )
        SELECT h.hex_i, h.hex_j, h.old_estates, h.served, h.service_rate, h.uncovered_households, {geom}
          FROM (SELECT p.i AS hex_i, p.j AS hex_j, p.geom AS geom_web, count(*) AS old_estates,
                       count(*) FILTER (WHERE p.status <> 'none') AS served,
                       round(count(*) FILTER (WHERE p.status <> 'none')::numeric / count(*), 4)::float8 AS service_rate,
                       COALESCE(sum(p.households) FILTER (WHERE p.status = 'none'), 0)::int AS uncovered_households
                  FROM placed p
                 WHERE p.geom && ST_TileEnvelope(%(z)s, %(x)s, %(y)s)
                 GROUP BY p.i, p.j, p.geom
                 LIMIT %(limit)s) AS h
    """,
))
