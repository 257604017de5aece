"""One error shape for every JSON endpoint, DRF or not: {"error": "<what is wrong and where>", ...}."""
from django.contrib.auth.views import redirect_to_login
from rest_framework.exceptions import NotAuthenticated
from rest_framework.views import exception_handler as drf_exception_handler

from .drf import LoggedInElseLogInPage


def exception_handler(exc, context):
    """DRF's handler, with its {"detail": …} body renamed to the project's {"error": …}.

    An anonymous caller of a view guarded by LoggedInElseLogInPage is sent to the log-in page instead.
    """
    view, request = context.get("view"), context.get("request")
    if isinstance(exc, NotAuthenticated) and view is not None and request is not None and any(
        isinstance(permission, LoggedInElseLogInPage) for permission in view.get_permissions()
    ):
        return redirect_to_login(request.get_full_path())
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        data = dict(response.data)
        data["error"] = str(data.pop("detail"))
        response.data = data
    return response
