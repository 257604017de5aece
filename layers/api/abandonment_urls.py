"""Abandoned-building reports: API and page (docs/EDIT_API.md); included at the site root by layers/urls.py."""
from django.urls import path

from layers.api import abandonment as api
from layers.views import abandonment as pages

urlpatterns = [
    path("api/buildings/<int:pk>/abandonment-reports/", api.building_reports, name="building-abandonment-reports"),
    path("api/abandonment-reports/", api.report_list, name="abandonment-report-list"),
    path("api/abandonment-reports/<int:pk>/", api.report_detail, name="abandonment-report-detail"),
    path("api/abandonment-reports/<int:pk>/transition/", api.report_transition, name="abandonment-report-transition"),
    path("abandonment/", pages.abandonment_list, name="abandonment-page"),
    path("abandonment/report/", pages.abandonment_report_submit, name="abandonment-report-submit"),
    path("abandonment/<int:pk>/decide/", pages.abandonment_report_decide, name="abandonment-report-decide"),
    path("abandonment/photos/<int:pk>/", pages.abandonment_photo, name="abandonment-photo"),
]
