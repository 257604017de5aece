"""Who serves an estate: caretaker agencies, the dated service contracts, each enterprise's derived service area.

Every estate's service status is derived from its contracts (DOMAIN.md); EnterpriseJurisdiction is refreshed by
layers.services.jurisdictions.
"""
from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db.models import CheckConstraint, F, Func, Q, Value
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from .enterprises import Enterprise
from .geo import SRID, geometry_rules, web_copy


class CaretakerKind(models.TextChoices):
    STREET_AGENCY = "street_agency", _("Street-run service agency")
    CUSTODIAN_ENTERPRISE = "custodian_enterprise", _("Custodian enterprise")


class CaretakerAgency(models.Model):
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=24, choices=CaretakerKind.choices)
    street = models.ForeignKey(
        "layers.AdminArea", verbose_name=_("street"), on_delete=models.PROTECT, related_name="caretaker_agencies"
    )
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("caretaker agency")
        verbose_name_plural = _("caretaker agencies")
        ordering = ["name"]
        constraints = [
            CheckConstraint(
                condition=Q(kind=CaretakerKind.STREET_AGENCY, enterprise__isnull=True)
                | Q(kind=CaretakerKind.CUSTODIAN_ENTERPRISE, enterprise__isnull=False),
                name="caretakeragency_enterprise_by_kind",
            )
        ]

    def __str__(self):
        return self.name


class ProviderKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("Property-service enterprise")
    CARETAKER_AGENCY = "caretaker_agency", _("Caretaker agency")
    DISTRICT_FALLBACK = "district_fallback", _("District fallback")
    COMMUNITY = "community", _("Community self-governance")


class ContractMode(models.TextChoices):
    SINGLE = "single", _("Single introduction")
    NEARBY = "nearby", _("Nearby custody")
    BUNDLED = "bundled", _("Bundled takeover")
    CARETAKER = "caretaker", _("Caretaker service")
    SELF_GOVERNED = "self_governed", _("Self-governance")


class DateRange(Func):
    function = "daterange"
    output_field = models.Field()  # only used inside the exclusion constraint


class ServiceContract(models.Model):
    """One provider serving one estate from start_date up to, not including, end_date (open-ended if null)."""

    estate = models.ForeignKey(
        "layers.Estate", verbose_name=_("estate"), on_delete=models.CASCADE, related_name="contracts"
    )
    provider_kind = models.CharField(_("provider"), max_length=20, choices=ProviderKind.choices)
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), null=True, blank=True, on_delete=models.PROTECT, related_name="contracts"
    )
    caretaker_agency = models.ForeignKey(
        CaretakerAgency,
        verbose_name=_("caretaker agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    mode = models.CharField(_("mode"), max_length=16, choices=ContractMode.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True, help_text=_("First day without this service"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    bundle = models.ForeignKey(
        "layers.Bundle", verbose_name=_("bundle"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="contracts",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_default=Now())

    class Meta:
        verbose_name = _("service contract")
        verbose_name_plural = _("service contracts")
        ordering = ["estate", "start_date"]
        indexes = [models.Index(fields=["estate", "start_date"], name="contract_estate_start")]
        constraints = [
            CheckConstraint(condition=Q(end_date__isnull=True) | Q(end_date__gt=F("start_date")), name="contract_dates_ordered"),
            CheckConstraint(
                condition=(
                    Q(provider_kind=ProviderKind.ENTERPRISE, enterprise__isnull=False, caretaker_agency__isnull=True,
                      mode__in=[ContractMode.SINGLE, ContractMode.NEARBY, ContractMode.BUNDLED])
                    | Q(provider_kind=ProviderKind.CARETAKER_AGENCY, enterprise__isnull=True,
                        caretaker_agency__isnull=False, mode=ContractMode.CARETAKER)
                    | Q(provider_kind=ProviderKind.DISTRICT_FALLBACK, enterprise__isnull=True,
                        caretaker_agency__isnull=True, mode=ContractMode.CARETAKER)
                    | Q(provider_kind=ProviderKind.COMMUNITY, enterprise__isnull=True,
                        caretaker_agency__isnull=True, mode=ContractMode.SELF_GOVERNED)
                ),
                name="contract_provider_matches_mode",
            ),
            # One service at a time: an estate's status on a date is that of its single active contract.
            ExclusionConstraint(
                name="contract_no_overlap_per_estate",
                expressions=[
                    (F("estate"), RangeOperators.EQUAL),
                    (DateRange(F("start_date"), F("end_date"), Value("[)")), RangeOperators.OVERLAPS),
                ],
            ),
        ]

    def __str__(self):
        return f"{self.estate} · {self.get_provider_kind_display()} · {self.start_date}"


class EnterpriseJurisdiction(models.Model):
    """Derived: the union of the estates an enterprise serves today (refreshed by services.jurisdictions)."""

    enterprise = models.OneToOneField(
        Enterprise, verbose_name=_("enterprise"), primary_key=True, on_delete=models.CASCADE, related_name="jurisdiction"
    )
    geom = models.MultiPolygonField(_("service area"), srid=SRID, spatial_index=False)
    geom_web = web_copy("geom", models.MultiPolygonField)
    estate_count = models.PositiveIntegerField(_("estates"))
    households = models.PositiveIntegerField(_("households"))
    refreshed_at = models.DateTimeField(_("refreshed at"), auto_now=True, db_default=Now())

    class Meta:
        verbose_name = _("enterprise jurisdiction")
        verbose_name_plural = _("enterprise jurisdictions")
        indexes, constraints = geometry_rules("jurisdiction", "geom", "geom_web")
