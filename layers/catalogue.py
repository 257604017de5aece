"""The map's layers, each defined once: name, title, model, minimum zoom, and its tile, export/OGC and map parts.

One ``Layer`` per layer, registered by name (``register``, ``get``, ``all``). Its parts are what each consumer reads:

- ``tile``: the vector-tile SQL (layers/tiles/registry.py explains the placeholders), served by layers/tiles/ —
  its ``version``, a digest of the whole tile definition including the name and minimum zoom, is in every ETag;
- ``feature``: the feature table read by export (layers/api/export.py) and OGC API – Features (layers/ogc/):
  fields, queryables, ``state`` fields (NULL outside the user's VIEW scope, docs/SECURITY.md "Read scope");
- ``map``: the entry of the map page's layer switcher (layers/views/map.py hands it to layers.js as JSON);
- ``api``: the editing endpoints the map page calls for the layer's objects (docs/EDIT_API.md).

The name, title, model, minimum zoom and whether the layer is dated are given once, on the Layer, and copied into
its parts, so the switcher, the export list and the OGC collection show one title and the tiles and the map one
minimum zoom. SQL here is constant (never built from user input); the rule functions come from layers/rules.py.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from django.db.models import Model
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .io.feature_layers import BOOL, DATE, DATETIME, FLOAT, INT, FeatureLayer, Field, check_shapefile_names
from .models import (
    AbandonmentReport,
    AdminArea,
    Building,
    Complaint,
    EnterpriseJurisdiction,
    Estate,
    ManagementArea,
    RenovationProject,
    Road,
)
from .rules import old_estate_literal_sql, old_estate_sql
from .tiles.registry import TileLayer, state


@dataclass(frozen=True, kw_only=True)
class MapEntry:
    """How the map page offers a layer in its switcher."""
    position: int  # top of the switcher first; the drawing order is set by the panes in layers.js
    source: str = "tiles"  # tiles; admin (GeoJSON of one level); coverage_* (drawn by coverage.js)
    visible: bool = False  # on when the page opens
    popup_kind: str | None = None  # the /api/features/<kind>/<id>/ a click opens
    id_property: str = "id"  # the tile attribute holding that id
    level: str | None = None  # source admin: the admin level drawn
    group: str | None = None  # a heading in the switcher (strings.groups)
    edit_min_zoom: int | None = None  # the editor works on the layer's objects from this zoom on


@dataclass(frozen=True, kw_only=True)
class Layer:
    name: str
    title: Promise | str  # gettext_lazy: the switcher, the export list and the OGC collection
    model: type[Model] | None = None  # whose permissions apply (the tile part may scope by another: tile.scope_model)
    min_zoom: int = 0  # the tiles are empty below it; the switcher greys the layer out
    dated: bool = False  # shows the state on a date (?date= for tiles, ?on= for export)
    tile: TileLayer | None = None
    feature: FeatureLayer | None = None
    map: MapEntry | None = None
    api: dict[str, str] = field(default_factory=dict, hash=False)  # name → path, {id} filled in by the browser

    def __post_init__(self):
        if self.tile is not None:
            object.__setattr__(self, "tile", dataclasses.replace(
                self.tile, name=self.name, min_zoom=self.min_zoom, dated=self.dated,
                scope_model=self.tile.scope_model or self.model))
        if self.feature is not None:
            object.__setattr__(self, "feature", dataclasses.replace(
                self.feature, name=self.name, title=self.title, model=self.model, dated=self.dated))
            check_shapefile_names(self.feature)


LAYERS: dict[str, Layer] = {}


def register(layer: Layer) -> Layer:
    if layer.name in LAYERS:
        raise ValueError(f"layer {layer.name!r} registered twice")
    taken = {path: other.name for other in LAYERS.values() for path in other.api}
    for key in layer.api:
        if key in taken:
            raise ValueError(f"{layer.name}: API path {key!r} is already {taken[key]!r}'s")
    LAYERS[layer.name] = layer
    return layer


def get(name: str) -> Layer | None:
    return LAYERS.get(name)


def all() -> list[Layer]:  # noqa: A001 - the catalogue's lookup reads catalogue.all()
    """Every layer, in the order of the export list and the OGC collections."""
    return list(LAYERS.values())


# Views of the catalogue for the tile endpoint, export and OGC API: the parts of the layers that have them.

def tile_layer(name: str) -> TileLayer | None:
    layer = LAYERS.get(name)
    return layer.tile if layer is not None else None


def tile_layers() -> dict[str, TileLayer]:
    return {name: layer.tile for name, layer in LAYERS.items() if layer.tile is not None}


def feature_layer(name: str) -> FeatureLayer | None:
    layer = LAYERS.get(name)
    return layer.feature if layer is not None else None


def feature_layers() -> dict[str, FeatureLayer]:
    return {name: layer.feature for name, layer in LAYERS.items() if layer.feature is not None}


def map_layers() -> list[Layer]:
    """The layers of the map page's switcher, top first."""
    return sorted((layer for layer in LAYERS.values() if layer.map is not None), key=lambda layer: layer.map.position)


