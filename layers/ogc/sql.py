"""The SQL of OGC API – Features: GeoJSON built by PostgreSQL (ST_AsGeoJSON, json_agg), one statement per page.

The rows are the layer's rows in the user's scope that pass the filters (layers.io.feature_layers.filtered_sql, the
same path as export); the response body is PostgreSQL's text with a small envelope added around it.
Coordinates are written as stored, EPSG:4490 longitude/latitude, which OGC API serves as CRS84: CGCS2000 and
WGS84 differ by centimetres, far below what the data means (docs/OGC_API.md).
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from ..catalogue import feature_layers
from ..io.feature_layers import FeatureLayer, Filters, filtered_sql, select_list

DECIMALS = 7  # about 1 cm


def feature_json_sql(layer: FeatureLayer) -> str:
    """json_build_object of one Feature over the page columns (fid, g, and one column per field)."""
    properties = ", ".join(f"'{f.name}', p.\"{f.name}\"" for f in layer.fields)
    return (f"json_build_object('type', 'Feature', 'id', p.fid, "
            f"'geometry', ST_AsGeoJSON(p.g, {DECIMALS}, 0)::json, "
            f"'properties', json_build_object({properties}))")


@dataclass
class ItemsPage:
    number_matched: int
    number_returned: int
    features: bytes  # a JSON array, as PostgreSQL wrote it (UTF-8: never decoded and encoded again in Python)


def items_page(*, layer: FeatureLayer, user, filters: Filters, limit: int, offset: int) -> ItemsPage:
    on_params = [filters.on] if layer.dated else []
    columns, column_params = select_list(layer, user, on_params)
    from_sql, where_sql, where_params = filtered_sql(layer, user, filters)
    sql = f"""
        SELECT count(*), convert_to(COALESCE(json_agg({feature_json_sql(layer)} ORDER BY p.fid), '[]'::json)::text,
                                    'UTF8')
          FROM (SELECT {layer.id_sql} AS fid, {layer.geom_sql} AS g, {columns}
                  FROM {from_sql}
                 WHERE {where_sql}
                 ORDER BY {layer.id_sql}
                 LIMIT %s OFFSET %s) AS p
    """
    # One pass over the page gives its size and its features (no materialised CTE read four times). A page that is
    # not full is the last one: then the rows matched are the offset plus the page, and the second pass over the
    # filtered rows (count) is needed only for a full page, or an empty one past the end.
    with connection.cursor() as cursor:
        cursor.execute(sql, column_params + where_params + [limit, offset])
        returned, features = cursor.fetchone()
        features = bytes(features)
        if returned < limit and (returned > 0 or offset == 0):
            matched = offset + returned
        else:
            cursor.execute(f"SELECT count(*) FROM {from_sql} WHERE {where_sql}", where_params)
            (matched,) = cursor.fetchone()
    return ItemsPage(number_matched=matched, number_returned=returned, features=features)


def item(*, layer: FeatureLayer, user, fid: int, filters: Filters) -> str | None:
    """One Feature as JSON text, or None when absent or outside the user's scope."""
    filters.ids = [fid]
    on_params = [filters.on] if layer.dated else []
    columns, column_params = select_list(layer, user, on_params)
    from_sql, where_sql, where_params = filtered_sql(layer, user, filters)
    sql = f"""
        SELECT {feature_json_sql(layer)}::text
          FROM (SELECT {layer.id_sql} AS fid, {layer.geom_sql} AS g, {columns}
                  FROM {from_sql} WHERE {where_sql}) AS p
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, column_params + where_params)
        row = cursor.fetchone()
    return row[0] if row else None


def extents() -> dict[str, list[float] | None]:
    """Every layer's bounding box [minx, miny, maxx, maxy] (lon/lat), in one statement; None for an empty layer."""
    parts = [
        f"SELECT '{name}' AS name, ST_XMin(x.e), ST_YMin(x.e), ST_XMax(x.e), ST_YMax(x.e) "
        f"FROM ({layer.extent_sql}) AS x"
        for name, layer in feature_layers().items()
    ]
    sql = " UNION ALL ".join(parts)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    return {name: (None if minx is None else [round(v, DECIMALS) for v in (minx, miny, maxx, maxy)])
            for name, minx, miny, maxx, maxy in rows}
