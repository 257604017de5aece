"""The enterprise register (企业名录): enterprises, annual credit evaluations, red/black listings, the change log.

Contracts, caretaker agencies and service areas are in contracts.py (docs/ENTERPRISE_REGISTER.md).
"""
from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.db.models import CheckConstraint, Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from ..credit_code import credit_code_problem


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
        "layers.ServiceContract", verbose_name=_("service contract"), null=True, blank=True, on_delete=models.SET_NULL,
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