# ---------------------------------------------------------------------------------------------------------------
# The layers (docs/MAP_API.md lists the tiles' attributes, docs/EXPORT.md every field and its Shapefile name).

register(Layer(
    name="admin_areas",
    title=_("Administrative areas"),
    model=AdminArea,
    feature=FeatureLayer(
        description=_("District, street offices and communities, with their codes."),
        geometry_type="MultiPolygon",
        from_sql="layers_adminarea t LEFT JOIN layers_adminarea p ON p.id = t.parent_id",
        fields=(
            Field("id", "t.id", INT),
            Field("code", "t.code", queryable=True),
            Field("name", "t.name", queryable=True),
            Field("level", "t.level", queryable=True),
            Field("parent_code", "p.code", shp="parent_cd", queryable=True),
            Field("parent_name", "p.name", shp="parent_nm"),
        ),
    ),
))

# The boundaries on the map: one GeoJSON layer per level, from /api/admin-areas/ (layers/tiles/geojson.py).
register(Layer(name="admin_district", title=_("District boundary"), model=AdminArea,
               map=MapEntry(position=1, source="admin", level="district", visible=True)))
register(Layer(name="admin_street", title=_("Street office boundaries"), model=AdminArea,
               map=MapEntry(position=2, source="admin", level="street", visible=True)))
register(Layer(name="admin_community", title=_("Community boundaries"), model=AdminArea, min_zoom=13,
               map=MapEntry(position=3, source="admin", level="community", visible=True)))

# The editing panel reads id, name and version from the tiles at every zoom the layer shows. Its endpoints are
# fixed by docs/EDIT_API.md rather than reversed, so the page does not depend on the URL names the API chooses.
register(Layer(
    name="management_areas",
    title=_("Management areas"),
    model=ManagementArea,
    min_zoom=13,
    tile=TileLayer(
        max_features=3000,
        alias="m",
        columns=("m.id", "m.code", "m.name", "m.version"),
        scope_alias="m",
        sql="""
        SELECT {columns}, {geom}
          FROM layers_managementarea m
         WHERE {in_tile} AND {scope}
         LIMIT %(limit)s
    """,
    ),
    feature=FeatureLayer(
        description=_("Property-management areas drawn by the district department."),
        geometry_type="MultiPolygon",
        from_sql="layers_managementarea t LEFT JOIN layers_adminarea s ON s.id = t.street_id",
        fields=(
            Field("id", "t.id", INT),
            Field("code", "t.code", queryable=True),
            Field("name", "t.name", queryable=True),
            Field("street_code", "s.code", shp="street_cd", queryable=True),
            Field("street_name", "s.name", shp="street_nm", queryable=True),
            Field("version", "t.version", INT),
            Field("updated_at", "t.updated_at", DATETIME, shp="updated"),
        ),
    ),
    map=MapEntry(position=6, popup_kind="management_area", edit_min_zoom=15),
    api={
        "areas": "/api/management-areas/",
        "area": "/api/management-areas/{id}/",
        "validate": "/api/management-areas/validate/",
        "clip": "/api/management-areas/clip/",
        "split": "/api/management-areas/{id}/split/",
        "merge": "/api/management-areas/merge/",
        "mergePreview": "/api/management-areas/merge/preview/",
        "history": "/api/management-areas/{id}/history/",
        "restore": "/api/management-areas/{id}/restore/",
        "historyPage": "/management-areas/{id}/history/",
        "rebase": "/api/management-areas/{id}/rebase/",
    },
))

