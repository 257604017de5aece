"""Estates (小区) and their buildings (楼栋), with the service status derived from dated contracts."""
import datetime

from django.contrib.postgres.indexes import GinIndex
from django.contrib.gis.db import models
from django.db.models import CheckConstraint, F, Func, Q, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..rules import is_old_estate, old_estate_filter
from .geo import SRID, geometry_rules, web_copy


class ServiceStatus(models.TextChoices):
    ENTERPRISE = "enterprise", _("Professional property service")
    CARETAKER = "caretaker", _("Caretaker (fallback) service")
    SELF_GOVERNED = "self_governed", _("Self-governed")
    NONE = "none", _("No service")


class OwnersCommittee(models.TextChoices):
    NONE = "none", _("None")
    PREPARING = "preparing", _("Being formed")
    ESTABLISHED = "established", _("Established")
    COMMUNITY_ACTING = "community_acting", _("Community committee acting")


class ServiceStatusOn(Func):
    """SQL: the service status of an estate on a date (function layers_service_status, migration 0002)."""

    function = "layers_service_status"
    output_field = models.CharField()


class EstateQuerySet(models.QuerySet):
    def with_service_status(self, on: datetime.date | None = None):
        on = on or timezone.localdate()
        return self.annotate(service_status=ServiceStatusOn(F("pk"), Value(on, output_field=models.DateField())))

    def old(self):
        return self.filter(old_estate_filter())

    def uncovered(self, on: datetime.date | None = None):
        return self.old().with_service_status(on).filter(service_status=ServiceStatus.NONE)


class Estate(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    # Other names operators use (金都 for 金都小区), separated by "、"; matched with trigrams like the name
    # (DOMAIN.md "Supervision": hotline addresses are located on an estate).
    aliases = models.CharField(_("aliases"), max_length=300, blank=True, default="")
    build_year = models.PositiveSmallIntegerField(_("build year"))
    households = models.PositiveIntegerField(_("households"))
    floor_area = models.FloatField(_("floor area (m²)"))
    is_open = models.BooleanField(_("open estate"), default=False, help_text=_("Open (街区制) rather than closed"))
    owners_committee = models.CharField(
        _("owners' committee"), max_length=20, choices=OwnersCommittee.choices, default=OwnersCommittee.NONE
    )
    community = models.ForeignKey(
        "layers.AdminArea", verbose_name=_("community"), on_delete=models.PROTECT, related_name="estates"
    )
    # The community's district (its parent's parent), written by the database only (migration 0021: on every
    # insert or change of community, and when a community or street moves): a district's permission scope
    # (permissions.DISTRICT_LOOKUP) reads this one column, which PostgreSQL estimates well, instead of two joins
    # over the admin areas, which it estimated at a sixth of a district and answered with nested loops.
    district = models.ForeignKey(
        "layers.AdminArea", verbose_name=_("district"), null=True, blank=True, editable=False,
        on_delete=models.PROTECT, related_name="+",
    )
    management_area = models.ForeignKey(
        "layers.ManagementArea",
        verbose_name=_("management area"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="estates",
    )
    geom = models.MultiPolygonField(_("boundary"), srid=SRID, spatial_index=False)
    geom_web = web_copy("geom", models.MultiPolygonField)

    objects = EstateQuerySet.as_manager()

    class Meta:
        verbose_name = _("estate")
        verbose_name_plural = _("estates")
        ordering = ["code"]
        indexes, constraints = geometry_rules("estate", "geom", "geom_web")
        # Search matches any part of a name or address (ILIKE '%…%'): trigram indexes serve that.
        indexes = indexes + [
            GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="estate_name_trgm"),
            GinIndex(fields=["address"], opclasses=["gin_trgm_ops"], name="estate_address_trgm"),
            GinIndex(fields=["aliases"], opclasses=["gin_trgm_ops"], name="estate_aliases_trgm"),
            # The coverage figures read old estates per community without the outlines (index-only scans of
            # these narrow copies instead of the table with its two geometries), and estates by id for their
            # community (abandoned buildings, renovation projects).
            models.Index(fields=["community"], include=["id", "build_year", "households", "floor_area",
                                                        "owners_committee"], name="estate_community_figures"),
            models.Index(fields=["id"], include=["community"], name="estate_id_community"),
        ]
        constraints = constraints + [
            CheckConstraint(condition=Q(build_year__gte=1900, build_year__lte=2100), name="estate_build_year_range"),
            CheckConstraint(condition=Q(floor_area__gte=0), name="estate_floor_area_nonnegative"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_old(self) -> bool:
        return is_old_estate(self.build_year)


class Abandonment(models.TextChoices):
    NONE = "none", _("Managed")
    REPORTED = "reported", _("Reported abandoned")
    VERIFIED = "verified", _("Verified abandoned")
    UNDER_CARETAKER = "under_caretaker", _("Under caretaker")
    RESOLVED = "resolved", _("Resolved")


class Building(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True)
    estate = models.ForeignKey(Estate, verbose_name=_("estate"), on_delete=models.CASCADE, related_name="buildings")
    label = models.CharField(_("label"), max_length=40)
    floors = models.PositiveSmallIntegerField(_("floors"))
    households = models.PositiveIntegerField(_("households"))
    build_year = models.PositiveSmallIntegerField(_("build year"))
    has_elevator = models.BooleanField(_("elevator"), default=False)
    abandonment = models.CharField(
        _("abandonment"), max_length=20, choices=Abandonment.choices, default=Abandonment.NONE, db_index=True
    )
    abandoned_since = models.DateField(_("abandoned since"), null=True, blank=True)
    geom = models.PolygonField(_("footprint"), srid=SRID, spatial_index=False)
    geom_web = web_copy("geom", models.PolygonField)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["code"]
        indexes, constraints = geometry_rules("building", "geom", "geom_web")
        # A building's estate without reading the table with its two geometries (coverage figures of abandoned
        # buildings: an index-only scan).
        indexes = indexes + [models.Index(fields=["id"], include=["estate"], name="building_id_estate")]
        constraints = constraints + [
            CheckConstraint(condition=Q(floors__gte=1, floors__lte=120), name="building_floors_range"),
        ]

    def __str__(self):
        return f"{self.estate.name} {self.label}"
