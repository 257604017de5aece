"""The map's layers as feature tables, registered by name: what export and OGC API – Features read, in one SQL each.

A FeatureLayer is a constant SQL definition (never built from user input): the FROM clause with the main table
aliased ``t``, the geometry expression, and the attribute columns. Every read of it goes through
``filtered_sql``, which adds, as parameters only:
- the user's scope, from ``permissions.scope_sql`` (the same rule as tiles, popups, pages and every write path,
  docs/SECURITY.md "Read scope"): the rows are those the user may LOCATE (a street office: every estate and
  building of the district, only its street's abandonment reports and renovation projects), and a ``state`` field
  is NULL on a row outside the user's VIEW scope (another street's service status, provider, abandonment) — in the
  output and in an equality filter on it, so a filter cannot find rows by a state it would not show;
- the filters of the request: a lon/lat bbox, a list of ids, a drawn polygon, equality on queryable attributes.
Dated layers (estates) read the service status on a date (``layers_active_contracts``, migration 0004).
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db.models import Model
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import (
    AbandonmentReport,
    AdminArea,
    Building,
    EnterpriseJurisdiction,
    Estate,
    ManagementArea,
    RenovationProject,
    Road,
)
from ..params import number_param
from ..permissions import LOCATE, VIEW, may, user_scope_sql
from ..refusals import Forbidden, Invalid
from ..rules import old_estate_literal_sql

TEXT, INT, FLOAT, BOOL, DATE, DATETIME = "text", "int", "float", "bool", "date", "datetime"
SHAPEFILE_NAME_MAX = 10


@dataclass(frozen=True)
class Field:
    name: str
    sql: str  # an expression over the layer's FROM clause
    type: str = TEXT
    shp: str = ""  # the Shapefile (dBase) name, at most 10 characters; defaults to `name` when that is short enough
    queryable: bool = False  # an equality filter ?<name>=… in OGC API items and export
    state: bool = False  # the object's state or details: NULL outside the user's VIEW scope

    @property
    def shapefile_name(self) -> str:
        return self.shp or self.name


@dataclass(frozen=True)
class FeatureLayer:
    name: str
    title: str
    description: str
    model: type[Model]  # whose permissions (role table, street scope) apply
    geometry_type: str  # GDAL's name: MultiPolygon, Polygon, LineString
    from_sql: str  # main table aliased t; ``{on}`` is the date parameter of dated layers
    fields: tuple[Field, ...]
    geom_sql: str = "t.geom"
    id_sql: str = "t.id"
    dated: bool = False
    extent_from: str = ""  # FROM clause for the layer's extent, when the geometry is not the main table's

    @property
    def extent_sql(self) -> str:
        source = self.extent_from or f"{self.from_sql.split()[0]} t"
        return f"SELECT ST_Extent({self.geom_sql}) AS e FROM {source}"

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def queryables(self) -> list[Field]:
        return [f for f in self.fields if f.queryable]


LAYERS: dict[str, FeatureLayer] = {}


def register(layer: FeatureLayer) -> FeatureLayer:
    if layer.name in LAYERS:
        raise ValueError(f"feature layer {layer.name!r} registered twice")
    names = [f.shapefile_name for f in layer.fields]
    for name in names:
        if len(name) > SHAPEFILE_NAME_MAX:
            raise ValueError(f"{layer.name}: Shapefile field name {name!r} is longer than {SHAPEFILE_NAME_MAX}")
    if len({n.lower() for n in names}) != len(names):
        raise ValueError(f"{layer.name}: two fields share a Shapefile name")
    LAYERS[layer.name] = layer
    return layer


def get_layer(name: str) -> FeatureLayer | None:
    return LAYERS.get(name)


# ---------------------------------------------------------------------------------------------------------------
# The layers (same list as the map's: docs/EXPORT.md lists every field and its Shapefile name).

register(FeatureLayer(
    name="admin_areas",
    title=_("Administrative areas"),
    description=_("District, street offices and communities, with their codes."),
    model=AdminArea,
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
))

register(FeatureLayer(
    name="management_areas",
    title=_("Management areas"),
    description=_("Property-management areas drawn by the district department."),
    model=ManagementArea,
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
))

# The provider's name: the enterprise, the caretaker agency, or nothing (district fallback, self-governance).
register(FeatureLayer(
    name="estates",
    title=_("Estates with service status"),
    description=_("Residential estates and their property-management service status on a date (?on=YYYY-MM-DD)."),
    model=Estate,
    geometry_type="MultiPolygon",
    dated=True,
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
))

register(FeatureLayer(
    name="buildings",
    title=_("Buildings with abandonment"),
    description=_("Residential buildings and whether they are abandoned (弃管)."),
    model=Building,
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
))

register(FeatureLayer(
    name="jurisdictions",
    title=_("Enterprise service areas"),
    description=_("The union of the estates each property-service enterprise serves today."),
    model=EnterpriseJurisdiction,
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
))

register(FeatureLayer(
    name="renovations",
    title=_("Renovation projects"),
    description=_("Old-estate renovation projects (维修改造), drawn as their estate; funding in 10,000 yuan."),
    model=RenovationProject,
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
        Field("funding_total", "(t.funding_city + t.funding_district + t.funding_social + t.funding_owners)::float8",
              FLOAT, shp="fund_total"),
        Field("street_code", "s.code", shp="street_cd", queryable=True),
    ),
))

register(FeatureLayer(
    name="roads",
    title=_("Roads"),
    description=_("Road centre lines."),
    model=Road,
    geometry_type="LineString",
    from_sql="layers_road t",
    fields=(
        Field("id", "t.id", INT),
        Field("name", "t.name", queryable=True),
        Field("road_class", "t.road_class", shp="class", queryable=True),
    ),
))

register(FeatureLayer(
    name="abandonment_reports",
    title=_("Abandoned-building reports"),
    description=_("Reports of abandoned buildings and their state, drawn as the building's footprint."),
    model=AbandonmentReport,
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
))


# ---------------------------------------------------------------------------------------------------------------
# Filters


class FilterError(Invalid):
    """A request filter that cannot be applied (400); the message names the parameter and what is wrong."""


@dataclass
class Filters:
    bbox: tuple[float, float, float, float] | None = None  # lon/lat, EPSG:4490 (numerically CRS84)
    ids: list[int] | None = None
    polygon: GEOSGeometry | None = None  # in EPSG:4490
    equals: dict[str, str] = field(default_factory=dict)  # queryable field name → value as given
    on: datetime.date | None = None  # dated layers: the state on this date


def coerce(f: Field, value: str):
    """A queryable's ?name=value as the field's type; FilterError when it is not one."""
    if f.type == INT:
        number = number_param(value, f.name, integer=True)
        if number is None:  # ?build_year= with nothing: not a filter on NULL
            raise FilterError(gettext("%(name)s must be a whole number, not %(value)r")
                              % {"name": f.name, "value": value}, field=f.name)
        return number
    if f.type == BOOL:
        if value.lower() in ("true", "1", "yes"):
            return True
        if value.lower() in ("false", "0", "no"):
            return False
        raise FilterError(gettext("%(name)s must be true or false, not %(value)r") % {"name": f.name, "value": value},
                          field=f.name)
    return value


def scope_sql(layer: FeatureLayer, user) -> tuple[str, list] | None:
    """SQL restricting the layer to the rows the user may locate: None for the whole layer; Forbidden when refused."""
    if not may(user, layer.model, LOCATE):
        raise Forbidden(gettext("Your role may not read %(title)s.") % {"title": layer.title})
    sql, params = user_scope_sql(layer.model, user, LOCATE, layer.id_sql)
    return None if sql == "TRUE" else (sql, params)


def field_sql(layer: FeatureLayer, f: Field, *, on: list, visible: tuple[str, list]) -> tuple[str, list]:
    """A field's expression and its parameters: the date of dated layers, and NULL outside `visible` for a state."""
    expr = f.sql.replace("{on}", "%s")
    params = on * f.sql.count("{on}")
    if f.state and visible[0] != "TRUE":
        return f"CASE WHEN {visible[0]} THEN {expr} END", visible[1] + params
    return expr, params