# Tiles: the cap applies to estates before the join; at most one contract is active per estate (exclusion
# constraint). Export: the provider's name is the enterprise, the caretaker agency, or nothing (district fallback,
# self-governance).
register(Layer(
    name="estates",
    title=_("Estates by service status"),
    model=Estate,
    min_zoom=12,
    dated=True,
    tile=TileLayer(
        max_features=6000,
        alias="e",
        columns=("e.id", state("COALESCE(a.status, 'none')", "status"),
                 f"{old_estate_sql('e.build_year', '%(old_cutoff)s')} AS old"),
        detail_columns=("e.name", "e.households", "e.build_year", "e.is_open"),
        detail_zoom=14,
        scope_alias="s",
        state_alias="e",
        sql="""
        SELECT {columns}, {geom}
          FROM (SELECT s.id, s.name, s.build_year, s.households, s.is_open, s.geom_web
                  FROM layers_estate s
                 WHERE s.geom_web && ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AND {scope}
                 LIMIT %(limit)s) AS e
          -- Looked up per estate of the tile (at most one contract is active on a date: the no-overlap
          -- constraint), so a tile costs the same in a city of one district or of many; a join let the
          -- planner hash every active contract of the city for a tile of a few hundred estates.
          LEFT JOIN LATERAL (SELECT c.status FROM layers_active_contracts(%(date)s) c WHERE c.estate_id = e.id
                              LIMIT 1) a ON true
    """,
    ),
    feature=FeatureLayer(
        description=_("Residential estates and their property-management service status on a date "
                      "(?on=YYYY-MM-DD)."),
        geometry_type="MultiPolygon",
        from_sql="""layers_estate t
      JOIN layers_adminarea c ON c.id = t.community_id
      LEFT JOIN layers_adminarea s ON s.id = c.parent_id
      LEFT JOIN layers_managementarea ma ON ma.id = t.management_area_id
      LEFT JOIN layers_active_contracts({on}) a ON a.estate_id = t.id
      LEFT JOIN layers_enterprise en ON en.id = a.enterprise_id
      LEFT JOIN layers_caretakeragency ca ON ca.id = a.caretaker_agency_id""",
        fields=(
            Field("id", "t.id", INT),
            Field("code", "t.code", queryable=True),
            Field("name", "t.name", queryable=True),
            Field("address", "t.address"),
            Field("build_year", "t.build_year", INT, queryable=True),
            Field("old", old_estate_literal_sql("t.build_year"), BOOL, queryable=True),
            Field("households", "t.households", INT),
            Field("floor_area", "t.floor_area", FLOAT),
            Field("is_open", "t.is_open", BOOL, queryable=True),
            Field("owners_committee", "t.owners_committee", shp="owners_cmt", queryable=True),
            Field("community_code", "c.code", shp="comm_code", queryable=True),
            Field("community_name", "c.name", shp="comm_name", queryable=True),
            Field("street_code", "s.code", shp="street_cd", queryable=True),
            Field("street_name", "s.name", shp="street_nm", queryable=True),
            Field("management_area_code", "ma.code", shp="ma_code", queryable=True),
            Field("service_status", "COALESCE(a.status, 'none')", shp="status", queryable=True, state=True),
            Field("service_mode", "a.mode", shp="mode", state=True),
            Field("provider", "COALESCE(en.name, ca.name)", state=True),
            Field("status_on", "{on}::date", DATE),
        ),
    ),
    map=MapEntry(position=5, visible=True, popup_kind="estate"),
))

