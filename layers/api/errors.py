"""The REST API's one exception handler: every refusal answers {"error": str, "field"?, "code"?, …details}.

The shape is described once in the OpenAPI schema (layers/api/openapi.py, ErrorSerializer and errors()).
"""
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotAuthenticated
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..connection_lost import is_connection_lost, json_response
from ..io.readers import file_size
from ..refusals import Invalid, Refusal, TooLarge
from .drf import LoggedInElseLogInPage


def validation_refusal(exc: ValidationError) -> Refusal:
    """A model's ValidationError (a constraint checked by full_clean) as a 400 refusal; its code names the rule or
    input at fault. (An overlapping contract is the contracts service's own Conflict, 409.)"""
    return Invalid(" ".join(exc.messages), code=getattr(exc, "code", None) or "invalid")


def exception_handler(exc, context):
    """DRF's handler, with Refusal answered by its own body and DRF's {"detail": …} renamed to {"error": …}.

    An anonymous caller of a view guarded by LoggedInElseLogInPage is sent to the log-in page instead; a lost
    database connection is a 503 with Retry-After (layers/connection_lost.py); a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE gets 413 with the limit (Django alone would answer a bare 400).
    """
    view, request = context.get("view"), context.get("request")
    if is_connection_lost(exc):
        return json_response(exc, request.method if request is not None else "POST")
    if isinstance(exc, RequestDataTooBig):
        exc = TooLarge(_("The request body is larger than %(max)s, the most this service accepts: send a smaller or "
                         "simplified geometry.") % {"max": file_size(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)})
    if isinstance(exc, ValidationError):
        exc = validation_refusal(exc)
    if isinstance(exc, Refusal):
        return Response(exc.body(), status=exc.status)
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
