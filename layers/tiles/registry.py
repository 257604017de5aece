"""How a vector tile layer is drawn: its SQL definition, feature cap, attributes by zoom and scope.

The layers themselves (name, minimum zoom, model, and this tile part) are defined once in layers/catalogue.py.
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

from ..rules import old_estate_cutoff

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


@dataclass(frozen=True, kw_only=True)
class TileLayer:
    name: str = ""  # name, min_zoom, dated and (by default) scope_model come from the catalogue's Layer
    min_zoom: int = 0
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
        """The tile and its data version (serve.VERSION_SQL) read in one statement, so from one snapshot."""
        return (f"SELECT layers_tile_data_version(%(layer)s, %(z)s, %(x)s, %(y)s), "
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
