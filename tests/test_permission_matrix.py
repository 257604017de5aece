"""Every endpoint × every role × inside/outside the role's jurisdiction → the expected status; nothing leaks.

One generated test (docs/reliability/matrix.md):
- ENDPOINTS is the table: one row per URL pattern and method — a request built on the demo city (with ids of
  objects inside or outside the street office's street) and who may (a set of roles, README "What each role
  finds"). The expected status of every role follows from the row by one rule (`expected`), never from the code
  under test. The Django admin's rows are generated per registered model (ADMIN_ROWS).
- test_every_url_pattern_is_in_the_table walks django.urls.get_resolver(): a URL pattern (or an allowed method of
  a REST view) without a row fails, so a new endpoint cannot be forgotten; EXCLUDED says why the few left out are.
- test_write_by_role_and_scope and test_read_by_role_and_scope send each row's request as each role and check the
  status; a refused request, and every read, must leave the database exactly as it was (a fingerprint of the
  tables the endpoints write), and a successful write must change it.
- The test_leak_* tests read what tiles, exports (every format), OGC API items, search, popups, lists and detail
  pages give each role and compare it with what the role may view (VISIBLE, an ORM query per street-scoped layer).

Street-scoped data (layers/permissions.py STREET_LOOKUP, docs/SECURITY.md "Read scope"): a street office locates
every estate and building of the district (outline and name, in every output: tiles, popups, search, detail pages,
export, OGC API) but reads their state (service status, provider, abandonment) only in its own street, and only its
own street's abandoned-building reports, renovation projects and service contracts; takeover plans are not for
street offices, import jobs are the district's. Everything else is district-wide for every logged-in role.
"""
import datetime
import io
import json
import math
import re
import zipfile
from dataclasses import dataclass, field
from typing import Callable

import mapbox_vector_tile
import openpyxl
import pyogrio
import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.geos import LineString
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.authtoken.models import Token, TokenProxy

from layers.catalogue import feature_layers, tile_layers
from layers.credit_code import check_character
from layers.models import (
    AbandonmentPhoto,
    AbandonmentReport,
    AdminArea,
    AdminLevel,
    AuditEvent,
    Building,
    CalendarDay,
    Complaint,
    ComplaintAttachment,
    ComplaintCategory,
    ComplaintEvent,
    Enterprise,
    EnterpriseEvaluation,
    Estate,
    EvaluationScheme,
    IdempotentRequest,
    ImportJob,
    InspectionPhoto,
    Job,
    JointMeetingItem,
    ManagementArea,
    ServiceContract,
    StreetOpinion,
    TakeoverPlan,
    UserProfile,
)
from layers.security.audit import record_command
from layers.services.abandonment import abandonment_report_create
from layers.services.complaint_steps import complaint_step
from layers.services.complaints import complaint_create, ensure_default_categories
from layers.services.enterprises import enterprise_create
from layers.services.management_areas import management_area_merge, management_area_split, management_area_update
from layers.tiles import serve

from .db_fingerprint import fingerprint

pytestmark = pytest.mark.django_db
FEATURE_LAYERS = feature_layers()
TILE_LAYERS = tile_layers()


@pytest.fixture(autouse=True)
def cold_tile_cache():
    """The tiles fetched here must not stay in the server's in-process tile cache: tests/test_tile_cache.py expects a
    tile it asks for the first time to be built."""
    yield
    if serve.tile_cache is not None:
        serve.tile_cache.clear()

# --- who may: the roles of README "What each role finds" -----------------------------------------------------------
# "city" is the city official (市房管局/住建局): reads every district, changes nothing (DOMAIN.md "Levels"). The
# district dimension (a planner of one district and another district's objects) is tested at the end of this file.
# "community" is a residents' committee (its community, one level below a street office); "enterprise" a property-
# service enterprise, which opens its complaints only (permissions.ROLE_PATHS): 403 everywhere else.
ROLES = ["anonymous", "city", "official", "street_office", "community", "planner", "admin", "enterprise"]
EVERYONE = frozenset({"city", "official", "street_office", "community", "planner", "admin"})  # the map's roles
LOGGED_IN = EVERYONE | {"enterprise"}  # every logged-in role: its own account
DISTRICT = frozenset({"planner", "admin"})  # the district department and the administrator
PLAN_READERS = DISTRICT | {"official", "city"}  # takeover plans: street offices do not see them (docs/PLANS.md)
REPORTERS = DISTRICT | {"street_office"}  # abandoned-building reports are filed by street offices and the district
ADMINISTRATOR = frozenset({"admin"})  # the Django admin
ALL = LOGGED_IN | {"anonymous"}  # public pages: log-in, password reset, language

MOBILE = frozenset({"street_office", "community", "enterprise", "planner"})  # the phone app /m/ (permissions.MOBILE_ROLES)
MOBILE_FIELD = MOBILE - {"enterprise"}  # its map, lists and inspections: an enterprise has its complaints only

# What an anonymous caller gets (layers/api/drf.py): the pages and map/coverage APIs send the browser to the log-in
# page; the other REST endpoints answer 403 (session authentication first), the abandoned-building API 401 (token
# authentication first), the OGC API 401 (HTTP Basic, so QGIS asks for a password).
LOG_IN_PAGE, REST_403, TOKEN_401, BASIC_401 = 302, 403, 401, 401

# Where an endpoint's objects lie.
DISTRICT_WIDE = "district"  # no inside/outside: one case
STREET = "street"  # a street office outside its street gets 404 (permissions.restrict: it cannot even learn of it)
MAP = "map"  # inside and outside tried, same answer: every role locates every estate and building (outline, name)

GET, POST, PUT, PATCH, DELETE = "get", "post", "put", "patch", "delete"


@dataclass(frozen=True)
class Request:
    url: str
    body: object = None
    kind: str | None = None  # "json", "form" or None (no body)


@dataclass(frozen=True)
class Endpoint:
    name: str  # the URL pattern's name ("admin:…" in the admin), or its route when it has none
    method: str
    build: Callable[[bool], Request]  # inside → the request
    who: frozenset  # the roles that may
    ok: int  # what they get
    anonymous: int = LOG_IN_PAGE
    scope: str = DISTRICT_WIDE
    refused: int = 403  # a logged-in role that may not
    writes: bool | None = None  # default: every method but GET; a dry run (validate, clip) writes nothing
    exceptions: dict = field(default_factory=dict)  # {(role, inside): status} where the rule does not fit (commented)

    @property
    def changes_data(self) -> bool:
        return self.method != GET if self.writes is None else self.writes

    def cases(self):
        return (True, False) if self.scope in (STREET, MAP) else (True,)


def expected(endpoint: Endpoint, role: str, inside: bool) -> tuple[int, bool]:
    """(status, whether the request succeeds) from the table row alone."""
    if (role, inside) in endpoint.exceptions:
        status = endpoint.exceptions[(role, inside)]
        return status, role in endpoint.who and status == endpoint.ok
    if role not in endpoint.who:
        return (endpoint.anonymous if role == "anonymous" else endpoint.refused), False
    if endpoint.scope == STREET and role in ("street_office", "community") and not inside:
        return 404, False
    return endpoint.ok, True


def user(name):
    return User.objects.get(username=name)


def streets():
    return list(AdminArea.objects.filter(level=AdminLevel.STREET).order_by("code"))


def street(inside: bool) -> AdminArea:
    """The street office's own street (inside) or the next one (outside)."""
    return streets()[0 if inside else 1]


def own_community() -> AdminArea:
    """The matrix's community user's community: the first one of the street office's street holding an object of
    every street-scoped row (a managed building, an uncovered estate, a contract older than 2025), so that "inside"
    is inside the community too."""
    for community in AdminArea.objects.filter(level=AdminLevel.COMMUNITY, parent=streets()[0]).order_by("code"):
        if (Building.objects.filter(estate__community=community, abandonment="none").exists()
                and Estate.objects.uncovered().filter(community=community).exists()
                and ServiceContract.objects.filter(estate__community=community, end_date__isnull=True,
                                                   start_date__lt=datetime.date(2025, 1, 1)).exists()):
            return community
    raise AssertionError("the demo street has no community with every kind of object")


def in_street(street, lookup="community") -> dict:
    """Filter keywords for objects of `street`; in the street office's own street, of the community user's community."""
    if street == streets()[0]:
        return {lookup: own_community()}
    return {f"{lookup}__parent": street}


def managed_building(street) -> Building:
    return Building.objects.filter(**in_street(street, "estate__community"), abandonment="none").order_by("code").first()


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


# --- writes: requests on the demo city, (url, body, content type); `inside` says whether the object lies in the
# street office's own street (areas, enterprises and plans are district-wide and have no inside/outside).
def case_area_create(inside):
    return "/api/management-areas/", feature(free_spot_geometry(), name="新划区域"), "json"


def case_area_update(inside):
    area = an_area()
    return f"/api/management-areas/{area.pk}/", feature(area.geom, version=area.version, name="改名"), "json"


def case_area_delete(inside):
    area = an_area()
    return f"/api/management-areas/{area.pk}/?version={area.version}&reason=matrix", None, None


def case_area_validate(inside):  # a dry run
    return "/api/management-areas/validate/", feature(free_spot_geometry(), name="试划"), "json"


def case_area_clip(inside):  # a dry run
    return "/api/management-areas/clip/", feature(free_spot_geometry(), name="试划"), "json"


def case_area_split(inside):
    area = an_area()
    body = {"line": json.loads(cut_line(area).geojson), "version": area.version, "reason": "matrix"}
    return f"/api/management-areas/{area.pk}/split/", body, "json"


def case_area_merge(inside):
    a, b = split_in_two(an_area())
    body = {"ids": [a.pk, b.pk], "versions": {str(a.pk): a.version, str(b.pk): b.version}, "reason": "matrix"}
    return "/api/management-areas/merge/", body, "json"


def case_area_merge_preview(inside):  # a dry run; the pair shares an edge once split
    a, b = split_in_two(an_area())
    return "/api/management-areas/merge/preview/", {"ids": [a.pk, b.pk]}, "json"


def removed_area_history(inside):
    """The history page of an area removed by a merge."""
    a, b = split_in_two(an_area())
    management_area_merge(user=user("planner"), area_ids=[a.pk, b.pk], reason="matrix",
                          base_versions={str(a.pk): a.version, str(b.pk): b.version})
    return Request(f"/management-areas/{b.pk}/history/")


def case_area_restore(inside):
    area = renamed(an_area())
    body = {"version": area.version - 1, "base_version": area.version, "reason": "matrix"}
    return f"/api/management-areas/{area.pk}/restore/", body, "json"


