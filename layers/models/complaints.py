"""Complaints (信访投诉) and their handling: categories routed to a responsible body, the working-day calendar that
deadlines count in, each case with its steps, attachments and the joint meeting (DOMAIN.md "Supervision")."""
from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import CheckConstraint, F, Q, UniqueConstraint
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .geo import SRID


class Channel(models.TextChoices):
    """DOMAIN.md "Complaint": residents' visits, the mayor's hotline 12345, the city-management hotline 12319, the
    media, online; staff entering what they were told on site."""

    HOTLINE_12345 = "hotline_12345", _("Mayor's hotline 12345")
    HOTLINE_12319 = "hotline_12319", _("City-management hotline 12319")
    VISIT = "visit", _("Visit")
    MEDIA = "media", _("Media report")
    ONLINE = "online", _("Online")
    STAFF = "staff", _("Found by staff")


HOTLINE_CHANNELS = (Channel.HOTLINE_12345, Channel.HOTLINE_12319)


class Responsible(models.TextChoices):
    """Who settles a category (002 §3, 003 §3): the estate's provider on that date, or another department."""

    PROVIDER = "provider", _("The estate's service provider")
    DEPARTMENT = "department", _("Another department (transferred)")


class ComplaintCategory(models.Model):
    """One row of a district's routing table: a category, who settles it, and its deadlines in working days."""

    district = models.ForeignKey(
        "layers.AdminArea", verbose_name=_("district"), on_delete=models.PROTECT, related_name="complaint_categories"
    )
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=60)
    responsible = models.CharField(_("responsible"), max_length=12, choices=Responsible.choices)
    department = models.CharField(
        _("department"), max_length=60, blank=True,
        help_text=_("The department a transferred case goes to, e.g. market supervision"),
    )
    keywords = models.CharField(
        _("keywords"), max_length=300, blank=True,
        help_text=_("Words in a hotline order's category or text that put it in this category, separated by spaces"),
    )
    sign_days = models.PositiveSmallIntegerField(_("days to sign for"), default=1)
    reply_days = models.PositiveSmallIntegerField(_("days to reply"), default=5)
    close_days = models.PositiveSmallIntegerField(_("days to close"), default=15)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("complaint category")
        verbose_name_plural = _("complaint categories")
        ordering = ["district", "code"]
        constraints = [
            UniqueConstraint(fields=["district", "code"], name="complaintcategory_code_per_district"),
            CheckConstraint(
                condition=Q(responsible=Responsible.PROVIDER, department="")
                | (Q(responsible=Responsible.DEPARTMENT) & ~Q(department="")),
                name="complaintcategory_department_when_transferred",
            ),
            CheckConstraint(
                condition=Q(sign_days__gte=0, reply_days__gte=F("sign_days"), close_days__gte=F("reply_days")),
                name="complaintcategory_deadlines_ordered",
            ),
        ]

    def __str__(self):
        return self.name


class CalendarDay(models.Model):
    """An exception to the Monday–Friday week: a public holiday on a weekday, or a make-up working day (调休) on a
    weekend. Deadlines count working days (DOMAIN.md "Supervision": three-level handling with deadlines)."""

    date = models.DateField(_("date"), unique=True)
    working = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.name}"


class HandlingLevel(models.TextChoices):
    """Three-level handling (001 §5(2)): community → street → district."""

    COMMUNITY = "community", _("Community")
    STREET = "street", _("Street")
    DISTRICT = "district", _("District")


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("Waiting to be signed for")
    SIGNED = "signed", _("Being handled")
    TRANSFERRED = "transferred", _("Transferred to a department")
    REPLIED = "replied", _("Replied")
    # "Closed" alone is an estate's enclosure (封闭式); a case's is 已办结.
    CLOSED = "closed", pgettext_lazy("complaint", "Closed")


