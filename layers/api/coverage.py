"""Coverage JSON endpoints and exports (docs/COVERAGE_API.md): figures, trend, XLSX/CSV, uncovered households."""
from __future__ import annotations

import datetime

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from ..io import coverage_export
from ..models import AdminArea, AdminLevel
from ..params import bbox_param, date_param, number_param
from ..refusals import Invalid
from ..selectors import coverage
from . import openapi as doc
from .drf import LoggedInElseLogInPage, bytes_response

DEFAULT_TREND_YEARS = 5


def parse_date(value: str | None, name: str, default: datetime.date) -> datetime.date:
    try:
        return date_param(value, default=default)
    except ValueError:
        raise Invalid(_("%(name)s must be a date YYYY-MM-DD") % {"name": name}, field=name) from None


def parse_id(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    number = number_param(value, name, integer=True)
    if not AdminArea.objects.filter(pk=number).exists():
        raise Invalid(_("%(name)s %(id)d is not an administrative area") % {"name": name, "id": number}, field=name)
    return number


def figures_from(request) -> dict:
    on = parse_date(request.GET.get("date"), "date", timezone.localdate())
    level = request.GET.get("level") or AdminLevel.STREET.value
    if level not in AdminLevel.values:
        raise Invalid(_("level must be one of %(levels)s") % {"levels": ", ".join(AdminLevel.values)}, field="level")
    return coverage.coverage_figures(on=on, level=level, parent_id=parse_id(request.GET.get("parent"), "parent"))


FIGURES_PARAMETERS = [
    doc.query("date", OpenApiTypes.DATE, description="YYYY-MM-DD; default today"),
    doc.query("level", enum=list(AdminLevel.values), description="default street"),
    doc.query("parent", int, description="An administrative area above the level: only its areas; `total` is then "
                                         "the parent's row"),
]


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
    parameters=[
        doc.query("from", OpenApiTypes.DATE, description="default: the 1st of the month 5 years before `to`"),
        doc.query("to", OpenApiTypes.DATE, description="default today"),
        doc.query("area", int, description="An administrative area; default the whole district"),
    ],
    responses={200: doc.CoverageTrendSerializer, **doc.errors(400), **doc.LOG_IN_REDIRECT},
)
@api_view(["GET", "HEAD"])
@permission_classes([LoggedInElseLogInPage])
def trend(request):
    end = parse_date(request.GET.get("to"), "to", timezone.localdate())
    start = parse_date(request.GET.get("from"), "from", end.replace(year=end.year - DEFAULT_TREND_YEARS, day=1))
    area = parse_id(request.GET.get("area"), "area")
    if start > end:
        raise Invalid(_("from must not be after to"), field="from")
    if coverage.months_between(start, end) + 1 > coverage.TREND_MAX_POINTS:
        raise Invalid(_("from–to spans more than %(max)d months") % {"max": coverage.TREND_MAX_POINTS}, field="from")
    points = coverage.coverage_trend(area_id=area, start=start, end=end)
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
    parameters=[
        doc.query("date", OpenApiTypes.DATE, description="YYYY-MM-DD; default today"),
        doc.query("bbox", description="minx,miny,maxx,maxy in longitude/latitude degrees; default: all"),
    ],
    responses={200: doc.UncoveredHouseholdsSerializer, **doc.errors(400), **doc.LOG_IN_REDIRECT},
)
@api_view(["GET", "HEAD"])
@permission_classes([LoggedInElseLogInPage])
def uncovered_households(request):
    on = parse_date(request.GET.get("date"), "date", timezone.localdate())
    bbox = bbox_param(request.GET.get("bbox"))
    points = coverage.uncovered_household_points(on=on, bbox=bbox)
    return Response({"date": on.isoformat(), "points": points})
