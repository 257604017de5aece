"""Bundled-takeover plans (连片打包): saved, versioned proposals of bundles of adjacent uncovered estates."""
from django.conf import settings
from django.contrib.gis.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from .geo import SRID, geometry_rules, web_copy


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    DISCARDED = "discarded", _("Discarded")


class TakeoverPlan(models.Model):
    """A planner's proposal: bundles of uncovered estates, each for one enterprise; approval creates the contracts."""

    name = models.CharField(_("name"), max_length=120)
    # The district the plan is for (DOMAIN.md "Levels": each district plans its own estates); empty only for a
    # system administrator's plan over the whole city.
    district = models.ForeignKey(
        "layers.AdminArea", verbose_name=_("district"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    street = models.ForeignKey(
        "layers.AdminArea", verbose_name=_("street"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("Empty: the whole district"),
    )
    status = models.CharField(_("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    # gap_m, within_street, min_households, max_households, min_floor_area, max_floor_area, seed
    parameters = models.JSONField(_("parameters"), default=dict)
    start_date = models.DateField(_("contract start date"))
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("takeover plan")
        verbose_name_plural = _("takeover plans")
        ordering = ["-updated_at", "-id"]

    def __str__(self):
        return self.name


class Bundle(models.Model):
    """One package of adjacent uncovered estates for one enterprise; `rank` 1 is the easiest (先易后难).

    `number` names the bundle on the map, in lists and messages ("包 #3") and picks its colour: given once (the
    rank at proposal, then the next number of the plan) and never changed by edits, unlike the rank, which follows
    the easy-first order after every edit."""

    plan = models.ForeignKey(TakeoverPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="bundles")
    number = models.PositiveIntegerField(_("number"))
    rank = models.PositiveIntegerField(_("rank"))
    enterprise = models.ForeignKey(
        "layers.Enterprise", verbose_name=_("enterprise"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="bundles",
    )
    households = models.PositiveIntegerField(_("households"), default=0)
    floor_area = models.FloatField(_("floor area (m²)"), default=0)
    score = models.FloatField(_("ease score"), default=0)
    geom = models.MultiPolygonField(_("outline"), srid=SRID, null=True, spatial_index=False)
    geom_web = web_copy("geom", models.MultiPolygonField)

    class Meta:
        verbose_name = _("bundle")
        verbose_name_plural = _("bundles")
        ordering = ["plan", "rank"]
        indexes, constraints = geometry_rules("bundle", "geom", "geom_web")
        constraints = [*constraints, models.UniqueConstraint(fields=["plan", "number"], name="bundle_number_in_plan")]

    def __str__(self):
        return f"{self.plan} #{self.number}"


class BundleEstate(models.Model):
    """Membership of an estate in a bundle; an estate is in at most one bundle of a plan (bundles are disjoint)."""

    plan = models.ForeignKey(TakeoverPlan, on_delete=models.CASCADE, related_name="+")
    bundle = models.ForeignKey(Bundle, verbose_name=_("bundle"), on_delete=models.CASCADE, related_name="members")
    estate = models.ForeignKey("layers.Estate", verbose_name=_("estate"), on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("bundle estate")
        verbose_name_plural = _("bundle estates")
        constraints = [models.UniqueConstraint(fields=["plan", "estate"], name="bundleestate_disjoint_in_plan")]


class PlanVersion(models.Model):
    """A snapshot of a plan's bundles after each saved change (never updated), for the plan's history."""

    plan = models.ForeignKey(TakeoverPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    # [{"rank", "enterprise_id", "estate_ids", "households", "floor_area"}...] plus "status"
    snapshot = models.JSONField(_("snapshot"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    saved_at = models.DateTimeField(_("saved at"), auto_now_add=True, db_default=Now())

    class Meta:
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        ordering = ["plan", "-version"]
        constraints = [models.UniqueConstraint(fields=["plan", "version"], name="planversion_unique")]
