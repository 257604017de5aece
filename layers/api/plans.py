"""JSON endpoints of bundled-takeover plans (docs/PLANS.md): DRF function views; the rules live in services.plans.

Bodies are read by the serializers the schema documents (below); the plan rules (parameter ranges, contiguity,
sizes) are the service's. Refusals are answered by the API's one exception handler: {"error": message} plus, for a
refused bundle edit, "problems" (one per bundle_problems Problem, with its code, numbers and message) and, for a
version conflict (409), the plan's current "version".
"""
from __future__ import annotations

import json

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.response import Response

from ..io import plan_export
from ..models import TakeoverPlan
from ..permissions import CHANGE, VIEW, may, require
from ..refusals import Invalid, NotFound
from ..selectors import jobs as job_reads
from ..selectors import plans as reads
from ..services import jobs as job_services
from ..services import plans as services
from . import openapi as doc
from .validation import DateParam, Number, validated_body

ERROR = doc.ErrorSerializer
ERRORS = doc.errors(400, 403, 404, 409)
PLAN = OpenApiTypes.OBJECT


class PlanVersionBodySerializer(serializers.Serializer):
    version = doc.WholeNumber(help_text="The plan version you edited.")


class PlanCreateSerializer(serializers.Serializer):
    name = doc.Text(allow_blank=True, error_messages={"invalid": gettext_lazy("The name must be text.")})
    start_date = DateParam(help_text="first day of the bundled contracts")
    street = doc.WholeNumber(required=False, allow_null=True, help_text="a street office; empty: district",
                             error_messages={"invalid": gettext_lazy("street must be a street office's id (a whole "
                                                                     "number).")})
    gap_m = Number(required=False, allow_null=True, help_text="default 50")
    within_street = serializers.BooleanField(required=False, allow_null=True, help_text="default false")
    min_households = doc.WholeNumber(required=False, allow_null=True, help_text="default 800")
    max_households = doc.WholeNumber(required=False, allow_null=True, help_text="default 4000")
    min_floor_area = Number(required=False, allow_null=True)
    max_floor_area = Number(required=False, allow_null=True)
    seed = doc.WholeNumber(required=False, allow_null=True, help_text="default 0")
    background = serializers.BooleanField(required=False, allow_null=True, help_text=(
        "true: propose as a background job (202 with the job; docs/JOBS.md) — for the whole district of a city"))


def _estate_ids(help_text: str = "", **kwargs):
    return serializers.ListField(child=doc.WholeNumber(), help_text=help_text, **kwargs)


class BundlePatchSerializer(serializers.Serializer):
    """PATCH: every member optional in the schema; the service asks for the version it needs."""

    version = doc.WholeNumber()
    add = _estate_ids("uncovered estates in no bundle", required=False)
    remove = _estate_ids(required=False)
    move = _estate_ids("estates of other bundles of the plan", required=False)
    enterprise_id = doc.WholeNumber(required=False, allow_null=True)


class BundleCreateSerializer(serializers.Serializer):
    version = doc.WholeNumber()
    estates = _estate_ids()
    enterprise_id = doc.WholeNumber(required=False, allow_null=True)


# ?view=page (the plan page): the bundles as compact rows without their outlines, plus the ids of the free
# uncovered estates; the page draws the estates themselves from the vector tiles (docs/PLANS.md "Pages").
VIEW_PARAMETER = OpenApiParameter(
    "view", str, enum=["full", "page"], required=False,
    description="page: instead of the GeoJSON `bundles`, `bundle_rows` ({columns, rows, enterprises}: one row per "
                "bundle, easy first, no outline) and `free_estate_ids`, as the plan page reads the plan")


def _view(request) -> str:
    """?view=, read before anything is written: a bad value refuses the request as a whole."""
    view = request.query_params.get("view") or "full"
    if view not in ("full", "page"):
        raise Invalid(_("view must be full or page."), field="view")
    return view


def _plan_json(request, plan: TakeoverPlan) -> dict:
    data = reads.plan_summary(plan)
    if _view(request) == "page":
        data["bundle_rows"] = reads.bundle_rows(plan)
        data["free_estate_ids"] = reads.free_estate_ids(plan)
    else:
        data["bundles"] = reads.bundles_geojson(plan)
    data["can_edit"] = plan.status == "draft" and may(request.user, TakeoverPlan, CHANGE)
    data["tiles_key"] = reads.plan_tiles_key(plan)
    return data


