"""Every GET endpoint and every parameter it reads, for the bad-character and bad-number walk (test_bad_parameters).

The table is explicit (the URL resolver does not know query parameters, and the OpenAPI schema covers /api/ only);
test_bad_parameters checks it is complete against the resolver (every route is here or in NOT_GET), the OpenAPI
schema (every documented GET parameter is here) and the views' source (every name read with GET.get /
query_params.get is here).
"""
from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from django.contrib.auth.models import User
from django.core.files.base import ContentFile

from layers.catalogue import feature_layers
from layers.io.feature_layers import BOOL, INT
from layers.models import (
    AbandonmentReport, AdminArea, AdminLevel, Building, Enterprise, Estate, ImportJob, Job, ManagementArea,
)
from layers.services.abandonment import abandonment_report_create
from layers.services.complaint_steps import complaint_step
from layers.services.complaints import complaint_create
from layers.services.plans import plan_create
from layers.views.imports import SAMPLES

LAYERS = feature_layers()
TEXT, NUMBER, WHOLE, DATE, BBOX, IDS, CHOICE, FLAG, GEOMETRY = (
    "text", "number", "whole", "date", "bbox", "ids", "choice", "flag", "geometry")
NUMERIC = {NUMBER, WHOLE, IDS}
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


@dataclass
class Endpoint:
    route: str  # as the URL resolver spells it (tests check the table against it)
    url: Callable[["Objects"], str]  # a concrete address on the small demo city
    params: dict[str, str] = field(default_factory=dict)  # name → kind
    user: str = "planner"
    # Values sent with every request (a required parameter), so that only the parameter under test is wrong.
    base: dict[str, str] = field(default_factory=dict)
    name: str = ""  # for test ids, where one route serves several layers
    method: str = "get"

    def __str__(self):
        return (self.name or self.route or "/") + ("" if self.method == "get" else f" ({self.method.upper()})")


class Objects:
    """The ids the addresses need, found or made when first asked for: demo rows, and a plan, a report with a photo
    and an import job made here (most addresses need none of them)."""

    @cached_property
    def inspection(self):
        from layers.models import Inspection

        return Inspection.objects.order_by("pk").first()

    @cached_property
    def inspection_photo(self) -> int:
        from layers.models import InspectionPhoto

        return InspectionPhoto.objects.create(inspection=self.inspection, content_type="image/png", size=len(PNG),
                                              file=ContentFile(PNG, name="p.png")).pk

    @cached_property
    def planner(self):
        return User.objects.get(username="planner")

    @cached_property
    def street(self):
        return AdminArea.objects.filter(level=AdminLevel.STREET).order_by("code").first()

    @cached_property
    def estate(self):
        return Estate.objects.order_by("code").first()

    @cached_property
    def building(self):
        return Building.objects.order_by("code").first()

    @cached_property
    def area(self):
        return ManagementArea.objects.order_by("code").first()

    @cached_property
    def enterprise(self):
        return Enterprise.objects.order_by("pk").first()

    @cached_property
    def plan(self):
        return plan_create(user=self.planner, name="坏参数计划", start_date=datetime.date(2027, 1, 1),
                           street_id=self.street.pk)

    @cached_property
    def bundle(self) -> int:
        bundle = self.plan.bundles.order_by("rank").first()
        return bundle.pk if bundle else 0

    @cached_property
    def report(self) -> AbandonmentReport:
        report = AbandonmentReport.objects.filter(photos__isnull=False).first()
        if report is None:
            building = Building.objects.filter(abandonment="none", estate__community__parent=self.street).order_by(
                "code").first()
            report = abandonment_report_create(
                user=User.objects.get(username=f"street-{self.street.code}"), building_id=building.pk,
                abandoned_since=datetime.date(2024, 3, 1), reason="enterprise_left", description="坏参数",
                photos=[ContentFile(PNG, name="p.png")])
        return report

    @cached_property
    def photo(self) -> int:
        return self.report.photos.first().pk

    @cached_property
    def complaint(self) -> int:
        return complaint_create(user=self.planner, channel="visit", received_at=datetime.datetime.now(datetime.UTC),
                                caller_words="坏参数", estate_id=self.estate.pk).pk

    @cached_property
    def complaint_attachment(self) -> int:
        event = complaint_step(user=self.planner, complaint_id=self.complaint, kind="joint_meeting", agenda="坏参数",
                               attachments=[ContentFile(PNG, name="p.png")])
        return event.attachments.get().pk

    @cached_property
    def job(self) -> int:
        return ImportJob.objects.create(file=ContentFile(b'{"type": "FeatureCollection", "features": []}',
                                                         name="empty.geojson"),
                                        file_name="empty.geojson", target="estates", user=self.planner).pk

    @cached_property
    def background_job(self) -> int:
        """A finished export job of the planner's, with its file (docs/JOBS.md)."""
        job = Job(kind="export", title="坏参数导出", user=self.planner, status="done", result_name="buildings.csv",
                  finished_at=datetime.datetime.now(datetime.UTC), result={"content_type": "text/csv"})
        job.result_file.save("buildings.csv", ContentFile(b"code,WKT\r\n"), save=False)
        job.save()
        return job.pk


