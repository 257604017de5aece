"""URLs of bundled-takeover plans (docs/PLANS.md): the JSON API and the two pages; included at the site root."""
from django.urls import path

from layers.api import plans as api
from layers.views import plans as pages

urlpatterns = [
    path("api/plans/", api.plans, name="api-plans"),
    path("api/plans/<int:pk>/", api.plan_detail, name="api-plan"),
    path("api/plans/<int:pk>/map.json", api.plan_map, name="api-plan-map"),
    path("api/plans/<int:pk>/bundles/", api.bundle_new, name="api-plan-bundles"),
    path("api/plans/<int:pk>/bundles/<int:bid>/", api.bundle_detail, name="api-plan-bundle"),
    path("api/plans/<int:pk>/bundles/<int:bid>/candidates/", api.bundle_candidates, name="api-plan-bundle-candidates"),
    path("api/plans/<int:pk>/approve/", api.plan_approve, name="api-plan-approve"),
    path("api/plans/<int:pk>/coverage/", api.plan_coverage, name="api-plan-coverage"),
    path("api/plans/<int:pk>/versions/", api.plan_versions, name="api-plan-versions"),
    path("api/plans/<int:pk>/export.geojson", api.export_geojson, name="api-plan-export-geojson"),
    path("api/plans/<int:pk>/export.csv", api.export_csv, name="api-plan-export-csv"),
    path("plans/", pages.plan_list, name="plan-list"),
    path("plans/<int:pk>/", pages.plan_detail, name="plan-detail"),
]
