"""import_complaints: take in a hotline system's work-order export (XLSX or CSV, UTF-8 or GBK), as the page does.

    manage.py import_complaints orders.xlsx [--dry-run] [--district CODE] [--channel 12345|12319] [--user NAME]

Prints the per-row report; exits non-zero when any row has an error (then nothing is written). Orders already taken
in (same order number) are counted and left alone, so running it twice adds nothing the second time.
"""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from layers.models import AdminArea, AdminLevel
from layers.refusals import Refusal
from layers.security.audit import record_command
from layers.services import complaint_import as svc

from .import_layer import Command as LayerImport


class Command(BaseCommand):
    help = "Import hotline work orders (12345/12319 export, XLSX or CSV) as complaints (dry run first; all or none)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check and match every row, write nothing")
        parser.add_argument("--district", help="code of the district the orders belong to (users of one district "
                                               "need not give it)")
        parser.add_argument("--channel", choices=sorted(svc.SOURCES), default="12345",
                            help="hotline of rows without a 来源 column")
        parser.add_argument("--user", help="user name the import is made as (default: the first administrator)")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        user = self._user(options["user"])
        district_id = None
        if options["district"]:
            district = AdminArea.objects.filter(level=AdminLevel.DISTRICT, code=options["district"]).first()
            if district is None:
                raise CommandError(f"--district {options['district']}: no such district")
            district_id = district.pk
        kwargs = dict(user=user, data=path.read_bytes(), name=path.name, district_id=district_id,
                      default_channel=svc.SOURCES[options["channel"]])
        try:
            if options["dry_run"]:
                report = svc.complaint_import_check(**kwargs)
            else:
                report = svc.complaint_import_commit(**kwargs)
        except Refusal as exc:
            report = exc.details.get("report")
            if report:
                self._report(report)
            raise CommandError(str(exc)) from None
        self._report(report)
        if options["dry_run"]:
            if report["errors"]:
                raise CommandError(f"{len(report['errors'])} error(s)")
            self.stdout.write(f"Dry run: {report['to_add']} order(s) would be added, "
                              f"{report['counts']['existing']} already there. Nothing written.")
            return
        detail = (f"{path.name}: {report['added']} added ({report['counts']['to_confirm']} to confirm), "
                  f"{report['already_there']} already there")
        record_command("import_complaints", detail, user=user)
        self.stdout.write(self.style.SUCCESS(detail))

    def _report(self, report: dict):
        c = report["counts"]
        self.stdout.write(f"{report['file_name']} ({report['district']}): {report['rows']} rows — {c['new']} matched, "
                          f"{c['to_confirm']} to confirm, {c['existing']} already there, {c['duplicate']} duplicate, "
                          f"{c['error']} with errors")
        for error in report["errors"][:50]:
            self.stdout.write(f"  row {error['row']}, {error['column']}: {error['message']}")

    _user = LayerImport._user  # --user, or the first administrator: as import_layer
