"""URL map of the project: the admin, log-in, language switching and the layers app."""
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("layers.urls")),
]

handler404 = "layers.api.errors.not_found"