def state_sql(layer: FeatureLayer, user) -> tuple[str, list]:
    """The rows whose state the user may see, as an SQL test (permissions.scope_sql, VIEW)."""
    if not any(f.state for f in layer.fields):
        return "TRUE", []
    return user_scope_sql(layer.model, user, VIEW, layer.id_sql)


def filtered_sql(layer: FeatureLayer, user, filters: Filters) -> tuple[str, str, list]:
    """(FROM clause, WHERE clause, params) of the layer's rows the user may see that pass the filters."""
    from_sql = layer.from_sql.replace("{on}", "%s")
    params: list = [filters.on] if layer.dated else []
    where, where_params = ["TRUE"], []
    scope = scope_sql(layer, user)
    if scope is not None:
        where.append(scope[0])
        where_params += scope[1]
    srid = settings.STORAGE_SRID
    if filters.bbox is not None:
        where.append(f"ST_Intersects({layer.geom_sql}, ST_MakeEnvelope(%s, %s, %s, %s, {srid}))")
        where_params += list(filters.bbox)
    if filters.polygon is not None:
        where.append(f"ST_Intersects({layer.geom_sql}, ST_GeomFromEWKB(%s))")
        where_params.append(bytes(filters.polygon.ewkb))
    if filters.ids is not None:
        where.append(f"{layer.id_sql} = ANY(%s)")
        where_params.append(list(filters.ids))
    visible = state_sql(layer, user) if filters.equals else ("TRUE", [])
    for name, value in filters.equals.items():
        f = layer.field(name)
        if f is None or not f.queryable:
            raise FilterError(gettext("%(name)s is not a queryable property of %(layer)s")
                              % {"name": name, "layer": layer.name}, field=name)
        expr, expr_params = field_sql(layer, f, on=[filters.on], visible=visible)
        where.append(f"({expr}) = %s")
        where_params += expr_params + [coerce(f, value)]
    return from_sql, " AND ".join(where), params + where_params


def select_list(layer: FeatureLayer, user, on_params: list) -> tuple[str, list]:
    """The attribute columns as `expr AS "name"` (with the date parameter where a field reads it, and NULL for a
    state outside the user's VIEW scope)."""
    visible = state_sql(layer, user)
    columns, params = [], []
    for f in layer.fields:
        expr, expr_params = field_sql(layer, f, on=on_params, visible=visible)
        columns.append(f'{expr} AS "{f.name}"')
        params += expr_params
    return ", ".join(columns), params
