"""JSON endpoints for abandoned-building reports (docs/EDIT_API.md, "Abandoned buildings").

Views parse and answer; the rules live in services.abandonment and the reads in selectors. Refusals are answered
by the API's one exception handler: {"error": message} (plus "field" when one input is at fault): 400 input,
401 not logged in, 403 role, 404 scope.
Session (CSRF on writes) or token authentication; token first, so that an anonymous caller gets 401.
"""
import datetime
import json

from django.core.paginator import Paginator
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view, authentication_classes
from rest_framework.response import Response

from ..models import AbandonmentReport, ReportState
from ..io.geojson_input import BadInput, loads
from ..params import date_param, page_param
from ..permissions import ADD, CHANGE, require
from ..selectors import abandonment as selectors
from ..services.abandonment import ReportInvalid, abandonment_report_create, abandonment_report_transition
from . import openapi as doc
from .drf import TOKEN_FIRST


def parse_date(value: str | None, field: str) -> datetime.date:
    if not value or not value.strip():
        raise ReportInvalid(_("%(field)s is required (YYYY-MM-DD).") % {"field": field}, field=field)
    try:
        return date_param(value.strip(), default=None)
    except ValueError:
        raise ReportInvalid(
            _("%(field)s must be a date as YYYY-MM-DD, not %(value)r.") % {"field": field, "value": value}, field=field
        ) from None


def parse_state(value: str | None) -> str | None:
    if not value:
        return None
    if value not in ReportState.values:
        raise ReportInvalid(
            _("state must be one of: %(choices)s.") % {"choices": ", ".join(ReportState.values)}, field="state"
        )
    return value


@extend_schema(
    tags=["abandoned buildings"],
    summary="Report a building abandoned (street office, planner)",
    description="multipart/form-data with the photos; 201 with the report.",
    parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The building.")],
    request={"multipart/form-data": doc.AbandonmentReportCreateSerializer},
    responses={201: doc.AbandonmentReportSerializer, **doc.errors(400, 401, 403, 404)},
)
@api_view(["POST"])
@authentication_classes(TOKEN_FIRST)
def building_reports(request, pk):
    """POST multipart: report building `pk` abandoned; 201 with the report."""
    require(request.user, AbandonmentReport, ADD)  # a refused role learns that before any input error
    if "reason" not in request.POST:
        raise ReportInvalid(_("reason is required."), field="reason")
    report = abandonment_report_create(
        user=request.user,
        building_id=pk,
        abandoned_since=parse_date(request.POST.get("abandoned_since"), "abandoned_since"),
        reason=request.POST["reason"],
        description=request.POST.get("description", ""),
        photos=request.FILES.getlist("photos"),
    )
    report = selectors.abandonment_report_get(user=request.user, pk=report.pk)
    return Response(selectors.abandonment_report_data(report=report, user=request.user), status=201)


REPORTS_PER_PAGE = 100  # no response carries an unbounded number of reports


@extend_schema(
    tags=["abandoned buildings"], operation_id="abandonment_reports_list",
    summary="Reports the user may see, newest first, 100 a page",
    parameters=[doc.query("state", enum=list(ReportState.values)), doc.query("page", int, description="1-based")],
    responses={200: doc.AbandonmentReportPageSerializer, **doc.errors(400, 401)},
)
@api_view(["GET", "HEAD"])
@authentication_classes(TOKEN_FIRST)
def report_list(request):
    reports = selectors.abandonment_reports(user=request.user, state=parse_state(request.GET.get("state")))
    page = Paginator(reports, REPORTS_PER_PAGE).get_page(page_param(request.GET.get("page")))
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
    try:
        body = loads(request.body or b"{}")
    except BadInput:
        raise ReportInvalid(_("The body must be JSON: {\"to\": state, \"note\": text}."), field="body") from None
    if not isinstance(body, dict):
        raise ReportInvalid(_("The body must be a JSON object: {\"to\": state, \"note\": text}."), field="body")
    to, note = body.get("to"), body.get("note", "")
    if not isinstance(to, str) or not to:
        raise ReportInvalid(_("to is required: the state to move the report to."), field="to")
    if note is None:
        note = ""
    if not isinstance(note, str):
        raise ReportInvalid(_("note must be text."), field="note")
    abandonment_report_transition(user=request.user, report_id=pk, to=to, note=note)
    report = selectors.abandonment_report_get(user=request.user, pk=pk)
    return Response(selectors.abandonment_report_data(report=report, user=request.user))
