"""Who a user is in the product: a role and what it answers for (a district, a street, a community, an enterprise, or
the whole city)."""
from django.conf import settings
from django.db import models
from django.db.models import CheckConstraint, Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    # DOMAIN.md "Who uses it" and "Levels": the city reads every district; district roles act in their district.
    CITY_OFFICIAL = "city_official", _("City official (city housing bureau, read-only)")
    PLANNER = "planner", _("Planner (district property department)")
    OFFICIAL = "official", _("Official (read-only)")
    DISTRICT_ADMINISTRATOR = "district_admin", _("District administrator")
    STREET_OFFICE = "street_office", _("Street office")
    COMMUNITY = "community", _("Community (residents' committee)")
    ENTERPRISE = "enterprise", _("Property-service enterprise")
    ADMINISTRATOR = "administrator", _("Administrator")


# Roles confined to one district (UserProfile.district), to one street (UserProfile.street), or to neither (the
# whole city: the city official reads it, the system administrator does everything).
DISTRICT_ROLES = (Role.PLANNER, Role.OFFICIAL, Role.DISTRICT_ADMINISTRATOR)
STREET_ROLES = (Role.STREET_OFFICE,)
# DOMAIN.md "Who uses it": a community acts in its community; an enterprise sees and answers the complaints about the
# estates it serves, nothing else.
COMMUNITY_ROLES = (Role.COMMUNITY,)
ENTERPRISE_ROLES = (Role.ENTERPRISE,)
CITY_ROLES = (Role.CITY_OFFICIAL, Role.ADMINISTRATOR)


class UserProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    district = models.ForeignKey(
        "layers.AdminArea", verbose_name=_("district"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("The district a planner, district official or district administrator answers for"),
    )
    street = models.ForeignKey(
        "layers.AdminArea", verbose_name=_("street"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(
        "layers.AdminArea", verbose_name=_("community"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("The community a residents' committee user answers for"),
    )
    enterprise = models.ForeignKey(
        "layers.Enterprise", verbose_name=_("enterprise"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("The enterprise an enterprise user works for"),
    )

    class Meta:
        verbose_name = _("user profile")
        verbose_name_plural = _("user profiles")
        constraints = [
            # The area a user answers for follows the role; that it is of the right level is checked by the trigger
            # layers_userprofile_area_level (migrations 0015, 0020).
            CheckConstraint(
                condition=Q(role__in=STREET_ROLES, street__isnull=False, district__isnull=True,
                            community__isnull=True, enterprise__isnull=True)
                | Q(role__in=DISTRICT_ROLES, district__isnull=False, street__isnull=True,
                    community__isnull=True, enterprise__isnull=True)
                | Q(role__in=COMMUNITY_ROLES, community__isnull=False, street__isnull=True, district__isnull=True,
                    enterprise__isnull=True)
                | Q(role__in=ENTERPRISE_ROLES, enterprise__isnull=False, street__isnull=True, district__isnull=True,
                    community__isnull=True)
                | Q(role__in=CITY_ROLES, district__isnull=True, street__isnull=True, community__isnull=True,
                    enterprise__isnull=True),
                name="userprofile_area_by_role",
            )
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"
