"""The map's layers as feature tables: what export and OGC API – Features read, in one SQL each.

The layers themselves (name, title, model, and this feature part) are defined once in layers/catalogue.py.
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

from ..params import number_param
from ..permissions import LOCATE, VIEW, may, user_scope_sql
from ..refusals import Forbidden, Invalid

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


@dataclass(frozen=True, kw_only=True)
class FeatureLayer:
    name: str = ""  # name, title, model and dated come from the catalogue's Layer
    title: str = ""
    description: str
    model: type[Model] | None = None  # whose permissions (role table, street scope) apply
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


def check_shapefile_names(layer: FeatureLayer) -> None:
    """ValueError when a field's Shapefile name is too long or two fields share one (dBase: 10 characters, any case)."""
    names = [f.shapefile_name for f in layer.fields]
    for name in names:
        if len(name) > SHAPEFILE_NAME_MAX:
            raise ValueError(f"{layer.name}: Shapefile field name {name!r} is longer than {SHAPEFILE_NAME_MAX}")
    if len({n.lower() for n in names}) != len(names):
        raise ValueError(f"{layer.name}: two fields share a Shapefile name")


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
