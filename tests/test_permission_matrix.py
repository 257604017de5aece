"""Every write endpoint × every role × inside/outside the role's jurisdiction → the expected status, nothing written.

One generated test: CASES lists the write endpoints (REST, pages, admin); EXPECTED says, per case, what each
role gets. A refused request must leave the database exactly as it was (checked by a fingerprint of the
tables the endpoints write).
"""
import datetime
import json

import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import LineString
from django.db import connection
from django.test import Client

from layers.credit_code import check_character
from layers.models import AdminArea, AdminLevel, Building, Enterprise, Estate, ManagementArea, ServiceContract
from layers.services.abandonment import abandonment_report_create
from layers.services.enterprises import enterprise_create
from layers.services.management_areas import management_area_split, management_area_update

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "official", "street_office", "planner", "admin"]
REFUSED_ANONYMOUS = {302, 401, 403}

FINGERPRINT_SQL = """
SELECT md5(concat_ws('|',
  (SELECT string_agg(concat_ws(',', id, version, name, md5(ST_AsEWKB(geom)::text)), ';' ORDER BY id) FROM layers_managementarea),
  (SELECT count(*) FROM layers_managementareaversion),
  (SELECT string_agg(concat_ws(',', id, state), ';' ORDER BY id) FROM layers_abandonmentreport),
  (SELECT count(*) FROM layers_abandonmentevent),
  (SELECT string_agg(concat_ws(',', id, abandonment), ';' ORDER BY id) FROM layers_building WHERE abandonment <> 'none'),
  (SELECT string_agg(concat_ws(',', id, management_area_id), ';' ORDER BY id) FROM layers_estate),
  (SELECT string_agg(concat_ws(',', id, name, credit_code, credit_grade, list_status, list_status_since, address), ';'
                     ORDER BY id) FROM layers_enterprise),
  (SELECT count(*) FROM layers_creditevaluation),
  (SELECT count(*) FROM layers_enterpriselisting),
  (SELECT string_agg(concat_ws(',', id, end_date), ';' ORDER BY id) FROM layers_servicecontract),
  (SELECT count(*) FROM layers_registerchange),
  (SELECT string_agg(concat_ws(',', id, version, status), ';' ORDER BY id) FROM layers_takeoverplan),
  (SELECT string_agg(concat_ws(',', id, rank, enterprise_id), ';' ORDER BY id) FROM layers_bundle),
  (SELECT count(*) FROM layers_bundleestate), (SELECT count(*) FROM layers_planversion),
  (SELECT md5(string_agg(concat_ws(',', id, code, name, households), ';' ORDER BY id)) FROM layers_estate),
  (SELECT string_agg(concat_ws(',', id, status), ';' ORDER BY id) FROM layers_importjob)))
"""


def fingerprint() -> str:
    with connection.cursor() as cursor:
        cursor.execute(FINGERPRINT_SQL)
        return cursor.fetchone()[0]


def user(name):
    return User.objects.get(username=name)


def streets():
    return list(AdminArea.objects.filter(level=AdminLevel.STREET).order_by("code"))


def managed_building(street) -> Building:
    return Building.objects.filter(estate__community__parent=street, abandonment="none").order_by("code").first()


def a_report(street):
    """A fresh 'reported' report on a managed building of `street`, filed by that street's office."""
    return abandonment_report_create(
        user=user(f"street-{street.code}"), building_id=managed_building(street).pk,
        abandoned_since=datetime.date(2024, 1, 1), reason="enterprise_left", description="", photos=[],
    )


def an_area() -> ManagementArea:
    return ManagementArea.objects.order_by("code").first()


def feature(geom, **properties):
    return {"type": "Feature", "geometry": json.loads(geom.geojson), "properties": properties}


def free_spot_geometry():
    """An estate outline no management area covers yet: room for a new area."""
    return Estate.objects.filter(management_area__isnull=True).order_by("code").first().geom


def cut_line(area):
    minx, miny, maxx, maxy = area.geom.extent
    x = (minx + maxx) / 2
    return LineString((x, miny - 0.001), (x, maxy + 0.001), srid=4490)


def split_in_two(area):
    kept, new = management_area_split(user=user("planner"), area_id=area.pk, base_version=area.version,
                                      line=cut_line(area), reason="set-up")
    return kept.area, new.area


