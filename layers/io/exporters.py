"""Layer exports registered by format name: GeoPackage, Shapefile (zip), GeoJSON, CSV and XLSX (docs/EXPORT.md).

One SQL statement per export reads the rows (attributes built in PostgreSQL, geometry as WKB or WKT); GDAL (pyogrio)
writes the GIS formats into a temporary directory, Python's csv and openpyxl the spreadsheets. Every output states
its CRS, EPSG:4490 (CGCS2000): the .prj, the GeoPackage's spatial reference, the GeoJSON "crs" member, the XLSX
"about" sheet and the HTTP header Content-Crs.
"""
from __future__ import annotations

import csv
import datetime
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext

from ..refusals import TooLarge
from .feature_layers import BOOL, DATE, DATETIME, FLOAT, INT, FeatureLayer, Filters, filtered_sql, select_list

CRS_NAME = "EPSG:4490"
CRS_URI = "http://www.opengis.net/def/crs/EPSG/0/4490"
CRS_LABEL = "EPSG:4490 (CGCS2000, longitude/latitude in degrees)"
WKT_COLUMN = "WKT"
EXCEL_CELL_MAX = 32767
COORDINATE_DECIMALS = 7  # about 1 cm


def max_features() -> int:
    return int(getattr(settings, "EXPORT_MAX_FEATURES", 50_000))


class TooManyFeatures(TooLarge):
    """413: the export would hold more than `limit` features; the message says how to narrow it."""

    def __init__(self, layer: FeatureLayer, limit: int):
        self.limit = limit
        super().__init__(gettext("This export would hold more than %(limit)s %(layer)s; zoom in, draw a smaller "
                                 "selection or filter by a property.")
                         % {"limit": f"{limit:,}", "layer": layer.name})


@dataclass
class ExportData:
    layer: FeatureLayer
    filters: Filters
    rows: list[tuple]  # attribute values in layer.fields order, then the exporter's geometry columns
    generated_at: datetime.datetime

    @property
    def field_count(self) -> int:
        return len(self.layer.fields)

    def column(self, index: int) -> list:
        return [row[index] for row in self.rows]


@dataclass(frozen=True)
class Exporter:
    name: str
    extension: str
    content_type: str
    geometry_sql: tuple[str, ...]  # extra columns over the geometry expression {g}
    write: Callable[[ExportData, Path], Path]  # writes into the directory, returns the file to send
    label: str = ""


EXPORTERS: dict[str, Exporter] = {}


def register(exporter: Exporter) -> Exporter:
    if exporter.name in EXPORTERS:
        raise ValueError(f"exporter {exporter.name!r} registered twice")
    EXPORTERS[exporter.name] = exporter
    return exporter


def get_exporter(name: str) -> Exporter | None:
    return EXPORTERS.get(name)


def export_query(*, layer: FeatureLayer, user, filters: Filters, exporter: Exporter) -> tuple[str, list]:
    """The SQL (without LIMIT) and parameters reading one export's rows in id order."""
    on_params = [filters.on] if layer.dated else []
    columns, column_params = select_list(layer, user, on_params)
    from_sql, where_sql, params = filtered_sql(layer, user, filters)
    geometry = ", ".join(g.format(g=layer.geom_sql) for g in exporter.geometry_sql)
    sql = f"SELECT {columns}, {geometry} FROM {from_sql} WHERE {where_sql} ORDER BY {layer.id_sql}"
    return sql, column_params + params


def export_data(*, layer: FeatureLayer, user, filters: Filters, exporter: Exporter, limit: int | None = None) -> ExportData:
    """The rows of one export, read in one SQL statement; TooManyFeatures beyond `limit` (checked with limit + 1)."""
    limit = max_features() if limit is None else limit
    sql, params = export_query(layer=layer, user=user, filters=filters, exporter=exporter)
    with connection.cursor() as cursor:
        cursor.execute(sql + " LIMIT %s", params + [limit + 1])
        rows = cursor.fetchall()
    if len(rows) > limit:
        raise TooManyFeatures(layer, limit)
    return ExportData(layer=layer, filters=filters, rows=rows, generated_at=timezone.now())


def export_count(*, layer: FeatureLayer, user, filters: Filters) -> int:
    """How many features an export with these filters holds (what a background export counts its progress in)."""
    from_sql, where_sql, params = filtered_sql(layer, user, filters)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {from_sql} WHERE {where_sql}", params)
        return cursor.fetchone()[0]


