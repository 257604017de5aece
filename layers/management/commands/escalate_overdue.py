"""Move every open complaint past its sign or reply deadline up one level (community → street → district).

Called every day by the django-q2 schedule "escalate_overdue" (registered on migrate, docs/COMPLAINTS.md "Deadlines
and escalation"); safe to run again: a case escalates once per overdue period.
"""
import datetime

from django.core.management.base import BaseCommand, CommandError

from layers.security.audit import record_command
from layers.services.complaint_steps import escalate_overdue


class Command(BaseCommand):
    help = "Escalate the complaints past their sign or reply deadline one level (today, or on --date YYYY-MM-DD)."

    def add_arguments(self, parser):
        parser.add_argument("--date", default=None, help="YYYY-MM-DD (default today)")

    def handle(self, *args, date=None, **options):
        try:
            on = datetime.date.fromisoformat(date) if date else None
        except ValueError:
            raise CommandError(f"--date must be YYYY-MM-DD, not {date!r}") from None
        escalated = escalate_overdue(on)
        if escalated:
            record_command("escalate_overdue", f"{len(escalated)} complaints escalated: {escalated[:50]}")
        self.stdout.write(f"{len(escalated)} complaints escalated")
