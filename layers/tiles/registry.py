"""Vector tile layers registered by name: one SQL definition, minimum zoom, feature cap and scope per layer.

Each layer's SQL selects the features of one tile. It is a constant string (never built from user input)
with placeholders filled from this module:

- ``{columns}``: the layer's attributes at this zoom (``columns``, plus ``detail_columns`` from ``detail_zoom``
  on: a district-wide view carries what the map styles by, a street-level view also what it labels);
- ``{geom}``: the clipped MVT geometry of ``<alias>.geom_web``, simplified below ``FULL_DETAIL_ZOOM`` by half a
  256-px screen pixel (ST_Simplify keeping collapsed features, so a small estate stays a clickable dot);
- ``{in_tile}``: the index-assisted ``geom_web && envelope`` test;
- ``{scope}``: which features the user gets: ``permissions.scope_sql(scope_model, ..., LOCATE)`` (outlines and
  names; a street office gets the whole district's estates and buildings for orientation), compiled once per role
  and street (``TRUE`` when the role locates everything);
- ``{visible}`` inside a state column (``state(expr, name)``): whether the user may see that feature's state,
  ``permissions.scope_sql(scope_model, ..., VIEW)`` on ``state_alias`` — outside it the attribute is NULL, and
  ST_AsMVT leaves a NULL attribute out of the tile (docs/SECURITY.md "Read scope");

and named psycopg2 parameters ``%(z)s %(x)s %(y)s %(limit)s %(tolerance)s`` plus, for dated layers,
``%(date)s``. The cap is a LIMIT in the feature subquery, so no tile is unbounded whatever the data.
"""
from __future__ import annotations

import dataclasses
import datetime
import functools
import zlib
from dataclasses import dataclass, field

from django.db.models import Model

from ..models import EnterpriseJurisdiction, Estate, ManagementArea, RenovationProject, Road
from ..rules import old_estate_cutoff, old_estate_sql

ENVELOPE = "ST_TileEnvelope(%(z)s, %(x)s, %(y)s)"
EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 22
# From this zoom on, geometries are sent as stored (only ST_AsMVTGeom's snapping to the 4096 grid).
FULL_DETAIL_ZOOM = 17
WEB_MERCATOR_WORLD = 40075016.685578488


def state(expr: str, name: str) -> str:
    """A select item carrying a feature's state: NULL where the user may not see it ({visible} is false)."""
    return f"CASE WHEN {{visible}} THEN {expr} END AS {name}"


def simplify_tolerance(zoom: int) -> float:
    """Half a 256-px screen pixel at this zoom, in Web-Mercator metres: simplification nobody can see."""
    return WEB_MERCATOR_WORLD / (256 * 2**zoom) / 2


@dataclass(frozen=True)
class TileLayer:
    name: str
    min_zoom: int
    max_features: int
    sql: str  # feature SELECT with {columns}, {geom}, {in_tile} and {scope} placeholders
    alias: str  # the table alias whose geom_web is drawn
    columns: tuple[str, ...]  # SQL select items sent at every zoom
    detail_columns: tuple[str, ...] = ()  # added from detail_zoom on
    detail_zoom: int = 0
    dated: bool = False  # takes ?date= (the state on that date)
    simplify: bool = True
    scope_model: type[Model] | None = None  # scope_sql(scope_model, LOCATE) limits the features, VIEW their state
    scope_alias: str = ""  # alias of the table in sql whose scope_column is tested by {scope}
    scope_column: str = ""  # the column holding scope_model's primary key (default: that table's own pk column)
    state_alias: str = ""  # the alias {visible} tests scope_column on, in the state columns (default: scope_alias)
    version: str = field(default="", compare=False)  # a digest of the definition, part of every ETag

    def __post_init__(self):
        # Everything that shapes the tile (SQL, columns, cap, zooms, scope): a changed definition, a changed ETag.
        definition = "|".join(repr(getattr(self, f.name)) for f in dataclasses.fields(self) if f.name != "version")
        object.__setattr__(self, "version", f"{zlib.crc32(definition.encode()):08x}")

    @property
    def has_state(self) -> bool:
        """Whether some attribute is a state (``state()``), shown only where the user may view it."""
        return any("{visible}" in item for item in self.columns + self.detail_columns)

    def property_names(self, z: int) -> list[str]:
        """The MVT attribute names sent at zoom z (the alias of each select item)."""
        items = self.columns + (self.detail_columns if z >= self.detail_zoom else ())
        return [item.rsplit(" AS ", 1)[-1].rsplit(".", 1)[-1].strip() for item in items]

    def feature_sql(self, z: int = MAX_ZOOM, scope: str = "TRUE", visible: str = "TRUE") -> str:
        return _feature_sql(self, z >= self.detail_zoom, self.simplify and z < FULL_DETAIL_ZOOM, scope, visible)

    def tile_sql(self, z: int = MAX_ZOOM, scope: str = "TRUE", visible: str = "TRUE") -> str:
        # ST_AsMVTGeom returns NULL for a feature clipped away entirely, and ST_AsMVT skips rows with a NULL
        # geometry: no WHERE here, which would clip every feature twice.
        return f"SELECT ST_AsMVT(f, %(layer)s, {EXTENT}, 'geom') FROM ({self.feature_sql(z, scope, visible)}) AS f"

    def versioned_tile_sql(self, z: int = MAX_ZOOM, scope: str = "TRUE", visible: str = "TRUE") -> str:
        """The tile and its layer's data version read in one statement, so from one snapshot."""
        return (f"SELECT (SELECT version FROM layers_tileversion WHERE layer = %(layer)s), "
                f"({self.tile_sql(z, scope, visible)})")

    def params(self, *, z: int, x: int, y: int, on: datetime.date | None = None) -> dict:
        params = {"layer": self.name, "z": z, "x": x, "y": y, "limit": self.max_features,
                  "tolerance": simplify_tolerance(z)}
        if self.dated:
            params["date"] = on
            params["old_cutoff"] = old_estate_cutoff()
        return params