def renamed(area):
    return management_area_update(user=user("planner"), area_id=area.pk, base_version=area.version,
                                  name=area.name + "（调整）").area


# Each case: (method, url, body, content type) built on the demo city; `inside` says whether the object lies in the
# street office's street (for the street office's own street; areas are district-wide and have no inside/outside).
def case_area_create(inside):
    return "post", "/api/management-areas/", feature(free_spot_geometry(), name="新划区域"), "json"


def case_area_update(inside):
    area = an_area()
    return "put", f"/api/management-areas/{area.pk}/", feature(area.geom, version=area.version, name="改名"), "json"


def case_area_delete(inside):
    area = an_area()
    return "delete", f"/api/management-areas/{area.pk}/?version={area.version}&reason=matrix", None, None


def case_area_split(inside):
    area = an_area()
    body = {"line": json.loads(cut_line(area).geojson), "version": area.version, "reason": "matrix"}
    return "post", f"/api/management-areas/{area.pk}/split/", body, "json"


def case_area_merge(inside):
    a, b = split_in_two(an_area())
    body = {"ids": [a.pk, b.pk], "versions": {str(a.pk): a.version, str(b.pk): b.version}, "reason": "matrix"}
    return "post", "/api/management-areas/merge/", body, "json"


def case_area_restore(inside):
    area = renamed(an_area())
    body = {"version": area.version - 1, "base_version": area.version, "reason": "matrix"}
    return "post", f"/api/management-areas/{area.pk}/restore/", body, "json"


def case_area_admin_change(inside):
    area = an_area()
    return "post", f"/admin/layers/managementarea/{area.pk}/change/", {"name": "后台改名"}, "form"


def case_report_create(inside):
    street = streets()[0 if inside else 1]
    body = {"abandoned_since": "2024-03-01", "reason": "enterprise_left", "description": "无人管理"}
    return "post", f"/api/buildings/{managed_building(street).pk}/abandonment-reports/", body, "form"


def case_report_page_form(inside):
    street = streets()[0 if inside else 1]
    body = {"building": managed_building(street).code, "abandoned_since": "2024-03-01", "reason": "enterprise_left"}
    return "post", "/abandonment/report/", body, "form"


def case_report_transition(inside):
    report = a_report(streets()[0 if inside else 1])
    return "post", f"/api/abandonment-reports/{report.pk}/transition/", {"to": "verified"}, "json"


def case_report_page_decide(inside):
    report = a_report(streets()[0 if inside else 1])
    return "post", f"/abandonment/{report.pk}/decide/", {"to": "verified"}, "form"


# The enterprise register is district-wide (no inside/outside): the district writes, everyone else is refused.
def a_normal_enterprise() -> Enterprise:
    return Enterprise.objects.filter(list_status="normal").order_by("id").first()


def a_new_code() -> str:
    first17 = "91230112MA1MATR1X"
    return first17 + check_character(first17)


def a_fresh_enterprise() -> Enterprise:
    """An enterprise without evaluations (so last year can be recorded), filed long ago."""
    return enterprise_create(user=user("planner"), name="矩阵物业", credit_code=a_new_code(),
                             filed_on=datetime.date(2015, 1, 1))


def case_enterprise_create(inside):
    return "post", "/api/enterprises/", {"name": "矩阵物业", "credit_code": a_new_code()}, "json"


def case_enterprise_update(inside):
    return "patch", f"/api/enterprises/{a_normal_enterprise().pk}/", {"address": "矩阵路1号"}, "json"


def case_evaluation_record(inside):
    body = {"year": datetime.date.today().year - 1, "grade": "C", "passed": False}
    return "post", f"/api/enterprises/{a_fresh_enterprise().pk}/evaluations/", body, "json"


def case_listing_set(inside):
    return "post", f"/api/enterprises/{a_normal_enterprise().pk}/listings/", {"status": "red", "reason": "矩阵"}, "json"


def case_enterprise_page_create(inside):
    return "post", "/enterprises/new/", {"name": "矩阵物业", "credit_code": a_new_code(), "credit_grade": "A"}, "form"


def case_enterprise_page_edit(inside):
    enterprise = a_normal_enterprise()
    body = {"name": enterprise.name + "（改）", "credit_code": enterprise.credit_code}
    return "post", f"/enterprises/{enterprise.pk}/edit/", body, "form"


