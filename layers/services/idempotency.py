"""Idempotent writes: the first answer to (user, Idempotency-Key) is kept and given again to every retry.

A phone's outbox sends each queued record with its own key; when the answer is lost on the way back (the network
dropped after the server handled the request) the retry gets the stored answer and nothing is created twice.
Concurrent requests with one key are serialised by a PostgreSQL advisory lock on (user, key).
"""
from __future__ import annotations

import datetime
import zlib
from collections.abc import Callable
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import IdempotentRequest
from ..refusals import Invalid

KEY_MAX_CHARS = 100


def _check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > KEY_MAX_CHARS or not key.isprintable():
        raise Invalid(_("The Idempotency-Key header must be 1 to %(limit)d printable characters.")
                      % {"limit": KEY_MAX_CHARS}, field="Idempotency-Key")
    return key


@contextmanager
def _locked(user_id: int, key: str):
    """A session-level advisory lock on (user, key): no transaction is held while the request itself runs, so the
    service keeps owning its outermost transaction."""
    pair = (user_id, zlib.crc32(key.encode()) - 2**31)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", pair)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", pair)


def idempotent(*, user, key: str, method: str, path: str, handle: Callable[[], tuple[int, object]]) -> tuple[int, object, bool]:
    """(status, body, replayed): the stored answer for (user, key) if there is one, else handle()'s answer, stored
    when it is final (below 500: a server error may be retried for real). A key used before for another request
    (method and path) is refused with 422 rather than answered with the other request's result."""
    key = _check_key(key)
    with _locked(user.pk, key):
        stored = IdempotentRequest.objects.filter(user=user, key=key).first()
        if stored is not None:
            if (stored.method, stored.path) != (method, path):
                raise Invalid(_("This Idempotency-Key was already used for another request."),
                              status=422, field="Idempotency-Key")
            return stored.status, stored.body, True
        status, body = handle()
        if status < 500:
            with transaction.atomic():
                IdempotentRequest.objects.create(user=user, key=key, method=method, path=path, status=status,
                                                 body=body)
        return status, body, False


def prune_idempotent_requests(now: datetime.datetime | None = None) -> int:
    """Delete the stored answers older than IDEMPOTENCY_KEEP_DAYS; the number deleted. A retry with a pruned key
    runs again for real, which is why the setting is far longer than any outbox waits."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.IDEMPOTENCY_KEEP_DAYS)
    deleted, _by_model = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted


PRUNE_SCHEDULE = "prune_idempotency"


def register_schedule(sender=None, **kwargs) -> None:
    """post_migrate: the daily schedule that runs `manage.py prune_idempotency` at 0:45 (docs/JOBS.md)."""
    from .jobs import ensure_daily_command

    ensure_daily_command(PRUNE_SCHEDULE, "prune_idempotency", datetime.time(0, 45))
