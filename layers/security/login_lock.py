"""Login locking: LOGIN_MAX_FAILURES wrong passwords for a user name lock it for LOGIN_LOCK_MINUTES.

The audit log is the only record kept: the failures are its `login_failed` events, a success its `login` event,
so every web worker and every way to log in (LockingBackend below) see the same count, and nothing else has to be
cleaned up.
Locking is by user name, not by address: district offices reach the server through shared NAT addresses, and one
user's typos must not lock out a whole street office. Refused attempts are logged as `login_locked` and do not
extend the lock.
"""
import contextvars
import datetime

from asgiref.sync import sync_to_async
from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import exceptions
from rest_framework.authentication import BasicAuthentication

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


class LoginLocked(exceptions.APIException):
    """A locked user name presented a password to a DRF authentication class: 429 with the lock message."""

    status_code = 429
    default_code = "login_locked"

    def __init__(self, until: datetime.datetime):
        super().__init__(lock_message(until))
        self.wait = retry_after(until)  # DRF's exception handler turns it into Retry-After


def retry_after(until: datetime.datetime) -> int:
    """Whole seconds until the lock ends, for a Retry-After header."""
    return max(1, int((until - timezone.now()).total_seconds() + 0.999))


# Set by LockingBackend when it refuses a locked name; read (and cleared) by the user_login_failed receiver below,
# which Django's authenticate() calls right after the backend's PermissionDenied, in the same context.
_REFUSED_UNTIL: contextvars.ContextVar[datetime.datetime | None] = contextvars.ContextVar("login_lock_refused",
                                                                                        default=None)


def _http_request(request):
    """Django's HttpRequest behind a DRF Request (or the HttpRequest itself, or None)."""
    return getattr(request, "_request", request)


def refused_until(request) -> datetime.datetime | None:
    """When the lock ends, if the last authenticate() on this request was refused for the lock; None otherwise."""
    return getattr(_http_request(request), "login_locked_until", None)


class LockingBackend(ModelBackend):
    """The one password check (settings.AUTHENTICATION_BACKENDS): a locked user name is refused before its password.

    Every way to present a password (log-in page, admin log-in, POST /api/token/, HTTP Basic) calls
    django.contrib.auth.authenticate(), which asks this backend. A wrong password makes authenticate() send
    user_login_failed, recorded as `login_failed` (a failure that counts). A locked name raises PermissionDenied,
    on which authenticate() stops and sends user_login_failed too; the receiver below records that as
    `login_locked` instead, so it neither counts nor prolongs the lock, and marks the request for the caller's
    message (refused_until).
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        self._refuse_if_locked(locked_until(self._name(username, kwargs)))
        return super().authenticate(request, username=username, password=password, **kwargs)

    async def aauthenticate(self, request, username=None, password=None, **kwargs):
        self._refuse_if_locked(await sync_to_async(locked_until)(self._name(username, kwargs)))
        return await super().aauthenticate(request, username=username, password=password, **kwargs)

    @staticmethod
    def _name(username, kwargs) -> str:
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        return str(username or "")

    @staticmethod
    def _refuse_if_locked(until: datetime.datetime | None) -> None:
        if until is not None:
            _REFUSED_UNTIL.set(until)
            raise PermissionDenied("login locked")


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    """`login_locked` when LockingBackend refused a locked name, else `login_failed` (a failure that counts)."""
    until = _REFUSED_UNTIL.get()
    _REFUSED_UNTIL.set(None)
    http_request = _http_request(request)
    username = str(credentials.get("username", ""))
    if until is None:
        record(AuditKind.LOGIN_FAILED, request=http_request, user=None, username=username)
        return
    if http_request is not None:
        http_request.login_locked_until = until
    record(AuditKind.LOGIN_LOCKED, request=http_request, user=None, username=username,
           detail=_("locked until %(time)s") % {"time": timezone.localtime(until).strftime("%Y-%m-%d %H:%M:%S")})


class LockingFormMixin:
    """A log-in form that answers a locked name with the lock message instead of "wrong user name or password"."""

    def has_locked_error(self) -> bool:
        return self.has_error("__all__", code="locked")

    def get_invalid_login_error(self):
        until = refused_until(self.request)
        if until is not None:
            return forms.ValidationError(lock_message(until), code="locked")
        return super().get_invalid_login_error()


class LoginForm(LockingFormMixin, AuthenticationForm):
    pass


class AdminLoginForm(LockingFormMixin, AdminAuthenticationForm):
    pass


class LockingBasicAuthentication(BasicAuthentication):
    """DRF's HTTP Basic (the OGC API; /api/ if ever enabled there): a locked name gets 429 with the lock message.

    A password accepted here is a `login` event (detail "HTTP Basic"), like one at the log-in page or the token
    endpoint, so it ends a run of failures the same way.
    """

    def authenticate_credentials(self, userid, password, request=None):
        try:
            result = super().authenticate_credentials(userid, password, request)
        except exceptions.AuthenticationFailed:
            until = refused_until(request)
            if until is not None:
                raise LoginLocked(until) from None
            raise
        record(AuditKind.LOGIN, request=_http_request(request), user=result[0], detail="HTTP Basic")
        return result
