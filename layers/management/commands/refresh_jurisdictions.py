"""Rebuild every enterprise jurisdiction (企业服务范围) from the contracts active today (or --date).

Assignments and ends refresh the enterprises they touch at once; contracts that start or end on a later day change
the jurisdictions on that day, so run this daily (cron, systemd timer) shortly after midnight.
"""
import datetime

from django.core.management.base import BaseCommand, CommandError

from layers.security.audit import record_command
from layers.services.jurisdictions import enterprise_jurisdictions_refresh


class Command(BaseCommand):
    help = "Rebuild every enterprise jurisdiction from the contracts active today (or on --date YYYY-MM-DD)."

    def add_arguments(self, parser):
        parser.add_argument("--date", default=None, help="YYYY-MM-DD (default today)")

    def handle(self, *args, date=None, **options):
        try:
            on = datetime.date.fromisoformat(date) if date else None
        except ValueError:
            raise CommandError(f"--date must be YYYY-MM-DD, not {date!r}") from None
        count = enterprise_jurisdictions_refresh(on=on)
        record_command("refresh_jurisdictions", f"{count} enterprise jurisdictions rebuilt for {on or 'today'}")
        self.stdout.write(f"{count} enterprise jurisdictions rebuilt")
