"""Real import files, written in the tests with GDAL (pyogrio) and zipfile: shapefiles in GBK/UTF-8, GeoPackage,
GeoJSON, CSV (WKT or longitude/latitude; UTF-8 with or without BOM, GB18030)."""
import csv
import io
import os
import zipfile
from pathlib import Path

import geopandas as gpd
import shapely
from pyproj import Transformer

ESTATE_COLUMNS = ("小区编码", "小区名称", "建成年份", "户数", "建筑面积")


def shp(geom):
    return shapely.from_wkb(bytes(geom.wkb)) if not isinstance(geom, shapely.Geometry) else geom


def estate_records(estates, *, prefix=None, households_delta=0, name_suffix=""):
    """One record per estate: its code (or prefix+index for new estates), Chinese name, numbers and boundary."""
    return [{"小区编码": f"{prefix}{i:03d}" if prefix else e.code, "小区名称": f"{e.name}{name_suffix}",
             "建成年份": e.build_year, "户数": e.households + households_delta, "建筑面积": round(e.floor_area, 1),
             "geometry": shp(e.geom)} for i, e in enumerate(estates)]


def frame(records, crs="EPSG:4490"):
    return gpd.GeoDataFrame(records, geometry="geometry", crs=crs)


def reproject(records, epsg):
    transformer = Transformer.from_crs(4490, epsg, always_xy=True)
    out = []
    for r in records:
        moved = shapely.transform(r["geometry"], lambda xy: __import__("numpy").column_stack(
            transformer.transform(xy[:, 0], xy[:, 1])))
        out.append({**r, "geometry": moved})
    return out


def shapefile_zip(folder: Path, records, *, name="estates", encoding="GBK", cpg=True, prj=True, crs="EPSG:4490",
                  extra_entries=()) -> Path:
    """A zipped shapefile; without .cpg the .dbf's language-driver byte is cleared too: nothing names the encoding."""
    work = folder / f"{name}-shp"
    work.mkdir(parents=True, exist_ok=True)
    for old in work.iterdir():
        old.unlink()
    frame(records, crs=crs).to_file(work / f"{name}.shp", encoding=encoding, engine="pyogrio")
    if not cpg:
        (work / f"{name}.cpg").unlink(missing_ok=True)
        with open(work / f"{name}.dbf", "r+b") as dbf:
            dbf.seek(29)
            dbf.write(b"\0")
    if not prj:
        (work / f"{name}.prj").unlink(missing_ok=True)
    path = folder / f"{name}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for f in sorted(work.iterdir()):
            archive.write(f, f.name)
        for entry, data in extra_entries:
            archive.writestr(entry, data)
    return path


def geojson(folder: Path, records, *, name="estates", crs="EPSG:4490") -> Path:
    path = folder / f"{name}.geojson"
    frame(records, crs=crs).to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def gpkg(folder: Path, records, *, name="estates", crs="EPSG:4490") -> Path:
    path = folder / f"{name}.gpkg"
    frame(records, crs=crs).to_file(path, driver="GPKG", layer=name, engine="pyogrio")
    return path


def csv_file(folder: Path, header, rows, *, name="data", encoding="utf-8", bom=False) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    path = folder / f"{name}.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def estates_csv_wkt(folder, records, **kwargs) -> Path:
    return csv_file(folder, [*ESTATE_COLUMNS, "WKT"],
                    [[r[c] for c in ESTATE_COLUMNS] + [r["geometry"].wkt] for r in records], **kwargs)


def estates_csv_lonlat(folder, records, **kwargs) -> Path:
    rows = []
    for r in records:
        p = r["geometry"].representative_point()
        rows.append([r[c] for c in ESTATE_COLUMNS] + [f"{p.x:.7f}", f"{p.y:.7f}"])
    return csv_file(folder, [*ESTATE_COLUMNS, "经度", "纬度"], rows, **kwargs)


def size(path) -> int:
    return os.path.getsize(path)