def export_data_in_chunks(*, layer: FeatureLayer, user, filters: Filters, exporter: Exporter, limit: int,
                          chunk: int, progress: Callable[[int], None]) -> ExportData:
    """export_data() through a server-side cursor, `chunk` rows at a time, calling progress(rows read) after each
    (a background job's progress and cancel check); TooManyFeatures beyond `limit`. Call it inside a transaction."""
    sql, params = export_query(layer=layer, user=user, filters=filters, exporter=exporter)
    rows: list[tuple] = []
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql + " LIMIT %s", params + [limit + 1])
        while batch := cursor.fetchmany(chunk):
            rows.extend(batch)
            if len(rows) > limit:
                raise TooManyFeatures(layer, limit)
            progress(len(rows))
    return ExportData(layer=layer, filters=filters, rows=rows, generated_at=timezone.now())


def filename(data: ExportData, exporter: Exporter) -> str:
    stamp = (data.filters.on if data.layer.dated and data.filters.on else timezone.localdate(data.generated_at))
    return f"{data.layer.name}-{stamp.isoformat()}.{exporter.extension}"


def display_value(value, kind: str):
    """A value for the text formats (CSV, XLSX): local date-times, ISO dates, true/false."""
    if value is None:
        return None
    if kind == DATETIME:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if kind == DATE:
        return value.isoformat()
    if kind == BOOL:
        return "true" if value else "false"
    return value


# ---------------------------------------------------------------------------------------------------------------
# GIS formats through GDAL


def gdal_columns(data: ExportData, *, shapefile: bool) -> tuple[list, list[str], list]:
    """(arrays, names, null masks) for pyogrio.raw.write: typed numpy columns, nulls masked."""
    arrays, names, masks = [], [], []
    for index, f in enumerate(data.layer.fields):
        values = data.column(index)
        nulls = np.array([v is None for v in values], dtype=bool)
        if f.type == INT:
            array = np.array([0 if v is None else v for v in values], dtype="int64")
        elif f.type == FLOAT:
            array = np.array([np.nan if v is None else v for v in values], dtype="float64")
        elif f.type == BOOL:
            array = np.array([bool(v) for v in values], dtype=bool)
        elif f.type == DATE:
            array = np.array([v.isoformat() if v else "NaT" for v in values], dtype="datetime64[D]")
        elif f.type == DATETIME:
            # Local time as text: Shapefile has no date-time type, and one representation for every format.
            array = np.array([display_value(v, DATETIME) for v in values], dtype=object)
        else:
            array = np.array(values, dtype=object)
        arrays.append(array)
        names.append(f.shapefile_name if shapefile else f.name)
        masks.append(nulls if nulls.any() and f.type in (INT, BOOL) else None)
    return arrays, names, masks


def write_with_gdal(data: ExportData, path: Path, *, driver: str, shapefile: bool = False, **options) -> None:
    from pyogrio.raw import write

    arrays, names, masks = gdal_columns(data, shapefile=shapefile)
    geometry = np.array([bytes(row[data.field_count]) for row in data.rows], dtype=object)
    write(
        str(path), geometry, arrays, names, field_mask=masks, layer=data.layer.name, driver=driver,
        geometry_type=data.layer.geometry_type, crs=CRS_NAME, promote_to_multi=False, **options,
    )


def write_gpkg(data: ExportData, directory: Path) -> Path:
    path = directory / f"{data.layer.name}.gpkg"
    write_with_gdal(data, path, driver="GPKG", layer_options={"IDENTIFIER": str(data.layer.title)})
    return path


def write_geojson(data: ExportData, directory: Path) -> Path:
    path = directory / f"{data.layer.name}.geojson"
    # RFC7946=NO (the default): GDAL keeps EPSG:4490 and states it in a "crs" member.
    write_with_gdal(data, path, driver="GeoJSON", layer_options={"COORDINATE_PRECISION": str(COORDINATE_DECIMALS)})
    return path


def shapefile_fields_text(layer: FeatureLayer) -> str:
    lines = [f"{layer.name}: Shapefile field name -> full field name (docs/EXPORT.md)", ""]
    lines += [f"{f.shapefile_name:<10}  {f.name}" for f in layer.fields]
    lines += ["", f"Coordinates: {CRS_LABEL}. Text: UTF-8 (see the .cpg file)."]
    return "\r\n".join(lines) + "\r\n"


