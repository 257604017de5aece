"""One error shape for every JSON endpoint, DRF or not: {"error": "<what is wrong and where>", ...}."""
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """DRF's handler, with its {"detail": …} body renamed to the project's {"error": …}."""
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        data = dict(response.data)
        data["error"] = str(data.pop("detail"))
        response.data = data
    return response