def _queryables(layer_name: str) -> dict[str, str]:
    kinds = {INT: WHOLE, BOOL: FLAG}
    return {f.name: kinds.get(f.type, TEXT) for f in LAYERS[layer_name].queryables}


FILTERS = {"bbox": BBOX, "ids": IDS, "polygon": GEOMETRY, "on": DATE}
OGC_ITEMS = {**FILTERS, "f": CHOICE, "limit": WHOLE, "offset": WHOLE, "bbox-crs": TEXT, "crs": TEXT,
             "datetime": TEXT}
COVERAGE = {"date": DATE, "level": CHOICE, "parent": WHOLE}


def export_endpoints() -> list[Endpoint]:
    """The export and OGC items of every layer: each layer's queryable properties are parameters too."""
    found = []
    for name in LAYERS:
        found.append(Endpoint("api/export/<str:layer>.<str:fmt>", lambda o, n=name: f"/api/export/{n}.geojson",
                              {**FILTERS, **_queryables(name)}, name=f"api/export/{name}.geojson"))
        found.append(Endpoint("ogc/collections/<str:collection_id>/items",
                              lambda o, n=name: f"/ogc/collections/{n}/items", {**OGC_ITEMS, **_queryables(name)},
                              name=f"ogc/collections/{name}/items"))
    return found


