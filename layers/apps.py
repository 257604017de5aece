"""App config for the map layers (the whole product domain lives in this app)."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LayersConfig(AppConfig):
    name = "layers"
    verbose_name = _("Property-management coverage")

    def ready(self):
        from django.db.models.signals import post_migrate
        from django_q.signals import post_spawn

        from .security import audit, login_lock  # noqa: F401 (connect the auth signals to the audit log)
        from .services import complaint_steps, idempotency, jobs

        # A (re)started worker process first looks for jobs left running by a dead one (docs/JOBS.md).
        post_spawn.connect(jobs.on_worker_start, dispatch_uid="layers-jobs-sweep")
        # The daily automatic escalation of overdue complaints (docs/COMPLAINTS.md "Deadlines and escalation").
        post_migrate.connect(complaint_steps.register_schedule, sender=self, dispatch_uid="layers-escalation-schedule")
        # The nightly pruning of the phone outbox's stored answers (docs/MOBILE.md "Outbox and idempotency").
        post_migrate.connect(idempotency.register_schedule, sender=self, dispatch_uid="layers-idempotency-prune")
