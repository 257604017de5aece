"""Background jobs (后台任务): long work run by the worker, with its progress, its cancel flag and its result file."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class JobKind(models.TextChoices):
    EXPORT = "export", _("Layer export")
    IMPORT = "import", _("Data import")
    PLAN_PROPOSAL = "plan_proposal", _("Bundle proposal")
    COMPLAINT_IMPORT = "complaint_import", _("Hotline work-order import")
    EVALUATION = "evaluation", _("Annual evaluation")


class JobStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("job status", "Queued")
    RUNNING = "running", pgettext_lazy("job status", "Running")
    DONE = "done", pgettext_lazy("job status", "Done")
    FAILED = "failed", pgettext_lazy("job status", "Failed")
    CANCELLED = "cancelled", pgettext_lazy("job status", "Cancelled")


FINISHED = (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)


class Job(models.Model):
    kind = models.CharField(_("kind"), max_length=32, choices=JobKind.choices)
    title = models.CharField(_("title"), max_length=200)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE,
                             related_name="+")
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    result_file = models.FileField(_("result file"), upload_to="jobs/%Y/%m/", blank=True)
    result_name = models.CharField(_("file name"), max_length=255, blank=True)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    import_job = models.ForeignKey("layers.ImportJob", verbose_name=_("import"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_default=Now())
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"]), models.Index(fields=["status"])]
        constraints = [
            models.CheckConstraint(condition=Q(done__lte=models.F("total")) | Q(total=0), name="job_done_le_total"),
            # A finished job says when it finished; an unfinished one does not.
            models.CheckConstraint(condition=Q(status__in=FINISHED, finished_at__isnull=False)
                                   | (~Q(status__in=FINISHED) & Q(finished_at__isnull=True)),
                                   name="job_finished_at_iff_finished"),
        ]

    def __str__(self):
        return f"{self.title} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED
