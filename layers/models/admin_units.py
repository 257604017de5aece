"""Administrative areas (city → district → street → community) and the road network drawn under them."""
from django.contrib.gis.db import models
from django.db.models import CheckConstraint, Q
from django.utils.translation import gettext_lazy as _

from .geo import SRID, geometry_rules, web_copy


class AdminLevel(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    COMMUNITY = "community", _("Community")


class AdminArea(models.Model):
    level = models.CharField(_("level"), max_length=16, choices=AdminLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    geom = models.MultiPolygonField(_("boundary"), srid=SRID, spatial_index=False)
    geom_web = web_copy("geom", models.MultiPolygonField)

    class Meta:
        verbose_name = _("administrative area")
        verbose_name_plural = _("administrative areas")
        ordering = ["level", "code"]
        indexes, constraints = geometry_rules("adminarea", "geom", "geom_web")
        constraints = constraints + [
            CheckConstraint(
                # DOMAIN.md "Levels": the city has no parent, every other level has one; that the parent is the
                # level just above is checked by the trigger layers_adminarea_parent_level (migration 0015).
                condition=Q(level=AdminLevel.CITY, parent__isnull=True)
                | (~Q(level=AdminLevel.CITY) & Q(parent__isnull=False)),
                name="adminarea_parent_by_level",
            )
        ]

    def __str__(self):
        return self.name


# The level just above each level (DOMAIN.md "Levels"); the database trigger of migration 0015 says the same.
PARENT_LEVEL = {AdminLevel.DISTRICT: AdminLevel.CITY, AdminLevel.STREET: AdminLevel.DISTRICT,
                AdminLevel.COMMUNITY: AdminLevel.STREET}


class RoadClass(models.TextChoices):
    ARTERIAL = "arterial", _("Arterial road")
    SECONDARY = "secondary", _("Secondary road")
    LOCAL = "local", _("Local road")


class Road(models.Model):
    name = models.CharField(_("name"), max_length=100, blank=True)
    road_class = models.CharField(_("class"), max_length=16, choices=RoadClass.choices)
    geom = models.LineStringField(_("centre line"), srid=SRID, spatial_index=False)
    geom_web = web_copy("geom", models.LineStringField)

    class Meta:
        verbose_name = _("road")
        verbose_name_plural = _("roads")
        indexes, constraints = geometry_rules("road", "geom", "geom_web")

    def __str__(self):
        return self.name or f"road {self.pk}"
