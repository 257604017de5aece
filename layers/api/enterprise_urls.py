"""URLs of the enterprise register (API and pages), included at the site root by layers/urls.py.

The enterprise's own page keeps its name `enterprise-detail` (layers/urls.py); it is served by views.enterprises.
"""
from django.urls import path

from layers.api import enterprises as api
from layers.views import enterprises as pages

urlpatterns = [
    path("api/enterprises/", api.enterprise_list, name="enterprise-api-list"),
    path("api/enterprises/<int:pk>/", api.enterprise_detail, name="enterprise-api-detail"),
    path("api/enterprises/<int:pk>/evaluations/", api.enterprise_evaluations, name="enterprise-api-evaluations"),
    path("api/enterprises/<int:pk>/listings/", api.enterprise_listings, name="enterprise-api-listings"),
    path("api/enterprises/<int:pk>/changes/", api.enterprise_changes, name="enterprise-api-changes"),
    path("enterprises/", pages.enterprise_list, name="enterprise-list"),
    path("enterprises/new/", pages.enterprise_create, name="enterprise-create"),
    path("enterprises/<int:pk>/edit/", pages.enterprise_edit, name="enterprise-edit"),
    path("enterprises/<int:pk>/evaluate/", pages.enterprise_evaluation_submit, name="enterprise-evaluation-submit"),
    path("enterprises/<int:pk>/list/", pages.enterprise_listing_submit, name="enterprise-listing-submit"),
]
