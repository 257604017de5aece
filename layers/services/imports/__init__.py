"""Data import (数据导入): read an uploaded file, map its columns, fix its coordinates, dry-run it, commit it whole.

The same steps serve the web page (through ImportJob rows) and the `import_layer` command (on a file directly):
read (layers.io.readers) → map columns to fields → reproject to the storage SRID (file CRS, or the user's
confirmed choice) → detect GCJ-02 offsets against the district's own data and convert on request → check every
row with the target's importer (importers.py; the targets in targets.py) → commit all rows in one transaction, or
none.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pyproj import CRS, Transformer
from shapely.geometry import mapping as geojson_mapping

from ...io import crs as crs_helpers
from ...io import gcj02
from ...io import mapping as mapping_helpers
from ...io import readers
from ...io.cells import parse_text
from ...models import ImportJob, ImportStatus
from ...permissions import ADD, VIEW, get_restricted, require
from ...refusals import Refusal
from . import importers as registry
from . import targets  # noqa: F401 (reading it registers the targets in IMPORTERS)
from .importers import IMPORTERS

SRID = registry.SRID
PREVIEW_MAX_FEATURES = 5000
ERRORS_MAX = 1000  # rows listed in a report; the counts always cover every row
SAMPLE_ROWS = 5
GCJ_SAMPLE = 400


class ImportRefused(Refusal):
    """The import cannot go on; str() says why. `status`: the HTTP status; `report`: the per-row report, if any
    (sent in the body's "report")."""

    def __init__(self, message: str, *, status: int = 400, report: dict | None = None):
        super().__init__(message, status=status, details={"report": report} if report is not None else None)
        self.report = report


def encoding_label(label: str | None) -> str | None:
    """The file's encoding as the report shows it, in the user's language ("GB18030（自动识别，无 .cpg 文件）")."""
    if label and label.endswith(readers.DETECTED_NO_CPG):
        return _("%(encoding)s (detected, no .cpg)") % {"encoding": label.removesuffix(readers.DETECTED_NO_CPG)}
    return label


def limits() -> readers.Limits:
    return readers.Limits(
        max_bytes=getattr(settings, "IMPORT_MAX_BYTES", 50 * 1024 * 1024),
        max_zip_entries=getattr(settings, "IMPORT_MAX_ZIP_ENTRIES", 50),
        max_uncompressed_bytes=getattr(settings, "IMPORT_MAX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024),
        max_rows=getattr(settings, "IMPORT_MAX_ROWS", 100_000),
    )


def importer_for(target: str) -> type[registry.Importer]:
    try:
        return registry.get(target)
    except KeyError:
        raise ImportRefused(_("Unknown import target “%(target)s”; choose one of: %(targets)s.")
                            % {"target": target, "targets": ", ".join(IMPORTERS)}) from None


# --- reading -----------------------------------------------------------------------------------------------------

def read_table(path, *, name: str) -> readers.Table:
    try:
        return readers.read(path, name=name, limits=limits())
    except readers.ReadError as exc:
        raise ImportRefused(exc.translated(_), status=exc.status) from None


def _district_longitude() -> float | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_X(ST_Centroid(ST_Collect(geom))) FROM layers_adminarea WHERE level = 'district'")
        row = cursor.fetchone()
    return row[0] if row else None


def describe_table(table: readers.Table, *, target: str) -> dict:
    """What the mapping step shows: columns, sample rows, suggested mapping, coordinate system, encoding."""
    importer = importer_for(target)
    crs = {"file": table.crs and (crs_helpers.describe(table.epsg) if table.epsg else table.crs[:200]),
           "epsg": table.epsg, "guess": None, "reason": "", "confirm": False, "zone": None}
    district_lon = _district_longitude() if table.has_geometry else None
    if district_lon is not None and crs_helpers.gk_zone_for_longitude(district_lon) in crs_helpers.GK_ZONES:
        crs["zone"] = crs_helpers.gk_zone_for_longitude(district_lon)  # the zone picker's default
    # Degrees need no confirmation (CGCS2000 ≈ WGS84); a guessed projection does, before the dry run.
    bbox = table.bbox()
    if table.has_geometry and table.epsg is None and not table.crs:
        guess = crs_helpers.guess_crs(bbox, hint_lon=district_lon)
        crs.update(guess=guess.epsg, reason=guess.translated(_), confirm=guess.epsg not in crs_helpers.GEOGRAPHIC)
    return {
        "file_name": None, "format": table.format, "layer": table.layer,
        "encoding": encoding_label(table.encoding),
        "rows": len(table.rows), "columns": table.columns, "geometry_columns": table.geometry_columns,
        "has_geometry": table.has_geometry, "bbox": bbox,
        "sample": [{c: _jsonable(r.get(c)) for c in table.columns} for r in table.rows[:SAMPLE_ROWS]],
        "suggested_mapping": mapping_helpers.suggest(table.columns, importer.aliases()),
        "crs": crs, "target": importer.describe(),
        "warnings": [_(t) % p for t, p in table.warnings],
    }


def _jsonable(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


# --- coordinates -------------------------------------------------------------------------------------------------

def _source_epsg(table: readers.Table, srid: int | None) -> int | str | None:
    if srid:
        srid = int(srid)
        try:
            CRS.from_epsg(srid)
        except Exception:
            raise ImportRefused(_("EPSG:%(srid)s is not a coordinate system.") % {"srid": srid}) from None
        return srid
    if table.epsg:
        return table.epsg
    if table.crs:
        return table.crs  # a WKT without an EPSG code: pyproj still transforms from it
    if not table.has_geometry:
        return None
    bbox = table.bbox()
    guess = crs_helpers.guess_crs(bbox, hint_lon=_district_longitude())
    if guess.epsg in crs_helpers.GEOGRAPHIC:
        # Degrees in China: CGCS2000 and WGS84 agree within centimetres, so there is nothing to confirm.
        return guess.epsg
    raise ImportRefused(
        _("The file names no coordinate system. Confirm one: the coordinates look like %(guess)s (%(reason)s).")
        % {"guess": crs_helpers.describe(guess.epsg) if guess.epsg else _("none of the supported systems"),
           "reason": guess.translated(_)})


def _reproject(geoms: list, source) -> list:
    if source is None or source == SRID:
        return list(geoms)
    transformer = Transformer.from_crs(CRS.from_user_input(source), CRS.from_epsg(SRID), always_xy=True)

    def move(coords):
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return [shapely.transform(g, move) if isinstance(g, shapely.Geometry) else g for g in geoms]


def _check_range(geoms: list, source) -> None:
    """After reprojection every coordinate must be a longitude/latitude in China; else the CRS was wrong."""
    real = [g for g in geoms if isinstance(g, shapely.Geometry) and not g.is_empty]
    if not real:
        return
    minx, miny, maxx, maxy = shapely.total_bounds(np.array(real, dtype=object))
    if not (70 <= minx <= maxx <= 140 and 0 <= miny <= maxy <= 56) or not np.isfinite([minx, miny, maxx, maxy]).all():
        raise ImportRefused(
            _("With the coordinate system %(crs)s the data falls outside China (%(bbox)s): choose another one.")
            % {"crs": crs_helpers.describe(source) if isinstance(source, int) else _("of the file"),
               "bbox": ", ".join(f"{v:.4f}" for v in (minx, miny, maxx, maxy))})


def _centroids(geoms) -> np.ndarray:
    return np.array([[c.x, c.y] for c in (g.centroid for g in geoms)], dtype=float).reshape(-1, 2)


def gcj02_verdict(*, importer: type[registry.Importer], keys: list, geoms: list) -> gcj02.OffsetVerdict:
    """Are these positions (storage SRID) offset like GCJ-02 or BD-09 from the district's own data?

    First by features with the same code already in the database (median offset); failing that, by how many
    imported features fall inside stored ones as they are, versus after undoing GCJ-02 (or BD-09).
    """
    pairs = [(k, g) for k, g in zip(keys, geoms, strict=True) if isinstance(g, shapely.Geometry) and not g.is_empty]
    if not pairs or importer.geometry is None:
        return gcj02.OffsetVerdict(False, 0)
    table = importer.model._meta.db_table
    codes = [k for k, _g in pairs if k]
    if codes:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {importer.key}, ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM {table} "
                           f"WHERE {importer.key} = ANY(%s)", [codes])
            stored = {code: (x, y) for code, x, y in cursor.fetchall()}
        matched = [(g, stored[k]) for k, g in pairs if k in stored]
        if len(matched) >= gcj02.MIN_PAIRS:
            return gcj02.judge_systems(_centroids([g for g, _s in matched]), np.array([s for _g, s in matched]),
                                       method="codes")
    sample = [g for _k, g in pairs][:GCJ_SAMPLE]
    raw = _centroids(sample)
    tables = [table] if table == "layers_estate" else [table, "layers_estate"]
    hits_raw = _containing(raw, tables)
    as_is = [(raw[i], hits_raw[i]) for i in range(len(raw)) if hits_raw[i] is not None]
    fit_as_is = _median_distance_m([a for a, _b in as_is], [b for _a, b in as_is]) if as_is else float("inf")
    first = None
    for system, (_forward, back) in gcj02.SYSTEMS.items():
        hits_undone = _containing(back(raw), tables)
        found = [(raw[i], hits_undone[i]) for i in range(len(raw)) if hits_undone[i] is not None]
        # Where stored features tile the ground, points land in *some* feature either way: compare how well each
        # hypothesis fits. As-is, matched features should sit ~0 m away; shifted, ~the system's offset away.
        if len(found) < gcj02.MIN_PAIRS:
            verdict = gcj02.OffsetVerdict(False, len(found), method="containment", system=system)
            first = first or verdict
            continue
        verdict = gcj02.judge_offsets(np.array([f[0] for f in found]), np.array([f[1] for f in found]),
                                      method="containment", system=system)
        expected = np.array([verdict.expected_east_m or 0.0, verdict.expected_north_m or 0.0])
        fit_shifted = _median_distance_m([f[0] for f in found], [f[1] for f in found], minus_m=expected)
        if verdict.suspected and fit_shifted < fit_as_is / 2:
            return verdict
        first = first or gcj02.OffsetVerdict(False, len(found), verdict.median_east_m, verdict.median_north_m,
                                             verdict.expected_east_m, verdict.expected_north_m, "containment", system)
    return first


def _median_distance_m(a, b, *, minus_m=np.zeros(2)) -> float:
    """Median distance in metres between paired lon/lat points, after taking `minus_m` (east, north) off."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    scale = np.array([gcj02.METRES_PER_DEGREE * np.cos(np.radians(np.median(b[:, 1]))), gcj02.METRES_PER_DEGREE])
    d = (a - b) * scale - minus_m
    return float(np.median(np.hypot(d[:, 0], d[:, 1])))


def _containing(points: np.ndarray, tables: list[str]) -> list:
    """Per point: the centroid (x, y) of a stored polygon containing it, or None."""
    union = " UNION ALL ".join(f"SELECT geom FROM {t}" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT p.i, ST_X(ST_Centroid(f.geom)), ST_Y(ST_Centroid(f.geom))
                  FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS p(x, y, i)
                  CROSS JOIN LATERAL (SELECT geom FROM ({union}) s
                                       WHERE ST_Intersects(s.geom, ST_SetSRID(ST_Point(p.x, p.y), %s)) LIMIT 1) f""",
            [[float(v) for v in points[:, 0]], [float(v) for v in points[:, 1]], SRID])
        found = {int(i) - 1: (x, y) for i, x, y in cursor.fetchall()}
    return [found.get(i) for i in range(len(points))]


# The offset choices (Options.gcj02, ImportJob.gcj02): undo GCJ-02, undo BD-09, or keep the positions.
OFFSET_CHOICES = {"convert": "gcj02", "bd09": "bd09"}


def _undo_offset(geoms: list, system: str) -> list:
    back = gcj02.SYSTEMS[system][1]
    return [shapely.transform(g, back) if isinstance(g, shapely.Geometry) else g for g in geoms]


# --- unusual data: from elsewhere, or severalfold what it replaces ----------------------------------------------

# A file from another province (a boundary copied from the wrong place, a city's data for the district's) or an
# outline that grows or shrinks severalfold is rarely meant: the dry run flags it and the commit needs a confirmation.
FAR_KM = 50.0  # farther than this from the districts' extent
AREA_RATIO = 3.0  # new area over stored area above this, or below its inverse
KM_PER_DEGREE = gcj02.METRES_PER_DEGREE / 1000.0


def _in_km(geoms, lat0: float):
    """Geometries in lon/lat scaled to kilometres around latitude `lat0` (plenty for a 50 km threshold)."""
    scale = np.array([KM_PER_DEGREE * np.cos(np.radians(lat0)), KM_PER_DEGREE])
    return shapely.transform(geoms, lambda coords: coords * scale)


def unusual_rows(rows: list, districts) -> dict:
    """Flag rows far from the installation's area (`districts`: the districts' union) and rows whose boundary is
    severalfold the stored one; each flagged row gets a warning saying by how much. Nothing is refused here: the
    commit asks for a confirmation (import_table_commit)."""
    far, ratios = [], []
    placed = [r for r in rows if isinstance(r.geom, shapely.Geometry) and not r.geom.is_empty]
    if districts is not None and placed:
        extent = shapely.box(*districts.bounds)
        lat0 = extent.centroid.y
        distances = shapely.distance(_in_km(np.array([r.geom for r in placed], dtype=object), lat0),
                                     _in_km(extent, lat0))
        for row, km in zip(placed, distances, strict=True):
            if km > FAR_KM:
                far.append({"row": row.number, "key": row.key, "km": round(float(km), 1)})
                row.warnings.append(_("%(km)s km from the district's area: data from another place?")
                                    % {"km": f"{km:,.1f}"})
    for row in placed:
        stored = getattr(row.existing, "geom", None) if row.existing is not None else None
        if stored is None or row.point_only or not stored.area:
            continue
        ratio = row.geom.area / shapely.from_wkb(bytes(stored.wkb)).area
        if ratio > AREA_RATIO or ratio < 1 / AREA_RATIO:
            ratios.append({"row": row.number, "key": row.key, "ratio": round(ratio, 2)})
            row.warnings.append(_("its area is %(ratio)s× the stored boundary's") % {"ratio": _ratio_text(ratio)})
    return {"far": far[:ERRORS_MAX], "far_rows": len(far), "far_max_km": max((f["km"] for f in far), default=None),
            "ratio": ratios[:ERRORS_MAX], "ratio_rows": len(ratios), "far_km": FAR_KM, "area_ratio": AREA_RATIO,
            "needs_confirmation": bool(far or ratios)}


def _ratio_text(ratio: float) -> str:
    return f"{ratio:.1f}" if ratio >= 0.1 else f"{ratio:.2g}"


def unusual_message(unusual: dict) -> str:
    """Why the commit waits for a confirmation, in one sentence."""
    parts = []
    if unusual["far_rows"]:
        parts.append(_("%(n)d row(s) lie up to %(km)s km from the district's area")
                     % {"n": unusual["far_rows"], "km": f"{unusual['far_max_km']:,.1f}"})
    if unusual["ratio_rows"]:
        extremes = [r["ratio"] for r in unusual["ratio"]]
        worst = max(extremes, key=lambda r: max(r, 1 / r)) if extremes else 0
        parts.append(_("%(n)d row(s) change an area severalfold (up to %(ratio)s× the stored boundary)")
                     % {"n": unusual["ratio_rows"], "ratio": _ratio_text(worst)})
    return _("%(what)s. Check the dry run, then confirm that this is intended to import it.") % {
        "what": _("; ").join(parts)}


# --- checking ----------------------------------------------------------------------------------------------------

@dataclass
class Options:
    mapping: dict = field(default_factory=dict)  # field → source column
    srid: int | None = None  # confirmed source CRS (overrides the file's)
    gcj02: str = ""  # "convert" (from GCJ-02), "bd09" (from BD-09), "keep", or "" (not decided)


@dataclass
class Analysis:
    importer: registry.Importer
    rows: list
    report: dict

    @property
    def ok(self) -> bool:
        return self.report["summary"]["errors"] == 0


def _clean_mapping(mapping: dict, table: readers.Table, importer: type[registry.Importer]) -> dict:
    if not isinstance(mapping, dict):
        raise ImportRefused(_("The field mapping must be an object {field: column}."))
    clean = {}
    for name, column in mapping.items():
        if column in (None, ""):
            continue
        if name not in importer.field_names():
            raise ImportRefused(_("“%(field)s” is not a field of %(target)s; fields: %(fields)s.")
                                % {"field": name, "target": importer.label,
                                   "fields": ", ".join(importer.field_names())})
        if column not in table.columns:
            raise ImportRefused(_("The file has no column “%(column)s” (mapped to %(field)s).")
                                % {"column": column, "field": name})
        clean[name] = column
    if importer.key not in clean:
        raise ImportRefused(_("Map a column to “%(field)s”: rows are matched by it.") % {"field": importer.key})
    return clean


def analyse(table: readers.Table, *, target: str, user, options: Options, file_name: str = "",
            progress=None) -> Analysis:
    """The dry run: every row checked against the database; nothing is written. `progress(done, total)`: see
    Importer.check."""
    importer_cls = importer_for(target)
    mapping = _clean_mapping(options.mapping, table, importer_cls)
    geoms, source, verdict = list(table.geoms), None, gcj02.OffsetVerdict(False, 0)
    if importer_cls.geometry is not None:
        source = _source_epsg(table, options.srid)
        geoms = _reproject(geoms, source)
        _check_range(geoms, source)
        keys = [_key_text(r.get(mapping[importer_cls.key])) for r in table.rows]
        verdict = gcj02_verdict(importer=importer_cls, keys=keys, geoms=geoms)
        if options.gcj02 in OFFSET_CHOICES:
            geoms = _undo_offset(geoms, OFFSET_CHOICES[options.gcj02])
    raw_rows = [(number, {f: row.get(c) for f, c in mapping.items()}, geom)
                for number, row, geom in zip(table.row_numbers, table.rows, geoms, strict=True)]
    # A district's planner imports into its district only: rows outside it are errors (docs/IMPORT.md).
    importer = importer_cls(user=user, districts=registry.districts_union(user) if importer_cls.geometry else None)
    rows = importer.check(raw_rows, progress=progress)
    unusual = unusual_rows(rows, importer.districts)
    report = _report(rows, importer_cls, table=table, mapping=mapping, source=source, verdict=verdict,
                     options=options, file_name=file_name)
    report["unusual"] = unusual
    return Analysis(importer, rows, report)


def _key_text(value):
    return parse_text(value, None) if value not in (None, "") else None


def _report(rows, importer_cls, *, table, mapping, source, verdict, options, file_name) -> dict:
    errors = [r for r in rows if not r.ok]
    warned = [r for r in rows if r.warnings]
    name_field = "name" if "name" in importer_cls.field_names() else ("label" if "label" in importer_cls.field_names()
                                                                      else importer_cls.key)
    features = []
    for r in rows:
        if r.geom is None or len(features) >= PREVIEW_MAX_FEATURES:
            continue
        features.append({"type": "Feature", "geometry": geojson_mapping(r.geom), "properties": {
            "row": r.number, "key": r.key, "name": _jsonable(r.values.get(name_field) or (
                getattr(r.existing, name_field, None) if r.existing is not None else None)),
            "ok": r.ok, "action": r.action, "errors": r.errors, "warnings": r.warnings}})
    return {
        "file_name": file_name, "target": importer_cls.target, "format": table.format,
        "encoding": encoding_label(table.encoding),
        "mapping": mapping,
        "crs": {"source": source if isinstance(source, int) else (None if source is None else "WKT"),
                "source_label": crs_helpers.describe(source) if isinstance(source, int) else (
                    _("the file's own definition") if source else None),
                "file": table.epsg, "confirmed": bool(options.srid),
                "guessed": source is not None and not options.srid and not table.crs},
        "gcj02": {**verdict.as_dict(), "choice": options.gcj02},
        "summary": {"rows": len(rows), "ok": len(rows) - len(errors), "errors": len(errors),
                    "create": sum(1 for r in rows if r.ok and r.existing is None),
                    "update": sum(1 for r in rows if r.ok and r.existing is not None),
                    "warnings": len(warned)},
        "errors": [{"row": r.number, "key": r.key, "errors": r.errors} for r in errors[:ERRORS_MAX]],
        "warnings": [{"row": r.number, "key": r.key, "warnings": r.warnings} for r in warned[:ERRORS_MAX]],
        "preview": {"type": "FeatureCollection", "features": features,
                    "truncated": sum(1 for r in rows if r.geom is not None) > len(features)},
        # Where the same codes lie today: beside the preview, an offset (or a redraw) shows at a glance.
        "stored": {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": json.loads(r.existing.geom.geojson), "properties": {"key": r.key}}
            for r in rows[:PREVIEW_MAX_FEATURES]
            if r.existing is not None and getattr(r.existing, "geom", None) is not None]},
    }


