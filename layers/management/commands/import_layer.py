"""import_layer: import a GeoJSON, GeoPackage, zipped shapefile or CSV into a layer, with the web page's checks.

    manage.py import_layer estates.zip --target estates [--mapping name=小区名称,code=编码] [--srid 4490]
        [--gcj02 convert|bd09|keep] [--confirm-unusual] [--dry-run] [--reason "…"] [--user planner]

Prints the same per-row report as the page; exits non-zero when any row has an error (then nothing is written).
"""
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from layers.io import crs as crs_helpers
from layers.security.audit import record_command
from layers.services import imports as svc


def parse_mapping(text: str) -> dict:
    mapping = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        if "=" not in part:
            raise CommandError(f"--mapping: “{part}” is not field=column")
        field, column = (s.strip() for s in part.split("=", 1))
        mapping[field] = column
    return mapping


class Command(BaseCommand):
    help = "Import a GeoJSON, GeoPackage, zipped shapefile or CSV into a layer (dry run first; all rows or none)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--target", required=True, choices=sorted(svc.IMPORTERS))
        parser.add_argument("--mapping", default="", help="field=column,… (defaults to the suggested mapping)")
        parser.add_argument("--srid", type=int, help="EPSG code of the coordinates (overrides the file's)")
        parser.add_argument("--gcj02", choices=["convert", "bd09", "keep"],
                            help="positions from a commercial map: convert from GCJ-02, from BD-09 (bd09), or keep them")
        parser.add_argument("--confirm-unusual", action="store_true",
                            help="import rows far from the district or severalfold the stored area all the same")
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        parser.add_argument("--reason", default="", help="kept in management areas' history (default: Import <file>)")
        parser.add_argument("--user", help="user name the import is made as (default: the first administrator)")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        user = self._user(options["user"])
        try:
            table = svc.read_table(path, name=path.name)
            description = svc.describe_table(table, target=options["target"])
            mapping = description["suggested_mapping"]
            mapping.update(parse_mapping(options["mapping"]))
            self._describe(description, mapping)
            opts = svc.Options(mapping=mapping, srid=options["srid"], gcj02=options["gcj02"] or "")
            if options["dry_run"]:
                analysis = svc.analyse(table, target=options["target"], user=user, options=opts, file_name=path.name)
                self._report(analysis.report)
                if not analysis.ok:
                    raise CommandError(f"{analysis.report['summary']['errors']} row(s) have errors")
                self.stdout.write(self.style.SUCCESS("Dry run: no errors; nothing was written."))
                return
            analysis = svc.import_table_commit(table, target=options["target"], user=user, options=opts,
                                               reason=options["reason"], file_name=path.name,
                                               confirm_unusual=options["confirm_unusual"])
        except svc.ImportRefused as exc:
            if exc.report:
                self._report(exc.report)
            raise CommandError(str(exc)) from None
        self._report(analysis.report)
        result = analysis.report["result"]
        record_command("import_layer", f"{path.name} → {options['target']}: {result['created']} new, "
                                       f"{result['updated']} updated", user=user)
        self.stdout.write(self.style.SUCCESS(f"Imported: {result['created']} new, {result['updated']} updated."))

    def _user(self, username):
        users = get_user_model().objects
        if username:
            user = users.filter(username=username).first()
            if user is None:
                raise CommandError(f"--user {username}: no such user")
            return user
        user = users.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if user is None:
            raise CommandError("No administrator exists: name the importing user with --user")
        return user

    def _describe(self, d: dict, mapping: dict):
        self.stdout.write(f"{d['format']}, {d['rows']} rows, encoding {d['encoding'] or '–'}")
        crs = d["crs"]
        if crs["file"]:
            self.stdout.write(f"coordinates: {crs['file']}")
        elif d["has_geometry"]:
            self.stdout.write(f"coordinates: none in the file; they look like {crs_helpers.describe(crs['guess'])} "
                              f"({crs['reason']})")
        for warning in d["warnings"]:
            self.stdout.write(self.style.WARNING(warning))
        self.stdout.write("mapping: " + ", ".join(f"{f}={c}" for f, c in mapping.items()))

    def _report(self, report: dict):
        s = report["summary"]
        if report.get("crs", {}).get("source_label"):
            self.stdout.write(f"read as {report['crs']['source_label']}")
        g = report.get("gcj02") or {}
        if g.get("suspected"):
            choice = {"convert": "converted from GCJ-02", "bd09": "converted from BD-09", "keep": "kept"}.get(
                g["choice"], f"use --gcj02 {'bd09' if g.get('system') == 'bd09' else 'convert'} or keep")
            self.stdout.write(self.style.WARNING(
                f"positions are offset ~{g['median_offset_m']} m from the district's data, like "
                f"{'BD-09' if g.get('system') == 'bd09' else 'GCJ-02'} ({choice})"))
        unusual = report.get("unusual") or {}
        if unusual.get("needs_confirmation"):
            self.stdout.write(self.style.WARNING(
                f"unusual: {unusual['far_rows']} row(s) over {unusual['far_km']:g} km from the district, "
                f"{unusual['ratio_rows']} row(s) over {unusual['area_ratio']:g}× or under 1/{unusual['area_ratio']:g} "
                "of the stored area (--confirm-unusual to import them)"))
        self.stdout.write(f"rows: {s['rows']}, ready: {s['ok']}, errors: {s['errors']}, new: {s['create']}, "
                          f"updated: {s['update']}, warnings: {s['warnings']}")
        for e in report["errors"]:
            self.stdout.write(self.style.ERROR(f"row {e['row']} ({e['key'] or '–'}): {'; '.join(e['errors'])}"))
        for w in report["warnings"]:
            self.stdout.write(self.style.WARNING(f"row {w['row']} ({w['key'] or '–'}): {'; '.join(w['warnings'])}"))
