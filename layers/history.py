"""Who changes what and why: the transaction-local context the history trigger (migration 0008) records."""
from contextlib import contextmanager

from django.db import connection, transaction

SET_CONTEXT = (
    "SELECT set_config('geoapp.user_id', %s, true), set_config('geoapp.change_reason', %s, true),"
    " set_config('geoapp.change_action', %s, true)"
)


@contextmanager
def change_context(*, user, reason: str = "", action: str = ""):
    """Inside: one transaction whose management-area writes are recorded as by `user`, for `reason`, as `action`."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(SET_CONTEXT, [str(user.pk) if user is not None else "", reason.strip(), action])
        try:
            yield
        finally:
            if not connection.needs_rollback:
                with connection.cursor() as cursor:
                    cursor.execute(SET_CONTEXT, ["", "", ""])
