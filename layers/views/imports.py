"""The import page (/imports/, 数据导入): upload → field mapping and coordinates → dry run with a map → commit."""
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from ..io import crs as crs_helpers
from ..models import ImportJob
from ..permissions import ADD, VIEW, require, restrict
from ..services.imports import IMPORTERS, limits
from .jobs import job_strings

RECENT_JOBS = 10


@dataclass(frozen=True)
class Sample:
    """A small file of a kind districts hand in, kept in fixtures/ (fixtures/README.md, made by make_samples.py)."""

    file: str
    target: str  # the importer it is meant for
    label: str
    content_type: str


# Made from the small demo city: a dry run on it has no error (fixtures/README.md).
SAMPLES = (
    Sample("estates_gbk_no_cpg.zip", "estates",
           gettext_lazy("Estates: zipped shapefile in GBK without a .cpg file"), "application/zip"),
    Sample("buildings_gk126.gpkg", "buildings",
           gettext_lazy("New buildings: GeoPackage in Gauss-Krüger coordinates (CGCS2000, CM 126°E)"),
           "application/geopackage+sqlite3"),
    Sample("estates_lonlat.csv", "estates",
           gettext_lazy("Estate attributes: CSV with longitude/latitude columns"), "text/csv"),
    Sample("estates_gcj02.geojson", "estates",
           gettext_lazy("Estates digitised on a commercial map: GeoJSON in GCJ-02"), "application/geo+json"),
)
SAMPLES_DIR = settings.BASE_DIR / "fixtures"


@require_safe
@login_required
def import_page(request):
    require(request.user, ImportJob, ADD)
    lim = limits()
    config = {
        "urls": {"jobs": reverse("api:import-list"), "adminAreas": reverse("api:admin-area-list"),
                 "map": reverse("map"), "jobList": reverse("job-list")},
        "jobStrings": {**job_strings(), "list": _("All background jobs")},
        "targets": [cls.describe() for cls in IMPORTERS.values()],
        "crs": [{"epsg": code, "label": label} for code, label in crs_helpers.choices()],
        # Where the coordinates come from, as a planner knows it (DOMAIN.md, Coordinates): a surveyed CRS or the
        # offset system of a commercial map; the Gauss-Krüger choices take a zone from the zone picker.
        "sources": [
            {"value": "cgcs2000", "label": _("CGCS2000 / WGS84 longitude and latitude (Tianditu, survey data, GPS)"),
             "srid": 4490, "offset": ""},
            {"value": "gcj02", "label": _("GCJ-02 longitude and latitude (AMap/Gaode, Tencent maps)"),
             "srid": 4490, "offset": "convert"},
            {"value": "bd09", "label": _("BD-09 longitude and latitude (Baidu maps)"), "srid": 4490, "offset": "bd09"},
            {"value": "webmercator", "label": _("Web Mercator metres (EPSG:3857)"), "srid": 3857, "offset": ""},
            {"value": "gk_prefixed", "label": _("CGCS2000 3-degree Gauss-Krüger, zone number in the easting "
                                                "(EPSG:4513–4533)"), "base": crs_helpers.GK_PREFIXED_BASE,
             "offset": ""},
            {"value": "gk_plain", "label": _("CGCS2000 3-degree Gauss-Krüger, easting without the zone number "
                                             "(EPSG:4534–4554)"), "base": crs_helpers.GK_PLAIN_BASE, "offset": ""},
        ],
        "zones": [{"zone": z, "label": _("zone %(zone)d (central meridian %(meridian)d°E)")
                   % {"zone": z, "meridian": 3 * z}} for z in crs_helpers.GK_ZONES],
        "strings": {
            "uploading": _("Reading the file…"), "checking": _("Checking every row…"),
            "committing": _("Importing…"), "notMapped": _("— not imported —"),
            "fileCrs": _("As in the file: %(crs)s"), "guessed": _("The file names no coordinate system. Guessed: "
                                                                 "%(crs)s (%(reason)s). Confirm or choose another."),
            "noGuess": _("The file names no coordinate system and none could be guessed: choose one."),
            "required": _("required"), "row": _("Row"), "code": _("Code"), "problems": _("Problems"),
            "rows": _("rows"), "ok": _("ready"), "errors": _("with errors"), "create": _("new"),
            "update": _("updated"), "warnings": _("with warnings"),
            "gcj02Suspected": _("The positions are offset by about %(m)s m from the district's own data, as "
                                "GCJ-02 coordinates from a commercial map (AMap/Gaode, Tencent) are. Convert them to "
                                "CGCS2000?"),
            "bd09Suspected": _("The positions are offset by about %(m)s m from the district's own data, as BD-09 "
                               "coordinates from Baidu maps are. Convert them to CGCS2000?"),
            "gcj02Convert": _("Convert from GCJ-02"), "bd09Convert": _("Convert from BD-09"),
            "gcj02Keep": _("Keep as they are"),
            "gcj02Converted": _("GCJ-02 positions are converted to CGCS2000."),
            "bd09Converted": _("BD-09 positions are converted to CGCS2000."),
            "unusualFar": _("%(n)s row(s) lie more than %(limit)s km from the district's area (the farthest "
                            "%(km)s km away): data from another place?"),
            "unusualRatio": _("%(n)s row(s) change an area severalfold (more than %(limit)s× or less than 1/%(limit)s "
                              "of the stored boundary; the most: %(ratio)s×)."),
            "unusualConfirm": _("I have checked: these rows are right, import them"),
            "noErrors": _("No errors: every row can be imported."),
            "hasErrors": _("%(n)s row(s) have errors. Nothing will be imported until they are fixed: correct the "
                           "file and upload it again."),
            "committed": _("Imported: %(created)s new, %(updated)s updated."),
            "encoding": _("Encoding"), "format": _("Format"), "crsLabel": _("Coordinates"),
            "previewTruncated": _("The map shows the first %(n)s features."), "sample": _("Example"),
            "openMap": _("Open the map"), "valid": _("ready"), "invalid": _("with errors"),
            "sampleLoading": _("Fetching the sample file…"),
        },
        "limits": {"maxBytes": lim.max_bytes, "maxZipEntries": lim.max_zip_entries,
                   "maxUncompressedBytes": lim.max_uncompressed_bytes, "maxRows": lim.max_rows},
    }
    jobs = restrict(ImportJob.objects.select_related("user"), request.user, VIEW)[:RECENT_JOBS]
    samples = [{"file": s.file, "target": s.target, "label": s.label,
                "url": reverse("import-sample", args=[s.file])} for s in SAMPLES if (SAMPLES_DIR / s.file).is_file()]
    return render(request, "imports.html", {"config": config, "jobs": jobs, "limits": lim,
                                            "targets": IMPORTERS.values(), "samples": samples})


@require_safe
@login_required
def import_sample(request, name: str):
    """One of SAMPLES, as a download (served from fixtures/ by name: nothing else there is reachable)."""
    require(request.user, ImportJob, ADD)
    sample = next((s for s in SAMPLES if s.file == name), None)
    if sample is None or not (SAMPLES_DIR / sample.file).is_file():
        raise Http404(name)
    return FileResponse((SAMPLES_DIR / sample.file).open("rb"), as_attachment=True, filename=sample.file,
                        content_type=sample.content_type)
