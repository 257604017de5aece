"""Management areas (物业管理区域): the polygons one property service covers, drawn by the district department."""
from django.contrib.gis.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from .geo import SRID, geometry_rules, web_copy


class ManagementArea(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    district = models.ForeignKey(
        "layers.AdminArea", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+"
    )
    street = models.ForeignKey(
        "layers.AdminArea", verbose_name=_("street"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    geom = models.MultiPolygonField(_("boundary"), srid=SRID, spatial_index=False)
    geom_web = web_copy("geom", models.MultiPolygonField)
    # Optimistic locking: a save must name the version it was based on (see the editing services).
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())

    class Meta:
        verbose_name = _("management area")
        verbose_name_plural = _("management areas")
        ordering = ["code"]
        # Non-overlap (rule 1) is a trigger in migration 0002: a constraint cannot compare rows.
        indexes, constraints = geometry_rules("managementarea", "geom", "geom_web")

    def __str__(self):
        return f"{self.name} ({self.code})"
