"""Abandoned-building reports (弃管楼房): street offices report, the district verifies, each step recorded."""
from django.conf import settings
from django.contrib.gis.db import models as gis
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from .estates import Abandonment


class AbandonmentReason(models.TextChoices):
    ENTERPRISE_LEFT = "enterprise_left", _("The property enterprise withdrew")
    CONTRACT_EXPIRED = "contract_expired", _("Service contract expired, not renewed")
    DEVELOPER_LEFT = "developer_left", _("Developer left, never handed over")
    UNIT_DISSOLVED = "unit_dissolved", _("Former work unit dissolved or restructured")
    FEES_UNPAID = "fees_unpaid", _("Service stopped over unpaid fees")
    OTHER = "other", _("Other")


class ReportState(models.TextChoices):
    """The report's life; the building's abandonment field mirrors it (rejected → managed)."""

    REPORTED = Abandonment.REPORTED.value, Abandonment.REPORTED.label
    VERIFIED = Abandonment.VERIFIED.value, Abandonment.VERIFIED.label
    UNDER_CARETAKER = Abandonment.UNDER_CARETAKER.value, Abandonment.UNDER_CARETAKER.label
    RESOLVED = Abandonment.RESOLVED.value, Abandonment.RESOLVED.label
    REJECTED = "rejected", _("Rejected")


class AbandonmentReport(models.Model):
    building = models.ForeignKey(
        "layers.Building", verbose_name=_("building"), on_delete=models.PROTECT, related_name="abandonment_reports"
    )
    street = models.ForeignKey(
        "layers.AdminArea", verbose_name=_("street"), on_delete=models.PROTECT, related_name="+"
    )
    abandoned_since = models.DateField(_("abandoned since"))
    reason = models.CharField(_("reason"), max_length=20, choices=AbandonmentReason.choices)
    description = models.TextField(_("description"), blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=ReportState.choices, default=ReportState.REPORTED, db_index=True
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reported by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())
    # Where the reporter stood (WGS84 from the phone's geolocation), how exact that was, and how far from the
    # building's footprint: a report made away from the building carries the distance (docs/MOBILE.md).
    reporter_location = gis.PointField(_("reporter's position"), srid=4326, null=True, blank=True)
    accuracy_m = models.FloatField(_("position accuracy (m)"), null=True, blank=True)
    distance_m = models.FloatField(_("distance to the building (m)"), null=True, blank=True)

    class Meta:
        verbose_name = _("abandoned-building report")
        verbose_name_plural = _("abandoned-building reports")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.building} · {self.get_state_display()}"


def photo_path(instance, filename):
    return f"abandonment/{instance.report_id}/{filename}"


class AbandonmentPhoto(models.Model):
    report = models.ForeignKey(AbandonmentReport, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("photo"), upload_to=photo_path)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    # Sent by the phone beside the resized file (a canvas drops EXIF): when and where the photo was taken.
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    location = gis.PointField(_("taken where"), srid=4326, null=True, blank=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")


class AbandonmentEvent(models.Model):
    """One step of a report: reported, verified, rejected, caretaker assigned, resolved."""

    report = models.ForeignKey(AbandonmentReport, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(_("from"), max_length=20, choices=ReportState.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=20, choices=ReportState.choices)
    note = models.TextField(_("note"), blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("at"), db_default=Now())

    class Meta:
        verbose_name = _("report step")
        verbose_name_plural = _("report steps")
        ordering = ["created_at", "id"]
