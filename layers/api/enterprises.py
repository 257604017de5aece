"""JSON endpoints of the enterprise register (docs/ENTERPRISE_REGISTER.md): enterprises, evaluations, listings, changes.

DRF function views: DRF authenticates (session or token); the API's one exception handler (api/errors.py) answers
PermissionDenied/Http404 with 403/404 {"error": …} and the register's own refusals with 400/409
{"error": …, "field": …}.
"""
from __future__ import annotations

from django.core.paginator import Paginator
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from ..models import CreditEvaluation, CreditGrade, Enterprise, EnterpriseListing, ListStatus, RegisterAction
from ..params import page_param
from ..permissions import ADD, CHANGE, VIEW, get_restricted, require
from ..selectors import enterprises as register
from ..services import enterprises as svc
from .openapi import Text, WholeNumber, errors
from .validation import DateParam, body, validated, validated_query

PER_PAGE = 50


# --- request bodies ---------------------------------------------------------------------------------------------

# The register's rules (name and credit code required, the code's check character, a filing date not in the
# future, the model's lengths) are checked once, by services.enterprises, for the API and the pages alike
# (layers/views/forms.py reads the page forms with these same serializers).

class EnterpriseInput(serializers.Serializer):
    name = Text(help_text="Registered name (max. 120 characters).")
    credit_code = Text(help_text="Unified social credit code, 18 characters with its check character.")
    credit_grade = serializers.ChoiceField(choices=CreditGrade.choices, required=False,
                                           help_text="Initial grade (create only); afterwards the latest evaluation's.")
    filed_on = DateParam(required=False, allow_null=True)
    contact_person = Text(required=False, allow_blank=True)
    contact_phone = Text(required=False, allow_blank=True)
    address = Text(required=False, allow_blank=True)


class EnterprisePatch(EnterpriseInput):
    reason = Text(required=False, allow_blank=True, help_text="Why (kept in the change log).")


class EvaluationInput(serializers.Serializer):
    year = WholeNumber(help_text="A finished year; one evaluation per year.")
    grade = serializers.ChoiceField(choices=CreditGrade.choices)
    passed = serializers.BooleanField(help_text="Two consecutive failing years put the enterprise on the black list.")
    note = Text(required=False, allow_blank=True, default="")


class ListingInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=ListStatus.choices, help_text="red, black, or normal to lift a listing.")
    reason = Text(help_text="Required: why the enterprise is listed or lifted.")
    listed_on = DateParam(required=False, help_text="From when the decision applies; default today.")


class EnterpriseListQuery(serializers.Serializer):
    q = serializers.CharField(required=False, help_text="Part of the name, credit code or address.")
    list_status = serializers.ChoiceField(choices=ListStatus.choices, required=False)
    page = WholeNumber(required=False)


# --- responses (for the schema; the data comes from layers.selectors.enterprises) ---------------------------------

class EnterpriseOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    credit_code = serializers.CharField()
    credit_grade = serializers.ChoiceField(choices=CreditGrade.choices)
    list_status = serializers.ChoiceField(choices=ListStatus.choices)
    list_status_label = serializers.CharField()
    list_status_since = serializers.DateField(allow_null=True)
    list_status_reason = serializers.CharField()
    filed_on = serializers.DateField(allow_null=True)
    contact_person = serializers.CharField()
    contact_phone = serializers.CharField()
    address = serializers.CharField()
    estates = serializers.IntegerField(help_text="Estates served today.")
    households = serializers.IntegerField(help_text="Households served today.")
    detail_url = serializers.CharField()


class EvaluationOut(serializers.Serializer):
    id = serializers.IntegerField()
    year = serializers.IntegerField()
    grade = serializers.ChoiceField(choices=CreditGrade.choices)
    passed = serializers.BooleanField()
    note = serializers.CharField()
    recorded_by = serializers.CharField()
    recorded_at = serializers.DateTimeField()


class ListingOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ListStatus.choices)
    status_label = serializers.CharField()
    listed_on = serializers.DateField()
    reason = serializers.CharField()
    decided_by = serializers.CharField()
    decided_at = serializers.DateTimeField()