def case_area_rebase(inside):
    area = renamed(an_area())
    body = {"base_version": area.version - 1, "geometry": json.loads(area.geom.geojson)}
    return f"/api/management-areas/{area.pk}/rebase/", body, "json"


def case_area_admin_change(inside):
    area = an_area()
    return f"/admin/layers/managementarea/{area.pk}/change/", {"name": "后台改名"}, "form"


def case_report_create(inside):
    street = streets()[0 if inside else 1]
    body = {"abandoned_since": "2024-03-01", "reason": "enterprise_left", "description": "无人管理"}
    return f"/api/buildings/{managed_building(street).pk}/abandonment-reports/", body, "form"


def case_report_page_form(inside):
    street = streets()[0 if inside else 1]
    body = {"building": managed_building(street).code, "abandoned_since": "2024-03-01", "reason": "enterprise_left"}
    return "/abandonment/report/", body, "form"


def case_report_transition(inside):
    report = a_report(streets()[0 if inside else 1])
    return f"/api/abandonment-reports/{report.pk}/transition/", {"to": "verified"}, "json"


def case_report_page_decide(inside):
    report = a_report(streets()[0 if inside else 1])
    return f"/abandonment/{report.pk}/decide/", {"to": "verified"}, "form"


# Daily inspections: street offices (their street), communities and the district inspect; the district keeps the
# checklist (docs/INSPECTIONS.md).
INSPECTORS = DISTRICT | {"street_office", "community"}
INSPECTION_READERS = EVERYONE  # the enterprise sees its complaints only (permissions.ROLE_PATHS)


def inspection_scores(estate):
    from layers.services.inspections import ensure_default_checklist

    checklist = ensure_default_checklist(estate.community.parent.parent)
    return {str(item.pk): item.max_score - 1 for item in checklist.items.all()}


def case_inspection_page(inside):
    estate = an_estate(inside)
    body = {"estate": estate.pk, "note": "矩阵", **{f"score_{k}": v for k, v in inspection_scores(estate).items()}}
    return "/inspections/new/", body, "form"


def case_inspection_api(inside):
    estate = an_estate(inside)
    return "/api/inspections/", {"estate": estate.pk, "scores": json.dumps(inspection_scores(estate))}, "form"


def case_checklist_save(inside):
    body = {"name": "矩阵检查表", "item_name": ["保洁", "消防通道"], "item_max": ["50", "50"],
            "item_guidance": ["", ""]}
    return "/inspections/checklists/", body, "form"


def a_demo_inspection(inside):
    from layers.models import Inspection

    return Inspection.objects.filter(**in_street(street(inside))).order_by("pk").first()


def an_inspection_photo(inside):
    from layers.models import InspectionPhoto

    return InspectionPhoto.objects.create(inspection=a_demo_inspection(inside), content_type="image/jpeg", size=10,
                                          file=ContentFile(b"\xff\xd8\xff\xe0matrix", name="m.jpg"))


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
    return "/api/enterprises/", {"name": "矩阵物业", "credit_code": a_new_code()}, "json"


def case_enterprise_update(inside):
    return f"/api/enterprises/{a_normal_enterprise().pk}/", {"address": "矩阵路1号"}, "json"


def case_evaluation_record(inside):
    body = {"year": datetime.date.today().year - 1, "grade": "C", "passed": False}
    return f"/api/enterprises/{a_fresh_enterprise().pk}/evaluations/", body, "json"


def case_listing_set(inside):
    return f"/api/enterprises/{a_normal_enterprise().pk}/listings/", {"status": "red", "reason": "矩阵"}, "json"


def case_enterprise_page_create(inside):
    return "/enterprises/new/", {"name": "矩阵物业", "credit_code": a_new_code(), "credit_grade": "A"}, "form"


def case_enterprise_page_edit(inside):
    enterprise = a_normal_enterprise()
    body = {"name": enterprise.name + "（改）", "credit_code": enterprise.credit_code}
    return f"/enterprises/{enterprise.pk}/edit/", body, "form"


def case_evaluation_page(inside):
    body = {"year": datetime.date.today().year - 1, "grade": "A", "passed": "yes"}
    return f"/enterprises/{a_fresh_enterprise().pk}/evaluate/", body, "form"


def case_evaluation_scheme(inside):
    return "/evaluations/", {"action": "scheme", "pass_line": 55}, "form"


def case_street_opinion(inside):
    """An opinion of an enterprise serving an estate of the street office's street last year."""
    year = datetime.date.today().year - 1
    contract = (ServiceContract.objects.filter(estate__community__parent=street(True), enterprise__isnull=False,
                                               start_date__lt=datetime.date(year + 1, 1, 1))
                .exclude(end_date__lte=datetime.date(year, 1, 1)).order_by("pk").first())
    return "/evaluations/opinions/", {"enterprise": contract.enterprise_id, "year": year, "score": 70}, "form"


def case_listing_page(inside):
    body = {"status": "red", "reason": "矩阵", "listed_on": datetime.date.today().isoformat()}
    return f"/enterprises/{a_normal_enterprise().pk}/list/", body, "form"


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
    return "/api/imports/", {"file": estates_geojson_upload(), "target": "estates"}, "form"


def case_complaint_create(inside):
    estate = Estate.objects.filter(community__parent=street(inside)).order_by("code").first()
    return "/api/complaints/", {"channel": "visit", "caller_words": "矩阵：楼道灯不亮", "estate": estate.pk}, "json"


def case_complaint_import(inside):
    from django.core.files.uploadedfile import SimpleUploadedFile
    text = f"工单编号,受理时间,来电内容,地址\n矩阵-{inside}-1,2026-11-03 09:00,漏水,某路1号\n"
    district = AdminArea.objects.filter(level=AdminLevel.DISTRICT).order_by("code").first()
    return "/api/complaints/import/", {"file": SimpleUploadedFile("orders.csv", text.encode()), "dry_run": "false",
                                       "district": district.pk}, "form"


def case_import_check(inside):
    job = an_import_job()
    return f"/api/imports/{job.pk}/check/", {"mapping": job.mapping}, "json"


def case_import_commit(inside):
    job = an_import_job(checked=True)
    return f"/api/imports/{job.pk}/commit/", {"reason": "matrix"}, "json"


def case_service_assign(inside):
    street = streets()[0 if inside else 1]
    estate = Estate.objects.uncovered().filter(**in_street(street)).order_by("code").first()
    body = {"estate_ids": [estate.pk], "provider_kind": "district_fallback", "start_date": "2026-01-01"}
    return "/api/service/assign/", body, "json"


def case_service_selection(inside):
    street = streets()[0 if inside else 1]
    estate = Estate.objects.uncovered().filter(**in_street(street)).order_by("code").first()
    return "/api/service/selection/", {"estate_ids": [estate.pk]}, "json"


def case_service_contract_end(inside):
    street = streets()[0 if inside else 1]
    contract = (ServiceContract.objects.filter(**in_street(street, "estate__community"), end_date__isnull=True,
                                               start_date__lt=datetime.date(2025, 1, 1)).order_by("pk").first())
    return f"/api/service/contracts/{contract.pk}/end/", {"end_date": "2025-06-01", "reason": "matrix"}, "json"


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
    return "/api/plans/", body, "json"


def case_plan_page_create(inside):
    body = {"name": "新计划", "start_date": "2027-01-01", "street": streets()[0].pk, "gap_m": "50",
            "min_households": "800", "max_households": "4000", "seed": "0"}
    return "/plans/", body, "form"


def case_bundle_enterprise(inside):
    from layers.models import Enterprise

    plan = a_plan()
    enterprise = Enterprise.objects.exclude(list_status="black").order_by("pk").first()
    body = {"version": plan.version, "enterprise_id": enterprise.pk}
    return f"/api/plans/{plan.pk}/bundles/{plan.bundles.order_by('rank').first().pk}/", body, "json"


def case_bundle_delete(inside):
    plan = a_plan()
    bundle = plan.bundles.order_by("rank").first()
    return f"/api/plans/{plan.pk}/bundles/{bundle.pk}/?version={plan.version}", None, None


def case_bundle_new(inside):
    from layers.services.plans import bundle_delete

    plan = a_plan()
    bundle = plan.bundles.order_by("rank").first()
    estates = list(bundle.members.values_list("estate_id", flat=True))
    bundle_delete(user=user("planner"), plan_id=plan.pk, bundle_id=bundle.pk, version=plan.version)
    return f"/api/plans/{plan.pk}/bundles/", {"version": plan.version + 1, "estates": estates}, "json"


def case_plan_approve(inside):
    plan = a_plan(with_enterprises=True)
    return f"/api/plans/{plan.pk}/approve/", {"version": plan.version}, "json"


def case_plan_discard(inside):
    plan = a_plan()
    return f"/api/plans/{plan.pk}/?version={plan.version}", None, None



# --- reads: requests on the demo city ---------------------------------------------------------------------------------
def url(text):
    """A builder for a fixed URL (district-wide objects: no inside/outside)."""
    return lambda inside: Request(text)


def an_estate(inside) -> Estate:
    return Estate.objects.filter(**in_street(street(inside))).order_by("code").first()


def a_building(inside) -> Building:
    return managed_building(street(inside))


def a_demo_report(inside) -> AbandonmentReport:
    found = AbandonmentReport.objects.filter(**in_street(street(inside), "building__estate__community")).order_by("pk")
    return found.first() or a_report(street(inside))


def a_photo(inside) -> AbandonmentPhoto:
    report = a_demo_report(inside)
    return AbandonmentPhoto.objects.create(report=report, image=ContentFile(b"\xff\xd8\xff\xe0matrix", name="m.jpg"),
                                           content_type="image/jpeg", size=10)


def a_complaint(inside):
    """A fresh complaint about an estate of the street office's own street (inside) or the next one, taken in by the
    planner; handled at the community level."""
    return complaint_create(user=user("planner"), channel="visit", received_at=timezone.now(), caller_words="漏水",
                            estate_id=an_estate(inside).pk)