# --- committing --------------------------------------------------------------------------------------------------

def default_reason(file_name: str) -> str:
    return _("Import %(file)s") % {"file": file_name}


def import_table_commit(table: readers.Table, *, target: str, user, options: Options, reason: str = "",
                        file_name: str = "", progress=None, confirm_unusual: bool = False) -> Analysis:
    """Check and write every row in one transaction: all of them, or (on any error) none. `progress(done, total)`
    is called between batches of saved rows (a background job's progress; raising from it rolls everything back).

    `confirm_unusual`: the user has seen that rows lie far away or change an area severalfold (unusual_rows) and
    wants them all the same; without it such a file is refused."""
    require(user, ImportJob, ADD)
    reason = (reason or "").strip() or default_reason(file_name)
    with transaction.atomic():
        analysis = analyse(table, target=target, user=user, options=options, file_name=file_name)
        report = analysis.report
        if not analysis.ok:
            raise ImportRefused(_("%(n)d row(s) have errors: nothing was imported. Fix them and try again.")
                                % {"n": report["summary"]["errors"]}, report=report)
        if report["gcj02"]["suspected"] and options.gcj02 not in ("convert", "bd09", "keep"):
            raise ImportRefused(_("The positions look offset like GCJ-02 (a commercial map's coordinates): choose "
                                  "whether to convert them before importing."), report=report)
        if report["unusual"]["needs_confirmation"] and not confirm_unusual:
            raise ImportRefused(unusual_message(report["unusual"]), report=report)
        try:
            counts = analysis.importer.save(analysis.rows, reason=reason, progress=progress)
        except registry.RowError as exc:
            raise ImportRefused(_("Nothing was imported: %(reason)s") % {"reason": exc}, report=report) from None
        report["result"] = counts
    return analysis


