"""The history of every management-area change, written by a database trigger so no write path escapes it."""
from django.conf import settings
from django.contrib.gis.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from .geo import SRID


class ChangeAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    REDRAW = "redraw", _("Redrawn")
    SPLIT = "split", _("Split")
    MERGE = "merge", _("Merged")
    RESTORE = "restore", _("Restored")
    DELETE = "delete", _("Deleted")


class ManagementAreaVersion(models.Model):
    """One change of one management area: who, when, why, and the area before and after.

    Rows are inserted by the trigger of migration 0007 from the transaction's change context
    (layers.history.change_context); they are never updated or deleted.
    """

    area = models.ForeignKey(
        "layers.ManagementArea", verbose_name=_("management area"), null=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="versions",
    )
    area_code = models.CharField(_("code"), max_length=32)
    version = models.PositiveIntegerField(_("version"))
    action = models.CharField(_("action"), max_length=16, choices=ChangeAction.choices)
    reason = models.TextField(_("reason"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), db_default=Now())
    geom_before = models.MultiPolygonField(_("boundary before"), srid=SRID, null=True, spatial_index=False)
    geom_after = models.MultiPolygonField(_("boundary after"), srid=SRID, null=True, spatial_index=False)
    attrs_before = models.JSONField(_("attributes before"), null=True)
    attrs_after = models.JSONField(_("attributes after"), null=True)
    # The area's district, written by the database from the attributes (migration 0026): a removed area's history
    # stays within its district's scope like the area did.
    district = models.ForeignKey(
        "layers.AdminArea", verbose_name=_("district"), null=True, editable=False, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
    )

    class Meta:
        verbose_name = _("management-area version")
        verbose_name_plural = _("management-area history")
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["area", "version"], name="areaversion_area_version"),
                   models.Index(fields=["district"], name="areaversion_district")]

    def __str__(self):
        return f"{self.area_code} v{self.version} {self.get_action_display()}"
