"""Old-estate renovation projects (维修改造), with their items and funding by source."""
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import CheckConstraint, F, Q
from django.utils.translation import gettext_lazy as _


class RenovationItem(models.TextChoices):
    WATER_METER = "water_meter", _("Water metered to the household")
    HEAT_METER = "heat_meter", _("Heat metered to the household")
    POWER_METER = "power_meter", _("Power metered to the household")
    GAS_METER = "gas_meter", _("Gas metered to the household")
    ELEVATOR = "elevator", _("Elevator")
    ROOF = "roof", _("Roof")
    PIPES = "pipes", _("Pipes")
    FACADE = "facade", _("Façade and insulation")


class RenovationStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")


class RenovationProject(models.Model):
    estate = models.ForeignKey(
        "layers.Estate", verbose_name=_("estate"), on_delete=models.CASCADE, related_name="renovations"
    )
    name = models.CharField(_("name"), max_length=120)
    items = ArrayField(models.CharField(max_length=20, choices=RenovationItem.choices), verbose_name=_("items"))
    # Funding in 10,000 yuan (万元), by source (000 §5(2)).
    funding_city = models.DecimalField(_("city funding (10k yuan)"), max_digits=10, decimal_places=2, default=0)
    funding_district = models.DecimalField(_("district funding (10k yuan)"), max_digits=10, decimal_places=2, default=0)
    funding_social = models.DecimalField(_("social capital (10k yuan)"), max_digits=10, decimal_places=2, default=0)
    funding_owners = models.DecimalField(_("owners' funding (10k yuan)"), max_digits=10, decimal_places=2, default=0)
    status = models.CharField(_("status"), max_length=16, choices=RenovationStatus.choices, default=RenovationStatus.PLANNED)
    start_year = models.PositiveSmallIntegerField(_("start year"))
    end_year = models.PositiveSmallIntegerField(_("end year"), null=True, blank=True)

    class Meta:
        verbose_name = _("renovation project")
        verbose_name_plural = _("renovation projects")
        ordering = ["-start_year", "name"]
        constraints = [
            CheckConstraint(condition=Q(end_year__isnull=True) | Q(end_year__gte=F("start_year")), name="renovation_years_ordered"),
            CheckConstraint(
                condition=Q(funding_city__gte=0, funding_district__gte=0, funding_social__gte=0, funding_owners__gte=0),
                name="renovation_funding_nonnegative",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def funding_total(self):
        return self.funding_city + self.funding_district + self.funding_social + self.funding_owners