# --- jobs (the web page) -----------------------------------------------------------------------------------------

def import_job_create(*, user, upload, target: str) -> tuple[ImportJob, dict]:
    """Store an uploaded file as a job and describe it for the mapping step; an unreadable file leaves nothing."""
    require(user, ImportJob, ADD)
    importer_for(target)
    name = os.path.basename(upload.name or "upload")
    max_bytes = limits().max_bytes
    if upload.size > max_bytes:
        raise ImportRefused(_("“%(name)s” is %(size)s; files up to %(max)s may be imported")
                            % {"name": name, "size": readers.file_size(upload.size),
                               "max": readers.file_size(max_bytes)}, status=413)
    try:
        readers.format_of(name)
    except readers.ReadError as exc:
        raise ImportRefused(exc.translated(_)) from None
    with tempfile.TemporaryDirectory(prefix="geoapp-upload-") as folder:
        path = os.path.join(folder, name)
        with open(path, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        table = read_table(path, name=name)
    description = describe_table(table, target=target)
    description["file_name"] = name
    upload.seek(0)
    with transaction.atomic():
        job = ImportJob(user=user, target=target, file_name=name, crs=table.crs and (
            f"EPSG:{table.epsg}" if table.epsg else "WKT") or "", report={"file": description},
                        mapping=description["suggested_mapping"])
        job.file.save(name, upload, save=False)
        job.save()
    return job, description


def _job_for_update(user, job_id: int) -> ImportJob:
    job = get_restricted(ImportJob.objects.select_for_update(of=("self",)), user, VIEW, pk=job_id)
    require(user, ImportJob, ADD)
    if job.status == ImportStatus.COMMITTED:
        raise ImportRefused(_("The import of “%(name)s” was already committed on %(when)s.")
                            % {"name": job.file_name,
                               "when": timezone.localtime(job.committed_at).strftime("%Y-%m-%d %H:%M")},
                            status=409)
    return job


def _job_table(job: ImportJob) -> readers.Table:
    return read_table(job.file.path, name=job.file_name)


def _options(mapping, srid, gcj02_choice) -> Options:
    if gcj02_choice not in (None, "", "convert", "bd09", "keep"):
        raise ImportRefused(_("gcj02 must be “convert”, “bd09”, “keep” or empty."))
    try:
        srid = int(srid) if srid not in (None, "") else None
    except (TypeError, ValueError):
        raise ImportRefused(_("srid must be an EPSG code such as 4490.")) from None
    return Options(mapping=mapping or {}, srid=srid, gcj02=gcj02_choice or "")


def import_check_options(mapping, srid, gcj02_choice) -> Options:
    """The choices of a dry run, checked before a dry run job is queued (ImportRefused when wrong)."""
    if not isinstance(mapping, dict):
        raise ImportRefused(_("The field mapping must be an object {field: column}."))
    return _options(mapping, srid, gcj02_choice)


def import_job_check(*, user, job_id: int, mapping: dict, srid=None, gcj02_choice: str | None = None,
                     progress=None) -> ImportJob:
    """The dry run of a job with these choices; its report is stored with the job. Writes only the job.
    `progress(done, total)`: a background job's progress (docs/JOBS.md); raising from it rolls back."""
    options = _options(mapping, srid, gcj02_choice)
    try:
        with transaction.atomic():
            job = _job_for_update(user, job_id)
            analysis = analyse(_job_table(job), target=job.target, user=user, options=options,
                               file_name=job.file_name, progress=progress)
            job.mapping, job.srid, job.gcj02 = analysis.report["mapping"], options.srid, options.gcj02
            job.report = {"file": job.report.get("file"), **analysis.report}
            job.status = ImportStatus.CHECKED
            job.save()
    except ImportRefused as exc:
        # A whole-file refusal (no CRS, a bad mapping) is recorded with the job; the job goes back to mapping.
        _record_refusal(job_id, exc, status=ImportStatus.UPLOADED)
        raise
    return job


def import_file_rows(job: ImportJob) -> int:
    """The rows of a job's file, as the upload counted them (what decides whether its dry run is a job)."""
    return int(((job.report or {}).get("file") or {}).get("rows") or import_job_rows(job))


def import_job_rows(job: ImportJob) -> int:
    """The rows of a job's file, as its last dry run counted them (0 before a dry run)."""
    return int(((job.report or {}).get("summary") or {}).get("rows") or 0)


def import_job_commit(*, user, job_id: int, reason: str = "", progress=None,
                      confirm_unusual: bool = False) -> ImportJob:
    """Commit a checked job with the choices of its last dry run: all rows or none (`confirm_unusual`: see
    import_table_commit)."""
    try:
        with transaction.atomic():
            job = _job_for_update(user, job_id)
            if job.status != ImportStatus.CHECKED:
                raise ImportRefused(_("Run the dry run of “%(name)s” first.") % {"name": job.file_name}, status=409)
            options = Options(mapping=job.mapping, srid=job.srid, gcj02=job.gcj02)
            analysis = import_table_commit(_job_table(job), target=job.target, user=user, options=options,
                                           reason=reason, file_name=job.file_name, progress=progress,
                                           confirm_unusual=confirm_unusual)
            job.report = {"file": job.report.get("file"), **analysis.report}
            job.reason = (reason or "").strip() or default_reason(job.file_name)
            job.status, job.committed_at = ImportStatus.COMMITTED, timezone.now()
            job.save()
    except ImportRefused as exc:
        if exc.report is not None:
            _record_refusal(job_id, exc, status=ImportStatus.CHECKED)
        raise
    return job


def _record_refusal(job_id: int, exc: ImportRefused, *, status: str) -> None:
    """After the rollback: keep the refusal (and its per-row report) on the job, if the job is still open."""
    job = ImportJob.objects.filter(pk=job_id).exclude(status=ImportStatus.COMMITTED).first()
    if job is None or exc.status in (403, 404, 409):
        return
    report = {"file": job.report.get("file"), **(exc.report or {}), "refused": str(exc)}
    ImportJob.objects.filter(pk=job.pk).update(report=report, status=status, updated_at=timezone.now())


def import_job_get(*, user, job_id: int) -> ImportJob:
    return get_restricted(ImportJob.objects.all(), user, VIEW, pk=job_id)


__all__ = ["ImportRefused", "Options", "analyse", "import_check_options", "import_file_rows", "import_job_check",
           "import_job_commit", "import_job_create", "import_job_get", "import_job_rows", "import_table_commit",
           "read_table", "describe_table"]
