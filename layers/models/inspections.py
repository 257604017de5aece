"""Daily inspections (日常巡查): a district's checklist, each inspection of an estate scored item by item, with photos
and the place it was made (DOMAIN.md "Supervision": daily inspections feed the annual evaluation)."""
from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import CheckConstraint, F, Q, UniqueConstraint
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from .contracts import ProviderKind
from .estates import ServiceStatus
from .geo import SRID


class Checklist(models.Model):
    """A district's inspection checklist; inspections use the district's active one."""

    district = models.ForeignKey(
        "layers.AdminArea", verbose_name=_("district"), on_delete=models.PROTECT, related_name="checklists"
    )
    name = models.CharField(_("name"), max_length=60)
    active = models.BooleanField(_("in use"), default=True)
    created = models.DateTimeField(_("created at"), auto_now_add=True, db_default=Now())

    class Meta:
        verbose_name = _("inspection checklist")
        verbose_name_plural = _("inspection checklists")
        ordering = ["district", "-active", "name"]
        constraints = [
            # One checklist in use per district: an inspection always knows which one to fill in.
            UniqueConstraint(fields=["district"], condition=Q(active=True), name="checklist_one_active_per_district"),
        ]

    def __str__(self):
        return self.name


class ChecklistItem(models.Model):
    """One item of a checklist with the most points it can give."""

    checklist = models.ForeignKey(Checklist, verbose_name=_("checklist"), on_delete=models.CASCADE,
                                  related_name="items")
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("item"), max_length=60)
    max_score = models.PositiveSmallIntegerField(_("maximum score"))
    guidance = models.TextField(_("what to look at"), blank=True)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["checklist", "position", "id"]
        constraints = [
            UniqueConstraint(fields=["checklist", "position"], name="checklistitem_position_unique"),
            CheckConstraint(condition=Q(max_score__gt=0), name="checklistitem_max_score_positive"),
        ]

    def __str__(self):
        return f"{self.name} ({self.max_score})"


class Inspection(models.Model):
    """One inspection of an estate on a date, by a street office or community, scored with the district's checklist.
    The provider serving the estate that day is kept, so the score counts for that enterprise even after a change."""

    estate = models.ForeignKey(
        "layers.Estate", verbose_name=_("estate"), on_delete=models.PROTECT, related_name="inspections"
    )
    checklist = models.ForeignKey(Checklist, verbose_name=_("checklist"), on_delete=models.PROTECT,
                                  related_name="inspections")
    provider_kind = models.CharField(_("provider"), max_length=20, blank=True, choices=ProviderKind.choices)
    enterprise = models.ForeignKey(
        "layers.Enterprise", verbose_name=_("enterprise"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="inspections",
    )
    # The estate's street and community, kept equal to the estate's by the trigger layers_inspection_area (0021).
    street = models.ForeignKey(
        "layers.AdminArea", verbose_name=_("street"), on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(
        "layers.AdminArea", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    inspected_on = models.DateField(_("inspected on"))
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("inspector"), on_delete=models.PROTECT, related_name="+"
    )
    location = models.PointField(_("position"), srid=SRID, null=True, blank=True)
    accuracy_m = models.FloatField(_("position accuracy (m)"), null=True, blank=True)
    total_score = models.PositiveSmallIntegerField(_("score"))
    max_score = models.PositiveSmallIntegerField(_("maximum score"))
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True, db_default=Now())

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-inspected_on", "-id"]
        indexes = [
            models.Index(fields=["estate", "inspected_on"], name="inspection_estate_on"),
            models.Index(fields=["street", "inspected_on"], name="inspection_street_on"),
            models.Index(fields=["community", "inspected_on"], name="inspection_community_on"),
            models.Index(fields=["enterprise", "inspected_on"], name="inspection_enterprise_on"),
        ]
        constraints = [
            CheckConstraint(condition=Q(max_score__gt=0) & Q(total_score__lte=F("max_score")),
                            name="inspection_score_within_max"),
            CheckConstraint(condition=Q(accuracy_m__isnull=True) | Q(accuracy_m__gte=0),
                            name="inspection_accuracy_not_negative"),
            CheckConstraint(condition=Q(enterprise__isnull=True) | Q(provider_kind="enterprise"),
                            name="inspection_enterprise_when_provider"),
        ]

    def __str__(self):
        return f"{self.estate} · {self.inspected_on}"

    @property
    def provider_label(self) -> str:
        """Who served the estate that day: the enterprise's name, else the kind of provider, else "No service"."""
        if self.enterprise_id:
            return self.enterprise.name
        return self.get_provider_kind_display() if self.provider_kind else str(ServiceStatus.NONE.label)

    @property
    def percent(self) -> float:
        return round(100 * self.total_score / self.max_score, 1) if self.max_score else 0.0


class InspectionScore(models.Model):
    """The points an inspection gave one checklist item (≤ the item's maximum: trigger layers_inspectionscore_max)."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="scores")
    item = models.ForeignKey(ChecklistItem, verbose_name=_("item"), on_delete=models.PROTECT, related_name="scores")
    score = models.PositiveSmallIntegerField(_("score"))
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("item score")
        verbose_name_plural = _("item scores")
        ordering = ["inspection", "item__position"]
        constraints = [
            UniqueConstraint(fields=["inspection", "item"], name="inspectionscore_item_once"),
            CheckConstraint(condition=Q(score__gte=0), name="inspectionscore_not_negative"),
        ]

    def __str__(self):
        return f"{self.item.name}: {self.score}"


def photo_path(instance, filename):
    return f"inspections/{instance.inspection_id}/{filename}"


class InspectionPhoto(models.Model):
    """A photo taken during an inspection, of one item or of the whole."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="photos")
    item = models.ForeignKey(ChecklistItem, verbose_name=_("item"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    file = models.FileField(_("photo"), upload_to=photo_path)
    # When and where it was taken: the phone's fields (a canvas drops EXIF) or the camera's EXIF; without either,
    # the time of the upload and no place.
    taken_at = models.DateTimeField(_("taken at"), db_default=Now())
    location = models.PointField(_("taken where"), srid=4326, null=True, blank=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("inspection photo")
        verbose_name_plural = _("inspection photos")
        ordering = ["inspection", "id"]