def write_shapefile(data: ExportData, directory: Path) -> Path:
    folder = directory / "shp"
    folder.mkdir()
    shp = folder / f"{data.layer.name}.shp"
    # ENCODING=UTF-8 writes the .cpg that GIS software reads to decode the dBase text (Chinese names).
    write_with_gdal(data, shp, driver="ESRI Shapefile", shapefile=True, layer_options={"ENCODING": "UTF-8"})
    (folder / f"{data.layer.name}_fields.txt").write_text(shapefile_fields_text(data.layer), encoding="utf-8")
    path = directory / f"{data.layer.name}.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member in sorted(folder.iterdir()):
            archive.write(member, arcname=member.name)
    return path


# ---------------------------------------------------------------------------------------------------------------
# Spreadsheets


def text_rows(data: ExportData):
    kinds = [f.type for f in data.layer.fields]
    for row in data.rows:
        yield [display_value(v, k) for v, k in zip(row, kinds)], row[data.field_count:]


def write_csv(data: ExportData, directory: Path) -> Path:
    """CSV with a byte-order mark (Excel otherwise reads UTF-8 Chinese as the local code page) and a WKT column."""
    path = directory / f"{data.layer.name}.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([f.name for f in data.layer.fields] + [WKT_COLUMN])
        for values, (wkt,) in text_rows(data):
            writer.writerow(["" if v is None else v for v in values] + [wkt or ""])
    return path


def write_xlsx(data: ExportData, directory: Path) -> Path:
    """XLSX: the attributes, the centroid's lon/lat (a point on the surface) and the WKT; a sheet saying what it is."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(data.layer.name[:31])
    bold = Font(bold=True)
    headings = [f.name for f in data.layer.fields] + ["lon", "lat", WKT_COLUMN]
    header = []
    for name in headings:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.freeze_panes = "B2"
    sheet.append(header)
    too_long = 0
    for values, (lon, lat, wkt) in text_rows(data):
        values = [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values]
        if wkt is not None and len(wkt) > EXCEL_CELL_MAX:
            wkt, too_long = None, too_long + 1
        sheet.append(values + [lon, lat, wkt])
    about = workbook.create_sheet("about")
    for line in [
        ("layer", data.layer.name),
        ("title", str(data.layer.title)),
        ("crs", CRS_LABEL),
        ("features", len(data.rows)),
        ("generated_at", timezone.localtime(data.generated_at).strftime("%Y-%m-%d %H:%M:%S")),
        ("status_on", data.filters.on.isoformat() if data.layer.dated and data.filters.on else ""),
        ("filter", describe_filters(data.filters)),
        ("lon, lat", "a point on the surface of each feature (inside it)"),
        ("WKT too long for a cell", too_long),
    ]:
        about.append(list(line))
    path = directory / f"{data.layer.name}.xlsx"
    workbook.save(path)
    return path


def describe_filters(filters: Filters) -> str:
    parts = []
    if filters.bbox:
        parts.append("bbox=" + ",".join(f"{v:.6f}" for v in filters.bbox))
    if filters.ids is not None:
        parts.append(f"ids: {len(filters.ids)}")
    if filters.polygon is not None:
        parts.append("polygon")
    parts += [f"{k}={v}" for k, v in filters.equals.items()]
    return "; ".join(parts) or "none"


WKB = "ST_AsBinary({g})"
WKT = f"ST_AsText({{g}}, {COORDINATE_DECIMALS})"
LON_LAT = ("round(ST_X(ST_PointOnSurface({g}))::numeric, 7)::float8",
           "round(ST_Y(ST_PointOnSurface({g}))::numeric, 7)::float8")

register(Exporter("gpkg", "gpkg", "application/geopackage+sqlite3", (WKB,), write_gpkg, "GeoPackage"))
register(Exporter("shp", "zip", "application/zip", (WKB,), write_shapefile, "Shapefile (zip)"))
register(Exporter("geojson", "geojson", "application/geo+json", (WKB,), write_geojson, "GeoJSON"))
register(Exporter("csv", "csv", "text/csv; charset=utf-8", (WKT,), write_csv, "CSV"))
register(Exporter("xlsx", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                  (*LON_LAT, WKT), write_xlsx, "Excel (XLSX)"))

