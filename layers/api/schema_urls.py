"""The API's description and keys: /api/schema/ (OpenAPI 3), /api/docs/ (Swagger UI), /api/token/ (docs/API.md)."""
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from .drf import LoggedInElseLogInPage
from .tokens import obtain_token

# The split view serves Swagger UI's set-up script from a URL (?script=) instead of inline: the CSP allows no inline
# script. Logged-in users only (session or token); an anonymous browser is sent to the log-in page.
LOGGED_IN = {"permission_classes": [LoggedInElseLogInPage]}

urlpatterns = [
    path("api/schema/", SpectacularAPIView.as_view(**LOGGED_IN), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema", **LOGGED_IN), name="api-docs"),
    path("api/token/", obtain_token, name="api-token"),
]