# Tiles: every role locates every building (orientation); a street office sees the abandonment of its street's
# only, scoped through the estate, whose street is the building's (permissions.STREET_LOOKUP).
register(Layer(
    name="buildings",
    title=_("Buildings with abandonment"),
    model=Building,
    min_zoom=15,
    tile=TileLayer(
        max_features=8000,
        alias="b",
        columns=("b.id", "b.estate_id", state("b.abandonment", "abandonment")),
        detail_columns=("b.label", "b.floors"),
        detail_zoom=16,
        scope_model=Estate,
        scope_alias="b",
        scope_column="estate_id",
        sql="""
        SELECT {columns}, {geom}
          FROM layers_building b
         WHERE {in_tile} AND {scope}
         LIMIT %(limit)s
    """,
    ),
    feature=FeatureLayer(
        description=_("Residential buildings and whether they are abandoned (弃管)."),
        geometry_type="Polygon",
        from_sql="""layers_building t
      JOIN layers_estate e ON e.id = t.estate_id
      JOIN layers_adminarea c ON c.id = e.community_id
      LEFT JOIN layers_adminarea s ON s.id = c.parent_id""",
        fields=(
            Field("id", "t.id", INT),
            Field("code", "t.code", queryable=True),
            Field("label", "t.label", queryable=True),
            Field("estate_code", "e.code", shp="estate_cd", queryable=True),
            Field("estate_name", "e.name", shp="estate_nm", queryable=True),
            Field("floors", "t.floors", INT, queryable=True),
            Field("households", "t.households", INT),
            Field("build_year", "t.build_year", INT, queryable=True),
            Field("has_elevator", "t.has_elevator", BOOL, shp="elevator", queryable=True),
            Field("abandonment", "t.abandonment", shp="abandon", queryable=True, state=True),
            Field("abandoned_since", "t.abandoned_since", DATE, shp="abnd_since", state=True),
            Field("street_code", "s.code", shp="street_cd", queryable=True),
            Field("street_name", "s.name", shp="street_nm", queryable=True),
        ),
    ),
    map=MapEntry(position=4, visible=True, popup_kind="building"),
    api={"report": "/api/buildings/{id}/abandonment-reports/"},
))

# Tiles: colour is a stable palette index, so an enterprise keeps its colour across tiles and days.
register(Layer(
    name="jurisdictions",
    title=_("Enterprise service areas"),
    model=EnterpriseJurisdiction,
    min_zoom=10,
    tile=TileLayer(
        max_features=2000,
        alias="j",
        columns=("j.enterprise_id", "(j.enterprise_id %% 12)::int AS colour"),
        detail_columns=("en.name", "en.list_status"),
        detail_zoom=13,
        scope_alias="j",
        sql="""
        SELECT {columns}, {geom}
          FROM layers_enterprisejurisdiction j
          JOIN layers_enterprise en ON en.id = j.enterprise_id
         WHERE {in_tile} AND {scope}
         LIMIT %(limit)s
    """,
    ),
    feature=FeatureLayer(
        description=_("The union of the estates each property-service enterprise serves today."),
        geometry_type="MultiPolygon",
        id_sql="t.enterprise_id",
        from_sql="layers_enterprisejurisdiction t JOIN layers_enterprise en ON en.id = t.enterprise_id",
        fields=(
            Field("id", "t.enterprise_id", INT),
            Field("name", "en.name", queryable=True),
            Field("credit_code", "en.credit_code", shp="credit_cd", queryable=True),
            Field("credit_grade", "en.credit_grade", shp="grade", queryable=True),
            Field("list_status", "en.list_status", shp="list_stat", queryable=True),
            Field("estate_count", "t.estate_count", INT, shp="estates"),
            Field("households", "t.households", INT),
            Field("refreshed_at", "t.refreshed_at", DATETIME, shp="refreshed"),
        ),
    ),
    map=MapEntry(position=8, popup_kind="enterprise", id_property="enterprise_id"),
))

