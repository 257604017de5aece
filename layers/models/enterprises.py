"""Service providers and the dated contracts from which every estate's service status is derived."""
from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.core.exceptions import ValidationError
from django.db.models import CheckConstraint, F, Func, Q, Value
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from ..credit_code import credit_code_problem
from .geo import SRID, geometry_rules, web_copy


def validate_credit_code(value: str) -> None:
    problem = credit_code_problem(value)
    if problem:
        raise ValidationError(_("Invalid unified social credit code: %(problem)s"), params={"problem": problem})


class CreditGrade(models.TextChoices):
    AAA = "AAA", "AAA"
    AA = "AA", "AA"
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"


class ListStatus(models.TextChoices):
    RED = "red", _("Red list")
    NORMAL = "normal", _("Normal")
    BLACK = "black", _("Black list")


class Enterprise(models.Model):
    name = models.CharField(_("name"), max_length=120)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    credit_grade = models.CharField(_("credit grade"), max_length=3, choices=CreditGrade.choices, default=CreditGrade.A)
    list_status = models.CharField(
        _("list status"), max_length=8, choices=ListStatus.choices, default=ListStatus.NORMAL, db_index=True
    )
    list_status_since = models.DateField(_("listed since"), null=True, blank=True)
    list_status_reason = models.CharField(_("listing reason"), max_length=200, blank=True)
    filed_on = models.DateField(_("filing date"), null=True, blank=True)
    contact_person = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]
        constraints = [
            CheckConstraint(condition=Q(credit_code__regex=r"^[0-9A-HJ-NP-RTUW-Y]{18}$"), name="enterprise_credit_code_chars"),
        ]

    def __str__(self):
        return self.name


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


class CreditEvaluation(models.Model):
    """One enterprise's annual evaluation (003 §5(3)): two consecutive failing years put it on the black list."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="evaluations"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    grade = models.CharField(_("credit grade"), max_length=3, choices=CreditGrade.choices)
    passed = models.BooleanField(_("passed"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True, db_default=Now())

    class Meta:
        verbose_name = _("credit evaluation")
        verbose_name_plural = _("credit evaluations")
        ordering = ["enterprise", "-year"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "year"], name="evaluation_one_per_year")]

    def __str__(self):
        return f"{self.enterprise} {self.year} {self.grade}"


class EnterpriseListing(models.Model):
    """A manual red- or black-list decision (or its lifting, status normal), with its reason."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="listings"
    )
    status = models.CharField(_("list status"), max_length=8, choices=ListStatus.choices)
    reason = models.CharField(_("reason"), max_length=200)
    listed_on = models.DateField(_("date"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("recorded at"), auto_now_add=True, db_default=Now())

    class Meta:
        verbose_name = _("enterprise listing")
        verbose_name_plural = _("enterprise listings")
        ordering = ["enterprise", "-listed_on", "-id"]

    def __str__(self):
        return f"{self.enterprise} {self.get_status_display()} {self.listed_on}"


class RegisterAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    EVALUATION = "evaluation", _("Evaluation recorded")
    LISTING = "listing", _("Listing changed")
    CONTRACT_CREATE = "contract_create", _("Service assigned")
    CONTRACT_END = "contract_end", _("Service ended")


class RegisterChange(models.Model):
    """Append-only record of every change to the enterprise register and every service assignment."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="changes",
    )
    contract = models.ForeignKey(
        ServiceContract, verbose_name=_("service contract"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="changes",
    )
    estate = models.ForeignKey(
        "layers.Estate", verbose_name=_("estate"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=16, choices=RegisterAction.choices)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True, db_default=Now())

    class Meta:
        verbose_name = _("register change")
        verbose_name_plural = _("register changes")
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["enterprise", "changed_at"], name="registerchange_enterprise")]

    def __str__(self):
        return f"{self.get_action_display()} {self.changed_at:%Y-%m-%d}"
