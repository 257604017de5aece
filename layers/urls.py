"""URLs of the map, its tiles, its small GeoJSON layers, search, popups, detail pages and editing."""
from django.urls import include, path

from layers.api import views as api
from layers.tiles import views as tiles
from layers.views import audit, dashboard, details, enterprises, map as map_views

urlpatterns = [
    path("", map_views.map_page, name="map"),
    path("tiles/<str:layer>/<int:z>/<int:x>/<int:y>.mvt", tiles.tile, name="tile"),
    path("api/admin-areas.geojson", api.admin_areas_geojson, name="admin-areas-geojson"),
    path("api/search/", api.search, name="search"),
    path("api/features/<str:kind>/<int:pk>/", api.feature_popup, name="feature-popup"),
    path("api/management-areas/", include("layers.api.management_area_urls")),
    path("", include("layers.api.abandonment_urls")),
    path("api/coverage/", include("layers.api.coverage_urls")),
    # Issue 4: enterprise register, service assignment and worklists, takeover plans.
    path("", include("layers.api.enterprise_urls")),
    path("", include("layers.api.service_urls")),
    path("", include("layers.api.plan_urls")),
    # Issue 6: import, export, OpenAPI schema and docs, OGC API – Features.
    path("", include("layers.api.import_urls")),
    path("", include("layers.api.export_urls")),
    path("", include("layers.api.schema_urls")),
    path("ogc/", include("layers.ogc.urls")),
    path("dashboard/", dashboard.dashboard_page, name="dashboard"),
    path("reports/coverage/", dashboard.coverage_report_page, name="coverage-report"),
    path("estates/<int:pk>/", details.estate_detail, name="estate-detail"),
    path("buildings/<int:pk>/", details.building_detail, name="building-detail"),
    path("management-areas/<int:pk>/", details.management_area_detail, name="management-area-detail"),
    path("enterprises/<int:pk>/", enterprises.enterprise_detail, name="enterprise-detail"),
    path("audit/", audit.audit_log_page, name="audit-log"),
]