register(Layer(
    name="renovations",
    title=_("Renovation projects"),
    model=RenovationProject,
    min_zoom=12,
    tile=TileLayer(
        max_features=4000,
        alias="e",
        columns=("p.id", "p.estate_id", "p.status"),
        detail_columns=("p.name", "array_to_string(p.items, ',') AS items"),
        detail_zoom=14,
        scope_alias="p",
        sql="""
        SELECT {columns}, {geom}
          FROM layers_renovationproject p
          JOIN layers_estate e ON e.id = p.estate_id
         WHERE {in_tile} AND {scope}
         LIMIT %(limit)s
    """,
    ),
    feature=FeatureLayer(
        description=_("Old-estate renovation projects (维修改造), drawn as their estate; funding in 10,000 yuan."),
        geometry_type="MultiPolygon",
        geom_sql="e.geom",
        extent_from="layers_renovationproject t JOIN layers_estate e ON e.id = t.estate_id",
        from_sql="""layers_renovationproject t
      JOIN layers_estate e ON e.id = t.estate_id
      JOIN layers_adminarea c ON c.id = e.community_id
      LEFT JOIN layers_adminarea s ON s.id = c.parent_id""",
        fields=(
            Field("id", "t.id", INT),
            Field("name", "t.name", queryable=True),
            Field("estate_code", "e.code", shp="estate_cd", queryable=True),
            Field("estate_name", "e.name", shp="estate_nm", queryable=True),
            Field("items", "array_to_string(t.items, ',')"),
            Field("status", "t.status", queryable=True),
            Field("start_year", "t.start_year", INT, queryable=True),
            Field("end_year", "t.end_year", INT),
            Field("funding_city", "t.funding_city::float8", FLOAT, shp="fund_city"),
            Field("funding_district", "t.funding_district::float8", FLOAT, shp="fund_dist"),
            Field("funding_social", "t.funding_social::float8", FLOAT, shp="fund_soc"),
            Field("funding_owners", "t.funding_owners::float8", FLOAT, shp="fund_own"),
            Field("funding_total",
                  "(t.funding_city + t.funding_district + t.funding_social + t.funding_owners)::float8",
                  FLOAT, shp="fund_total"),
            Field("street_code", "s.code", shp="street_cd", queryable=True),
        ),
    ),
    map=MapEntry(position=7, popup_kind="estate", id_property="estate_id"),
))

register(Layer(
    name="roads",
    title=_("Roads"),
    model=Road,
    min_zoom=11,
    tile=TileLayer(
        max_features=5000,
        alias="r",
        columns=("r.road_class",),
        detail_columns=("r.name",),
        detail_zoom=14,
        scope_alias="r",
        sql="""
        SELECT {columns}, {geom}
          FROM layers_road r
         WHERE {in_tile} AND {scope}
         LIMIT %(limit)s
    """,
    ),
    feature=FeatureLayer(
        description=_("Road centre lines."),
        geometry_type="LineString",
        from_sql="layers_road t",
        fields=(
            Field("id", "t.id", INT),
            Field("name", "t.name", queryable=True),
            Field("road_class", "t.road_class", shp="class", queryable=True),
        ),
    ),
    map=MapEntry(position=9, visible=True),
))

register(Layer(
    name="abandonment_reports",
    title=_("Abandoned-building reports"),
    model=AbandonmentReport,
    feature=FeatureLayer(
        description=_("Reports of abandoned buildings and their state, drawn as the building's footprint."),
        geometry_type="Polygon",
        geom_sql="b.geom",
        extent_from="layers_abandonmentreport t JOIN layers_building b ON b.id = t.building_id",
        from_sql="""layers_abandonmentreport t
      JOIN layers_building b ON b.id = t.building_id
      JOIN layers_estate e ON e.id = b.estate_id
      JOIN layers_adminarea s ON s.id = t.street_id""",
        fields=(
            Field("id", "t.id", INT),
            Field("building_code", "b.code", shp="bldg_code", queryable=True),
            Field("building_label", "b.label", shp="bldg_label"),
            Field("estate_code", "e.code", shp="estate_cd", queryable=True),
            Field("estate_name", "e.name", shp="estate_nm", queryable=True),
            Field("street_code", "s.code", shp="street_cd", queryable=True),
            Field("street_name", "s.name", shp="street_nm", queryable=True),
            Field("state", "t.state", queryable=True),
            Field("reason", "t.reason", queryable=True),
            Field("abandoned_since", "t.abandoned_since", DATE, shp="abnd_since"),
            Field("description", "t.description", shp="descr"),
            Field("created_at", "t.created_at", DATETIME),
        ),
    ),
))