@functools.lru_cache(maxsize=512)
def _feature_sql(layer: TileLayer, detailed: bool, simplified: bool, scope: str, visible: str = "TRUE") -> str:
    source = f"{layer.alias}.geom_web"
    if simplified:
        source = f"ST_Simplify({source}, %(tolerance)s, true)"
    columns = layer.columns + (layer.detail_columns if detailed else ())
    return layer.sql.format(
        columns=", ".join(columns).replace("{visible}", visible),
        geom=f"ST_AsMVTGeom({source}, {ENVELOPE}, {EXTENT}, {BUFFER}, true) AS geom",
        in_tile=f"{layer.alias}.geom_web && {ENVELOPE}",
        scope=scope,
    )


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
    columns=("r.road_class",),
    detail_columns=("r.name",),
    detail_zoom=14,
    scope_model=Road,
    scope_alias="r",
    sql="""
        SELECT {columns}, {geom}
          FROM layers_road r
         WHERE {in_tile} AND {scope}
         LIMIT %(limit)s
    """,
))

# The editing panel reads id, name and version from the tiles at every zoom the layer shows.
register(TileLayer(
    name="management_areas",
    min_zoom=13,
    max_features=3000,
    alias="m",
    columns=("m.id", "m.code", "m.name", "m.version"),
    scope_model=ManagementArea,
    scope_alias="m",
    sql="""
        SELECT {columns}, {geom}
          FROM layers_managementarea m
         WHERE {in_tile} AND {scope}
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
    columns=("e.id", state("COALESCE(a.status, 'none')", "status"),
             f"{old_estate_sql('e.build_year', '%(old_cutoff)s')} AS old"),
    detail_columns=("e.name", "e.households", "e.build_year", "e.is_open"),
    detail_zoom=14,
    scope_model=Estate,
    scope_alias="s",
    state_alias="e",
    sql="""
        SELECT {columns}, {geom}
          FROM (SELECT s.id, s.name, s.build_year, s.households, s.is_open, s.geom_web
                  FROM layers_estate s
                 WHERE s.geom_web && ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AND {scope}
                 LIMIT %(limit)s) AS e
          LEFT JOIN layers_active_contracts(%(date)s) a ON a.estate_id = e.id
    """,
))

register(TileLayer(
    name="buildings",
    min_zoom=15,
    max_features=8000,
    alias="b",
    columns=("b.id", "b.estate_id", state("b.abandonment", "abandonment")),
    detail_columns=("b.label", "b.floors"),
    detail_zoom=16,
    # Every role locates every building (orientation); a street office sees the abandonment of its street's only.
    # Scoped through the estate, whose street is the building's (permissions.STREET_LOOKUP).
    scope_model=Estate,
    scope_alias="b",
    scope_column="estate_id",
    sql="""
        SELECT {columns}, {geom}
          FROM layers_building b
         WHERE {in_tile} AND {scope}
         LIMIT %(limit)s
    """,
))

# colour: a stable palette index, so an enterprise keeps its colour across tiles and days.
register(TileLayer(
    name="jurisdictions",
    min_zoom=10,
    max_features=2000,
    alias="j",
    columns=("j.enterprise_id", "(j.enterprise_id %% 12)::int AS colour"),
    detail_columns=("en.name", "en.list_status"),
    detail_zoom=13,
    scope_model=EnterpriseJurisdiction,
    scope_alias="j",
    sql="""
        SELECT {columns}, {geom}
          FROM layers_enterprisejurisdiction j
          JOIN layers_enterprise en ON en.id = j.enterprise_id
         WHERE {in_tile} AND {scope}
         LIMIT %(limit)s
    """,
))

register(TileLayer(
    name="renovations",
    min_zoom=12,
    max_features=4000,
    alias="e",
    columns=("p.id", "p.estate_id", "p.status"),
    detail_columns=("p.name", "array_to_string(p.items, ',') AS items"),
    detail_zoom=14,
    scope_model=RenovationProject,
    scope_alias="p",
    sql="""
        SELECT {columns}, {geom}
          FROM layers_renovationproject p
          JOIN layers_estate e ON e.id = p.estate_id
         WHERE {in_tile} AND {scope}
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
    simplify=False,  # hexagons: six vertices each
    columns=("h.hex_i", "h.hex_j", "h.old_estates", "h.served", "h.service_rate", "h.uncovered_households"),
    scope_model=Estate,
    scope_alias="s",
    sql="""
        WITH placed AS (
          SELECT g.i, g.j, g.geom, e.households, COALESCE(a.status, 'none') AS status
            FROM (SELECT s.id, s.households, ST_PointOnSurface(s.geom_web) AS pos
                    FROM layers_estate s
                   WHERE """ + old_estate_sql("s.build_year", "%(old_cutoff)s") + """ AND {scope}
                     AND s.geom_web && ST_Expand(ST_TileEnvelope(%(z)s, %(x)s, %(y)s),
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
        SELECT {columns}, {geom}
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
