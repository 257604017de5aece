"""App config for the map layers (the whole product domain lives in this app)."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LayersConfig(AppConfig):
    name = "layers"
    verbose_name = _("Property-management coverage")

    def ready(self):
        from django_q.signals import post_spawn

        from .security import audit, login_lock  # noqa: F401 (connect the auth signals to the audit log)
        from .services import jobs

        # A (re)started worker process first looks for jobs left running by a dead one (docs/JOBS.md).
        post_spawn.connect(jobs.on_worker_start, dispatch_uid="layers-jobs-sweep")
