"""The REST API under /api/ (namespace `api`): every JSON endpoint, its OpenAPI schema and docs, and tokens.

Names are `api:<entity>-<action>` (e.g. `api:plan-detail`, `api:management-area-split`); the paths are the
contract of docs/*_API.md and the JavaScript, and never change with a name. All views are DRF function views
(`@api_view`), so plain `path()`s are used rather than a router.
"""
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import (abandonment, address, complaint_steps, complaints, coverage, enterprises, evaluations, export, imports,
               inspections, jobs, management_areas, plans, service, supervision, views)
from .drf import LoggedInElseLogInPage
from .tokens import obtain_token

app_name = "api"

# The split view serves Swagger UI's set-up script from a URL (?script=) instead of inline: the CSP allows no inline
# script. Logged-in users only (session or token); an anonymous browser is sent to the log-in page.
LOGGED_IN = {"permission_classes": [LoggedInElseLogInPage]}

urlpatterns = [
    # The map's small JSON (docs/MAP_API.md).
    path("admin-areas.geojson", views.admin_areas_geojson, name="admin-area-list"),
    path("search/", views.search, name="search"),
    path("features/<str:kind>/<int:pk>/", views.feature_popup, name="feature-popup"),
    # Management areas (docs/EDIT_API.md).
    path("management-areas/", management_areas.areas, name="management-area-list"),
    path("management-areas/validate/", management_areas.validate, name="management-area-validate"),
    path("management-areas/clip/", management_areas.clip, name="management-area-clip"),
    path("management-areas/merge/", management_areas.merge, name="management-area-merge"),
    path("management-areas/merge/preview/", management_areas.merge_preview, name="management-area-merge-preview"),
    path("management-areas/<int:pk>/", management_areas.area, name="management-area-detail"),
    path("management-areas/<int:pk>/split/", management_areas.split, name="management-area-split"),
    path("management-areas/<int:pk>/history/", management_areas.history, name="management-area-history"),
    path("management-areas/<int:pk>/restore/", management_areas.restore, name="management-area-restore"),
    path("management-areas/<int:pk>/rebase/", management_areas.rebase, name="management-area-rebase"),
    # Abandoned-building reports (docs/EDIT_API.md).
    path("buildings/<int:pk>/abandonment-reports/", abandonment.building_reports,
         name="building-abandonment-reports"),
    path("inspections/", inspections.inspections, name="inspection-list"),
    path("abandonment-reports/", abandonment.report_list, name="abandonment-report-list"),
    path("abandonment-reports/<int:pk>/", abandonment.report_detail, name="abandonment-report-detail"),
    path("abandonment-reports/<int:pk>/transition/", abandonment.report_transition,
         name="abandonment-report-transition"),
    # One complaint case and its steps (docs/COMPLAINTS.md "Steps").
    path("complaints/<int:pk>/", complaint_steps.complaint_detail, name="complaint-detail"),
    path("complaints/<int:pk>/steps/", complaint_steps.complaint_steps, name="complaint-steps"),
    # Coverage (docs/COVERAGE_API.md).
    path("coverage/", coverage.figures, name="coverage-figures"),
    path("coverage/trend/", coverage.trend, name="coverage-trend"),
    path("coverage/export.xlsx", coverage.export_xlsx, name="coverage-export-xlsx"),
    path("coverage/export.csv", coverage.export_csv, name="coverage-export-csv"),
    path("coverage/uncovered-households.json", coverage.uncovered_households, name="coverage-uncovered-households"),
    # Complaint hotspots for the map's heat layer (docs/COMPLAINTS.md "Officials' view").
    path("supervision/hotspots.json", supervision.hotspots, name="supervision-hotspots"),
    # The enterprise register (docs/ENTERPRISE_REGISTER.md).
    path("enterprises/", enterprises.enterprise_list, name="enterprise-list"),
    path("enterprises/<int:pk>/", enterprises.enterprise_detail, name="enterprise-detail"),
    path("enterprises/<int:pk>/evaluations/", enterprises.enterprise_evaluations, name="enterprise-evaluations"),
    path("enterprises/<int:pk>/listings/", enterprises.enterprise_listings, name="enterprise-listings"),
    path("enterprises/<int:pk>/changes/", enterprises.enterprise_changes, name="enterprise-changes"),
    # Assigning service, worklists, candidates (docs/SERVICE_API.md).
    path("service/assign/", service.assign, name="service-assign"),
    path("service/selection/", service.selection, name="service-selection"),
    path("service/contracts/<int:pk>/end/", service.end, name="contract-end"),
    path("service/worklists/<str:name>/", service.worklist, name="worklist-detail"),
    path("estates/<int:pk>/candidates/", service.candidates, name="estate-candidates"),
    path("estates/<int:pk>/contracts/", service.estate_contracts, name="estate-contracts"),
    # Bundled-takeover plans (docs/PLANS.md).
    path("plans/", plans.plans, name="plan-list"),
    path("plans/<int:pk>/", plans.plan_detail, name="plan-detail"),
    path("plans/<int:pk>/map.json", plans.plan_map, name="plan-map"),
    path("plans/<int:pk>/bundles/", plans.bundle_new, name="bundle-list"),
    path("plans/<int:pk>/bundles/<int:bid>/", plans.bundle_detail, name="bundle-detail"),
    path("plans/<int:pk>/bundles/<int:bid>/candidates/", plans.bundle_candidates, name="bundle-candidates"),
    path("plans/<int:pk>/approve/", plans.plan_approve, name="plan-approve"),
    path("plans/<int:pk>/coverage/", plans.plan_coverage, name="plan-coverage"),
    path("plans/<int:pk>/versions/", plans.plan_versions, name="plan-versions"),
    path("plans/<int:pk>/export.geojson", plans.export_geojson, name="plan-export-geojson"),
    path("plans/<int:pk>/export.csv", plans.export_csv, name="plan-export-csv"),
    # Import jobs (docs/IMPORT.md) and exports (docs/EXPORT.md).
    path("imports/", imports.import_jobs, name="import-list"),
    path("imports/<int:pk>/", imports.import_job, name="import-detail"),
    path("imports/<int:pk>/check/", imports.import_job_check, name="import-check"),
    path("imports/<int:pk>/commit/", imports.import_job_commit, name="import-commit"),
    path("export/", export.export_layers, name="export-layer-list"),
    path("export/<str:layer>.<str:fmt>", export.export_layer, name="export-layer-file"),
    path("export/<str:layer>.<str:fmt>/job/", jobs.export_job, name="export-layer-job"),
    # Background jobs (docs/JOBS.md).
    path("jobs/", jobs.jobs, name="job-list"),
    path("jobs/<int:pk>/", jobs.job_detail, name="job-detail"),
    path("jobs/<int:pk>/cancel/", jobs.job_cancel, name="job-cancel"),
    path("jobs/<int:pk>/download/", jobs.job_download, name="job-download"),
    # Hotline addresses located on estates (docs/ADDRESS_MATCHING.md).
    path("address-match/", address.address_match, name="address-match"),
    # Complaints taken in (docs/COMPLAINTS.md "Intake").
    path("complaints/", complaints.complaint_list, name="complaint-list"),
    path("complaints/import/", complaints.complaint_import, name="complaint-import"),

    # The annual evaluation (docs/EVALUATIONS.md).
    path("evaluations/", evaluations.evaluation_list, name="evaluation-list"),
    # The API's description and keys (docs/API.md).
    path("schema/", SpectacularAPIView.as_view(**LOGGED_IN), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema", **LOGGED_IN), name="docs"),
    path("token/", obtain_token, name="token"),
]