@extend_schema(
    operation_id="plans_list", tags=["plans"],
    methods=["GET"], summary="Saved takeover plans", responses={200: PLAN, 403: ERROR},
)
@extend_schema(
    operation_id="plans_create", tags=["plans"],
    methods=["POST"], summary="Create a plan: bundles proposed for the uncovered old estates",
    request=PlanCreateSerializer, responses={201: PLAN, 202: PLAN, **ERRORS},
)
@api_view(["GET", "POST"])
def plans(request):
    if request.method == "GET":
        require(request.user, TakeoverPlan, VIEW)
        return Response({"plans": reads.plan_list_rows(user=request.user)})
    _view(request)
    body = validated_body(PlanCreateSerializer, request)
    params = {k: body[k] for k in services.DEFAULTS if k in body}
    if body.get("background"):
        job = job_services.plan_job_start(user=request.user, name=body["name"], start_date=body["start_date"],
                                          street_id=body.get("street"), parameters=params)
        return Response({"job": job_reads.job_json(job, user=request.user)}, status=status.HTTP_202_ACCEPTED)
    plan = services.plan_create(user=request.user, name=body["name"], start_date=body["start_date"],
                                street_id=body.get("street"), **params)
    return Response(_plan_json(request, reads.plan_get(user=request.user, pk=plan.pk)),
                    status=status.HTTP_201_CREATED)


@extend_schema(operation_id="plan_retrieve", tags=["plans"],
               methods=["GET"], summary="One plan with its bundles as GeoJSON (easy first)",
               parameters=[VIEW_PARAMETER], responses={200: PLAN, 400: ERROR, 403: ERROR, 404: ERROR})
@extend_schema(operation_id="plan_discard", tags=["plans"],
               methods=["DELETE"], summary="Discard a draft plan (kept, read-only)",
               parameters=[OpenApiParameter("version", int, required=True), VIEW_PARAMETER],
               responses={200: PLAN, **ERRORS})
@api_view(["GET", "DELETE"])
def plan_detail(request, pk):
    plan = reads.plan_get(user=request.user, pk=pk)
    _view(request)
    if request.method == "DELETE":
        version = request.query_params.get("version")
        if version is None and isinstance(request.data, dict):
            version = request.data.get("version")
        services.plan_discard(user=request.user, plan_id=plan.pk, version=version)
        plan = reads.plan_get(user=request.user, pk=pk)
    return Response(_plan_json(request, plan))


@extend_schema(operation_id="plan_map", tags=["plans"],
               summary="Uncovered estates (in bundles or free) and enterprise territories for the plan's map",
               responses={200: OpenApiTypes.OBJECT, 403: ERROR, 404: ERROR})
@api_view(["GET"])
def plan_map(request, pk):
    plan = reads.plan_get(user=request.user, pk=pk)
    return Response(reads.plan_map_data(plan))


@extend_schema(operation_id="plan_bundle_create", tags=["plans"],
               summary="A new bundle of uncovered estates that are in no bundle yet (re-checked)",
               request=BundleCreateSerializer, parameters=[VIEW_PARAMETER], responses={201: PLAN, **ERRORS})
@api_view(["POST"])
def bundle_new(request, pk):
    plan = reads.plan_get(user=request.user, pk=pk)
    _view(request)
    body = validated_body(BundleCreateSerializer, request)
    bundle = services.bundle_create(user=request.user, plan_id=plan.pk, version=body["version"],
                                    estate_ids=body["estates"], enterprise_id=body.get("enterprise_id"))
    data = _plan_json(request, reads.plan_get(user=request.user, pk=pk))
    data["bundle_id"] = bundle.pk
    return Response(data, status=status.HTTP_201_CREATED)


@extend_schema(operation_id="plan_bundle_update", tags=["plans"],
               methods=["PATCH"], summary="Change a bundle: add, remove or move in estates; set its enterprise",
               request=BundlePatchSerializer, parameters=[VIEW_PARAMETER], responses={200: PLAN, **ERRORS})
@extend_schema(operation_id="plan_bundle_delete", tags=["plans"],
               methods=["DELETE"], summary="Delete a bundle (its estates become free)",
               parameters=[OpenApiParameter("version", int, required=True), VIEW_PARAMETER],
               responses={200: PLAN, **ERRORS})