def a_complaint_attachment(inside):
    complaint = a_complaint(inside)
    png = SimpleUploadedFile("m.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20)
    event = complaint_step(user=user("planner"), complaint_id=complaint.pk, kind="joint_meeting", agenda="矩阵",
                           attachments=[png])
    return ComplaintAttachment.objects.get(event=event)


# The matrix's enterprise user is not the provider of these complaints: it may read complaints, but not these (404).
NOT_ITS_COMPLAINT = {("enterprise", True): 404, ("enterprise", False): 404}


def case_complaint_confirm(inside):
    """An unmatched hotline order (no estate: the district's "to confirm" list) given an estate."""
    complaint = complaint_create(user=user("planner"), channel="hotline_12345", received_at=timezone.now(),
                                 caller_words="漏水", address_text="某小区")
    return "/complaints/confirm/", {"complaint": complaint.pk, "estate": an_estate(inside).pk}, "form"


def case_complaint_step(inside):
    return f"/api/complaints/{a_complaint(inside).pk}/steps/", {"kind": "joint_meeting", "agenda": "矩阵"}, "form"


def routing_page(inside):
    """The routing page writes the district's default categories the first time: made before the fingerprint."""
    ensure_default_categories(user("planner").profile.district)
    return Request("/complaints/routing/")


def case_routing_edit(inside):
    district = user("planner").profile.district
    ensure_default_categories(district)
    category = ComplaintCategory.objects.filter(district=district, responsible="provider").order_by("code").first()
    body = {"id": category.pk, "responsible": "provider", "department": "", "keywords": "矩阵", "sign_days": 1,
            "reply_days": 3, "close_days": 9, "active": "1"}
    return "/complaints/routing/", body, "form"


def case_calendar_add(inside):
    return "/complaints/calendar/", {"date": "2027-10-01", "working": "0", "name": "国庆节"}, "form"


def case_complaint_page_step(inside):
    return f"/complaints/{a_complaint(inside).pk}/", {"kind": "joint_meeting", "agenda": "矩阵"}, "form"


def the_plan() -> TakeoverPlan:
    return TakeoverPlan.objects.order_by("pk").first()


def a_bundle_url(suffix=""):
    def build(inside):
        plan = the_plan()
        return Request(f"/api/plans/{plan.pk}/bundles/{plan.bundles.order_by('rank').first().pk}/{suffix}")
    return build


def tile_of(point, z):
    """The z/x/y of the Web-Mercator tile holding a lon/lat point."""
    lon, lat = point
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def building_tile(inside):
    z, x, y = tile_of(a_building(inside).geom.point_on_surface.coords, 16)
    return Request(f"/tiles/buildings/{z}/{x}/{y}.mvt")


def ogc_item(collection, obj):
    return lambda inside: Request(f"/ogc/collections/{collection}/items/{obj(inside).pk}")


def a_job_url(suffix=""):
    return lambda inside: Request(f"/api/imports/{an_import_job().pk}/{suffix}")


def a_planners_background_job(*, done: bool = False) -> Job:
    """A background job of the planner's (docs/JOBS.md): queued, or a finished export with its file."""
    job = Job.objects.create(kind="export", title="矩阵导出", user=user("planner"),
                             params={"layer": "buildings", "format": "csv", "query": {}})
    if done:
        job.result_file.save("buildings-matrix.csv", ContentFile(b"code,WKT\r\n"), save=False)
        job.status, job.finished_at, job.result_name = "done", datetime.datetime.now(datetime.UTC), "buildings.csv"
        job.save()
    return job


def case_job_cancel(inside):
    return f"/api/jobs/{a_planners_background_job().pk}/cancel/", None, None


# A job is its owner's: the street office gets 404 for the planner's job (it cannot learn of it); officials read
# (the city official every district's, a district official their district's) but cancel none; administrators read
# and cancel every job (permissions.OWNER_EXEMPT).
NOT_OWN = {("street_office", True): 404, ("community", True): 404}


# --- the table: one row per URL pattern and method -------------------------------------------------------------------
def E(name, method, build, who, ok, **kw) -> Endpoint:
    return Endpoint(name, method, build, who, ok, **kw)


def J(builder):
    """A write builder returning (url, body, kind)."""
    return lambda inside: Request(*builder(inside))


PAGE = {}  # pages: anonymous → the log-in page (the default)
REST = {"anonymous": REST_403}
REPORTS = {"anonymous": TOKEN_401}
OGC = {"anonymous": BASIC_401}
AREA = {"scope": DISTRICT_WIDE}
OUT = False

ENDPOINTS = [
    # Log-in, password and language: public pages (Django's own); only the password change needs a log-in.
    E("login", GET, url("/accounts/login/"), ALL, 200),
    E("logout", POST, url("/accounts/logout/"), ALL, 302, writes=False),
    E("password_change", GET, url("/accounts/password_change/"), LOGGED_IN, 200),
    E("password_change_done", GET, url("/accounts/password_change/done/"), LOGGED_IN, 200),
    E("password_reset", GET, url("/accounts/password_reset/"), ALL, 200),
    E("password_reset_done", GET, url("/accounts/password_reset/done/"), ALL, 200),
    E("password_reset_confirm", GET, url("/accounts/reset/MQ/set-password/"), ALL, 200),  # "invalid link" page
    E("password_reset_complete", GET, url("/accounts/reset/done/"), ALL, 200),
    E("set_language", POST, lambda i: Request("/i18n/setlang/", {"language": "en", "next": "/"}, "form"), ALL, 302,
      writes=False),
    # The map, its tiles and JSON (docs/MAP_API.md): every logged-in role, district-wide.
    E("map", GET, url("/"), EVERYONE, 200, exceptions={("enterprise", True): 302}),  # sent to its complaints
    E("tile", GET, building_tile, EVERYONE, 200, scope=MAP),
    E("api:admin-area-list", GET, url("/api/admin-areas.geojson?level=street"), EVERYONE, 200),
    E("api:search", GET, url("/api/search/?q=小区"), EVERYONE, 200),
    E("api:feature-popup", GET, lambda i: Request(f"/api/features/building/{a_building(i).pk}/"), EVERYONE, 200,
      scope=MAP),
    # Management areas (docs/EDIT_API.md): everyone reads, the district draws.
    E("api:management-area-list", GET, url("/api/management-areas/?bbox=126,45,128,46"), EVERYONE, 200, **REST),
    E("api:management-area-list", POST, J(case_area_create), DISTRICT, 201, **REST),
    E("api:management-area-detail", GET, lambda i: Request(f"/api/management-areas/{an_area().pk}/"), EVERYONE, 200,
      **REST),
    E("api:management-area-detail", PUT, J(case_area_update), DISTRICT, 200, **REST),
    E("api:management-area-detail", DELETE, J(case_area_delete), DISTRICT, 204, **REST),
    E("api:management-area-validate", POST, J(case_area_validate), DISTRICT, 200, writes=False, **REST),
    E("api:management-area-clip", POST, J(case_area_clip), DISTRICT, 200, writes=False, **REST),
    E("api:management-area-split", POST, J(case_area_split), DISTRICT, 200, **REST),
    E("api:management-area-merge", POST, J(case_area_merge), DISTRICT, 200, **REST),
    E("api:management-area-merge-preview", POST, J(case_area_merge_preview), DISTRICT, 200, writes=False, **REST),
    E("api:management-area-history", GET, lambda i: Request(f"/api/management-areas/{an_area().pk}/history/"), EVERYONE,
      200, **REST),
    E("api:management-area-restore", POST, J(case_area_restore), DISTRICT, 200, **REST),
    E("api:management-area-rebase", POST, J(case_area_rebase), DISTRICT, 200, writes=False, **REST),
    # Abandoned-building reports: street offices in their street; the district verifies; officials read.
    E("api:building-abandonment-reports", POST, J(case_report_create), REPORTERS, 201, scope=STREET, **REPORTS),
    E("api:abandonment-report-list", GET, url("/api/abandonment-reports/"), EVERYONE, 200, **REPORTS),
    E("api:abandonment-report-detail", GET, lambda i: Request(f"/api/abandonment-reports/{a_demo_report(i).pk}/"),
      EVERYONE, 200, scope=STREET, **REPORTS),
    E("api:abandonment-report-transition", POST, J(case_report_transition), DISTRICT, 200, scope=STREET, **REPORTS),
    E("abandonment", GET, url("/abandonment/"), EVERYONE, 200),
    # The page's form answers a building of another street with the form again (400), not 404.
    E("abandonment-report-submit", POST, J(case_report_page_form), REPORTERS, 302, scope=STREET,
      exceptions={("street_office", OUT): 400}),
    E("abandonment-report-decide", POST, J(case_report_page_decide), DISTRICT, 302, scope=STREET),
    E("abandonment-photo", GET, lambda i: Request(f"/abandonment/photos/{a_photo(i).pk}/"), EVERYONE, 200,
      scope=STREET),
    # Daily inspections (docs/INSPECTIONS.md): the page's form answers an estate of another street with the form
    # again (400), not 404.
    E("inspection-list", GET, url("/inspections/"), INSPECTION_READERS, 200),
    E("inspection-submit", POST, J(case_inspection_page), INSPECTORS, 302, scope=STREET,
      exceptions={("street_office", OUT): 400, ("community", OUT): 400}),
    E("inspection-detail", GET, lambda i: Request(f"/inspections/{a_demo_inspection(i).pk}/"), INSPECTION_READERS,
      200, scope=STREET),
    E("inspection-photo", GET, lambda i: Request(f"/inspections/photos/{an_inspection_photo(i).pk}/"),
      INSPECTION_READERS, 200, scope=STREET),
    E("inspection-checklists", GET, url("/inspections/checklists/"), EVERYONE | {"community"}, 200),
    E("inspection-checklists", POST, J(case_checklist_save), DISTRICT, 302),
    E("api:inspection-list", GET, url("/api/inspections/"), INSPECTION_READERS, 200, **REPORTS),
    E("api:inspection-list", POST, J(case_inspection_api), INSPECTORS, 201, scope=STREET, **REPORTS),

    # One complaint case and its steps (docs/COMPLAINTS.md "Steps"): everyone in scope reads it; the joint meeting
    # list is the street office's and the district's (the table STEPS of layers/services/complaint_steps.py).
    E("api:complaint-detail", GET, lambda i: Request(f"/api/complaints/{a_complaint(i).pk}/"), EVERYONE, 200,
      exceptions=NOT_ITS_COMPLAINT,
      scope=STREET, writes=False, **REPORTS),
    E("api:complaint-steps", GET, lambda i: Request(f"/api/complaints/{a_complaint(i).pk}/steps/"), EVERYONE, 200,
      exceptions=NOT_ITS_COMPLAINT,
      scope=STREET, writes=False, **REPORTS),
    E("api:complaint-steps", POST, J(case_complaint_step), REPORTERS, 201, scope=STREET,
      exceptions={**NOT_ITS_COMPLAINT, ("community", OUT): 404}, **REPORTS),
    E("complaint-case", GET, lambda i: Request(f"/complaints/{a_complaint(i).pk}/"), EVERYONE, 200, scope=STREET,
      exceptions=NOT_ITS_COMPLAINT),
    E("complaint-case", POST, J(case_complaint_page_step), REPORTERS, 302, scope=STREET,
      exceptions={**NOT_ITS_COMPLAINT, ("community", OUT): 404}),
    E("joint-meeting", GET, url("/complaints/joint-meeting/"), EVERYONE, 200),
    # The district's routing table and the working-day calendar: everyone reads, the district edits.
    E("complaint-routing", GET, routing_page, EVERYONE, 200),
    E("complaint-routing", POST, J(case_routing_edit), DISTRICT, 302),
    E("complaint-calendar", GET, url("/complaints/calendar/"), EVERYONE, 200),
    E("complaint-calendar", POST, J(case_calendar_add), DISTRICT, 302),
    E("complaint-attachment", GET, lambda i: Request(f"/complaints/attachments/{a_complaint_attachment(i).pk}/"),
      EVERYONE, 200, scope=STREET, writes=False, exceptions=NOT_ITS_COMPLAINT),

    # The phone app (docs/MOBILE.md): street offices, communities, enterprises (their complaints only) and planners
    # (checks); its manifest and service
    # worker are public files (no data in them), as the browser fetches the worker without asking twice.
    E("mobile", GET, url("/m/"), MOBILE, 200),
    E("mobile-nearby", GET, url("/m/nearby/?lon=125.3&lat=43.88"), MOBILE_FIELD, 200),
    E("mobile-manifest", GET, url("/m/manifest.webmanifest"), ALL, 200),
    E("mobile-sw", GET, url("/m/sw.js"), ALL, 200),
    # Its Inspect and Complaints tabs: the district's checklist and the user's open cases (views/mobile_tasks.py).
    E("mobile-checklist", GET, url("/m/checklist/"), MOBILE_FIELD, 200),
    E("mobile-complaints", GET, url("/m/complaints/"), MOBILE, 200),
    # Coverage (docs/COVERAGE_API.md): figures for everyone.
    E("api:coverage-figures", GET, url("/api/coverage/"), EVERYONE, 200),
    # Hotline addresses located on estates (docs/ADDRESS_MATCHING.md): every role, inside its jurisdiction.
    E("api:address-match", GET, url("/api/address-match/?q=小区1号楼"), EVERYONE, 200, **REST),
    # Complaints taken in (docs/COMPLAINTS.md "Intake"): every role reads its scope's; the district, street offices
    # and communities take them in, in their jurisdiction (an estate of another street: 404); hotline exports are
    # imported by the district.
    E("api:complaint-list", GET, url("/api/complaints/"), LOGGED_IN, 200, **REST),
    E("api:complaint-list", POST, J(case_complaint_create), REPORTERS | {"community"}, 201, scope=STREET, **REST),
    E("complaint-confirm", POST, J(case_complaint_confirm), DISTRICT, 302, scope=STREET,
      # The order has no estate yet, so no street: outside every street office's and community's scope (404).
      exceptions={(role, inside): 404 for role in ("street_office", "community") for inside in (True, False)}),
    E("api:complaint-import", POST, J(case_complaint_import), DISTRICT, 200, **REST),
    E("complaint-list", GET, url("/complaints/"), LOGGED_IN, 200),
    E("api:coverage-trend", GET, url("/api/coverage/trend/"), EVERYONE, 200),
    E("api:coverage-export-xlsx", GET, url("/api/coverage/export.xlsx"), EVERYONE, 200),
    E("api:coverage-export-csv", GET, url("/api/coverage/export.csv"), EVERYONE, 200),
    E("api:coverage-uncovered-households", GET, url("/api/coverage/uncovered-households.json"), EVERYONE, 200),
    # Complaint hotspots: every role, the points of its complaint scope.
    E("api:supervision-hotspots", GET, url("/api/supervision/hotspots.json"), EVERYONE, 200),
    E("dashboard", GET, url("/dashboard/"), EVERYONE, 200),
    E("audit-log", GET, url("/audit/"), ADMINISTRATOR, 200),
    E("coverage-report", GET, url("/reports/coverage/"), EVERYONE, 200),
    # Detail pages: the map's objects, shown to every role (buildings of other streets too, as on the map).
    E("estate-detail", GET, lambda i: Request(f"/estates/{an_estate(i).pk}/"), EVERYONE, 200, scope=MAP),
    E("building-detail", GET, lambda i: Request(f"/buildings/{a_building(i).pk}/"), EVERYONE, 200, scope=MAP),
    E("management-area-detail", GET, lambda i: Request(f"/management-areas/{an_area().pk}/"), EVERYONE, 200),
    E("management-area-history", GET, removed_area_history, EVERYONE, 200),
    E("enterprise-detail", GET, lambda i: Request(f"/enterprises/{a_normal_enterprise().pk}/"), EVERYONE, 200),
    # The enterprise register (docs/ENTERPRISE_REGISTER.md): everyone reads, the district writes.
    E("api:enterprise-list", GET, url("/api/enterprises/"), EVERYONE, 200, **REST),
    E("api:enterprise-list", POST, J(case_enterprise_create), DISTRICT, 201, **REST),
    E("api:enterprise-detail", GET, lambda i: Request(f"/api/enterprises/{a_normal_enterprise().pk}/"), EVERYONE, 200,
      **REST),
    E("api:enterprise-detail", PATCH, J(case_enterprise_update), DISTRICT, 200, **REST),
    E("api:enterprise-evaluations", GET, lambda i: Request(f"/api/enterprises/{a_normal_enterprise().pk}/evaluations/"),
      EVERYONE, 200, **REST),
    E("api:enterprise-evaluations", POST, J(case_evaluation_record), DISTRICT, 201, **REST),
    E("api:enterprise-listings", GET, lambda i: Request(f"/api/enterprises/{a_normal_enterprise().pk}/listings/"),
      EVERYONE, 200, **REST),
    E("api:enterprise-listings", POST, J(case_listing_set), DISTRICT, 201, **REST),
    E("api:enterprise-changes", GET, lambda i: Request(f"/api/enterprises/{a_normal_enterprise().pk}/changes/"),
      EVERYONE, 200, **REST),
    E("enterprise-list", GET, url("/enterprises/"), EVERYONE, 200),
    E("enterprise-create", GET, url("/enterprises/new/"), DISTRICT, 200),
    E("enterprise-create", POST, J(case_enterprise_page_create), DISTRICT, 302),
    E("enterprise-edit", GET, lambda i: Request(f"/enterprises/{a_normal_enterprise().pk}/edit/"), DISTRICT, 200),
    E("enterprise-edit", POST, J(case_enterprise_page_edit), DISTRICT, 302),
    E("enterprise-evaluation-submit", POST, J(case_evaluation_page), DISTRICT, 302),
    E("enterprise-listing-submit", POST, J(case_listing_page), DISTRICT, 302),
    # The annual evaluation (docs/EVALUATIONS.md): the district runs it, officials read; street offices give opinions.
    E("evaluations", GET, url("/evaluations/"), PLAN_READERS, 200),
    E("api:evaluation-list", GET, url("/api/evaluations/"), PLAN_READERS, 200, **REST),
    E("evaluations", POST, J(case_evaluation_scheme), DISTRICT, 302),
    E("evaluation-opinions", GET, url("/evaluations/opinions/"), EVERYONE - {"community"}, 200),
    E("evaluation-opinions", POST, J(case_street_opinion), frozenset({"street_office"}), 302),
    # Service (docs/SERVICE_API.md): the district assigns; street offices read their own street.
    E("service", GET, url("/service/"), EVERYONE, 200),
    E("api:service-assign", POST, J(case_service_assign), DISTRICT, 201, scope=STREET, **REST),
    E("api:service-selection", POST, J(case_service_selection), DISTRICT, 200, scope=STREET, writes=False, **REST),
    E("api:contract-end", POST, J(case_service_contract_end), DISTRICT, 200, scope=STREET, **REST),
    E("api:worklist-detail", GET, lambda i: Request(f"/api/service/worklists/uncovered/?street={street(i).pk}"),
      EVERYONE, 200, scope=STREET, **REST),
    E("api:estate-candidates", GET, lambda i: Request(f"/api/estates/{an_estate(i).pk}/candidates/"), EVERYONE, 200,
      scope=STREET, **REST),
    E("api:estate-contracts", GET, lambda i: Request(f"/api/estates/{an_estate(i).pk}/contracts/"), EVERYONE, 200,
      scope=STREET, **REST),
    # Takeover plans (docs/PLANS.md): the district writes, officials read, street offices see nothing.
    E("api:plan-list", GET, url("/api/plans/"), PLAN_READERS, 200, **REST),
    E("api:plan-list", POST, J(case_plan_create), DISTRICT, 201, **REST),
    E("api:plan-detail", GET, lambda i: Request(f"/api/plans/{the_plan().pk}/"), PLAN_READERS, 200, **REST),
    E("api:plan-detail", DELETE, J(case_plan_discard), DISTRICT, 200, **REST),
    E("api:plan-map", GET, lambda i: Request(f"/api/plans/{the_plan().pk}/map.json"), PLAN_READERS, 200, **REST),
    E("api:bundle-list", POST, J(case_bundle_new), DISTRICT, 201, **REST),
    E("api:bundle-detail", PATCH, J(case_bundle_enterprise), DISTRICT, 200, **REST),
    E("api:bundle-detail", DELETE, J(case_bundle_delete), DISTRICT, 200, **REST),
    E("api:bundle-candidates", GET, a_bundle_url("candidates/"), PLAN_READERS, 200, **REST),
    E("api:plan-approve", POST, J(case_plan_approve), DISTRICT, 200, **REST),
    E("api:plan-coverage", GET, lambda i: Request(f"/api/plans/{the_plan().pk}/coverage/"), PLAN_READERS, 200, **REST),
    E("api:plan-versions", GET, lambda i: Request(f"/api/plans/{the_plan().pk}/versions/"), PLAN_READERS, 200, **REST),
    E("api:plan-export-geojson", GET, lambda i: Request(f"/api/plans/{the_plan().pk}/export.geojson"), PLAN_READERS,
      200, **REST),
    E("api:plan-export-csv", GET, lambda i: Request(f"/api/plans/{the_plan().pk}/export.csv"), PLAN_READERS, 200,
      **REST),
    E("plan-list", GET, url("/plans/"), PLAN_READERS, 200),
    E("plan-list", POST, J(case_plan_page_create), DISTRICT, 302),
    E("plan-detail", GET, lambda i: Request(f"/plans/{the_plan().pk}/"), PLAN_READERS, 200),
    E("plan-tile", GET, lambda i: Request(f"/plans/{the_plan().pk}/tiles/estates/12/3491/1464.mvt"), PLAN_READERS,
      200),
    # Import (docs/IMPORT.md): the district department's jobs only.
    E("imports", GET, url("/imports/"), DISTRICT, 200),
    E("import-sample", GET, url("/imports/samples/estates_lonlat.csv"), DISTRICT, 200),
    E("api:import-list", POST, J(case_import_upload), DISTRICT, 201, **REST),
    E("api:import-detail", GET, a_job_url(), DISTRICT, 200, **REST),
    E("api:import-check", POST, J(case_import_check), DISTRICT, 200, **REST),
    E("api:import-commit", POST, J(case_import_commit), DISTRICT, 200, **REST),
    # Export (docs/EXPORT.md): every role, what it may see (the contents: test_leak_export_*).
    E("api:export-layer-list", GET, url("/api/export/"), EVERYONE, 200, **REST),
    E("api:export-layer-file", GET, lambda i: Request(f"/api/export/buildings.geojson?ids={a_building(i).pk}"),
      EVERYONE, 200, scope=MAP, **REST),  # a building outside the street: its outline, no state (test_leak_export_*)
    E("api:export-layer-job", POST, lambda i: Request("/api/export/buildings.csv/job/"), EVERYONE, 202, **REST),
    # Background jobs (docs/JOBS.md): everyone has a job list; a job is its owner's (and the administrator's).
    E("job-list", GET, url("/jobs/"), EVERYONE, 200),
    E("api:job-list", GET, url("/api/jobs/"), EVERYONE, 200, **REST),
    E("api:job-detail", GET, lambda i: Request(f"/api/jobs/{a_planners_background_job().pk}/"), EVERYONE, 200,
      exceptions=NOT_OWN, **REST),
    E("api:job-download", GET, lambda i: Request(f"/api/jobs/{a_planners_background_job(done=True).pk}/download/"),
      EVERYONE, 200, exceptions=NOT_OWN, **REST),
    E("api:job-cancel", POST, J(case_job_cancel), EVERYONE, 200,
      exceptions={**NOT_OWN, ("official", True): 404, ("city", True): 404}, **REST),
    # The API's description and keys (docs/API.md).
    E("api:schema", GET, url("/api/schema/"), EVERYONE, 200),
    E("api:docs", GET, url("/api/docs/"), EVERYONE, 200),
    # Public (a name and password, no session): every role gets the same answer. Without the password, so that no
    # slow password hash runs five times here (tests/test_openapi.py gets a token).
    E("api:token", POST, lambda i: Request("/api/token/", {"username": "official"}, "json"), ALL, 400, writes=False),
    # OGC API – Features (docs/OGC_API.md): logged-in users; buildings and reports of one street for a street office.
    E("ogc:landing", GET, url("/ogc/"), EVERYONE, 200, **OGC),
    E("ogc:api", GET, url("/ogc/api"), EVERYONE, 200, **OGC),
    E("ogc:conformance", GET, url("/ogc/conformance"), EVERYONE, 200, **OGC),
    E("ogc:collection-list", GET, url("/ogc/collections"), EVERYONE, 200, **OGC),
    E("ogc:collection-detail", GET, url("/ogc/collections/buildings"), EVERYONE, 200, **OGC),
    E("ogc:item-list", GET, url("/ogc/collections/abandonment_reports/items"), EVERYONE, 200, **OGC),
    # A building outside the street: its outline and name, no abandonment (docs/SECURITY.md "Read scope").
    E("ogc:item-detail", GET, ogc_item("buildings", a_building), EVERYONE, 200, scope=MAP, **OGC),
    E("ogc:item-detail", GET, ogc_item("abandonment_reports", a_demo_report), EVERYONE, 200, scope=STREET, **OGC),
    # The Django admin: administrators only; everybody else is sent to its log-in page.
    E("admin:index", GET, url("/admin/"), ADMINISTRATOR, 200, refused=302),
    E("admin:login", GET, url("/admin/login/"), ALL, 200, exceptions={("admin", True): 302}),  # in already: on
    E("admin:logout", POST, url("/admin/logout/"), ALL, 302, writes=False),  # to the log-in page
    E("admin:password_change", GET, url("/admin/password_change/"), ADMINISTRATOR, 200, refused=302),
    E("admin:password_change_done", GET, url("/admin/password_change/done/"), ADMINISTRATOR, 200, refused=302),
    E("admin:autocomplete", GET, url("/admin/autocomplete/?app_label=layers&model_name=servicecontract"
                                     "&field_name=enterprise&term=物业"), ADMINISTRATOR, 200, refused=302),
    E("admin:jsi18n", GET, url("/admin/jsi18n/"), ADMINISTRATOR, 200, refused=302),
    # "View on site": estates have no page of their own for the admin to send to (404), but only past the log-in.
    E("admin:view_on_site", GET, lambda i: Request(f"/admin/r/{ContentType.objects.get_for_model(Estate).pk}/"
                                                   f"{an_estate(True).pk}/"), ADMINISTRATOR, 404, refused=302),
    E("admin:app_list", GET, url("/admin/layers/"), ADMINISTRATOR, 200, refused=302),
    E("admin:auth_user_password_change", GET, lambda i: Request(f"/admin/auth/user/{user('official').pk}/password/"),
      ADMINISTRATOR, 200, refused=302),
    # A change posted through the admin: only the administrator gets in (the form, lacking the boundary, comes back
    # with its errors and nothing is saved: the point here is who gets in).
    E("admin:layers_managementarea_change", POST, J(case_area_admin_change), ADMINISTRATOR, 200, refused=302,
      writes=False),
]


# --- the Django admin: six pages per registered model -------------------------------------------------------------
# Models the admin shows but never changes (ReadOnlyAdmin and the reports, written only through their services):
# even an administrator gets 403 on their add and delete pages.
ADMIN_READ_ONLY = {"abandonmentphoto", "abandonmentevent", "managementareaversion", "creditevaluation",
                   "enterpriselisting", "registerchange", "takeoverplan", "bundle", "bundleestate", "planversion",
                   "importjob", "auditevent", "job", "complaint", "complaintevent", "complaintattachment",
                   "jointmeetingitem", "checklist", "checklistitem", "inspection", "inspectionscore", "inspectionphoto",
                   "streetopinion", "evaluationscheme", "enterpriseevaluation", "idempotentrequest"}
ADMIN_NO_ADD_OR_DELETE = ADMIN_READ_ONLY | {"abandonmentreport"}


def an_object_of(model):
    """A row of `model` for its admin pages: the demo's first, or one made for the models the demo leaves empty."""
    made = {Group: lambda: Group.objects.create(name="矩阵"),
            AbandonmentPhoto: lambda: a_photo(True),
            ImportJob: lambda: an_import_job(),
            Job: lambda: a_planners_background_job(),
            Complaint: lambda: a_complaint(True),
            InspectionPhoto: lambda: an_inspection_photo(True),
            ComplaintEvent: lambda: a_complaint(True).events.first(),
            ComplaintCategory: lambda: a_complaint(True).category,
            ComplaintAttachment: lambda: a_complaint_attachment(True),
            JointMeetingItem: lambda: JointMeetingItem.objects.create(complaint=a_complaint(True), agenda="矩阵",
                                                                      sent_by=user("planner")),
            CalendarDay: lambda: CalendarDay.objects.create(date=datetime.date(2026, 10, 1), working=False,
                                                            name="国庆节"),
            AuditEvent: lambda: record_command("permission_matrix", "an event for the admin pages"),
            IdempotentRequest: lambda: IdempotentRequest.objects.create(user=user("planner"), key="matrix",
                                                                        method="POST", path="/m/", status=201),
            EvaluationScheme: lambda: EvaluationScheme.objects.create(district=user("planner").profile.district),
            EnterpriseEvaluation: lambda: EnterpriseEvaluation.objects.create(
                enterprise=a_normal_enterprise(), district=user("planner").profile.district, year=2020, total=50,
                grade="B", passed=False),
            StreetOpinion: lambda: StreetOpinion.objects.create(street=street(True), enterprise=a_normal_enterprise(),
                                                                year=2020, score=60)}
    if model is TokenProxy:  # the admin's tokens are keyed by their user's id
        Token.objects.create(user=user("official"))
        return TokenProxy.objects.get(user=user("official"))
    return model._default_manager.order_by("pk").first() or made[model]()


def admin_page(model, page):
    def build(inside):
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        if page in ("changelist", "add"):
            return Request(base if page == "changelist" else base + "add/")
        pk = an_object_of(model).pk
        return Request(f"{base}{pk}/" if page == "object" else f"{base}{pk}/{page}/")
    return build


def admin_rows():
    rows = []
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        refused_to_all = model._meta.model_name in ADMIN_NO_ADD_OR_DELETE
        for page in ("changelist", "add", "history", "delete", "change"):
            ok = 403 if refused_to_all and page in ("add", "delete") else 200
            rows.append(E(f"{prefix}_{page}", GET, admin_page(model, page), ADMINISTRATOR, ok, refused=302))
        # admin/<app>/<model>/<pk>/ (no name): the old URL of the change page, redirected to it.
        route = f"admin/{model._meta.app_label}/{model._meta.model_name}/<path:object_id>/"
        rows.append(E(route, GET, admin_page(model, "object"), ADMINISTRATOR, 302, refused=302))
    return rows


ENDPOINTS += admin_rows()

# URL patterns with no row, and why.
EXCLUDED = {
    # The admin's catch-all: any unknown URL under /admin/ (a 404, or the log-in page), not an endpoint of its own.
    "admin/(?P<url>.*)$",
}


def url_patterns(patterns=None, prefix="", namespace=""):
    """(route, name or None, callback) of every URL pattern, admin and included ones too."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), (namespace + pattern.name) if pattern.name else None, pattern.callback


def rest_methods(callback) -> set[str]:
    """The methods a REST (DRF) view answers, but HEAD and OPTIONS; empty for a Django view."""
    cls = getattr(callback, "cls", None)
    return {m for m in (GET, POST, PUT, PATCH, DELETE) if cls is not None and hasattr(cls, m)}


def test_every_url_pattern_is_in_the_table():
    """A new URL pattern, or a new method of a REST view, fails here until it has a row in ENDPOINTS."""
    rows = {(e.name, e.method) for e in ENDPOINTS}
    names = {name for name, _ in rows}
    patterns = list(url_patterns())
    missing = sorted(f"{route} ({name})" for route, name, _ in patterns
                     if (name or route) not in names and route not in EXCLUDED)
    assert not missing, f"URL patterns without a row in ENDPOINTS: {missing}"
    missing_methods = sorted(f"{method.upper()} {name}" for route, name, callback in patterns
                             for method in rest_methods(callback) if name and (name, method) not in rows)
    assert not missing_methods, f"REST methods without a row in ENDPOINTS: {missing_methods}"
    known = {name or route for route, name, _ in patterns}
    stale = sorted(name for name in names if name not in known)
    assert not stale, f"rows for URL patterns that no longer exist: {stale}"


# --- the matrix ----------------------------------------------------------------------------------------------------
def client_for(role) -> Client:
    client = Client(enforce_csrf_checks=False, HTTP_ACCEPT_LANGUAGE="en")
    names = {"city": "city", "official": "official", "planner": "planner", "admin": "admin",
             "street_office": f"street-{streets()[0].code}"}
    if role == "community":
        client.force_login(community_user())
    elif role == "enterprise":
        client.force_login(User.objects.filter(username__startswith="enterprise-").order_by("username").first())
    elif role != "anonymous":
        client.force_login(user(names[role]))
    return client


def community_user() -> User:
    """A residents' committee user of own_community() (the demo's community accounts are each street's first)."""
    community = own_community()
    found = User.objects.filter(profile__role="community", profile__community=community).first()
    if found is None:
        found = User.objects.create_user(f"community-matrix-{community.code}", password="x")
        UserProfile.objects.create(user=found, role="community", community=community)
    return found


def send(client, method, request: Request):
    if request.kind == "json":
        return getattr(client, method)(request.url, json.dumps(request.body), content_type="application/json")
    if request.kind == "form":
        return getattr(client, method)(request.url, request.body)
    return getattr(client, method)(request.url)


def case_id(endpoint, inside, role=None):
    return f"{endpoint.method.upper()} {endpoint.name}-{'in' if inside else 'out'}" + (f"-{role}" if role else "")


# A write is sent once per role, each on a fresh database (the test's transaction); a read, or a request that writes
# nothing (a dry run, log-out, language), is built once and sent as every role in turn.
WRITES = [pytest.param(endpoint, inside, role, id=case_id(endpoint, inside, role))
          for endpoint in ENDPOINTS if endpoint.changes_data for inside in endpoint.cases() for role in ROLES]
READS = [pytest.param(endpoint, inside, id=case_id(endpoint, inside))
         for endpoint in ENDPOINTS if not endpoint.changes_data for inside in endpoint.cases()]


@pytest.mark.parametrize("endpoint, inside, role", WRITES)
def test_write_by_role_and_scope(endpoint, inside, role):
    status, succeeds = expected(endpoint, role, inside)
    request = endpoint.build(inside)
    client = client_for(role)
    before = fingerprint()
    response = send(client, endpoint.method, request)
    after = fingerprint()
    assert response.status_code == status, (request.url, response.content[:300])
    if succeeds:
        assert after != before, "a successful write changed nothing"
    else:
        assert after == before, "a refused request wrote something"


@pytest.mark.parametrize("endpoint, inside", READS)
def test_read_by_role_and_scope(endpoint, inside):
    """Every role's status at once ({role: status}, so a failure shows the whole row); nothing written."""
    request = endpoint.build(inside)
    clients = {role: client_for(role) for role in ROLES}
    before = fingerprint()
    got = {role: send(clients[role], endpoint.method, request).status_code for role in ROLES}
    assert got == {role: expected(endpoint, role, inside)[0] for role in ROLES}, request.url
    assert fingerprint() == before, "a read wrote something"


# --- leaks: what each role reads ------------------------------------------------------------------------------------
# VISIBLE: per export / OGC API layer, the ids a role may read, by the role table (an ORM query of our own, not
# permissions.restrict). A street office reads its own street's reports and renovation projects; every other layer's
# rows are district-wide for every logged-in role (estates and buildings: their state only in the street, STATE).
# A new layer fails test_every_layer_has_a_visibility_rule until it is here.
def district_wide(model, id_field="pk"):
    return lambda role, own: set(model.objects.values_list(id_field, flat=True))


def by_street(model, lookup):
    def visible(role, own):
        rows = model.objects.filter(**{lookup: own}) if role == "street_office" else model.objects.all()
        return set(rows.values_list("pk", flat=True))
    return visible


def _visible():
    from layers.models import EnterpriseJurisdiction, RenovationProject, Road

    return {
        # The city record is the city-wide roles' only: a district's users see their district and what lies in it.
        "admin_areas": lambda role, own: set(
            (AdminArea.objects.all() if role in ("city", "admin") else AdminArea.objects.exclude(level=AdminLevel.CITY))
            .values_list("pk", flat=True)),
        "management_areas": district_wide(ManagementArea),
        "estates": district_wide(Estate),
        "buildings": district_wide(Building),
        "jurisdictions": district_wide(EnterpriseJurisdiction, "enterprise_id"),
        "renovations": by_street(RenovationProject, "estate__community__parent"),
        "roads": district_wide(Road),
        "abandonment_reports": by_street(AbandonmentReport, "street"),
    }


VISIBLE = _visible()
# STATE: per layer with state fields, the fields and the ids whose state a role may read (None: every row's).
STATE = {
    "estates": (("service_status", "service_mode", "provider"), by_street(Estate, "community__parent")),
    "buildings": (("abandonment", "abandoned_since"), by_street(Building, "estate__community__parent")),
}
STREET_SCOPED_LAYERS = ["buildings", "abandonment_reports", "renovations"]
LOGGED_IN_ROLES = ["city", "official", "street_office", "planner", "admin"]
# Tile layers: the same for every role, or (estates, buildings, renovations) cut by the street office's scope.
TILES_DISTRICT_WIDE = {"roads", "management_areas", "jurisdictions", "coverage_hex"}
TILES_STREET_SCOPED = {"estates", "buildings", "renovations"}
# Complaints: only the cases in the role's complaint scope (a street office its street's).
TILES_COMPLAINT_SCOPED = {"complaints"}


def test_every_layer_has_a_visibility_rule():
    assert set(FEATURE_LAYERS) == set(VISIBLE)
    assert {name for name, layer in FEATURE_LAYERS.items() if any(f.state for f in layer.fields)} == set(STATE)
    assert set(TILE_LAYERS) == TILES_DISTRICT_WIDE | TILES_STREET_SCOPED | TILES_COMPLAINT_SCOPED


def own_street():
    return streets()[0]


def export_ids(body: bytes, fmt: str, tmp_path) -> set[int]:
    """The `id` column of an export, opened the way a GIS or a spreadsheet opens it (GDAL, openpyxl)."""
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        column = next(rows).index("id")
        return {int(row[column]) for row in rows}
    path = tmp_path / f"export.{'zip' if fmt == 'shp' else fmt}"
    path.write_bytes(body)
    if fmt == "shp":
        with zipfile.ZipFile(path) as archive:
            archive.extractall(tmp_path / "shp")
        path = next((tmp_path / "shp").glob("*.shp"))
    options = {"GEOM_POSSIBLE_NAMES": "WKT", "KEEP_GEOM_COLUMNS": "NO"} if fmt == "csv" else {}
    frame = pyogrio.read_dataframe(path, read_geometry=False, **options)
    return {int(value) for value in frame["id"]}


EXPORTS = ([pytest.param(role, layer, "geojson", id=f"{role}-{layer}-geojson")
            for role in LOGGED_IN_ROLES for layer in VISIBLE]
           + [pytest.param(role, layer, fmt, id=f"{role}-{layer}-{fmt}") for role in ("street_office", "planner")
              for layer in STREET_SCOPED_LAYERS for fmt in ("gpkg", "shp", "csv", "xlsx")])


@pytest.mark.parametrize("role, layer, fmt", EXPORTS)
def test_leak_export_holds_exactly_what_the_role_may_view(role, layer, fmt, tmp_path):
    response = client_for(role).get(f"/api/export/{layer}.{fmt}")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    visible = VISIBLE[layer](role, own_street())
    assert visible, "the demo city has rows of every layer"
    assert export_ids(body, fmt, tmp_path) == visible


@pytest.mark.parametrize("role, layer", [pytest.param(r, layer, id=f"{r}-{layer}")
                                         for r in LOGGED_IN_ROLES for layer in VISIBLE])
def test_leak_ogc_items_hold_exactly_what_the_role_may_view(role, layer):
    response = client_for(role).get(f"/ogc/collections/{layer}/items?limit=10000")
    assert response.status_code == 200
    collection = json.loads(response.content)
    visible = VISIBLE[layer](role, own_street())
    assert collection["numberMatched"] == len(visible)
    assert {f["id"] for f in collection["features"]} == visible


@pytest.mark.parametrize("role, layer", [pytest.param(r, layer, id=f"{r}-{layer}")
                                         for r in LOGGED_IN_ROLES for layer in STATE])
def test_leak_export_and_ogc_state_only_where_the_role_may_view(role, layer):
    fields, may_view = STATE[layer]
    visible = may_view(role, own_street())
    response = client_for(role).get(f"/api/export/{layer}.geojson")
    exported = json.loads(b"".join(response.streaming_content) if response.streaming else response.content)
    served = json.loads(client_for(role).get(f"/ogc/collections/{layer}/items?limit=10000").content)
    for features in (exported["features"], served["features"]):
        with_state = {f["properties"]["id"] for f in features if f["properties"][fields[0]] is not None}
        assert with_state == visible
        assert all(f["properties"][name] is None for f in features if f["properties"]["id"] not in visible
                   for name in fields)


@pytest.mark.parametrize("layer", sorted(TILES_DISTRICT_WIDE))
def test_leak_tiles_are_the_same_for_every_role(layer):
    """District-wide layers: every role gets the same bytes, features of the street office's neighbours included."""
    tile_layer = TILE_LAYERS[layer]
    z = max(tile_layer.min_zoom, 15)
    # A tile over a building of another street than the street office's: what it may (not) see would show there.
    z, x, y = tile_of(a_building(False).geom.point_on_surface.coords, z)
    tiles = {role: client_for(role).get(f"/tiles/{layer}/{z}/{x}/{y}.mvt") for role in LOGGED_IN_ROLES}
    assert {role: r.status_code for role, r in tiles.items()} == dict.fromkeys(LOGGED_IN_ROLES, 200)
    decoded = mapbox_vector_tile.decode(tiles["planner"].content)
    assert decoded.get(layer, {}).get("features"), f"no {layer} in the tile: the test would prove nothing"
    assert {role: r.content for role, r in tiles.items()} == dict.fromkeys(LOGGED_IN_ROLES, tiles["planner"].content)


@pytest.mark.parametrize("layer, state", [("estates", "status"), ("buildings", "abandonment"),
                                          ("renovations", "status")])
def test_leak_street_scoped_tiles_show_the_state_the_role_may_view(layer, state):
    """Another street's estates and buildings: located by every role, their state only for district roles;
    renovation projects: another street's not at all for a street office (docs/SECURITY.md "Read scope")."""
    z = max(TILE_LAYERS[layer].min_zoom, 15)
    renovated = Estate.objects.filter(community__parent=street(False), renovations__isnull=False).order_by("code")[0]
    z, x, y = tile_of(renovated.geom.point_on_surface.coords, z)
    tiles = {role: mapbox_vector_tile.decode(client_for(role).get(f"/tiles/{layer}/{z}/{x}/{y}.mvt").content)
             .get(layer, {}).get("features", []) for role in LOGGED_IN_ROLES}
    assert tiles["planner"], f"no {layer} in the tile: the test would prove nothing"
    district = {f["properties"]["id"]: f["properties"] for f in tiles["planner"]}
    assert all(state in props for props in district.values())
    for role in ("city", "official", "admin"):
        assert {f["properties"]["id"]: f["properties"] for f in tiles[role]} == district
    office = {f["properties"]["id"]: f["properties"] for f in tiles["street_office"]}
    if layer == "renovations":
        assert not office
        return
    assert set(office) == set(district)
    model, lookup = (Estate, "community__parent") if layer == "estates" else (Building, "estate__community__parent")
    in_street = set(model.objects.filter(pk__in=office, **{lookup: own_street()}).values_list("pk", flat=True))
    assert {pk for pk, props in office.items() if state in props} == in_street != set(office)


def test_leak_complaint_tiles_hold_only_the_complaints_the_role_may_view():
    """A tile over the street office's street and its neighbours: the street office gets its street's complaints
    only, the district's roles all of them (the demo year of complaints, layers/demo/complaints.py)."""
    from layers.models import Complaint

    z = 12
    inside = Complaint.objects.filter(street=own_street(), location__isnull=False).order_by("id")[0]
    z, x, y = tile_of(inside.location.coords, z)
    tiles = {role: mapbox_vector_tile.decode(client_for(role).get(f"/tiles/complaints/{z}/{x}/{y}.mvt").content)
             .get("complaints", {}).get("features", []) for role in LOGGED_IN_ROLES}
    district = {f["properties"]["id"] for f in tiles["planner"]}
    office = {f["properties"]["id"] for f in tiles["street_office"]}
    assert inside.pk in office and all({"category", "status"} <= set(f["properties"]) for f in tiles["planner"])
    assert office == set(Complaint.objects.filter(pk__in=district, street=own_street()).values_list("pk", flat=True))
    assert office < district, "no other street's complaint in the tile: the test would prove nothing"
    for role in ("city", "official", "admin"):
        assert {f["properties"]["id"] for f in tiles[role]} == district


def test_leak_search_and_popups_show_the_state_the_role_may_view():
    answers = {role: client_for(role).get("/api/search/?q=小区").json()["results"] for role in LOGGED_IN_ROLES}
    assert answers["planner"]
    assert all([r["id"] for r in a] == [r["id"] for r in answers["planner"]] for a in answers.values())
    assert all(a == answers["planner"] for role, a in answers.items() if role != "street_office")
    own_estates = set(Estate.objects.filter(community__parent=own_street()).values_list("pk", flat=True))
    for mine, theirs in zip(answers["street_office"], answers["planner"]):
        assert mine["status"] == (theirs["status"] if mine["id"] in own_estates else None)
    for inside in (True, False):
        estate = an_estate(inside)
        popups = {role: client_for(role).get(f"/api/features/estate/{estate.pk}/").json() for role in LOGGED_IN_ROLES}
        assert all(p == popups["planner"] for role, p in popups.items() if role != "street_office")
        assert (popups["street_office"] == popups["planner"]) == inside


@pytest.mark.parametrize("role", LOGGED_IN_ROLES)
def test_leak_report_list_holds_exactly_what_the_role_may_view(role):
    client, ids, page, pages = client_for(role), set(), 1, 1
    while page <= pages:
        data = client.get(f"/api/abandonment-reports/?page={page}").json()
        ids |= {r["id"] for r in data["reports"]}
        page, pages = page + 1, data["pages"]
    assert ids == VISIBLE["abandonment_reports"](role, own_street())
    assert len(ids) == data["count"]


@pytest.mark.parametrize("role", LOGGED_IN_ROLES)
def test_leak_report_page_lists_exactly_what_the_role_may_view(role):
    client, ids, page = client_for(role), set(), 1
    while True:
        html = client.get(f"/abandonment/?page={page}").content.decode()
        found = {int(n) for n in re.findall(r'<tr id="report-(\d+)"', html)}
        if not found or found <= ids:  # past the last page: Django's paginator shows the last one again
            break
        ids |= found
        page += 1
    assert ids == VISIBLE["abandonment_reports"](role, own_street())


@pytest.mark.parametrize("role", LOGGED_IN_ROLES)
def test_leak_worklists_of_a_street_office_hold_its_street_only(role):
    response = client_for(role).get("/api/service/worklists/uncovered/?per_page=500&features=0")
    assert response.status_code == 200
    street_ids = {row["street_id"] for row in response.json()["rows"]}
    if role == "street_office":
        assert street_ids == {own_street().pk}
    else:
        assert len(street_ids) > 1


def contract_rows(html: str) -> int:
    """The rows of a detail page's contracts table."""
    section = html.split('<section class="related-contracts">', 1)[1].split("</section>", 1)[0]
    return section.count("<tr") - section.count("<thead")


def contracted_estate(inside) -> Estate:
    return (Estate.objects.filter(community__parent=street(inside), contracts__isnull=False)
            .order_by("code").first())


@pytest.mark.parametrize("role", LOGGED_IN_ROLES)
@pytest.mark.parametrize("inside", [True, False], ids=["in", "out"])
def test_leak_estate_page_lists_the_contracts_the_role_may_view(role, inside):
    """The estate page's contracts are the ones /api/estates/<id>/contracts/ gives (a street office: its street)."""
    estate = contracted_estate(inside)
    html = client_for(role).get(f"/estates/{estate.pk}/").content.decode()
    may_view = not (role == "street_office" and not inside)
    assert contract_rows(html) == (ServiceContract.objects.filter(estate=estate).count() if may_view else 0)


@pytest.mark.parametrize("role", LOGGED_IN_ROLES)
def test_leak_enterprise_page_lists_the_current_contracts_the_role_may_view(role):
    """The register is district-wide, but the enterprise's current contracts are contracts: a street office sees
    its own street's (docs/SECURITY.md "Read scope")."""
    enterprise = Enterprise.objects.filter(contracts__end_date__isnull=True).distinct().order_by("pk").first()
    html = client_for(role).get(f"/enterprises/{enterprise.pk}/").content.decode()
    today = datetime.date.today()
    current = ServiceContract.objects.filter(enterprise=enterprise, start_date__lte=today).exclude(end_date__lte=today)
    assert current.exclude(estate__community__parent=own_street()).exists()
    if role == "street_office":
        current = current.filter(estate__community__parent=own_street())
    assert contract_rows(html) == current.count()


# --- the district dimension (DOMAIN.md "Levels") ---------------------------------------------------------------------
# A second district of the demo city with one of everything, and its own planner. The demo's planner and official
# (district 230112) must get 404 or nothing for its objects in every output; its own planner sees them and not the
# first district's; the city official sees both and changes nothing.

@dataclass
class OtherDistrict:
    district: AdminArea
    street: AdminArea
    uncovered: Estate
    served: Estate
    building: Building
    area: ManagementArea
    report: AbandonmentReport
    plan: TakeoverPlan
    planner: User

    def estate_ids(self) -> set[int]:
        return {self.uncovered.pk, self.served.pk}


@pytest.fixture
def other():
    from layers.models import ContractMode, ProviderKind, RenovationProject, Role, UserProfile

    from . import factories as f

    district, street_b, community = f.other_district("T999")
    uncovered = f.estate(community_area=community, name="乙区无物业小区", build_year=1990)
    served = f.estate(community_area=community, name="乙区专业物业小区", build_year=1992)
    # One city-wide register: an enterprise of the first district serves an estate here too.
    enterprise = Enterprise.objects.filter(list_status="normal").order_by("pk").first()
    ServiceContract.objects.create(estate=served, provider_kind=ProviderKind.ENTERPRISE, enterprise=enterprise,
                                   mode=ContractMode.SINGLE, start_date=datetime.date(2020, 1, 1))
    RenovationProject.objects.create(estate=served, name="乙区改造", items=["roof"], start_year=2020, status="completed")
    x0, y0, x1, y1 = uncovered.geom.extent
    building = Building.objects.create(
        code="T999-B01", estate=uncovered, label="1号楼", floors=6, households=36, build_year=1990,
        abandonment="reported", abandoned_since=datetime.date(2024, 1, 1),
        geom=f.Polygon.from_bbox((x0 + 0.0002, y0 + 0.0002, x1 - 0.0002, y1 - 0.0002)))
    area = f.management_area(served.geom, district)
    planner_b = User.objects.create_user("planner-T-b")
    UserProfile.objects.create(user=planner_b, role=Role.PLANNER, district=district)
    report = AbandonmentReport.objects.create(building=building, street=street_b, abandoned_since=building.abandoned_since,
                                              reason="enterprise_left", state="reported", reported_by=planner_b)
    plan = TakeoverPlan.objects.create(name="乙区连片打包方案", district=district, start_date=datetime.date(2027, 1, 1),
                                       created_by=planner_b)
    return OtherDistrict(district, street_b, uncovered, served, building, area, report, plan, planner_b)


def client_of(user_obj) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user_obj)
    return client


