"""JSON endpoints of bundled-takeover plans (docs/PLANS.md): DRF function views; the rules live in services.plans.

Refusals are answered by the API's one exception handler: {"error": message} plus, for a refused bundle edit,
"problems" (one per bundle_problems Problem, with its code, numbers and message) and, for a version conflict (409),
the plan's current "version".
"""
from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.response import Response

from ..io import plan_export
from ..models import TakeoverPlan
from ..params import date_param
from ..permissions import VIEW, require
from ..refusals import Invalid, NotFound
from ..selectors import plans as reads
from ..services import plans as services
from . import openapi as doc

ERROR = doc.ErrorSerializer
ERRORS = doc.errors(400, 403, 404, 409)
PLAN = OpenApiTypes.OBJECT
VERSION_BODY = inline_serializer("PlanVersionBody", {"version": serializers.IntegerField()})
CREATE_BODY = inline_serializer("PlanCreate", {
    "name": serializers.CharField(),
    "start_date": serializers.DateField(help_text="first day of the bundled contracts"),
    "street": serializers.IntegerField(required=False, allow_null=True, help_text="a street office; empty: district"),
    "gap_m": serializers.FloatField(required=False, default=50),
    "within_street": serializers.BooleanField(required=False, default=False),
    "min_households": serializers.IntegerField(required=False, default=800),
    "max_households": serializers.IntegerField(required=False, default=4000),
    "min_floor_area": serializers.FloatField(required=False, allow_null=True),
    "max_floor_area": serializers.FloatField(required=False, allow_null=True),
    "seed": serializers.IntegerField(required=False, default=0),
})
PATCH_BODY = inline_serializer("BundlePatch", {
    "version": serializers.IntegerField(),
    "add": serializers.ListField(child=serializers.IntegerField(), required=False,
                                 help_text="uncovered estates in no bundle"),
    "remove": serializers.ListField(child=serializers.IntegerField(), required=False),
    "move": serializers.ListField(child=serializers.IntegerField(), required=False,
                                  help_text="estates of other bundles of the plan"),
    "enterprise_id": serializers.IntegerField(required=False, allow_null=True),
})
NEW_BUNDLE_BODY = inline_serializer("BundleCreate", {
    "version": serializers.IntegerField(),
    "estates": serializers.ListField(child=serializers.IntegerField()),
    "enterprise_id": serializers.IntegerField(required=False, allow_null=True),
})


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise services.PlanInvalid(_("The body must be a JSON object."))
    return request.data


def _plan_json(plan: TakeoverPlan, user) -> dict:
    from ..permissions import CHANGE, may

    data = reads.plan_summary(plan)
    data["bundles"] = reads.bundles_geojson(plan)
    data["can_edit"] = plan.status == "draft" and may(user, TakeoverPlan, CHANGE)
    return data


@extend_schema(
    operation_id="plans_list", tags=["plans"],
    methods=["GET"], summary="Saved takeover plans", responses={200: PLAN, 403: ERROR},
)
@extend_schema(
    operation_id="plans_create", tags=["plans"],
    methods=["POST"], summary="Create a plan: bundles proposed for the uncovered old estates",
    request=CREATE_BODY, responses={201: PLAN, **ERRORS},
)
@api_view(["GET", "POST"])
def plans(request):
    if request.method == "GET":
        require(request.user, TakeoverPlan, VIEW)
        return Response({"plans": reads.plan_list_rows(user=request.user)})
    body = _body(request)
    try:
        start = date_param(str(body.get("start_date") or ""), default=None)
    except ValueError:
        raise services.PlanInvalid(_("start_date must be a date YYYY-MM-DD."), field="start_date") from None
    params = {k: body.get(k) for k in services.DEFAULTS if k in body}
    plan = services.plan_create(user=request.user, name=body.get("name", ""), start_date=start,
                                street_id=body.get("street") or None, **params)
    return Response(_plan_json(reads.plan_get(user=request.user, pk=plan.pk), request.user),
                    status=status.HTTP_201_CREATED)


