"""Delete the stored answers of idempotent requests older than IDEMPOTENCY_KEEP_DAYS (docs/MOBILE.md).

Called every night by the django-q2 schedule "prune_idempotency" (registered on migrate); safe to run again.
"""
from django.core.management.base import BaseCommand

from layers.security.audit import record_command
from layers.services.idempotency import prune_idempotent_requests


class Command(BaseCommand):
    help = "Delete the stored idempotent answers older than IDEMPOTENCY_KEEP_DAYS days."

    def handle(self, *args, **options):
        deleted = prune_idempotent_requests()
        if deleted:
            record_command("prune_idempotency", f"{deleted} stored answers pruned")
        self.stdout.write(f"{deleted} stored answers pruned")
