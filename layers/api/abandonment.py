"""JSON endpoints for abandoned-building reports (docs/EDIT_API.md, "Abandoned buildings").

Views read their input with the serializers the schema documents (layers/api/openapi.py) and answer; the rules
live in services.abandonment and the reads in selectors. Refusals are answered
by the API's one exception handler: {"error": message} (plus "field" when one input is at fault): 400 input,
401 not logged in, 403 role, 404 scope.
Session (CSRF on writes) or token authentication; token first, so that an anonymous caller gets 401.
"""
from django.contrib.gis.geos import Point
from django.core.paginator import Paginator
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes
from rest_framework.response import Response

from ..models import AbandonmentReport, ReportState
from ..permissions import ADD, CHANGE, require
from ..selectors import abandonment as selectors
from ..services.abandonment import abandonment_report_create, abandonment_report_transition
from . import openapi as doc
from .drf import TOKEN_FIRST
from .idempotency import idempotent_view
from .validation import validated_body, validated_query


class ReportListQuery(serializers.Serializer):
    state = doc.literal(*ReportState.values, required=False)
    page = doc.WholeNumber(required=False, help_text="1-based")


@extend_schema(
    tags=["abandoned buildings"],
    summary="Report a building abandoned (street office, planner)",
    description="multipart/form-data with the photos; 201 with the report.",
    parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The building.")],
    request={"multipart/form-data": doc.AbandonmentReportCreateSerializer},
    responses={201: doc.AbandonmentReportSerializer, **doc.errors(
        400, 401, 403, 404, 409, 422, described={
            409: "The building already has an open report (`report_id`).",
            422: "The Idempotency-Key was already used for another request."})},
)
@api_view(["POST"])
@authentication_classes(TOKEN_FIRST)
@idempotent_view
def building_reports(request, pk):
    """POST multipart: report building `pk` abandoned; 201 with the report. With an Idempotency-Key header a retry
    gets the first answer again (layers/api/idempotency.py); 409 when the building already has an open report."""
    require(request.user, AbandonmentReport, ADD)  # a refused role learns that before any input error
    body = validated_body(doc.AbandonmentReportCreateSerializer, request)
    report = abandonment_report_create(
        user=request.user,
        building_id=pk,
        abandoned_since=body["abandoned_since"],
        reason=body["reason"],
        description=body.get("description", ""),
        photos=request.FILES.getlist("photos"),
        reporter_location=Point(body["lon"], body["lat"], srid=4326) if "lon" in body and "lat" in body else None,
        accuracy_m=body.get("accuracy_m"),
        photo_meta=body.get("photo_meta") or (),
    )
    report = selectors.abandonment_report_get(user=request.user, pk=report.pk)
    return Response(selectors.abandonment_report_data(report=report, user=request.user), status=201)


REPORTS_PER_PAGE = 100  # no response carries an unbounded number of reports


@extend_schema(
    tags=["abandoned buildings"], operation_id="abandonment_reports_list",
    summary="Reports the user may see, newest first, 100 a page",
    parameters=[ReportListQuery],
    responses={200: doc.AbandonmentReportPageSerializer, **doc.errors(400, 401)},
)
@api_view(["GET", "HEAD"])
@authentication_classes(TOKEN_FIRST)
def report_list(request):
    query = validated_query(ReportListQuery, request)
    reports = selectors.abandonment_reports(user=request.user, state=query.get("state"))
    page = Paginator(reports, REPORTS_PER_PAGE).get_page(query.get("page"))
    return Response({
        "reports": [selectors.abandonment_report_data(report=r, user=request.user) for r in page.object_list],
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
    })


@extend_schema(
    tags=["abandoned buildings"],
    summary="One report with its steps",
    responses={200: doc.AbandonmentReportSerializer, **doc.errors(401, 404)},
)
@api_view(["GET", "HEAD"])
@authentication_classes(TOKEN_FIRST)
def report_detail(request, pk):
    report = selectors.abandonment_report_get(user=request.user, pk=pk)
    return Response(selectors.abandonment_report_data(report=report, user=request.user))


@extend_schema(
    tags=["abandoned buildings"],
    summary="Move a report on (verify, caretaker, resolve, reject: planner)",
    request=doc.AbandonmentTransitionSerializer,
    responses={200: doc.AbandonmentReportSerializer, **doc.errors(400, 401, 403, 404)},
)
@api_view(["POST"])
@authentication_classes(TOKEN_FIRST)
def report_transition(request, pk):
    """POST JSON {"to", "note"}: move the report on; 200 with the report."""
    require(request.user, AbandonmentReport, CHANGE)
    body = validated_body(doc.AbandonmentTransitionSerializer, request)
    abandonment_report_transition(user=request.user, report_id=pk, to=body["to"], note=body.get("note") or "")
    report = selectors.abandonment_report_get(user=request.user, pk=pk)
    return Response(selectors.abandonment_report_data(report=report, user=request.user))