@extend_schema(operation_id="plan_retrieve", tags=["plans"],
               methods=["GET"], summary="One plan with its bundles as GeoJSON (easy first)",
               responses={200: PLAN, 403: ERROR, 404: ERROR})
@extend_schema(operation_id="plan_discard", tags=["plans"],
               methods=["DELETE"], summary="Discard a draft plan (kept, read-only)",
               parameters=[OpenApiParameter("version", int, required=True)], responses={200: PLAN, **ERRORS})
@api_view(["GET", "DELETE"])
def plan_detail(request, pk):
    plan = reads.plan_get(user=request.user, pk=pk)
    if request.method == "DELETE":
        version = request.query_params.get("version")
        if version is None and isinstance(request.data, dict):
            version = request.data.get("version")
        services.plan_discard(user=request.user, plan_id=plan.pk, version=version)
        plan = reads.plan_get(user=request.user, pk=pk)
    return Response(_plan_json(plan, request.user))


@extend_schema(operation_id="plan_map", tags=["plans"],
               summary="Uncovered estates (in bundles or free) and enterprise territories for the plan's map",
               responses={200: OpenApiTypes.OBJECT, 403: ERROR, 404: ERROR})
@api_view(["GET"])
def plan_map(request, pk):
    plan = reads.plan_get(user=request.user, pk=pk)
    return Response(reads.plan_map_data(plan))


@extend_schema(operation_id="plan_bundle_create", tags=["plans"],
               summary="A new bundle of uncovered estates that are in no bundle yet (re-checked)",
               request=NEW_BUNDLE_BODY, responses={201: PLAN, **ERRORS})
@api_view(["POST"])
def bundle_new(request, pk):
    plan = reads.plan_get(user=request.user, pk=pk)
    body = _body(request)
    bundle = services.bundle_create(user=request.user, plan_id=plan.pk, version=body.get("version"),
                                    estate_ids=body.get("estates"), enterprise_id=body.get("enterprise_id"))
    data = _plan_json(reads.plan_get(user=request.user, pk=pk), request.user)
    data["bundle_id"] = bundle.pk
    return Response(data, status=status.HTTP_201_CREATED)


@extend_schema(operation_id="plan_bundle_update", tags=["plans"],
               methods=["PATCH"], summary="Change a bundle: add, remove or move in estates; set its enterprise",
               request=PATCH_BODY, responses={200: PLAN, **ERRORS})
@extend_schema(operation_id="plan_bundle_delete", tags=["plans"],
               methods=["DELETE"], summary="Delete a bundle (its estates become free)",
               parameters=[OpenApiParameter("version", int, required=True)], responses={200: PLAN, **ERRORS})
@api_view(["PATCH", "DELETE"])
def bundle_detail(request, pk, bid):
    plan = reads.plan_get(user=request.user, pk=pk)
    if request.method == "DELETE":
        version = request.query_params.get("version")
        if version is None and isinstance(request.data, dict):
            version = request.data.get("version")
        services.bundle_delete(user=request.user, plan_id=plan.pk, bundle_id=bid, version=version)
    else:
        body = _body(request)
        kwargs = {"enterprise_id": body["enterprise_id"]} if "enterprise_id" in body else {}
        services.bundle_update(user=request.user, plan_id=plan.pk, bundle_id=bid, version=body.get("version"),
                               add=body.get("add"), remove=body.get("remove"), move=body.get("move"), **kwargs)
    return Response(_plan_json(reads.plan_get(user=request.user, pk=pk), request.user))


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
               request=VERSION_BODY, responses={200: PLAN, **ERRORS})
@api_view(["POST"])
def plan_approve(request, pk):
    plan = reads.plan_get(user=request.user, pk=pk)
    services.plan_approve(user=request.user, plan_id=plan.pk, version=_body(request).get("version"))
    return Response(_plan_json(reads.plan_get(user=request.user, pk=pk), request.user))


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
               responses={(200, "application/geo+json"): OpenApiTypes.OBJECT, 403: ERROR, 404: ERROR})
@api_view(["GET"])
def export_geojson(request, pk):
    import json

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