def case_evaluation_page(inside):
    body = {"year": datetime.date.today().year - 1, "grade": "A", "passed": "yes"}
    return "post", f"/enterprises/{a_fresh_enterprise().pk}/evaluate/", body, "form"


def case_listing_page(inside):
    body = {"status": "red", "reason": "矩阵", "listed_on": datetime.date.today().isoformat()}
    return "post", f"/enterprises/{a_normal_enterprise().pk}/list/", body, "form"
def estates_geojson_upload():
    """A GeoJSON file renaming the first demo estate: an upsert by code."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    estate = Estate.objects.order_by("code").first()
    collection = {"type": "FeatureCollection", "features": [
        feature(estate.geom, 编码=estate.code, 名称=estate.name + "（导入）", 建成年份=estate.build_year,
                户数=estate.households + 1, 建筑面积=estate.floor_area)]}
    return SimpleUploadedFile("estates.geojson", json.dumps(collection, ensure_ascii=False).encode(),
                              content_type="application/geo+json")


def an_import_job(checked=False):
    from layers.services.imports import import_job_check, import_job_create

    job, description = import_job_create(user=user("planner"), upload=estates_geojson_upload(), target="estates")
    if checked:
        job = import_job_check(user=user("planner"), job_id=job.pk, mapping=description["suggested_mapping"])
    return job


def case_import_upload(inside):
    return "post", "/api/imports/", {"file": estates_geojson_upload(), "target": "estates"}, "form"


def case_import_check(inside):
    job = an_import_job()
    return "post", f"/api/imports/{job.pk}/check/", {"mapping": job.mapping}, "json"


def case_import_commit(inside):
    job = an_import_job(checked=True)
    return "post", f"/api/imports/{job.pk}/commit/", {"reason": "matrix"}, "json"


def case_service_assign(inside):
    street = streets()[0 if inside else 1]
    estate = Estate.objects.uncovered().filter(community__parent=street).order_by("code").first()
    body = {"estate_ids": [estate.pk], "provider_kind": "district_fallback", "start_date": "2026-01-01"}
    return "post", "/api/service/assign/", body, "json"


def case_service_contract_end(inside):
    street = streets()[0 if inside else 1]
    contract = (ServiceContract.objects.filter(estate__community__parent=street, end_date__isnull=True,
                                               start_date__lt=datetime.date(2025, 1, 1)).order_by("pk").first())
    return "post", f"/api/service/contracts/{contract.pk}/end/", {"end_date": "2025-06-01", "reason": "matrix"}, "json"


# Takeover plans (docs/PLANS.md): a street plan of the first street, made by the planner.
PLAN_START = datetime.date(2027, 1, 1)


def a_plan(with_enterprises=False):
    from layers.models import Enterprise
    from layers.services.plans import bundle_enterprise_set, plan_create

    plan = plan_create(user=user("planner"), name="矩阵计划", start_date=PLAN_START, street_id=streets()[0].pk)
    if with_enterprises:
        enterprise = Enterprise.objects.exclude(list_status="black").order_by("pk").first()
        for bundle in plan.bundles.order_by("rank"):
            plan.refresh_from_db()
            bundle_enterprise_set(user=user("planner"), plan_id=plan.pk, bundle_id=bundle.pk, version=plan.version,
                                  enterprise_id=enterprise.pk)
        plan.refresh_from_db()
    return plan


def case_plan_create(inside):
    body = {"name": "新计划", "start_date": "2027-01-01", "street": streets()[0].pk}
    return "post", "/api/plans/", body, "json"


def case_plan_page_create(inside):
    body = {"name": "新计划", "start_date": "2027-01-01", "street": streets()[0].pk, "gap_m": "50",
            "min_households": "800", "max_households": "4000", "seed": "0"}
    return "post", "/plans/", body, "form"


def case_bundle_enterprise(inside):
    from layers.models import Enterprise

    plan = a_plan()
    enterprise = Enterprise.objects.exclude(list_status="black").order_by("pk").first()
    body = {"version": plan.version, "enterprise_id": enterprise.pk}
    return "patch", f"/api/plans/{plan.pk}/bundles/{plan.bundles.order_by('rank').first().pk}/", body, "json"


def case_bundle_delete(inside):
    plan = a_plan()
    bundle = plan.bundles.order_by("rank").first()
    return "delete", f"/api/plans/{plan.pk}/bundles/{bundle.pk}/?version={plan.version}", None, None


def case_bundle_new(inside):
    from layers.services.plans import bundle_delete

    plan = a_plan()
    bundle = plan.bundles.order_by("rank").first()
    estates = list(bundle.members.values_list("estate_id", flat=True))
    bundle_delete(user=user("planner"), plan_id=plan.pk, bundle_id=bundle.pk, version=plan.version)
    return "post", f"/api/plans/{plan.pk}/bundles/", {"version": plan.version + 1, "estates": estates}, "json"


def case_plan_approve(inside):
    plan = a_plan(with_enterprises=True)
    return "post", f"/api/plans/{plan.pk}/approve/", {"version": plan.version}, "json"


def case_plan_discard(inside):
    plan = a_plan()
    return "delete", f"/api/plans/{plan.pk}/?version={plan.version}", None, None


AREA_WRITES = {"official": 403, "street_office": 403}
# case → {role: status}; "planner"/"admin" successes; anonymous is always refused (REFUSED_ANONYMOUS).
EXPECTED = {
    (case_area_create, True): {**AREA_WRITES, "planner": 201, "admin": 201},
    (case_area_update, True): {**AREA_WRITES, "planner": 200, "admin": 200},
    (case_area_delete, True): {**AREA_WRITES, "planner": 204, "admin": 204},
    (case_area_split, True): {**AREA_WRITES, "planner": 200, "admin": 200},
    (case_area_merge, True): {**AREA_WRITES, "planner": 200, "admin": 200},
    (case_area_restore, True): {**AREA_WRITES, "planner": 200, "admin": 200},
    # Only administrators use the Django admin; everybody else is sent to its log-in page.
    (case_area_admin_change, True): {"official": 302, "street_office": 302, "planner": 302},
    (case_report_create, True): {"official": 403, "street_office": 201, "planner": 201, "admin": 201},
    (case_report_create, False): {"official": 403, "street_office": 404, "planner": 201, "admin": 201},
    (case_report_page_form, True): {"official": 403, "street_office": 302, "planner": 302, "admin": 302},
    (case_report_page_form, False): {"official": 403, "street_office": 400, "planner": 302, "admin": 302},
    (case_report_transition, True): {"official": 403, "street_office": 403, "planner": 200, "admin": 200},
    (case_report_transition, False): {"official": 403, "street_office": 403, "planner": 200, "admin": 200},
    (case_report_page_decide, True): {"official": 403, "street_office": 403, "planner": 302, "admin": 302},
    (case_report_page_decide, False): {"official": 403, "street_office": 403, "planner": 302, "admin": 302},
    (case_enterprise_create, True): {**AREA_WRITES, "planner": 201, "admin": 201},
    (case_enterprise_update, True): {**AREA_WRITES, "planner": 200, "admin": 200},
    (case_evaluation_record, True): {**AREA_WRITES, "planner": 201, "admin": 201},
    (case_listing_set, True): {**AREA_WRITES, "planner": 201, "admin": 201},
    (case_enterprise_page_create, True): {**AREA_WRITES, "planner": 302, "admin": 302},
    (case_enterprise_page_edit, True): {**AREA_WRITES, "planner": 302, "admin": 302},
    (case_evaluation_page, True): {**AREA_WRITES, "planner": 302, "admin": 302},
    (case_listing_page, True): {**AREA_WRITES, "planner": 302, "admin": 302},
    # Assigning service is the district's (street offices read their street's worklists only).
    (case_service_assign, True): {"official": 403, "street_office": 403, "planner": 201, "admin": 201},
    (case_service_assign, False): {"official": 403, "street_office": 403, "planner": 201, "admin": 201},
    (case_service_contract_end, True): {"official": 403, "street_office": 403, "planner": 200, "admin": 200},
    (case_service_contract_end, False): {"official": 403, "street_office": 403, "planner": 200, "admin": 200},
    (case_plan_create, True): {**AREA_WRITES, "planner": 201, "admin": 201},
    (case_plan_page_create, True): {**AREA_WRITES, "planner": 302, "admin": 302},
    (case_bundle_enterprise, True): {**AREA_WRITES, "planner": 200, "admin": 200},
    (case_bundle_delete, True): {**AREA_WRITES, "planner": 200, "admin": 200},
    (case_bundle_new, True): {**AREA_WRITES, "planner": 201, "admin": 201},
    (case_plan_approve, True): {**AREA_WRITES, "planner": 200, "admin": 200},
    (case_plan_discard, True): {**AREA_WRITES, "planner": 200, "admin": 200},
    # Data import: the district department only (planner, administrator).
    (case_import_upload, True): {**AREA_WRITES, "planner": 201, "admin": 201},
    (case_import_check, True): {**AREA_WRITES, "planner": 200, "admin": 200},
    (case_import_commit, True): {**AREA_WRITES, "planner": 200, "admin": 200},
}
SUCCESS = {200, 201, 204}


def client_for(role) -> Client:
    client = Client(enforce_csrf_checks=False, HTTP_ACCEPT_LANGUAGE="en")
    names = {"official": "official", "planner": "planner", "admin": "admin", "street_office": f"street-{streets()[0].code}"}
    if role != "anonymous":
        client.force_login(user(names[role]))
    return client


def send(client, method, url, body, kind):
    if kind == "json":
        return getattr(client, method)(url, json.dumps(body), content_type="application/json")
    if kind == "form":
        return getattr(client, method)(url, body)
    return getattr(client, method)(url)


MATRIX = [
    pytest.param(build, inside, role, id=f"{build.__name__.removeprefix('case_')}-{'in' if inside else 'out'}-{role}")
    for (build, inside) in EXPECTED
    for role in ROLES
    if role == "anonymous" or role in EXPECTED[(build, inside)]
]


@pytest.mark.parametrize("build, inside, role", MATRIX)
def test_write_endpoint_by_role_and_scope(build, inside, role):
    method, url, body, kind = build(inside)
    before = fingerprint()
    response = send(client_for(role), method, url, body, kind)
    after = fingerprint()
    if role == "anonymous":
        assert response.status_code in REFUSED_ANONYMOUS, response.content[:300]
    else:
        assert response.status_code == EXPECTED[(build, inside)][role], response.content[:300]
    wrote = response.status_code in SUCCESS or (response.status_code == 302 and role in ("planner", "admin", "street_office")
                                                and "/admin/" not in url)
    if wrote:
        assert after != before, "a successful write changed nothing"
    else:
        assert after == before, "a refused request wrote something"


def test_every_write_endpoint_is_in_the_matrix():
    """A new write URL must be added to the matrix: the URLconf's write views are all covered here."""
    covered = {"management-areas", "management-area", "management-area-split", "management-area-merge",
               "management-area-restore", "building-abandonment-reports", "abandonment-report-transition",
               "abandonment-report-submit", "abandonment-report-decide",
               "enterprise-api-list", "enterprise-api-detail", "enterprise-api-evaluations", "enterprise-api-listings",
               "enterprise-create", "enterprise-edit", "enterprise-evaluation-submit", "enterprise-listing-submit",
               "service-assign", "service-contract-end",
               "api-plans", "api-plan", "api-plan-bundles", "api-plan-bundle", "api-plan-approve", "plan-list",
               "import-jobs", "import-job-check", "import-job-commit"}
    # Read-only or dry-run endpoints: they never write, whatever the method.
    read_only = {"map", "tile", "admin-areas-geojson", "search", "feature-popup", "estate-detail", "building-detail",
                 "management-area-detail", "enterprise-detail", "management-area-validate", "management-area-clip",
                 "management-area-history", "abandonment-report-list", "abandonment-report-detail", "abandonment-page",
                 "abandonment-photo", "dashboard", "coverage-report", "coverage-figures", "coverage-trend",
                 "coverage-export-xlsx", "coverage-export-csv", "coverage-uncovered-households",
                 "api-schema", "api-docs", "enterprise-list", "enterprise-api-changes",
                 "service-worklists", "service-worklist", "estate-candidates", "estate-contracts",
                 "api-plan-map", "api-plan-bundle-candidates", "api-plan-coverage", "api-plan-versions",
                 "api-plan-export-geojson", "api-plan-export-csv", "plan-detail",
                 "import-page", "import-job",
                 "export-layers", "export-layer", "ogc-landing", "ogc-api", "ogc-conformance", "ogc-collections",
                 "ogc-collection", "ogc-items", "ogc-item", "audit-log"}
    # Writes nothing but the caller's own API key (tests/test_openapi.py).
    read_only |= {"api-token"}
    from django.urls import get_resolver

    names = {name for name in get_resolver("layers.urls").reverse_dict if isinstance(name, str)}
    assert names == covered | read_only, names ^ (covered | read_only)