@api_view(["PATCH", "DELETE"])
def bundle_detail(request, pk, bid):
    plan = reads.plan_get(user=request.user, pk=pk)
    _view(request)
    if request.method == "DELETE":
        version = request.query_params.get("version")
        if version is None and isinstance(request.data, dict):
            version = request.data.get("version")
        services.bundle_delete(user=request.user, plan_id=plan.pk, bundle_id=bid, version=version)
    else:
        body = validated_body(BundlePatchSerializer, request, partial=True)
        kwargs = {"enterprise_id": body["enterprise_id"]} if "enterprise_id" in body else {}
        services.bundle_update(user=request.user, plan_id=plan.pk, bundle_id=bid, version=body.get("version"),
                               add=body.get("add"), remove=body.get("remove"), move=body.get("move"), **kwargs)
    return Response(_plan_json(request, reads.plan_get(user=request.user, pk=pk)))


@extend_schema(operation_id="plan_bundle_candidates", tags=["plans"],
               summary="Enterprises ranked for a bundle (nearby custody ranking; never black-listed)",
               responses={200: OpenApiTypes.OBJECT, 403: ERROR, 404: ERROR})
@api_view(["GET"])
def bundle_candidates(request, pk, bid):
    plan = reads.plan_get(user=request.user, pk=pk)
    if reads.bundle_of_plan(plan, bid) is None:
        raise NotFound(_("Plan “%(name)s” has no bundle %(id)s.") % {"name": plan.name, "id": bid})
    return Response({"bundle_id": bid, "candidates": reads.bundle_candidates(plan=plan, bundle_id=bid)})


@extend_schema(operation_id="plan_approve", tags=["plans"],
               summary="Approve: every bundle's contracts (mode bundled) in one transaction, or none",
               request=PlanVersionBodySerializer, parameters=[VIEW_PARAMETER], responses={200: PLAN, **ERRORS})
@api_view(["POST"])
def plan_approve(request, pk):
    plan = reads.plan_get(user=request.user, pk=pk)
    _view(request)
    services.plan_approve(user=request.user, plan_id=plan.pk,
                          version=validated_body(PlanVersionBodySerializer, request)["version"])
    return Response(_plan_json(request, reads.plan_get(user=request.user, pk=pk)))


@extend_schema(operation_id="plan_coverage", tags=["plans"],
               summary="Coverage per street on the start date, before and after the plan",
               responses={200: OpenApiTypes.OBJECT, 403: ERROR, 404: ERROR})
@api_view(["GET"])
def plan_coverage(request, pk):
    return Response(reads.plan_coverage(plan=reads.plan_get(user=request.user, pk=pk)))


@extend_schema(operation_id="plan_versions", tags=["plans"],
               summary="The plan's saved versions, newest first",
               responses={200: OpenApiTypes.OBJECT, 403: ERROR, 404: ERROR})
@api_view(["GET"])
def plan_versions(request, pk):
    plan = reads.plan_get(user=request.user, pk=pk)
    return Response({"plan_id": plan.pk, "version": plan.version, "versions": reads.plan_versions(plan)})


@extend_schema(operation_id="plan_export_geojson", tags=["plans"],
               summary="The plan as GeoJSON: one feature per bundle (per=bundle) or per estate (per=estate)",
               parameters=[OpenApiParameter("per", str, enum=["bundle", "estate"], required=False)],
               responses={(200, "application/geo+json"): OpenApiTypes.OBJECT, 400: ERROR, 403: ERROR, 404: ERROR})
@api_view(["GET"])
def export_geojson(request, pk):
    plan = reads.plan_get(user=request.user, pk=pk)
    per = request.query_params.get("per") or "bundle"
    if per not in ("bundle", "estate"):
        raise Invalid(_("per must be bundle or estate."), field="per")
    body = json.dumps(plan_export.plan_geojson(plan, per=per), ensure_ascii=False)
    response = HttpResponse(body, content_type="application/geo+json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{plan_export.filename(plan, "geojson")}"'
    return response


@extend_schema(operation_id="plan_export_csv", tags=["plans"],
               summary="The plan as CSV (UTF-8 with BOM): one row per estate with its bundle",
               responses={(200, "text/csv"): OpenApiTypes.BINARY, 403: ERROR, 404: ERROR})
@api_view(["GET"])
def export_csv(request, pk):
    plan = reads.plan_get(user=request.user, pk=pk)
    response = HttpResponse(plan_export.plan_csv(plan), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{plan_export.filename(plan, "csv")}"'
    return response