def first_district_ids(model, lookup) -> set[int]:
    return set(model.objects.filter(**{lookup: "230112"}).values_list("pk", flat=True))


DISTRICT_ROLES_HERE = ["planner", "official"]


@pytest.mark.parametrize("role", DISTRICT_ROLES_HERE)
def test_district_leak_pages_and_popups_are_404(other, role):
    client = client_for(role)
    urls = [f"/estates/{other.uncovered.pk}/", f"/buildings/{other.building.pk}/",
            f"/management-areas/{other.area.pk}/", f"/api/features/estate/{other.served.pk}/",
            f"/api/features/building/{other.building.pk}/", f"/api/features/management_area/{other.area.pk}/",
            f"/api/management-areas/{other.area.pk}/", f"/api/abandonment-reports/{other.report.pk}/",
            f"/api/estates/{other.served.pk}/contracts/", f"/plans/{other.plan.pk}/", f"/api/plans/{other.plan.pk}/",
            f"/api/plans/{other.plan.pk}/map.json", f"/api/coverage/?level=community&parent={other.street.pk}",
            f"/api/coverage/trend/?area={other.street.pk}",
            f"/api/service/worklists/uncovered/?street={other.street.pk}"]
    got = {url: client.get(url).status_code for url in urls}
    assert got == dict.fromkeys(urls, 404)
    # Their own planner and the city official read them all.
    for reader in (client_of(other.planner), client_for("city")):
        assert {url: reader.get(url).status_code for url in urls} == dict.fromkeys(urls, 200)