GET_ENDPOINTS = [
    Endpoint("", lambda o: "/"),
    Endpoint("tiles/<str:layer>/<int:z>/<int:x>/<int:y>.mvt", lambda o: "/tiles/estates/3/6/2.mvt", {"date": DATE}),
    Endpoint("api/admin-areas.geojson", lambda o: "/api/admin-areas.geojson",
             {"level": CHOICE, "bbox": BBOX, "zoom": NUMBER}, base={"level": "street"}),
    Endpoint("api/search/", lambda o: "/api/search/", {"q": TEXT}),
    Endpoint("api/address-match/", lambda o: "/api/address-match/", {"q": TEXT}, base={"q": "解放大街100号"}),
    Endpoint("api/complaints/", lambda o: "/api/complaints/",
             {"status": CHOICE, "category": WHOLE, "channel": CHOICE, "overdue": CHOICE, "date_from": DATE,
              "date_to": DATE, "street": WHOLE, "to_confirm": CHOICE, "page": WHOLE}),
    Endpoint("complaints/", lambda o: "/complaints/", {"tab": TEXT}),
    Endpoint("api/features/<str:kind>/<int:pk>/", lambda o: f"/api/features/estate/{o.estate.pk}/"),
    Endpoint("api/management-areas/", lambda o: "/api/management-areas/", {"bbox": BBOX},
             base={"bbox": "126.6,45.7,126.61,45.71"}),
    Endpoint("api/management-areas/<int:pk>/", lambda o: f"/api/management-areas/{o.area.pk}/"),
    Endpoint("api/management-areas/<int:pk>/history/", lambda o: f"/api/management-areas/{o.area.pk}/history/"),
    Endpoint("api/abandonment-reports/", lambda o: "/api/abandonment-reports/", {"state": CHOICE, "page": WHOLE}),
    Endpoint("api/abandonment-reports/<int:pk>/", lambda o: f"/api/abandonment-reports/{o.report.pk}/"),
    Endpoint("abandonment/", lambda o: "/abandonment/", {"state": CHOICE, "page": WHOLE, "building": TEXT}),
    Endpoint("m/", lambda o: "/m/"),
    Endpoint("m/nearby/", lambda o: "/m/nearby/", {"lon": NUMBER, "lat": NUMBER},
             base={"lon": "125.3", "lat": "43.88"}),
    Endpoint("m/manifest.webmanifest", lambda o: "/m/manifest.webmanifest"),
    Endpoint("m/sw.js", lambda o: "/m/sw.js"),
    Endpoint("m/checklist/", lambda o: "/m/checklist/"),
    Endpoint("m/complaints/", lambda o: "/m/complaints/"),
    Endpoint("abandonment/photos/<int:pk>/", lambda o: f"/abandonment/photos/{o.photo}/"),
    Endpoint("inspections/", lambda o: "/inspections/", {"estate": WHOLE, "street": WHOLE, "year": WHOLE,
                                                         "page": WHOLE}),
    Endpoint("inspections/<int:pk>/", lambda o: f"/inspections/{o.inspection.pk}/"),
    Endpoint("inspections/photos/<int:pk>/", lambda o: f"/inspections/photos/{o.inspection_photo}/"),
    Endpoint("inspections/checklists/", lambda o: "/inspections/checklists/"),
    Endpoint("api/inspections/", lambda o: "/api/inspections/", {"estate": WHOLE, "street": WHOLE,
                                                                 "enterprise": WHOLE, "year": WHOLE, "page": WHOLE}),

    Endpoint("api/complaints/<int:pk>/", lambda o: f"/api/complaints/{o.complaint}/"),
    Endpoint("api/complaints/<int:pk>/steps/", lambda o: f"/api/complaints/{o.complaint}/steps/"),
    Endpoint("complaints/routing/", lambda o: "/complaints/routing/"),
    Endpoint("complaints/calendar/", lambda o: "/complaints/calendar/"),
    Endpoint("complaints/joint-meeting/", lambda o: "/complaints/joint-meeting/"),
    Endpoint("complaints/<int:pk>/", lambda o: f"/complaints/{o.complaint}/"),
    Endpoint("complaints/attachments/<int:pk>/", lambda o: f"/complaints/attachments/{o.complaint_attachment}/"),
    Endpoint("api/coverage/", lambda o: "/api/coverage/", COVERAGE),
    Endpoint("api/coverage/trend/", lambda o: "/api/coverage/trend/", {"from": DATE, "to": DATE, "area": WHOLE}),
    Endpoint("api/coverage/export.xlsx", lambda o: "/api/coverage/export.xlsx", COVERAGE),
    Endpoint("api/coverage/export.csv", lambda o: "/api/coverage/export.csv", COVERAGE),
    Endpoint("api/coverage/uncovered-households.json", lambda o: "/api/coverage/uncovered-households.json",
             {"bbox": BBOX, "date": DATE}),
    Endpoint("api/supervision/hotspots.json", lambda o: "/api/supervision/hotspots.json",
             {"bbox": BBOX, "from": DATE, "to": DATE}),
    Endpoint("api/enterprises/", lambda o: "/api/enterprises/", {"q": TEXT, "list_status": CHOICE, "page": WHOLE}),
    Endpoint("api/enterprises/<int:pk>/", lambda o: f"/api/enterprises/{o.enterprise.pk}/"),
    Endpoint("api/enterprises/<int:pk>/evaluations/", lambda o: f"/api/enterprises/{o.enterprise.pk}/evaluations/"),
    Endpoint("api/enterprises/<int:pk>/listings/", lambda o: f"/api/enterprises/{o.enterprise.pk}/listings/"),
    Endpoint("api/enterprises/<int:pk>/changes/", lambda o: f"/api/enterprises/{o.enterprise.pk}/changes/",
             {"page": WHOLE}),
    Endpoint("enterprises/", lambda o: "/enterprises/", {"q": TEXT, "list_status": CHOICE, "page": WHOLE}),
    Endpoint("enterprises/new/", lambda o: "/enterprises/new/"),
    Endpoint("enterprises/<int:pk>/edit/", lambda o: f"/enterprises/{o.enterprise.pk}/edit/"),
    Endpoint("enterprises/<int:pk>/", lambda o: f"/enterprises/{o.enterprise.pk}/"),
    Endpoint("service/", lambda o: "/service/"),
    Endpoint("api/service/worklists/<str:name>/", lambda o: "/api/service/worklists/uncovered/",
             {"street": WHOLE, "date": DATE, "page": WHOLE, "per_page": WHOLE, "features": FLAG}),
    Endpoint("api/estates/<int:pk>/candidates/", lambda o: f"/api/estates/{o.estate.pk}/candidates/",
             {"limit": WHOLE, "date": DATE}),
    Endpoint("api/estates/<int:pk>/contracts/", lambda o: f"/api/estates/{o.estate.pk}/contracts/"),
    Endpoint("api/plans/", lambda o: "/api/plans/"),
    Endpoint("api/plans/<int:pk>/", lambda o: f"/api/plans/{o.plan.pk}/", {"view": CHOICE}),
    Endpoint("api/plans/<int:pk>/map.json", lambda o: f"/api/plans/{o.plan.pk}/map.json"),
    Endpoint("api/plans/<int:pk>/bundles/<int:bid>/candidates/",
             lambda o: f"/api/plans/{o.plan.pk}/bundles/{o.bundle}/candidates/"),
    Endpoint("api/plans/<int:pk>/coverage/", lambda o: f"/api/plans/{o.plan.pk}/coverage/"),
    Endpoint("api/plans/<int:pk>/versions/", lambda o: f"/api/plans/{o.plan.pk}/versions/"),
    Endpoint("api/plans/<int:pk>/export.geojson", lambda o: f"/api/plans/{o.plan.pk}/export.geojson",
             {"per": CHOICE}),
    Endpoint("api/plans/<int:pk>/export.csv", lambda o: f"/api/plans/{o.plan.pk}/export.csv"),
    Endpoint("plans/", lambda o: "/plans/", {"job": WHOLE}),
    Endpoint("plans/<int:pk>/", lambda o: f"/plans/{o.plan.pk}/"),
    Endpoint("plans/<int:pk>/tiles/<str:layer>/<int:z>/<int:x>/<int:y>.mvt",
             lambda o: f"/plans/{o.plan.pk}/tiles/estates/12/3491/1464.mvt"),
    Endpoint("imports/", lambda o: "/imports/"),
    Endpoint("imports/samples/<str:name>", lambda o: f"/imports/samples/{SAMPLES[0].file}"),
    Endpoint("api/imports/<int:pk>/", lambda o: f"/api/imports/{o.job}/"),
    Endpoint("api/export/", lambda o: "/api/export/"),
    Endpoint("jobs/", lambda o: "/jobs/"),
    Endpoint("evaluations/", lambda o: "/evaluations/", {"district": WHOLE, "year": WHOLE, "job": WHOLE}),
    Endpoint("api/evaluations/", lambda o: "/api/evaluations/", {"district": WHOLE, "year": WHOLE}),
    Endpoint("evaluations/opinions/", lambda o: "/evaluations/opinions/", {"year": WHOLE}),
    Endpoint("api/jobs/", lambda o: "/api/jobs/"),
    Endpoint("api/jobs/<int:pk>/", lambda o: f"/api/jobs/{o.background_job}/"),
    Endpoint("api/jobs/<int:pk>/download/", lambda o: f"/api/jobs/{o.background_job}/download/"),
    *export_endpoints(),
    Endpoint("api/schema/", lambda o: "/api/schema/"),
    Endpoint("api/docs/", lambda o: "/api/docs/"),
    Endpoint("ogc/", lambda o: "/ogc/", {"f": CHOICE}),
    Endpoint("ogc/api", lambda o: "/ogc/api", {"f": CHOICE}),
    Endpoint("ogc/conformance", lambda o: "/ogc/conformance", {"f": CHOICE}),
    Endpoint("ogc/collections", lambda o: "/ogc/collections", {"f": CHOICE}),
    Endpoint("ogc/collections/<str:collection_id>", lambda o: "/ogc/collections/estates", {"f": CHOICE}),
    Endpoint("ogc/collections/<str:collection_id>/items/<int:feature_id>",
             lambda o: f"/ogc/collections/estates/items/{o.estate.pk}",
             {**{k: v for k, v in OGC_ITEMS.items() if k not in ("limit", "offset")}, **_queryables("estates")}),
    Endpoint("dashboard/", lambda o: "/dashboard/", {"date": DATE, "community": WHOLE}),
    Endpoint("reports/coverage/", lambda o: "/reports/coverage/", {"date": DATE, "level": CHOICE, "area": WHOLE}),
    Endpoint("estates/<int:pk>/", lambda o: f"/estates/{o.estate.pk}/"),
    Endpoint("buildings/<int:pk>/", lambda o: f"/buildings/{o.building.pk}/"),
    Endpoint("management-areas/<int:pk>/", lambda o: f"/management-areas/{o.area.pk}/"),
    Endpoint("management-areas/<int:pk>/history/", lambda o: f"/management-areas/{o.area.pk}/history/"),
    Endpoint("audit/", lambda o: "/audit/", {"kind": CHOICE, "user": TEXT, "from": DATE, "to": DATE, "page": WHOLE},
             user="admin"),
    Endpoint("accounts/login/", lambda o: "/accounts/login/", {"next": TEXT}, user=""),
    Endpoint("accounts/password_change/", lambda o: "/accounts/password_change/"),
    Endpoint("accounts/password_change/done/", lambda o: "/accounts/password_change/done/"),
    Endpoint("accounts/password_reset/", lambda o: "/accounts/password_reset/", user=""),
    Endpoint("accounts/password_reset/done/", lambda o: "/accounts/password_reset/done/", user=""),
    Endpoint("accounts/reset/<uidb64>/<token>/", lambda o: "/accounts/reset/MQ/set-password/", user=""),
    Endpoint("accounts/reset/done/", lambda o: "/accounts/reset/done/", user=""),
    Endpoint("i18n/setlang/", lambda o: "/i18n/setlang/", {"next": TEXT, "language": CHOICE}),
]

