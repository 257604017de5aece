"""Writing the audit log: log-ins and log-outs, one event per write request or refusal, one per management command.

A failed or locked log-in is written by layers/security/login_lock.py, which tells the two apart.

Reads write nothing (only refused reads are logged), a write request one INSERT after its response.
"""
import ipaddress
import json
import logging

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import Error as DatabaseError  # InterfaceError (a lost connection) too
from django.dispatch import receiver

from ..models import AuditEvent, AuditKind
from ..permissions import REFUSALS

log = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# POSTs that change no data, or whose event the auth signals write: logging in and out, the language switch, and
# checking or clipping a boundary being drawn (sent on every edit of the drawing; nothing is saved).
NOT_CHANGES = frozenset({"login", "logout", "set_language", "api:token", "admin:login", "admin:logout",
                         "api:management-area-validate", "api:management-area-clip"})
REFUSED_STATUSES = frozenset({401, 403})


def client_ip(request) -> str | None:
    """The caller's address: REMOTE_ADDR, or the first address of AUDIT_IP_HEADER behind a proxy."""
    meta = request.META
    value = (meta.get(settings.AUDIT_IP_HEADER, "") if settings.AUDIT_IP_HEADER else "") or meta.get("REMOTE_ADDR", "")
    value = value.split(",")[0].strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def record(kind: str, *, request=None, user=None, username: str = "", status: int | None = None, detail: str = "",
           method: str = "", path: str = "", object_type: str = "", object_id: str = "") -> AuditEvent | None:
    """Append one event. A failing database does not turn a finished request into an error: the failure is logged."""
    if user is None and request is not None:
        user = getattr(request, "user", None)
    if user is not None and not user.is_authenticated:
        user = None
    if request is not None:
        method = method or request.method or ""
        path = path or request.get_full_path()
        match = getattr(request, "resolver_match", None)
        if match is not None and not object_type:
            object_type = match.view_name or ""
            object_id = str(match.kwargs.get("pk") or match.kwargs.get("object_id") or "")
    try:
        return AuditEvent.objects.create(
            kind=kind, user=user, username=(user.get_username() if user else username)[:150],
            ip=client_ip(request) if request is not None else None, method=method[:10], path=path[:500],
            status=status, object_type=object_type[:100], object_id=object_id[:64], detail=str(detail)[:500],
        )
    except DatabaseError:
        log.exception("audit event %s %s %s not written", kind, method, path)
        return None


def record_command(name: str, detail: str, *, user=None) -> AuditEvent | None:
    """The one event of a management command run that wrote data (import_layer, load_demo, …)."""
    return record(AuditKind.CHANGE, user=user, username="", method="command", path=f"manage.py {name}",
                  object_type=name, detail=detail)


def error_text(response) -> str:
    """The {"error": …} of a small JSON response, for the detail of a refusal."""
    if not response.get("Content-Type", "").startswith("application/json") or getattr(response, "streaming", False):
        return ""
    if len(response.content) > 4000:
        return ""
    try:
        body = json.loads(response.content)
    except ValueError:
        return ""
    return str(body.get("error", "")) if isinstance(body, dict) else ""


class AuditMiddleware:
    """Appends a `refused` event for 401/403 and jurisdiction 404s, a `change` event for each successful write."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusals = []
        reset = REFUSALS.set(refusals)
        try:
            response = self.get_response(request)
        finally:
            REFUSALS.reset(reset)
        status = response.status_code
        if status in REFUSED_STATUSES or (refusals and status == 404):
            record(AuditKind.REFUSED, request=request, status=status,
                   detail=refusals[-1] if refusals else error_text(response))
        elif request.method in WRITE_METHODS and status < 400 and not self._not_a_change(request):
            record(AuditKind.CHANGE, request=request, status=status)
        return response

    @staticmethod
    def _not_a_change(request) -> bool:
        match = getattr(request, "resolver_match", None)
        return match is not None and match.view_name in NOT_CHANGES


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record(AuditKind.LOGIN, request=request, user=user, status=None)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(AuditKind.LOGOUT, request=request, user=user)

