"""The append-only audit log: logins, failed and locked logins, refused requests and every data change."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditKind(models.TextChoices):
    LOGIN = "login", _("Login")
    LOGOUT = "logout", _("Logout")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGIN_LOCKED = "login_locked", _("Locked login")
    REFUSED = "refused", _("Refused")
    CHANGE = "change", _("Change")


class AuditEvent(models.Model):
    """One line of the log. The database refuses UPDATE and DELETE on this table (migration 0013).

    The user is a plain id without a foreign-key constraint: deleting a user must not touch (and so fail on) its
    lines, and `username` keeps the name the user had.
    """

    time = models.DateTimeField(_("time"), db_default=models.functions.Now(), db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True,
                             on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    username = models.CharField(_("user name"), max_length=150, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=AuditKind.choices)
    method = models.CharField(_("method"), max_length=10, blank=True)
    path = models.CharField(_("path"), max_length=500, blank=True)
    status = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["kind", "-time"], name="audit_kind_time")]

    def __str__(self):
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.kind} {self.username} {self.method} {self.path}"