# Query parameters of other methods (DELETE takes its version in the query): walked like the GET ones, no control.
OTHER_METHODS = [
    Endpoint("api/management-areas/<int:pk>/", lambda o: f"/api/management-areas/{o.area.pk}/",
             {"version": WHOLE, "reason": TEXT}, method="delete", base={"reason": "坏参数"}),
    Endpoint("api/plans/<int:pk>/", lambda o: f"/api/plans/{o.plan.pk}/", {"version": WHOLE}, method="delete"),
]

# Routes that answer no GET (405): their bodies are walked by test_bad_body and test_bad_input.
NOT_GET = {
    "api/management-areas/validate/", "api/management-areas/clip/", "api/management-areas/merge/",
    "api/management-areas/merge/preview/",
    "api/management-areas/<int:pk>/split/", "api/management-areas/<int:pk>/restore/",
    "api/management-areas/<int:pk>/rebase/",
    "api/buildings/<int:pk>/abandonment-reports/", "api/abandonment-reports/<int:pk>/transition/",
    "abandonment/report/", "abandonment/<int:pk>/decide/", "inspections/new/", "enterprises/<int:pk>/evaluate/",
    "enterprises/<int:pk>/list/", "api/service/assign/", "api/service/selection/",
    "api/service/contracts/<int:pk>/end/",
    "api/plans/<int:pk>/bundles/", "api/plans/<int:pk>/bundles/<int:bid>/", "api/plans/<int:pk>/approve/",
    "api/imports/", "api/imports/<int:pk>/check/", "api/imports/<int:pk>/commit/", "api/token/",
    "api/export/<str:layer>.<str:fmt>/job/", "api/jobs/<int:pk>/cancel/",
    "api/complaints/import/", "complaints/confirm/",
    "accounts/logout/",
}
# Django's admin: its own parameters (q, o, p, lookups); a NUL in them is refused like anywhere (one sample test).
NOT_WALKED_PREFIXES = ("admin/",)
