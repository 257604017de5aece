"""Coverage JSON endpoints and exports (docs/COVERAGE_API.md): figures, trend, XLSX/CSV, uncovered households."""
from __future__ import annotations

import datetime

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from ..io import coverage_export
from ..models import AdminArea, AdminLevel
from ..refusals import Invalid
from ..selectors import coverage, supervision
from . import openapi as doc
from .drf import LoggedInElseLogInPage, bytes_response
from .validation import BBoxParam, DateParam, validated_query

DEFAULT_TREND_YEARS = 5


class AdminAreaParam(doc.WholeNumber):
    """An administrative area's id."""

    def to_internal_value(self, data):
        number = super().to_internal_value(data)
        if not AdminArea.objects.filter(pk=number).exists():
            raise serializers.ValidationError(_("%(name)s %(id)d is not an administrative area")
                                              % {"name": self.field_name, "id": number})
        return number


class FiguresQuery(serializers.Serializer):
    date = DateParam(required=False, help_text="YYYY-MM-DD; default today")
    level = serializers.ChoiceField(choices=AdminLevel.choices, required=False, default=AdminLevel.STREET.value,
                                    help_text="default street")
    parent = AdminAreaParam(required=False, help_text="An administrative area above the level: only its areas; "
                                                      "`total` is then the parent's row")


class TrendQuery(serializers.Serializer):
    to = DateParam(required=False, help_text="default today")
    area = AdminAreaParam(required=False, help_text="An administrative area; default the whole district")

    def get_fields(self):  # "from" is a Python keyword
        fields = super().get_fields()
        fields["from"] = DateParam(required=False, help_text="default: the 1st of the month 5 years before `to`")
        return fields


class UncoveredQuery(serializers.Serializer):
    date = DateParam(required=False, help_text="YYYY-MM-DD; default today")
    bbox = BBoxParam(required=False, help_text="minx,miny,maxx,maxy in longitude/latitude degrees; default: all")


def figures_from(request) -> dict:
    query = validated_query(FiguresQuery, request)
    on = query.get("date") or timezone.localdate()
    figures = coverage.coverage_figures(on=on, level=query["level"], parent_id=query.get("parent"), user=request.user)
    # Each area's complaint figures next to its coverage (the dashboard's exports carry both).
    by_area = supervision.area_complaint_figures(level=figures["level"], end=on)
    empty = {"complaints": 0, "per_1000_households": None, "on_time_rate": None, "satisfaction_rate": None,
             "overdue": 0}
    for row in figures["rows"]:
        row["complaints"] = by_area.get(row["id"], empty)
    figures["total"]["complaints"] = None
    # The annual assessment's inspection figures and ranks among the rows (001 §4(2)), as on the dashboard.
    ranked = {r["id"]: r for r in supervision.assessment_rows(
        figures["rows"], level=figures["level"], start=on - datetime.timedelta(days=364), end=on)}
    for row in figures["rows"]:
        r = ranked.get(row["id"])
        row["inspections"] = {key: (r or supervision.NO_INSPECTIONS)[key] for key in supervision.NO_INSPECTIONS}
        row["assessment"] = {key: r[key] for key in supervision.RANKS} if r else None
    figures["total"]["inspections"] = figures["total"]["assessment"] = None
    return figures


FIGURES_PARAMETERS = [FiguresQuery]


@extend_schema(
    tags=["coverage"],
    summary="Coverage figures of every area of a level on a date",
    parameters=FIGURES_PARAMETERS,
    responses={200: doc.CoverageFiguresSerializer, **doc.errors(400), **doc.LOG_IN_REDIRECT},
)
@api_view(["GET", "HEAD"])
@permission_classes([LoggedInElseLogInPage])
def figures(request):
    return Response(figures_from(request))


@extend_schema(
    tags=["coverage"],
    summary="Monthly socialised and service rates of an area",
    parameters=[TrendQuery],
    responses={200: doc.CoverageTrendSerializer, **doc.errors(400), **doc.LOG_IN_REDIRECT},
)
@api_view(["GET", "HEAD"])
@permission_classes([LoggedInElseLogInPage])
def trend(request):
    query = validated_query(TrendQuery, request)
    end = query.get("to") or timezone.localdate()
    start = query.get("from") or end.replace(year=end.year - DEFAULT_TREND_YEARS, day=1)
    area = query.get("area")
    if start > end:
        raise Invalid(_("from must not be after to"), field="from")
    if coverage.months_between(start, end) + 1 > coverage.TREND_MAX_POINTS:
        raise Invalid(_("from–to spans more than %(max)d months") % {"max": coverage.TREND_MAX_POINTS}, field="from")
    points = coverage.coverage_trend(area_id=area, start=start, end=end, user=request.user)
    return Response({"area": area, "from": start.isoformat(), "to": end.isoformat(), "points": points})


def _export(request, extension: str, content_type: str, build):
    data = figures_from(request)
    response = HttpResponse(build(data), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{coverage_export.filename(data, extension)}"'
    return response


def export_schema(media_type: str, what: str):
    return extend_schema(
        tags=["coverage"],
        summary=f"The coverage figures as {what}",
        description="One row per area plus the total, headings in the request's language; "
                    "`Content-Disposition: attachment; filename=\"coverage-<level>-<date>.<ext>\"`.",
        parameters=FIGURES_PARAMETERS,
        responses={(200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description=what),
                   **doc.errors(400), **doc.LOG_IN_REDIRECT},
    )


@export_schema(doc.XLSX, "an Excel workbook")
@api_view(["GET", "HEAD"])
@permission_classes([LoggedInElseLogInPage])
@bytes_response
def export_xlsx(request):
    return _export(request, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   coverage_export.coverage_xlsx)


@export_schema(doc.CSV, "CSV (UTF-8 with a byte-order mark, for Excel)")
@api_view(["GET", "HEAD"])
@permission_classes([LoggedInElseLogInPage])
@bytes_response
def export_csv(request):
    return _export(request, "csv", "text/csv; charset=utf-8", coverage_export.coverage_csv)


@extend_schema(
    tags=["coverage"],
    summary="Old estates without any service, as heatmap points",
    parameters=[UncoveredQuery],
    responses={200: doc.UncoveredHouseholdsSerializer, **doc.errors(400), **doc.LOG_IN_REDIRECT},
)
@api_view(["GET", "HEAD"])
@permission_classes([LoggedInElseLogInPage])
def uncovered_households(request):
    query = validated_query(UncoveredQuery, request)
    on, bbox = query.get("date") or timezone.localdate(), query.get("bbox")
    points = coverage.uncovered_household_points(on=on, bbox=bbox, user=request.user)
    return Response({"date": on.isoformat(), "points": points})
