"""One error shape for every JSON endpoint, DRF or not: {"error": "<what is wrong and where>", ...}."""
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found
from rest_framework.exceptions import NotAuthenticated
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..connection_lost import is_connection_lost, json_response
from ..io.readers import file_size
from .drf import LoggedInElseLogInPage


def exception_handler(exc, context):
    """DRF's handler, with its {"detail": …} body renamed to the project's {"error": …}.

    An anonymous caller of a view guarded by LoggedInElseLogInPage is sent to the log-in page instead; a lost
    database connection is a 503 with Retry-After (layers/connection_lost.py); a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE gets 413 with the limit (Django alone would answer a bare 400).
    """
    view, request = context.get("view"), context.get("request")
    if is_connection_lost(exc):
        return json_response(exc, request.method if request is not None else "POST")
    if isinstance(exc, RequestDataTooBig):
        return Response({"error": _("The request body is larger than %(max)s, the most this service accepts: send "
                                    "a smaller or simplified geometry.")
                                  % {"max": file_size(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}}, status=413)
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


def not_found(request, exception):
    """404 for a URL no view answers: {"error"} under /api/ (clients parse JSON there), Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"error": _("Nothing is at %(path)s: check the address (ids are whole numbers).")
                                      % {"path": request.path}}, status=404)
    return page_not_found(request, exception)