@pytest.mark.parametrize("role", DISTRICT_ROLES_HERE + ["city"])
def test_district_leak_tiles(other, role):
    """Decoded tiles over the other district: nothing of it for the first district's users; all for the city."""
    seen = {}
    for layer, obj in (("estates", other.uncovered), ("buildings", other.building), ("renovations", other.served),
                       ("management_areas", other.area)):
        z, x, y = tile_of(obj.geom.point_on_surface.coords, 16)
        response = client_for(role).get(f"/tiles/{layer}/{z}/{x}/{y}.mvt")
        assert response.status_code == 200
        seen[layer] = {feature["properties"].get("id")
                       for feature in mapbox_vector_tile.decode(response.content).get(layer, {}).get("features", [])}
    theirs = {"estates": {other.uncovered.pk}, "buildings": {other.building.pk}, "management_areas": {other.area.pk}}
    for layer, ids in theirs.items():
        assert (ids <= seen[layer]) == (role == "city"), layer
    if role != "city":
        assert not seen["renovations"] and not seen["estates"] and not seen["buildings"]
    own = client_of(other.planner).get("/tiles/estates/%d/%d/%d.mvt" % tile_of(other.uncovered.geom.point_on_surface.coords, 16))
    assert {other.uncovered.pk} <= {f["properties"]["id"] for f in mapbox_vector_tile.decode(own.content)["estates"]["features"]}


