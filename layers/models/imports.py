"""Data imports (数据导入): one uploaded file, its field mapping and coordinate choices, its dry-run report, its fate."""
from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    CHECKED = "checked", _("Checked (dry run)")
    COMMITTED = "committed", _("Imported")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=255)
    target = models.CharField(_("target"), max_length=32)
    mapping = models.JSONField(_("field mapping"), default=dict, blank=True)
    crs = models.CharField(_("coordinate system of the file"), max_length=64, blank=True)
    srid = models.PositiveIntegerField(_("coordinate system used"), null=True, blank=True)
    gcj02 = models.CharField(_("GCJ-02 conversion"), max_length=8, blank=True,
                             choices=[("convert", _("convert")), ("bd09", _("convert from BD-09")), ("keep", _("keep"))])
    status = models.CharField(_("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    report = models.JSONField(_("report"), default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True,
                             on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())
    committed_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.file_name} → {self.target} ({self.get_status_display()})"