# Coverage analysis (docs/COVERAGE_API.md; coverage.js draws these, all off until asked for). The choropleth and
# the heatmap are built in the browser from the coverage endpoints; the hexagons are vector tiles.
register(Layer(name="coverage_choropleth", title=_("Coverage rate by area"),
               map=MapEntry(position=10, source="coverage_choropleth", group="coverage")))
register(Layer(name="coverage_heat", title=_("Heatmap of uncovered households"),
               map=MapEntry(position=11, source="coverage_heat", group="coverage")))

# Hexagons of an anchored grid (ST_HexagonGrid starts at the origin, so a cell is the same in every tile that
# touches it) holding old estates' points on surface. Each estate finds its own cell (the grid over the point):
# a cell cut by a tile edge carries the same figures on both sides, hex_i/hex_j identify it across tiles, and an
# estate on a shared edge counts once. Joining a whole-tile grid to the estates instead made PostgreSQL's cost
# estimate (1000 rows per grid × ST_Intersects) cross the JIT threshold: 600 ms of compiling for a 6 ms query.
# Cell edge length in Web-Mercator metres by zoom (docs/COVERAGE_API.md).
register(Layer(
    name="coverage_hex",
    title=_("Service rate in hexagons"),
    model=Estate,
    min_zoom=11,
    dated=True,
    tile=TileLayer(
        max_features=4000,
        alias="h",
        simplify=False,  # hexagons: six vertices each
        columns=("h.hex_i", "h.hex_j", "h.old_estates", "h.served", "h.service_rate", "h.uncovered_households"),
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
    ),
    map=MapEntry(position=12, source="coverage_hex", group="coverage"),
))


# Complaints (DOMAIN.md "Supervision"): the cases received in the year up to ?date=, at their building, scoped by
# the user's complaint scope (a street office its street's, a community its community's, an enterprise its own);
# overdue: not closed by the end of the close-by date, as seen on ?date=. The points feed the hotspot heat layer.
register(Layer(
    name="complaints",
    title=_("Complaints in the year"),
    model=Complaint,
    min_zoom=10,
    dated=True,
    tile=TileLayer(
        max_features=20000,
        alias="k",
        simplify=False,
        columns=("k.id", "k.category", "k.status", "k.overdue"),
        scope_alias="c",
        sql="""
        SELECT {columns}, {geom}
          FROM (SELECT c.id, g.code AS category,
                       CASE WHEN c.closed_at IS NOT NULL AND c.closed_at::date <= %(date)s THEN 'closed'
                            ELSE c.status END AS status,
                       (c.close_due < %(date)s AND (c.closed_at IS NULL OR c.closed_at::date > c.close_due))
                         AS overdue,
                       ST_Transform(c.location, 3857) AS geom_web
                  FROM layers_complaint c
                  JOIN layers_complaintcategory g ON g.id = c.category_id
                 WHERE c.location && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4490)
                   AND c.received_at::date <= %(date)s AND c.received_at::date > %(date)s - 365
                   AND {scope}
                 LIMIT %(limit)s) AS k
    """,
    ),
    map=MapEntry(position=13, group="complaints"),
))

# Complaint hotspots over a chosen date range: a heat layer drawn by complaints.js from
# /api/supervision/hotspots.json (the complaint points of the user's scope, not the tiles: the tiles hold one
# year up to a date, the heat layer any range).
register(Layer(name="complaint_heat", title=_("Complaint hotspots"),
               map=MapEntry(position=14, source="complaint_heat", group="complaints")))