def test_district_leak_whole_district_plan_holds_its_district_only(other):
    """A whole-district plan's free estates, its map and its tiles: the other district's uncovered old estate lies
    in none of them (a district plans its own estates only), though it is free to bundle; its own plan has it."""
    mine = TakeoverPlan.objects.create(name="甲区全区方案", district=AdminArea.objects.get(code="230112"),
                                       start_date=other.plan.start_date, created_by=user("planner"))
    z, x, y = tile_of(other.uncovered.geom.point_on_surface.coords, 12)
    seen = {}
    for plan, client in ((mine, client_for("planner")), (other.plan, client_of(other.planner))):
        page = client.get(f"/api/plans/{plan.pk}/?view=page").json()
        drawn = client.get(f"/api/plans/{plan.pk}/map.json").json()["estates"]["features"]
        tile = mapbox_vector_tile.decode(client.get(f"/plans/{plan.pk}/tiles/plan/{z}/{x}/{y}.mvt").content)
        seen[plan.pk] = (set(page["free_estate_ids"]), {f["id"] for f in drawn},
                         {f["properties"]["id"] for f in tile.get("estates", {}).get("features", [])})
    assert seen[mine.pk][0] and seen[mine.pk][1], "the first district's plan shows none of its estates: proves nothing"
    assert all(other.uncovered.pk not in ids for ids in seen[mine.pk])
    assert all(other.uncovered.pk in ids for ids in seen[other.plan.pk])
    first_district = set(Estate.objects.filter(district__code="230112").values_list("pk", flat=True))
    assert seen[mine.pk][0] | seen[mine.pk][1] <= first_district


