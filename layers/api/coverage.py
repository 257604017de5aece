"""Coverage JSON endpoints and exports (docs/COVERAGE_API.md): figures, trend, XLSX/CSV, uncovered households."""
from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from .. import coverage
from ..io import coverage_export
from ..models import AdminArea, AdminLevel
from ..params import date_param
from .views import BadParameter, bad_request, parse_bbox

DEFAULT_TREND_YEARS = 5


def parse_date(value: str | None, name: str, default: datetime.date) -> datetime.date:
    try:
        return date_param(value, default=default)
    except ValueError:
        raise BadParameter(f"{name} must be a date YYYY-MM-DD") from None


def parse_id(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise BadParameter(f"{name} must be an administrative area id") from None
    if not AdminArea.objects.filter(pk=number).exists():
        raise BadParameter(f"{name} {number} is not an administrative area")
    return number


def figures_from(request) -> dict:
    on = parse_date(request.GET.get("date"), "date", timezone.localdate())
    level = request.GET.get("level") or AdminLevel.STREET.value
    if level not in AdminLevel.values:
        raise BadParameter(f"level must be one of {', '.join(AdminLevel.values)}")
    parent = parse_id(request.GET.get("parent"), "parent")
    try:
        return coverage.coverage_figures(on=on, level=level, parent_id=parent)
    except ValueError as exc:
        raise BadParameter(str(exc)) from None


@require_safe
@login_required
def figures(request):
    try:
        return JsonResponse(figures_from(request), json_dumps_params={"ensure_ascii": False})
    except BadParameter as exc:
        return bad_request(str(exc))


@require_safe
@login_required
def trend(request):
    try:
        end = parse_date(request.GET.get("to"), "to", timezone.localdate())
        start = parse_date(request.GET.get("from"), "from", end.replace(year=end.year - DEFAULT_TREND_YEARS, day=1))
        area = parse_id(request.GET.get("area"), "area")
        if start > end:
            raise BadParameter("from must not be after to")
        if coverage.months_between(start, end) + 1 > coverage.TREND_MAX_POINTS:
            raise BadParameter(f"from–to spans more than {coverage.TREND_MAX_POINTS} months")
    except BadParameter as exc:
        return bad_request(str(exc))
    points = coverage.coverage_trend(area_id=area, start=start, end=end)
    return JsonResponse({"area": area, "from": start.isoformat(), "to": end.isoformat(), "points": points})


def _export(request, extension: str, content_type: str, build):
    try:
        data = figures_from(request)
    except BadParameter as exc:
        return bad_request(str(exc))
    response = HttpResponse(build(data), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{coverage_export.filename(data, extension)}"'
    return response


@require_safe
@login_required
def export_xlsx(request):
    return _export(request, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   coverage_export.coverage_xlsx)


@require_safe
@login_required
def export_csv(request):
    return _export(request, "csv", "text/csv; charset=utf-8", coverage_export.coverage_csv)


@require_safe
@login_required
def uncovered_households(request):
    try:
        on = parse_date(request.GET.get("date"), "date", timezone.localdate())
        bbox = parse_bbox(request.GET.get("bbox"))
    except BadParameter as exc:
        return bad_request(str(exc))
    points = coverage.uncovered_household_points(on=on, bbox=bbox)
    return JsonResponse({"date": on.isoformat(), "points": points})
