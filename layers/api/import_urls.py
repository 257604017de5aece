"""URLs of the import feature (docs/IMPORT.md), included at the site root by layers/urls.py."""
from django.urls import path

from layers.api import imports as api
from layers.views import imports as views

urlpatterns = [
    path("imports/", views.import_page, name="import-page"),
    path("imports/samples/<str:name>", views.import_sample, name="import-sample"),
    path("api/imports/", api.import_jobs, name="import-jobs"),
    path("api/imports/<int:pk>/", api.import_job, name="import-job"),
    path("api/imports/<int:pk>/check/", api.import_job_check, name="import-job-check"),
    path("api/imports/<int:pk>/commit/", api.import_job_commit, name="import-job-commit"),
]