EXPORT_LAYERS = {"estates": lambda o: o.estate_ids(), "buildings": lambda o: {o.building.pk},
                 "management_areas": lambda o: {o.area.pk}, "abandonment_reports": lambda o: {o.report.pk},
                 "admin_areas": lambda o: {o.district.pk, o.street.pk}}


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp", "csv", "xlsx"])
def test_district_leak_exports(other, fmt, tmp_path):
    planner, city, planner_b = client_for("planner"), client_for("city"), client_of(other.planner)
    for layer, theirs in EXPORT_LAYERS.items():
        if fmt != "geojson" and layer not in ("estates", "abandonment_reports"):
            continue
        got = {}
        for name, client in (("planner", planner), ("city", city), ("planner_b", planner_b)):
            response = client.get(f"/api/export/{layer}.{fmt}")
            assert response.status_code == 200, (layer, name)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            (tmp_path / name).mkdir(exist_ok=True)
            got[name] = export_ids(body, fmt, tmp_path / name) if body else set()
        assert got["planner"] and not got["planner"] & theirs(other), layer
        assert theirs(other) <= got["city"] and got["planner"] <= got["city"], layer
        assert theirs(other) <= got["planner_b"] and not got["planner_b"] & got["planner"], layer


def test_district_leak_ogc_items(other):
    for layer, theirs in EXPORT_LAYERS.items():
        for client, sees in ((client_for("planner"), False), (client_for("city"), True), (client_of(other.planner), True)):
            response = client.get(f"/ogc/collections/{layer}/items?limit=10000")
            assert response.status_code == 200, layer
            ids = {feature["id"] for feature in response.json()["features"]}
            assert (theirs(other) <= ids) == sees and (not ids & theirs(other)) == (not sees), layer


