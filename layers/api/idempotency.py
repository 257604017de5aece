"""`@idempotent_view`: a POST carrying an `Idempotency-Key` header is answered once; retries get that answer again.

Wraps the function under @api_view (so the request is DRF's, authenticated). A refusal is part of the answer and is
kept too (a 409 stays a 409 on retry); without the header the view runs as before.
"""
from functools import wraps

from rest_framework.response import Response

from ..services.idempotency import idempotent
from .errors import exception_handler


def idempotent_view(func):
    @wraps(func)
    def wrapper(request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if key is None or not request.user.is_authenticated:
            return func(request, *args, **kwargs)

        def handle():
            try:
                response = func(request, *args, **kwargs)
            except Exception as exc:
                response = exception_handler(exc, {"request": request, "view": None})
                if response is None or not hasattr(response, "data"):
                    raise
            return response.status_code, response.data

        status, body, replayed = idempotent(user=request.user, key=key, method=request.method,
                                            path=request.path, handle=handle)
        response = Response(body, status=status)
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response

    return wrapper