class ChangeLine(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    before = serializers.CharField()
    after = serializers.CharField()


class ChangeOut(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.ChoiceField(choices=RegisterAction.choices)
    action_label = serializers.CharField()
    summary = serializers.CharField()
    lines = ChangeLine(many=True)
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)
    reason = serializers.CharField()
    user = serializers.CharField()
    changed_at = serializers.DateTimeField()
    contract_id = serializers.IntegerField(allow_null=True)
    estate_id = serializers.IntegerField(allow_null=True)


def _page_of(name: str, item):
    return inline_serializer(name, {
        "count": serializers.IntegerField(), "page": serializers.IntegerField(), "pages": serializers.IntegerField(),
        "results": item(many=True),
    })


class EnterpriseWithDecision(EnterpriseOut):
    list_status_derived = serializers.BooleanField(help_text="True: black-listed by two failing evaluations.")


ERRORS = errors(400, 403, 404)
CONFLICT = errors(409, described={409: "Conflict with the register: the credit code belongs to another enterprise, "
                                      "or the year is evaluated already."})


# --- helpers ----------------------------------------------------------------------------------------------------

def _paged(request, queryset, to_data) -> dict:
    page = Paginator(queryset, PER_PAGE).get_page(page_param(request.query_params.get("page")))
    return {"count": page.paginator.count, "page": page.number, "pages": page.paginator.num_pages,
            "results": [to_data(item) for item in page.object_list]}


def _enterprise(request, pk: int) -> Enterprise:
    get_restricted(Enterprise.objects.all(), request.user, VIEW, pk=pk)
    return register.enterprise_with_served(pk=pk)


def _enterprise_data(enterprise: Enterprise) -> dict:
    data = register.enterprise_data(enterprise)
    data["list_status_derived"] = register.enterprise_decision(enterprise).derived
    return data


# --- views ------------------------------------------------------------------------------------------------------

def doc(method: str, operation_id: str, summary: str, **kwargs):
    return extend_schema(methods=[method], operation_id=operation_id, summary=summary, tags=["enterprises"], **kwargs)


@doc("GET", "enterprises_list", "Search the enterprise register", parameters=[EnterpriseListQuery],
     responses={200: _page_of("EnterprisePage", EnterpriseOut), **ERRORS})
@doc("POST", "enterprises_create", "Register an enterprise", request=EnterpriseInput,
     responses={201: EnterpriseWithDecision, **CONFLICT, **ERRORS})
@api_view(["GET", "POST"])
def enterprise_list(request):
    if request.method == "GET":
        require(request.user, Enterprise, VIEW)
        query = validated_query(EnterpriseListQuery, request)
        queryset = register.enterprises(q=query.get("q", ""), list_status=query.get("list_status", ""))
        return Response(_paged(request, queryset, register.enterprise_data))
    require(request.user, Enterprise, ADD)  # a refused role learns that before any input error
    fields = validated(EnterpriseInput, body(request))
    enterprise = svc.enterprise_create(user=request.user, **fields)
    return Response(_enterprise_data(register.enterprise_with_served(pk=enterprise.pk)), status=201)


@doc("GET", "enterprises_retrieve", "One enterprise", responses={200: EnterpriseWithDecision, **ERRORS})
@doc("PATCH", "enterprises_partial_update", "Change an enterprise's register entry", request=EnterprisePatch,
     responses={200: EnterpriseWithDecision, **CONFLICT, **ERRORS})
@api_view(["GET", "PATCH"])
def enterprise_detail(request, pk: int):
    if request.method == "GET":
        return Response(_enterprise_data(_enterprise(request, pk)))
    require(request.user, Enterprise, CHANGE)
    fields = validated(EnterprisePatch, body(request), partial=True)
    if "credit_grade" in fields:
        raise svc.RegisterInvalid(_("The credit grade follows the latest annual evaluation; record an evaluation "
                                    "instead."), field="credit_grade")
    svc.enterprise_update(user=request.user, enterprise_id=pk, **fields)
    return Response(_enterprise_data(register.enterprise_with_served(pk=pk)))


@doc("GET", "enterprise_evaluations_list", "An enterprise's annual evaluations, latest year first",
     responses={200: inline_serializer("Evaluations", {"results": EvaluationOut(many=True)}), **ERRORS})
@doc("POST", "enterprise_evaluations_create", "Record an annual evaluation (re-derives the list status)",
     request=EvaluationInput,
     responses={201: inline_serializer("EvaluationRecorded", {
         "evaluation": EvaluationOut(), "enterprise": EnterpriseWithDecision()}), **CONFLICT, **ERRORS})
@api_view(["GET", "POST"])
def enterprise_evaluations(request, pk: int):
    if request.method == "GET":
        require(request.user, CreditEvaluation, VIEW)
        _enterprise(request, pk)
        return Response({"results": [register.evaluation_data(e) for e in register.evaluations(enterprise_id=pk)]})
    require(request.user, CreditEvaluation, ADD)
    fields = validated(EvaluationInput, body(request))
    evaluation = svc.evaluation_record(user=request.user, enterprise_id=pk, **fields)
    return Response({"evaluation": register.evaluation_data(evaluation),
                     "enterprise": _enterprise_data(register.enterprise_with_served(pk=pk))}, status=201)


@doc("GET", "enterprise_listings_list", "An enterprise's manual listing decisions, latest first",
     responses={200: inline_serializer("Listings", {"results": ListingOut(many=True)}), **ERRORS})
@doc("POST", "enterprise_listings_create", "List an enterprise red or black, or lift a listing (status normal)",
     request=ListingInput,
     responses={201: inline_serializer("ListingDecided", {
         "listing": ListingOut(), "enterprise": EnterpriseWithDecision()}), **ERRORS})
@api_view(["GET", "POST"])
def enterprise_listings(request, pk: int):
    if request.method == "GET":
        require(request.user, EnterpriseListing, VIEW)
        _enterprise(request, pk)
        return Response({"results": [register.listing_data(x) for x in register.listings(enterprise_id=pk)]})
    require(request.user, EnterpriseListing, ADD)
    fields = validated(ListingInput, body(request))
    fields.setdefault("listed_on", timezone.localdate())
    listing = svc.listing_set(user=request.user, enterprise_id=pk, **fields)
    return Response({"listing": register.listing_data(listing),
                     "enterprise": _enterprise_data(register.enterprise_with_served(pk=pk))}, status=201)


@doc("GET", "enterprise_changes_list",
     "An enterprise's change log (register changes and service assignments), latest first",
     parameters=[OpenApiParameter("page", OpenApiTypes.INT)],
     responses={200: _page_of("ChangePage", ChangeOut), **ERRORS})
@api_view(["GET"])
def enterprise_changes(request, pk: int):
    _enterprise(request, pk)
    return Response(_paged(request, register.changes(enterprise_id=pk, user=request.user), register.change_data))
