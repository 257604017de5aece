"""Bad import files (docs/reliability/badinput.md), written into a folder: every geometry case of bad_geometries as a GeoJSON file,
and the file-level defects — a crs naming the wrong system or none, GCJ-02-offset positions, broken encodings."""
from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import shapely

from layers.io import gcj02

from . import import_files as files
from .bad_geometries import BAD_BYTE, CASES, square

AREA_MAPPING = {"code": "code", "name": "name"}
ESTATE_MAPPING = {"code": "小区编码", "name": "小区名称"}
# Cases that only exist inside an API body, or that a file states another way (FILE_CASES below).
NOT_AS_FILE = {"crs_3857_with_degrees", "crs_unknown"}
# What an import says instead of the API's word, where the same defect is found by another reader (GDAL).
IMPORT_KEYWORDS = {
    "truncated_json": r"is not GeoJSON: the JSON text breaks at line 1",
    "rings_nested_too_shallow": r"nested",
    "rings_nested_too_deep": r"nested",
    "unknown_type": r"not a GeoJSON geometry type",
    "nan_coordinate": r"NaN",
    "infinite_coordinate": r"Infinity",
    "huge_number_overflows_to_infinity": r"Infinity",
    # A whole file of degrees out of range is refused before any row: no coordinate system puts it in China.
    "longitude_500": r"outside China",
    "latitude_100": r"outside China",
}


@dataclass
class FileCase:
    name: str
    keyword: str
    path: Path
    target: str = "management_areas"
    mapping: dict = field(default_factory=lambda: dict(AREA_MAPPING))

    def __str__(self):
        return self.name


def _feature_collection(geometry: str, *, crs: str | None = None) -> str:
    crs_member = f'"crs": {{"type": "name", "properties": {{"name": "{crs}"}}}}, ' if crs else ""
    return ('{"type": "FeatureCollection", %s"features": [{"type": "Feature", "properties": '
            '{"code": "BAD-001", "name": "坏数据"}, "geometry": %s}]}' % (crs_member, geometry))


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.geojson"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    return path


def geometry_files(folder: Path, origin: tuple[float, float], *, only: str | None = None) -> list[FileCase]:
    """One GeoJSON file per geometry case (or just the case `only`), its feature at `origin` (inside the district,
    in no area)."""
    x, y = origin
    return [FileCase(case.name, IMPORT_KEYWORDS.get(case.name, case.keyword),
                     _write(folder, case.name, _feature_collection(case.build(x, y))))
            for case in CASES if case.name not in NOT_AS_FILE and only in (None, case.name)]


def _shifted(records, fn):
    return [{**r, "geometry": shapely.transform(r["geometry"], fn)} for r in records]


def file_cases(folder: Path, origin: tuple[float, float], estates) -> list[FileCase]:
    """Whole-file defects; `estates` are stored estates (for the GCJ-02 and encoding cases, which update them)."""
    x, y = origin
    ring = [list(p) for p in square(x, y)]
    cases = [
        FileCase("crs_3857_with_degrees", r"outside China",
                 _write(folder, "crs3857", _feature_collection(json.dumps({"type": "Polygon", "coordinates": [ring]}),
                                                               crs="urn:ogc:def:crs:EPSG::3857"))),
        FileCase("crs_unknown", r"coordinate system|crs|cannot be read",
                 _write(folder, "crsunknown", _feature_collection(
                     json.dumps({"type": "Polygon", "coordinates": [ring]}), crs="EPSG:999999"))),
    ]
    records = files.estate_records(estates)
    metres = files.reproject(records, 4549)  # CGCS2000 / 3-degree Gauss-Krüger CM 126E, in metres
    cases.append(FileCase("no_crs_metres_geojson", r"outside China", _write(folder, "metres", json.dumps({
        "type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"小区编码": r["小区编码"], "小区名称": r["小区名称"]},
             "geometry": shapely.geometry.mapping(r["geometry"])} for r in metres]})),
        target="estates", mapping=dict(ESTATE_MAPPING)))
    cases.append(FileCase("no_crs_metres_csv", r"no coordinate system",
                          files.estates_csv_wkt(folder, metres, name="metres"),
                          target="estates", mapping=dict(ESTATE_MAPPING)))
    gcj = _shifted(records, gcj02.wgs84_to_gcj02)
    cases.append(FileCase("gcj02_offset", r"GCJ-02", files.geojson(folder, gcj, name="gcj02"),
                          target="estates", mapping=dict(ESTATE_MAPPING)))
    gbk = files.shapefile_zip(folder, records, name="gbk", encoding="GBK")
    labelled = folder / "gbk_labelled_utf8.zip"
    with zipfile.ZipFile(gbk) as source, zipfile.ZipFile(labelled, "w") as out:
        for entry in source.infolist():
            out.writestr(entry.filename, b"UTF-8" if entry.filename.endswith(".cpg") else source.read(entry))
    cases.append(FileCase("gbk_dbf_labelled_utf8", r"\.cpg.*UTF-8|UTF-8.*\.cpg", labelled,
                          target="estates", mapping=dict(ESTATE_MAPPING)))
    bad_csv = folder / "invalid_utf8.csv"
    bad_csv.write_bytes("小区编码,小区名称,WKT\n".encode() + b"E-1,\xff\xfe\xff," + records[0]["geometry"].wkt.encode())
    cases.append(FileCase("invalid_utf8_csv", r"neither UTF-8 nor GB18030", bad_csv, target="estates",
                          mapping=dict(ESTATE_MAPPING)))
    cases.append(FileCase("invalid_utf8_geojson", r"UTF-8", _write(folder, "invalid_utf8_names", _feature_collection(
        json.dumps({"type": "Polygon", "coordinates": [ring]})).replace("坏数据", f"坏{BAD_BYTE}数据"))))
    return cases
