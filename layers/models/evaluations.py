"""The annual evaluation of enterprises (市场行为监督检查等级评定, 003 §5(3)): street opinions, schemes, results."""
from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import CheckConstraint, F, Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from .enterprises import CreditGrade


class StreetOpinion(models.Model):
    """A street office's opinion (乡镇（街道办事处）意见) of one enterprise serving in its street, for one year."""

    street = models.ForeignKey("layers.AdminArea", verbose_name=_("street"), on_delete=models.PROTECT,
                               related_name="+")
    enterprise = models.ForeignKey("layers.Enterprise", verbose_name=_("enterprise"), on_delete=models.CASCADE,
                                   related_name="street_opinions")
    year = models.PositiveSmallIntegerField(_("year"))
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("recorded at"), auto_now=True, db_default=Now())

    class Meta:
        verbose_name = _("street opinion")
        verbose_name_plural = _("street opinions")
        ordering = ["-year", "street", "enterprise"]
        constraints = [
            models.UniqueConstraint(fields=["street", "enterprise", "year"], name="streetopinion_one_per_year"),
            CheckConstraint(condition=Q(score__gte=0, score__lte=100), name="streetopinion_score_0_100"),
        ]

    def __str__(self):
        return f"{self.street} {self.enterprise} {self.year}: {self.score}"


class EvaluationScheme(models.Model):
    """A district's weights and thresholds for the annual evaluation (the seed names the four inputs, not how to
    weigh them: each district sets them; defaults in layers/planning/evaluation.py)."""

    district = models.OneToOneField("layers.AdminArea", verbose_name=_("district"), on_delete=models.CASCADE,
                                    related_name="+")
    weight_contracts = models.PositiveSmallIntegerField(_("weight of contract fulfilment"), default=25)
    weight_complaints = models.PositiveSmallIntegerField(_("weight of complaint handling"), default=30)
    weight_inspections = models.PositiveSmallIntegerField(_("weight of inspections"), default=25)
    weight_opinions = models.PositiveSmallIntegerField(_("weight of street opinions"), default=20)
    grade_aaa = models.PositiveSmallIntegerField(_("lowest total for AAA"), default=90)
    grade_aa = models.PositiveSmallIntegerField(_("lowest total for AA"), default=80)
    grade_a = models.PositiveSmallIntegerField(_("lowest total for A"), default=70)
    grade_b = models.PositiveSmallIntegerField(_("lowest total for B"), default=60)
    pass_line = models.PositiveSmallIntegerField(_("pass line"), default=60)
    key_supervision_per_1000 = models.DecimalField(
        _("key supervision from complaints per 1,000 households"), max_digits=6, decimal_places=2, default=10)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("changed at"), auto_now=True, db_default=Now())

    class Meta:
        verbose_name = _("evaluation scheme")
        verbose_name_plural = _("evaluation schemes")
        constraints = [
            CheckConstraint(condition=Q(weight_contracts__gte=0, weight_complaints__gte=0, weight_inspections__gte=0,
                                        weight_opinions__gte=0)
                            & Q(weight_contracts=100 - F("weight_complaints") - F("weight_inspections")
                                - F("weight_opinions")),
                            name="evaluationscheme_weights_sum_100"),
            CheckConstraint(condition=Q(grade_aaa__lte=100, grade_aaa__gt=F("grade_aa"), grade_aa__gt=F("grade_a"),
                                        grade_a__gt=F("grade_b"), pass_line__lte=100),
                            name="evaluationscheme_thresholds_ordered"),
            CheckConstraint(condition=Q(key_supervision_per_1000__gt=0), name="evaluationscheme_key_positive"),
        ]

    def __str__(self):
        return f"{self.district}"


class EvaluationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    CONFIRMED = "confirmed", _("Confirmed")


class EnterpriseEvaluation(models.Model):
    """One enterprise's computed evaluation in one district for one year: a draft until a planner confirms it, which
    records the register's CreditEvaluation (services/evaluations.py)."""

    enterprise = models.ForeignKey("layers.Enterprise", verbose_name=_("enterprise"), on_delete=models.CASCADE,
                                   related_name="district_evaluations")
    district = models.ForeignKey("layers.AdminArea", verbose_name=_("district"), on_delete=models.PROTECT,
                                 related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    inputs = models.JSONField(_("inputs"), default=dict)
    explanation = models.JSONField(_("explanation"), default=list)
    score_contracts = models.FloatField(_("contract fulfilment"), null=True, blank=True)
    score_complaints = models.FloatField(_("complaint handling"), null=True, blank=True)
    score_inspections = models.FloatField(_("inspections"), null=True, blank=True)
    score_opinions = models.FloatField(_("street opinions"), null=True, blank=True)
    total = models.FloatField(_("total"))
    grade = models.CharField(_("credit grade"), max_length=3, choices=CreditGrade.choices)
    passed = models.BooleanField(_("passed"))
    key_supervision = models.BooleanField(_("key supervision"), default=False)
    red_list_proposed = models.BooleanField(_("red list proposed"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=EvaluationStatus.choices,
                              default=EvaluationStatus.DRAFT)
    computed_at = models.DateTimeField(_("computed at"), auto_now=True, db_default=Now())
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("enterprise evaluation")
        verbose_name_plural = _("enterprise evaluations")
        ordering = ["district", "-year", "-total"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "district", "year"], name="enterpriseevaluation_one"),
            CheckConstraint(condition=Q(total__gte=0, total__lte=100), name="enterpriseevaluation_total_0_100"),
            CheckConstraint(condition=Q(status=EvaluationStatus.DRAFT, confirmed_at__isnull=True)
                            | Q(status=EvaluationStatus.CONFIRMED, confirmed_at__isnull=False),
                            name="enterpriseevaluation_confirmed_at"),
        ]

    def __str__(self):
        return f"{self.enterprise} {self.year} {self.grade}"
