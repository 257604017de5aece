"""URLs of the app: the pages, the vector tiles, the REST API (api/) and OGC API – Features (ogc/).

Pages are named `<entity>-<what>` (`estate-detail`, `plan-list`) or by their own name (`map`, `imports`); the REST
API's routes are in layers/api/urls.py (namespace `api`), OGC API's in layers/ogc/urls.py (namespace `ogc`).
"""
from django.urls import include, path

from layers.tiles import views as tiles
from layers.views import (abandonment, audit, complaint_case, complaint_tables, complaints, dashboard, details,
                          enterprises, evaluations, imports, inspections, jobs, joint_meeting, map as map_views, mobile,
                          plans, service)
from layers.views import mobile_tasks


urlpatterns = [
    path("", map_views.map_page, name="map"),
    path("tiles/<str:layer>/<int:z>/<int:x>/<int:y>.mvt", tiles.tile, name="tile"),
    path("api/", include("layers.api.urls")),
    path("ogc/", include("layers.ogc.urls")),
    path("dashboard/", dashboard.dashboard_page, name="dashboard"),
    path("reports/coverage/", dashboard.coverage_report_page, name="coverage-report"),
    path("estates/<int:pk>/", details.estate_detail, name="estate-detail"),
    path("buildings/<int:pk>/", details.building_detail, name="building-detail"),
    path("management-areas/<int:pk>/", details.management_area_detail, name="management-area-detail"),
    path("management-areas/<int:pk>/history/", details.management_area_history, name="management-area-history"),
    path("m/", mobile.mobile_app, name="mobile"),
    path("m/nearby/", mobile.mobile_nearby, name="mobile-nearby"),
    path("m/manifest.webmanifest", mobile.mobile_manifest, name="mobile-manifest"),
    path("m/sw.js", mobile.mobile_service_worker, name="mobile-sw"),
    path("m/checklist/", mobile_tasks.mobile_checklist, name="mobile-checklist"),
    path("m/complaints/", mobile_tasks.mobile_complaints, name="mobile-complaints"),
    path("abandonment/", abandonment.abandonment_list, name="abandonment"),
    path("abandonment/report/", abandonment.abandonment_report_submit, name="abandonment-report-submit"),
    path("abandonment/<int:pk>/decide/", abandonment.abandonment_report_decide, name="abandonment-report-decide"),
    path("abandonment/photos/<int:pk>/", abandonment.abandonment_photo, name="abandonment-photo"),
    path("inspections/", inspections.inspection_list, name="inspection-list"),
    path("inspections/new/", inspections.inspection_submit, name="inspection-submit"),
    path("inspections/<int:pk>/", inspections.inspection_detail, name="inspection-detail"),
    path("inspections/photos/<int:pk>/", inspections.inspection_photo, name="inspection-photo"),
    path("inspections/checklists/", inspections.checklist_page, name="inspection-checklists"),
    path("complaints/routing/", complaint_tables.routing_page, name="complaint-routing"),
    path("complaints/calendar/", complaint_tables.calendar_page, name="complaint-calendar"),
    path("complaints/joint-meeting/", joint_meeting.joint_meeting_list, name="joint-meeting"),
    path("complaints/<int:pk>/", complaint_case.complaint_case, name="complaint-case"),
    path("complaints/attachments/<int:pk>/", complaint_case.complaint_attachment, name="complaint-attachment"),
    path("enterprises/", enterprises.enterprise_list, name="enterprise-list"),
    path("enterprises/new/", enterprises.enterprise_create, name="enterprise-create"),
    path("enterprises/<int:pk>/", enterprises.enterprise_detail, name="enterprise-detail"),
    path("enterprises/<int:pk>/edit/", enterprises.enterprise_edit, name="enterprise-edit"),
    path("enterprises/<int:pk>/evaluate/", enterprises.enterprise_evaluation_submit,
         name="enterprise-evaluation-submit"),
    path("enterprises/<int:pk>/list/", enterprises.enterprise_listing_submit, name="enterprise-listing-submit"),
    path("service/", service.service_page, name="service"),
    path("plans/", plans.plan_list, name="plan-list"),
    path("plans/<int:pk>/", plans.plan_detail, name="plan-detail"),
    path("plans/<int:pk>/tiles/<str:layer>/<int:z>/<int:x>/<int:y>.mvt", plans.plan_tile, name="plan-tile"),
    path("imports/", imports.import_page, name="imports"),
    path("jobs/", jobs.job_list, name="job-list"),
    path("imports/samples/<str:name>", imports.import_sample, name="import-sample"),
    path("audit/", audit.audit_log_page, name="audit-log"),
    # Complaints taken in (docs/COMPLAINTS.md "Intake").
    path("complaints/", complaints.complaint_list, name="complaint-list"),
    path("complaints/confirm/", complaints.complaint_confirm, name="complaint-confirm"),

    path("evaluations/", evaluations.evaluations_page, name="evaluations"),
    path("evaluations/opinions/", evaluations.opinions_page, name="evaluation-opinions"),
]
