"""Who a user is in the product: a role and, for a street office, the street it answers for."""
from django.conf import settings
from django.db import models
from django.db.models import CheckConstraint, Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PLANNER = "planner", _("Planner (district property department)")
    STREET_OFFICE = "street_office", _("Street office")
    OFFICIAL = "official", _("Official (read-only)")
    ADMINISTRATOR = "administrator", _("Administrator")


class UserProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    street = models.ForeignKey(
        "layers.AdminArea", verbose_name=_("street"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("user profile")
        verbose_name_plural = _("user profiles")
        constraints = [
            CheckConstraint(
                condition=Q(role=Role.STREET_OFFICE, street__isnull=False) | (~Q(role=Role.STREET_OFFICE) & Q(street__isnull=True)),
                name="userprofile_street_by_role",
            )
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"
