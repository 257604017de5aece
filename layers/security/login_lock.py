"""Login locking: LOGIN_MAX_FAILURES wrong passwords for a user name lock it for LOGIN_LOCK_MINUTES.

The audit log is the only record kept: the failures are its `login_failed` events, a success its `login` event,
so every web worker and the API token endpoint see the same count, and nothing else has to be cleaned up.
Locking is by user name, not by address: district offices reach the server through shared NAT addresses, and one
user's typos must not lock out a whole street office. Refused attempts are logged as `login_locked` and do not
extend the lock.
"""
import datetime

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import AuditEvent, AuditKind
from .audit import record


def locked_until(username: str) -> datetime.datetime | None:
    """When the lock on `username` ends, or None if it is not locked.

    Locked when the last LOGIN_MAX_FAILURES attempts (successes and failures) were all failures, made within
    LOGIN_FAILURE_WINDOW_MINUTES of each other, and the last of them less than LOGIN_LOCK_MINUTES ago.
    """
    count = settings.LOGIN_MAX_FAILURES
    if not username or count <= 0:
        return None
    window = datetime.timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
    lock = datetime.timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
    now = timezone.now()
    attempts = list(
        AuditEvent.objects.filter(username=username, kind__in=[AuditKind.LOGIN, AuditKind.LOGIN_FAILED],
                                  time__gte=now - window - lock)
        .order_by("-time", "-id").values_list("kind", "time")[:count]
    )
    if len(attempts) < count or any(kind != AuditKind.LOGIN_FAILED for kind, _time in attempts):
        return None
    last, first = attempts[0][1], attempts[-1][1]
    if last - first > window or now >= last + lock:
        return None
    return last + lock


def lock_message(until: datetime.datetime) -> str:
    minutes = max(1, int((until - timezone.now()).total_seconds() + 59) // 60)
    return ngettext(
        "Too many failed logins for this user name: logging in is locked for %(minutes)d more minute. "
        "Try again later or ask an administrator.",
        "Too many failed logins for this user name: logging in is locked for %(minutes)d more minutes. "
        "Try again later or ask an administrator.",
        minutes,
    ) % {"minutes": minutes}


def refuse_if_locked(request, username: str) -> str | None:
    """The lock message (and a `login_locked` event) when `username` is locked; None when it may try."""
    until = locked_until(username)
    if until is None:
        return None
    message = lock_message(until)
    record(AuditKind.LOGIN_LOCKED, request=getattr(request, "_request", request), user=None, username=username,
           detail=_("locked until %(time)s") % {"time": timezone.localtime(until).strftime("%Y-%m-%d %H:%M:%S")})
    return message


class LockingFormMixin:
    """Checks the lock before the password, so a locked name is refused even with the right one."""

    def has_locked_error(self) -> bool:
        return self.has_error("__all__", code="locked")

    def clean(self):
        message = refuse_if_locked(self.request, self.cleaned_data.get("username") or "")
        if message is not None:
            raise forms.ValidationError(message, code="locked")
        return super().clean()


class LoginForm(LockingFormMixin, AuthenticationForm):
    pass


class AdminLoginForm(LockingFormMixin, AdminAuthenticationForm):
    pass