OPEN_STATUSES = (ComplaintStatus.RECEIVED, ComplaintStatus.SIGNED, ComplaintStatus.REPLIED)


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class Complaint(models.Model):
    """One complaint: where it comes from, the estate it is about (None while waiting to be confirmed), the area and
    level that handle it, who must settle it and by when."""

    order_no = models.CharField(
        _("work order number"), max_length=40, null=True, blank=True, unique=True,
        help_text=_("The hotline's work order number; a hotline order is imported once"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    received_at = models.DateTimeField(_("received at"))
    caller_words = models.TextField(_("complaint"))
    address_text = models.CharField(_("address as given"), max_length=300, blank=True)
    hotline_category = models.CharField(_("category as given"), max_length=100, blank=True)
    caller_name = models.CharField(_("caller"), max_length=50, blank=True)
    caller_phone = models.CharField(_("caller's phone"), max_length=30, blank=True)
    category = models.ForeignKey(
        ComplaintCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="complaints"
    )
    # Where it belongs: the district always; estate, community and street once the address is matched or confirmed.
    district = models.ForeignKey(
        "layers.AdminArea", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+"
    )
    street = models.ForeignKey(
        "layers.AdminArea", verbose_name=_("street"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(
        "layers.AdminArea", verbose_name=_("community"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    estate = models.ForeignKey(
        "layers.Estate", verbose_name=_("estate"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="complaints",
    )
    building = models.ForeignKey(
        "layers.Building", verbose_name=_("building"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="complaints",
    )
    match_confidence = models.FloatField(_("address match confidence"), null=True, blank=True)
    location = models.PointField(_("location"), srid=SRID, null=True, blank=True)
    # Who settles it (routing, 002 §3): the estate's provider on the day it was received, or a department.
    provider_kind = models.CharField(_("provider"), max_length=20, blank=True)
    enterprise = models.ForeignKey(
        "layers.Enterprise", verbose_name=_("enterprise"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="complaints",
    )
    department = models.CharField(_("transferred to"), max_length=60, blank=True)
    level = models.CharField(
        _("handled at"), max_length=12, choices=HandlingLevel.choices, default=HandlingLevel.COMMUNITY
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ComplaintStatus.choices, default=ComplaintStatus.RECEIVED, db_index=True
    )
    sign_due = models.DateField(_("sign for by"))
    reply_due = models.DateField(_("reply by"))
    close_due = models.DateField(_("close by"))
    signed_at = models.DateTimeField(_("signed for at"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    rating = models.CharField(_("resident's rating"), max_length=12, choices=Rating.choices, blank=True)
    reopened = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    at_joint_meeting = models.BooleanField(_("at the joint meeting"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["district", "status", "received_at"], name="complaint_district_status"),
            models.Index(fields=["street", "received_at"], name="complaint_street_received"),
            models.Index(fields=["community", "received_at"], name="complaint_community_received"),
            models.Index(fields=["enterprise", "received_at"], name="complaint_enterprise_received"),
            models.Index(fields=["estate", "received_at"], name="complaint_estate_received"),
        ]
        constraints = [
            # Matched to an estate → its community and street are known (the trigger layers_complaint_area of
            # migration 0020 checks that they are the estate's, and the street's district the complaint's).
            CheckConstraint(
                condition=Q(estate__isnull=True) | Q(community__isnull=False, street__isnull=False),
                name="complaint_estate_has_area",
            ),
            CheckConstraint(condition=Q(community__isnull=True) | Q(street__isnull=False),
                            name="complaint_community_has_street"),
            # 001 §5(2): a case is handled at the community only when it belongs to one.
            CheckConstraint(condition=~Q(level=HandlingLevel.COMMUNITY) | Q(community__isnull=False)
                            | Q(estate__isnull=True), name="complaint_community_level_has_community"),
            # "An unsatisfied case can be reopened once."
            CheckConstraint(condition=Q(reopened__lte=1), name="complaint_reopened_once"),
            CheckConstraint(condition=Q(sign_due__lte=F("reply_due"), reply_due__lte=F("close_due")),
                            name="complaint_deadlines_ordered"),
            CheckConstraint(condition=Q(status=ComplaintStatus.CLOSED, closed_at__isnull=False)
                            | (~Q(status=ComplaintStatus.CLOSED) & Q(closed_at__isnull=True)),
                            name="complaint_closed_has_time"),
            CheckConstraint(condition=Q(status=ComplaintStatus.TRANSFERRED) & ~Q(department="")
                            | ~Q(status=ComplaintStatus.TRANSFERRED), name="complaint_transferred_has_department"),
            CheckConstraint(condition=~Q(status=ComplaintStatus.RECEIVED) | Q(signed_at__isnull=True),
                            name="complaint_received_not_signed"),
        ]

    def __str__(self):
        return self.order_no or f"{self.get_channel_display()} {self.received_at:%Y-%m-%d}"


class StepKind(models.TextChoices):
    """Every step of a case is an event: who, when, what (DOMAIN.md "Supervision")."""

    RECEIVED = "received", _("Received")
    CONFIRMED = "confirmed", _("Estate confirmed")
    SIGNED = "signed", _("Signed for")
    TRANSFERRED = "transferred", _("Transferred to a department")
    ESCALATED = "escalated", _("Escalated")
    REPLIED = "replied", _("Provider replied")
    CHECKED = "checked", _("Checked by staff")
    RATED = "rated", _("Resident's rating recorded")
    CLOSED = "closed", pgettext_lazy("complaint step", "Closed")
    REOPENED = "reopened", _("Reopened")
    JOINT_MEETING = "joint_meeting", _("Sent to the joint meeting")
    DECIDED = "decided", _("Joint meeting decided")
    NOTE = "note", _("Note")


class ComplaintEvent(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("step"), max_length=16, choices=StepKind.choices)
    from_status = models.CharField(_("from"), max_length=12, choices=ComplaintStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=ComplaintStatus.choices, blank=True)
    level = models.CharField(_("level"), max_length=12, choices=HandlingLevel.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    # None: done by the system (an automatic escalation).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("at"), db_default=Now())

    class Meta:
        verbose_name = _("complaint step")
        verbose_name_plural = _("complaint steps")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.complaint} · {self.get_kind_display()}"


def attachment_path(instance, filename):
    return f"complaints/{instance.event.complaint_id}/{filename}"


class ComplaintAttachment(models.Model):
    """A photo or document attached to a step."""

    event = models.ForeignKey(ComplaintEvent, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path)
    name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    # A photo's capture time and place (the phone's fields or the camera's EXIF), when known.
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    location = models.PointField(_("taken where"), srid=4326, null=True, blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")


class JointMeetingItem(models.Model):
    """A case on the joint meeting's list (联席会议, 000 §4(2)): the agenda, then the meeting's decision."""

    complaint = models.OneToOneField(Complaint, on_delete=models.CASCADE, related_name="joint_meeting")
    agenda = models.TextField(_("agenda"))
    meeting_on = models.DateField(_("meeting date"), null=True, blank=True)
    decision = models.TextField(_("decision"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sent by"), on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"), db_default=Now())

    class Meta:
        verbose_name = _("joint meeting item")
        verbose_name_plural = _("joint meeting items")
        ordering = ["meeting_on", "sent_at"]
        constraints = [
            CheckConstraint(condition=Q(decided_at__isnull=True) | ~Q(decision=""), name="jointmeeting_decision_text"),
        ]

    def __str__(self):
        return str(self.complaint)