def test_district_leak_search_dashboard_report_worklists_plans(other):
    planner, city, planner_b = client_for("planner"), client_for("city"), client_of(other.planner)
    search = "/api/search/?q=乙区"
    assert planner.get(search).json()["results"] == []
    assert {r["id"] for r in city.get(search).json()["results"]} == other.estate_ids()
    assert {r["id"] for r in planner_b.get(search).json()["results"]} == other.estate_ids()
    figures = {name: {r["id"] for r in c.get("/api/coverage/?level=street").json()["rows"]}
               for name, c in (("planner", planner), ("city", city), ("planner_b", planner_b))}
    assert other.street.pk not in figures["planner"] and other.street.pk in figures["city"]
    assert figures["planner_b"] == {other.street.pk}
    assert figures["planner"] | figures["planner_b"] == figures["city"]
    districts = {r["id"] for r in city.get("/api/coverage/?level=district").json()["rows"]}
    assert other.district.pk in districts and len(districts) == 2
    assert {r["id"] for r in planner.get("/api/coverage/?level=district").json()["rows"]} == districts - {other.district.pk}
    report = planner.get("/reports/coverage/").content.decode()
    assert other.street.name not in report and "阿城区" in report
    assert other.street.name in planner_b.get("/reports/coverage/").content.decode()
    dashboard = planner_b.get("/dashboard/").content.decode()
    assert other.district.name in dashboard and "阿城区" not in dashboard
    assert "哈尔滨市" in city.get("/dashboard/").content.decode()
    worklist = "/api/service/worklists/uncovered/?per_page=500&features=0"
    assert other.uncovered.pk not in {r["id"] for r in planner.get(worklist).json()["rows"]}
    assert {r["id"] for r in planner_b.get(worklist).json()["rows"]} == {other.uncovered.pk}
    assert other.uncovered.pk in {r["id"] for r in city.get(f"{worklist}&street={other.street.pk}").json()["rows"]}
    plans = {name: {p["id"] for p in c.get("/api/plans/").json()["plans"]}
             for name, c in (("planner", planner), ("city", city), ("planner_b", planner_b))}
    assert other.plan.pk not in plans["planner"] and other.plan.pk in plans["city"] and plans["planner_b"] == {other.plan.pk}
    heat = {tuple(p[:2]) for p in planner.get("/api/coverage/uncovered-households.json").json()["points"]}
    centre = other.uncovered.geom.point_on_surface
    assert (round(centre.y, 6), round(centre.x, 6)) not in heat
    areas = {feature["id"] for feature in planner.get("/api/admin-areas.geojson?level=district").json()["features"]}
    assert areas == {AdminArea.objects.get(code="230112").pk}


def test_district_writes_outside_are_404_and_write_nothing(other):
    planner = client_for("planner")
    before = fingerprint()
    area = planner.get(f"/api/management-areas/{other.area.pk}/")
    assert area.status_code == 404
    body = json.dumps(feature(other.area.geom, version=other.area.version, name="改名"))
    patch = planner.put(f"/api/management-areas/{other.area.pk}/", body, content_type="application/json")
    assert patch.status_code == 404
    assign = planner.post("/api/service/assign/", json.dumps({
        "estate_ids": [other.uncovered.pk], "provider_kind": "district_fallback", "start_date": "2026-12-01"}),
        content_type="application/json")
    assert assign.status_code == 404
    decide = planner.post(f"/api/abandonment-reports/{other.report.pk}/transition/",
                          json.dumps({"to": "verified"}), content_type="application/json")
    assert decide.status_code == 404
    assert fingerprint() == before
    # The city official reads everything and may change nothing.
    city = client_for("city")
    assert city.put(f"/api/management-areas/{other.area.pk}/", body, content_type="application/json").status_code == 403
    assert fingerprint() == before
    assert client_of(other.planner).put(f"/api/management-areas/{other.area.pk}/", body,
                                        content_type="application/json").status_code == 200


def test_district_planner_imports_only_into_their_district(other, tmp_path):
    """Rows outside the planner's district are errors with their row numbers; districts are the administrator's."""
    from layers.services import imports as svc

    inside = Estate.objects.filter(community__parent__parent__code="230112").order_by("code").first()
    path = tmp_path / "estates.csv"
    path.write_text("code,name,build_year,households,wkt\n"
                    f'{inside.code},{inside.name},{inside.build_year},{inside.households},"{inside.geom.wkt}"\n'
                    f'TNEW1,乙区新小区,1995,80,"{other.uncovered.geom.wkt}"\n'
                    f'{other.served.code},{other.served.name},1992,100,"{other.served.geom.wkt}"\n', encoding="utf-8")

    def dry_run(user_obj, target, file):
        table = svc.read_table(file, name=file.name)
        described = svc.describe_table(table, target=target)
        options = svc.Options(mapping=described["suggested_mapping"], srid=4490)
        return svc.analyse(table, target=target, user=user_obj, options=options, file_name=file.name).report

    report = dry_run(user("planner"), "estates", path)
    assert {e["row"] for e in report["errors"]} == {3, 4}, report["errors"]
    assert report["summary"]["ok"] == 1
    districts = tmp_path / "districts.csv"
    districts.write_text(f'code,name,level,wkt\nT99X,新区,district,"{other.district.geom.wkt}"\n', encoding="utf-8")
    assert [e["row"] for e in dry_run(user("planner"), "admin_areas", districts)["errors"]] == [2]
    assert dry_run(user("admin"), "admin_areas", districts)["errors"] == []
