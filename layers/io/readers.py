"""Reading an uploaded file into rows and geometries: GeoJSON, GeoPackage, zipped Shapefile, CSV (WKT or lon/lat).

GDAL (through pyogrio) reads the spatial formats; CSV is read here so that its encoding and geometry columns are
ours to decide. Zip archives are checked before anything is extracted (entry count, uncompressed size, paths).
Every refusal is a ReadError whose message names the file, the limit and the value. No Django imports.
"""
from __future__ import annotations

import csv
import datetime
import io
import json
import math
import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import pyogrio
import shapely

from . import encoding as enc

FORMATS = {".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".zip": "shapefile", ".csv": "csv"}
WKT_COLUMNS = ("wkt", "geometry", "geom", "the_geom", "shape", "几何", "空间信息", "边界")
LON_COLUMNS = ("lon", "lng", "long", "longitude", "x", "经度", "东经")
LAT_COLUMNS = ("lat", "latitude", "y", "纬度", "北纬")


# The label's suffix for a shapefile encoding guessed from the .dbf (no .cpg); the import service translates it.
DETECTED_NO_CPG = " (detected, no .cpg)"


def _(message: str) -> str:
    """Marks a message for translation (makemessages finds it); callers translate with translated()."""
    return message


FORMAT_LABELS = {"geojson": "GeoJSON", "gpkg": "GeoPackage", "shapefile": _("zipped shapefile"), "csv": "CSV"}
SQLITE_MAGIC = b"SQLite format 3\x00"  # the first bytes of every GeoPackage


class ReadError(ValueError):
    """The file cannot be read; str() says why, in plain English. `status` is the HTTP status a web caller returns.

    The message is a %-template with named parameters so that a Django caller can translate it (translated()).
    """

    def __init__(self, template: str, status: int = 400, **params):
        self.template, self.params, self.status = template, params, status
        super().__init__(template % params if params else template)

    def translated(self, gettext) -> str:
        text = gettext(self.template)
        if not self.params:
            return text
        return text % {k: gettext(v) if k == "format" else v for k, v in self.params.items()}


def nul_path(value, where: str = "") -> str | None:
    """The JSON path of the first string or key of a parsed JSON value holding U+0000 ("" for the value itself), or
    None: PostgreSQL stores no NUL in text or jsonb, so no text this service reads may hold one."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            if "\x00" in key:
                return path.replace("\x00", "\\u0000")
            found = nul_path(item, path)
            if found is not None:
                return found
    if isinstance(value, list):
        for k, item in enumerate(value):
            found = nul_path(item, f"{where}[{k}]")
            if found is not None:
                return found
    return None


def _starts_with(path: Path | None, magic: bytes) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(magic)) == magic
    except (OSError, TypeError):
        return False


def unreadable(exc: BaseException, *, name: str, kind: str, path: Path | None = None) -> ReadError:
    """The one place where a library's refusal of a file becomes a user's message (GDAL through pyogrio, zipfile,
    zlib, json, the codecs, anything else): what the file is not, in plain words, naming the file as uploaded.

    Never the library's text: it is English, and GDAL's names the server's temporary path (/tmp/geoapp-upload-…).
    A file whose content is not what its extension says (random bytes named .gpkg, text named .zip) is the
    common case, so that is what the fallback says.
    """
    if path is not None and path.is_file() and path.stat().st_size == 0:
        return ReadError(_("“%(name)s” is empty: the file holds no data"), name=name)
    if isinstance(exc, json.JSONDecodeError):
        return ReadError(_("“%(name)s” is not GeoJSON: the JSON text breaks at line %(line)d, column %(column)d"),
                         name=name, line=exc.lineno, column=exc.colno)
    if isinstance(exc, UnicodeDecodeError):
        return ReadError(_("“%(name)s” is not text in UTF-8 or GB18030/GBK: save it again as UTF-8"), name=name)
    if kind == "zip":  # unpacking: zipfile, zlib and the file system
        if isinstance(exc, RuntimeError) and ("password" in str(exc).lower() or "encrypted" in str(exc).lower()):
            return ReadError(_("“%(name)s” is protected by a password: zip the files again without one"), name=name)
        return ReadError(_("“%(name)s” is damaged: the zip archive cannot be unpacked; zip the files again"),
                         name=name)
    if kind == "gpkg" and path is not None and not _starts_with(path, SQLITE_MAGIC):
        return ReadError(_("“%(name)s” is not a GeoPackage: its content is not an SQLite database (renaming a file "
                           "to .gpkg does not convert it; export it from your GIS as GeoPackage)"), name=name)
    if kind == "shapefile":
        return ReadError(_("“%(name)s”: the shapefile in the archive is damaged or incomplete (its .shp, .shx and "
                           ".dbf files must come from one export)"), name=name)
    return ReadError(_("“%(name)s” cannot be read as %(format)s: the file is damaged, or its content is not what "
                       "its extension says"), name=name, format=FORMAT_LABELS.get(kind, kind))


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 50 * 1024 * 1024
    max_zip_entries: int = 50
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_rows: int = 100_000


@dataclass
class Table:
    """What a file holds: column names, one dict per row, one shapely geometry (or None) per row."""

    format: str
    columns: list[str]
    rows: list[dict]
    geoms: list
    crs: str | None = None  # "EPSG:4490", or the WKT when no EPSG code fits, or None when the file names none
    epsg: int | None = None
    encoding: str | None = None  # the label reported ("GB18030 (detected)", "GBK (.cpg)", "UTF-8 (BOM)")
    layer: str | None = None
    row_numbers: list[int] = field(default_factory=list)  # the number users see per row (CSV: its line number)
    geometry_columns: list[str] = field(default_factory=list)
    warnings: list[tuple[str, dict]] = field(default_factory=list)  # (template, params), as ReadError

    @property
    def has_geometry(self) -> bool:
        return any(g is not None for g in self.geoms)

    def bbox(self) -> tuple[float, float, float, float] | None:
        geoms = [g for g in self.geoms if isinstance(g, shapely.Geometry) and not g.is_empty]
        if not geoms:
            return None
        return tuple(float(v) for v in shapely.total_bounds(np.array(geoms, dtype=object)))


def format_of(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        raise ReadError(_("“%(name)s”: unsupported file type %(suffix)s; use .geojson, .gpkg, .zip (a zipped "
                          "shapefile) or .csv"), name=name, suffix=suffix or "(none)")
    return FORMATS[suffix]


def read(path: str | os.PathLike, *, name: str | None = None, limits: Limits = Limits()) -> Table:
    """Read the file at `path` (uploaded as `name`), within `limits`."""
    path = Path(path)
    name = name or path.name
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise ReadError(_("“%(name)s” is %(size)s; files up to %(max)s may be imported"), status=413,
                        name=name, size=file_size(size), max=file_size(limits.max_bytes))
    kind = format_of(name)
    if size == 0:
        raise ReadError(_("“%(name)s” is empty: the file holds no data"), name=name)
    if kind == "csv":
        return read_csv(path.read_bytes(), name=name, limits=limits)
    if kind == "shapefile":
        with unzipped(path, name=name, limits=limits) as folder:
            return read_shapefile(folder, name=name, limits=limits)
    if kind == "geojson":
        dropped = _check_geojson(path.read_bytes(), name=name)
        table = _read_ogr(path, kind=kind, name=name, limits=limits)
        for k, geometry in dropped.items():
            if k < len(table.geoms) and table.geoms[k] is None:
                table.geoms[k] = GeometryProblem(_("the geometry is not valid GeoJSON: %(reason)s"),
                                                 reason=_geojson_reason(geometry))
        return table
    return _read_ogr(path, kind=kind, name=name, limits=limits)


def file_size(n: int) -> str:
    """A size for a message: "3.2 MB", "12 KB" or "800 B" (a limit of 1000 bytes is not "0.0 MB")."""
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} B"


# --- zip archives ------------------------------------------------------------------------------------------------

def check_zip(archive: zipfile.ZipFile, *, name: str, limits: Limits) -> list[zipfile.ZipInfo]:
    """The archive's file entries, once its entry count, total uncompressed size and paths are acceptable."""
    entries = archive.infolist()
    if len(entries) > limits.max_zip_entries:
        raise ReadError(_("“%(name)s” holds %(n)d entries; at most %(max)d are accepted"),
                        name=name, n=len(entries), max=limits.max_zip_entries)
    total = sum(e.file_size for e in entries)
    if total > limits.max_uncompressed_bytes:
        raise ReadError(_("“%(name)s” unpacks to %(size)s; at most %(max)s uncompressed are accepted"),
                        name=name, size=file_size(total), max=file_size(limits.max_uncompressed_bytes))
    for entry in entries:
        path = PurePosixPath(entry.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
            raise ReadError(_("“%(name)s” contains an unsafe path “%(path)s”: entries must stay inside the archive"),
                            name=name, path=entry.filename)
        if stat.S_ISLNK(entry.external_attr >> 16):
            raise ReadError(_("“%(name)s” contains a symbolic link “%(path)s”, which is not accepted"),
                            name=name, path=entry.filename)
    return [e for e in entries if not e.is_dir()]


@contextmanager
def unzipped(path: Path, *, name: str, limits: Limits):
    """A temporary folder holding the checked archive's files (flattened: shapefiles are found by name)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError):
        raise ReadError(_("“%(name)s” is not a valid zip archive"), name=name) from None
    folder = Path(tempfile.mkdtemp(prefix="geoapp-import-"))
    try:
        with archive:
            written = 0
            for entry in check_zip(archive, name=name, limits=limits):
                target = folder / PurePosixPath(entry.filename.replace("\\", "/")).name
                if PurePosixPath(entry.filename).parts[0] == "__MACOSX" or target.name.startswith("._"):
                    continue
                # Copy in chunks and count: a forged header must not let more bytes out than it declared.
                with archive.open(entry) as source, open(target, "wb") as out:
                    while chunk := source.read(1 << 20):
                        written += len(chunk)
                        if written > limits.max_uncompressed_bytes:
                            raise ReadError(_("“%(name)s” unpacks to more than %(max)s"),
                                            name=name, max=file_size(limits.max_uncompressed_bytes))
                        out.write(chunk)
        yield folder
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, EOFError, zlib.error, OSError) as exc:
        raise unreadable(exc, name=name, kind="zip") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- shapefiles --------------------------------------------------------------------------------------------------

def read_shapefile(folder: Path, *, name: str, limits: Limits) -> Table:
    shps = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".shp")
    if not shps:
        raise ReadError(_("“%(name)s” holds no shapefile (.shp)"), name=name)
    if len(shps) > 1:
        raise ReadError(_("“%(name)s” holds %(n)d shapefiles (%(files)s); zip one shapefile per import"),
                        name=name, n=len(shps), files=", ".join(p.name for p in shps))
    shp = shps[0]
    siblings = {p.suffix.lower(): p for p in folder.iterdir() if p.stem == shp.stem}
    if ".dbf" not in siblings:
        raise ReadError(_("“%(name)s”: %(shp)s has no .dbf file with its attributes"), name=name, shp=shp.name)
    encoding, label = None, None
    if ".cpg" in siblings:
        cpg = siblings[".cpg"].read_text("ascii", errors="replace")
        label = f"{enc.cpg_label(cpg)} (.cpg)"
        if enc.cpg_label(cpg) == "UTF-8" and not enc.is_utf8(enc.dbf_records(siblings[".dbf"].read_bytes())):
            raise ReadError(_("“%(name)s”: the .cpg file says UTF-8, but the attribute table is not UTF-8 (it is "
                              "probably GBK): correct the .cpg file to GBK, or delete it"), name=name)
    else:
        try:
            detected = enc.detect(enc.dbf_records(siblings[".dbf"].read_bytes()))
        except enc.EncodingUnknown:
            raise ReadError(_("“%(name)s”: the attribute table is neither UTF-8 nor GB18030/GBK; add a .cpg file "
                              "naming its encoding"), name=name) from None
        encoding = "UTF-8" if detected.encoding.startswith("utf-8") else "GB18030"
        label = f"{encoding}{DETECTED_NO_CPG}"
    table = _read_ogr(shp, kind="shapefile", name=name, limits=limits, encoding=encoding)
    table.encoding = label
    if ".prj" not in siblings:
        table.warnings.append((_("%(shp)s has no .prj file: the coordinate system must be confirmed"),
                               {"shp": shp.name}))
    return table


# --- GDAL formats ------------------------------------------------------------------------------------------------

def _read_ogr(path: Path, *, kind: str, name: str, limits: Limits, encoding: str | None = None) -> Table:
    try:
        layers = pyogrio.list_layers(path)
        layer = str(layers[0][0]) if len(layers) else None
        warnings = []
        if len(layers) > 1:
            warnings.append((_("“%(name)s” has %(n)d layers; the first, “%(layer)s”, is read"),
                             {"name": name, "n": len(layers), "layer": layer}))
        info = pyogrio.read_info(path, layer=layer, encoding=encoding)
        if info["features"] > limits.max_rows:
            raise ReadError(_("“%(name)s” has %(n)d rows; at most %(max)d may be imported at once"),
                            name=name, n=info["features"], max=limits.max_rows)
        meta, _fids, geometry, field_data = pyogrio.raw.read(path, layer=layer, encoding=encoding)
    except ReadError:
        raise
    except UnicodeDecodeError:
        # dBASE field names have 10 bytes: 3 Chinese characters in UTF-8. Longer names are cut mid-character.
        raise ReadError(_("“%(name)s”: a field name or value is cut in the middle of a character (a .dbf field name "
                          "holds 10 bytes: at most 3 Chinese characters in UTF-8, 5 in GBK); shorten the field names "
                          "or save the shapefile as GBK"), name=name) from None
    except Exception as exc:  # noqa: BLE001 - GDAL's text is English and names the temporary path
        raise unreadable(exc, name=name, kind=kind, path=path) from None
    columns = [str(c) for c in meta["fields"]]
    n = len(geometry) if geometry is not None else (len(field_data[0]) if field_data else 0)
    geoms = [_geometry(wkb) for wkb in geometry] if geometry is not None else [None] * n
    rows = [{c: _python(field_data[i][r]) for i, c in enumerate(columns)} for r in range(n)]
    crs_text = meta.get("crs")
    epsg = _epsg(crs_text)
    if kind == "geojson" and crs_text is None:
        epsg, crs_text = 4326, "EPSG:4326"  # RFC 7946: GeoJSON without a crs member is WGS84
    return Table(format=kind, columns=columns, rows=rows, geoms=geoms, crs=crs_text, epsg=epsg,
                 encoding="UTF-8" if kind in ("geojson", "gpkg") else None, layer=layer, warnings=warnings,
                 row_numbers=list(range(1, n + 1)))


def _epsg(crs_text: str | None) -> int | None:
    if not crs_text:
        return None
    from pyproj import CRS

    try:
        return CRS.from_user_input(crs_text).to_epsg(min_confidence=70)
    except Exception:
        return None


def _python(value):
    """A plain Python value from what GDAL hands back (numpy scalars, NaN, datetime64)."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        if isinstance(value, np.datetime64):
            if np.isnat(value):
                return None
            return value.astype("datetime64[ms]").astype(datetime.datetime)
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        return value.strip()
    return value


# --- CSV ---------------------------------------------------------------------------------------------------------

def _find(columns: list[str], candidates: tuple[str, ...]) -> str | None:
    lowered = {c.strip().lower(): c for c in columns}
    return next((lowered[c] for c in candidates if c in lowered), None)


def read_csv(data: bytes, *, name: str, limits: Limits) -> Table:
    try:
        detected = enc.detect(data)
    except enc.EncodingUnknown:
        raise ReadError(_("“%(name)s” is neither UTF-8 nor GB18030/GBK text; save it as UTF-8 or GB18030"),
                        name=name) from None
    text = data.decode(detected.encoding)
    if "\x00" in text:  # NUL decodes as UTF-8, but no text holds it (and PostgreSQL cannot store it)
        raise ReadError(_("“%(name)s” contains NUL characters: it is a binary file, not CSV text"), name=name)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise ReadError(_("“%(name)s” is empty"), name=name) from None
    columns = [h.strip() for h in header]
    if len(set(columns)) != len(columns) or "" in columns:
        raise ReadError(_("“%(name)s”: every column needs a distinct name in the first line"), name=name)
    wkt_col = _find(columns, WKT_COLUMNS)
    lon_col, lat_col = _find(columns, LON_COLUMNS), _find(columns, LAT_COLUMNS)
    rows, geoms, numbers, warnings = [], [], [], []
    for line_number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(rows) >= limits.max_rows:
            raise ReadError(_("“%(name)s” has more than %(max)d rows; at most %(max)d may be imported at once"),
                            name=name, max=limits.max_rows)
        row = {c: (values[i].strip() if i < len(values) else "") for i, c in enumerate(columns)}
        rows.append(row)
        numbers.append(line_number)
        geoms.append(_csv_geometry(row, wkt_col, lon_col, lat_col))
    geometry_columns = [wkt_col] if wkt_col else [c for c in (lon_col, lat_col) if c and lon_col and lat_col]
    return Table(format="csv", columns=columns, rows=rows, geoms=geoms, encoding=detected.label,
                  row_numbers=numbers, geometry_columns=geometry_columns, warnings=warnings)


class GeometryProblem:
    """Stands in for a geometry that could not be parsed; the importer reports it for the row (translatable)."""

    is_empty = True

    def __init__(self, template: str, **params):
        self.template, self.params = template, params

    def translated(self, gettext) -> str:
        return gettext(self.template) % self.params


# GEOS's refusals of a geometry GDAL did read, in the words of layers.planning.area_geometry.
_GEOS_REASONS = {
    "do not form a closed linestring": _("a ring is not closed: its last point must equal its first"),
    "must contain 0 or >1 elements": _("a ring has too few points: a polygon needs at least three corners"),
    "Invalid number of points in LinearRing": _("a ring has too few points: a polygon needs at least three corners"),
}


def _geometry(wkb):
    """A shapely geometry from GDAL's WKB, or a GeometryProblem saying in plain words why it cannot be one."""
    if wkb is None:
        return None
    try:
        geom = shapely.from_wkb(wkb)
    except shapely.errors.GEOSException as exc:
        for key, reason in _GEOS_REASONS.items():
            if key in str(exc):
                return GeometryProblem(reason)
        return GeometryProblem(_("the geometry cannot be read: it is damaged or not a geometry GEOS accepts"))
    return _checked(geom)


def _checked(geom):
    """`geom` in 2D, or a GeometryProblem: a coordinate that is not a number, or heights (3D positions whose heights
    are all 0, as CAD exports write them, lose nothing in 2D)."""
    coords = shapely.get_coordinates(geom, include_z=bool(shapely.has_z(geom)))
    if not np.isfinite(coords).all():
        return GeometryProblem(_("a coordinate is not a number (NaN or Infinity)"))
    if coords.shape[1] == 3 and (coords[:, 2] != 0).any():
        return GeometryProblem(_("3D positions with heights (up to %(z)s): save the file in 2D (x, y only)"),
                               z=f"{abs(coords[:, 2]).max():g}")
    return shapely.force_2d(geom) if coords.shape[1] == 3 else geom


GEOJSON_TYPES = {"Point": 1, "MultiPoint": 2, "LineString": 2, "MultiLineString": 3, "Polygon": 3, "MultiPolygon": 4}


def _geojson_reason(geometry: dict) -> str:
    """Why GDAL could not read this GeoJSON geometry (it reads such a feature as having none): a short reason."""
    kind = geometry.get("type")
    if kind not in GEOJSON_TYPES:
        return f"“{kind}” is not a GeoJSON geometry type" if kind != "GeometryCollection" else "unreadable"
    coords = geometry.get("coordinates")
    if not isinstance(coords, list):
        return "it has no “coordinates” list"
    depth, item = 0, coords
    while isinstance(item, list) and item:
        depth, item = depth + 1, item[0]
    if item is not None and (isinstance(item, bool) or not isinstance(item, (int, float))):
        return f"coordinates must be numbers, not {json.dumps(item, ensure_ascii=False)[:30]}"
    if depth != GEOJSON_TYPES[kind] and coords:
        return f"a {kind}'s coordinates are nested {GEOJSON_TYPES[kind]} lists deep, not {depth}"
    return "unreadable"


def _check_geojson(data: bytes, *, name: str) -> dict[int, dict]:
    """What GDAL passes over silently in a GeoJSON file: text that is not UTF-8 (RFC 8259) and a crs member naming an
    unknown system are refused; the features' geometry objects are returned ({index: geometry}) so that the reader
    can say why GDAL read none for one."""
    if not enc.is_utf8(data):
        raise ReadError(_("“%(name)s” is not UTF-8 text: GeoJSON files must be saved as UTF-8"), name=name)
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except ValueError as exc:  # JSONDecodeError: say where the JSON breaks; GDAL would only say it cannot read it
        raise unreadable(exc, name=name, kind="geojson") from None
    if not isinstance(document, dict):
        return {}
    where = nul_path(document) if "\\u0000" in data.decode("utf-8-sig").lower() else None
    if where is not None:
        raise ReadError(_("“%(name)s” contains a NUL character (\\u0000) in %(where)s: no text may contain it"),
                        name=name, where=where)
    crs = document.get("crs")
    crs_name = (crs.get("properties") or {}).get("name") if isinstance(crs, dict) else None
    if isinstance(crs_name, str):
        from pyproj import CRS

        try:
            CRS.from_user_input(crs_name)
        except Exception:
            raise ReadError(_("“%(name)s” names the coordinate system “%(crs)s”, which is not known: name an EPSG "
                              "code such as EPSG:4490, or remove the crs member for longitude/latitude"),
                            name=name, crs=crs_name[:80]) from None
    features = document.get("features") if document.get("type") == "FeatureCollection" else None
    dropped = {}
    for k, feature in enumerate(features if isinstance(features, list) else []):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if isinstance(geometry, dict):
            dropped[k] = geometry
    return dropped


def _csv_geometry(row: dict, wkt_col, lon_col, lat_col):
    if wkt_col:
        value = row.get(wkt_col, "")
        if not value:
            return None
        try:
            geom = shapely.from_wkt(value)
        except Exception:
            return GeometryProblem(_("the %(column)s column is not valid WKT"), column=wkt_col)
        return _checked(geom) if geom is not None else None
    if lon_col and lat_col:
        lon, lat = row.get(lon_col, ""), row.get(lat_col, "")
        if not lon and not lat:
            return None
        try:
            return _checked(shapely.Point(float(lon), float(lat)))
        except ValueError:
            return GeometryProblem(_("%(lon)s/%(lat)s are not numbers"), lon=lon_col, lat=lat_col)
    return None
