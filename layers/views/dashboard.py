"""The officials' dashboard (/dashboard/) and the printable coverage report (/reports/coverage/).

Any logged-in role may view both; neither changes anything. The figures come from /api/coverage/ (browser) and
layers.selectors.coverage.coverage_figures (report, server side), see docs/COVERAGE_API.md.

The dashboard's last drill-down step, a community's estate list, is an HTML fragment served by dashboard_page
itself: /dashboard/?community=<id>&date=YYYY-MM-DD (the URLconf is not ours to extend).
"""
import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from ..selectors import supervision
from ..selectors.coverage import CHILD_LEVEL, LEVEL_DEPTH, area_path, coverage_figures, home_area
from layers.models import AdminArea, Estate
from layers.models.admin_units import AdminLevel
from layers.models.estates import ServiceStatus
from layers.params import date_param, number_param
from layers.permissions import LOCATE, NOT_SHOWN, VIEW, OutsideJurisdiction, pks_in_scope, restrict, street_of
from layers.refusals import Invalid
from layers.rules import is_old_estate
from layers.views.map import STATUS_COLOURS

LEVELS = (AdminLevel.DISTRICT, AdminLevel.STREET, AdminLevel.COMMUNITY)


def _parse_date(value: str | None) -> datetime.date:
    try:
        return date_param(value, default=timezone.localdate())
    except ValueError:
        raise Invalid(_("Bad date: use YYYY-MM-DD."), field="date") from None


def _area_ref(area: AdminArea) -> dict:
    return {"id": area.pk, "name": area.name, "level": area.level}


def _estate_rows(community: AdminArea, on: datetime.date, user) -> list[dict]:
    """The community's estates; the status of those the user may view (a list of individual estates is scoped,
    the rates are not: docs/SECURITY.md "Read scope")."""
    estates = list(
        restrict(Estate.objects.filter(community_id=community.pk), user, LOCATE)
        .with_service_status(on)
        .order_by("name", "code")
        .values("id", "code", "name", "build_year", "households", "floor_area", "service_status")
    )
    shown = pks_in_scope(Estate, [e["id"] for e in estates], user, VIEW)
    rows = []
    for e in estates:
        status = (e["service_status"] or ServiceStatus.NONE) if e["id"] in shown else None
        rows.append({
            **e,
            "service_status": status,
            "is_old": is_old_estate(e["build_year"]),
            "status": status,
            "status_label": ServiceStatus(status).label if status else NOT_SHOWN,
            "colour": STATUS_COLOURS.get(status, "#888"),
            "url": reverse("estate-detail", args=[e["id"]]),
        })
    return rows


@require_safe
@login_required
def dashboard_page(request):
    on = _parse_date(request.GET.get("date"))

    community_id = request.GET.get("community")
    if community_id is not None:
        # The drill-down fragment: the estates of one community, with their status on the date.
        try:
            community = restrict(AdminArea.objects.all(), request.user, VIEW).get(
                pk=number_param(community_id, "community", integer=True), level=AdminLevel.COMMUNITY)
        except AdminArea.DoesNotExist:
            raise Invalid(_("Unknown community."), field="community") from None
        rows = _estate_rows(community, on, request.user)
        return render(request, "dashboard_estates.html", {
            "community": community, "date": on, "rows": rows,
            "cutoff": settings.OLD_ESTATE_CUTOFF_YEAR,
        })

    # The city official and the administrator open on the city and its districts' ranking, district roles on
    # their district (DOMAIN.md "Levels": the city assesses districts, the district its streets).
    home = home_area(request.user)
    config = {
        "date": on.isoformat(),
        "today": timezone.localdate().isoformat(),
        "home": _area_ref(home) if home else None,
        "urls": {
            "figures": "/api/coverage/",
            "trend": "/api/coverage/trend/",
            "exportXlsx": "/api/coverage/export.xlsx",
            "exportCsv": "/api/coverage/export.csv",
            "report": reverse("coverage-report"),
            "estates": reverse("dashboard"),
        },
        "i18n": {
            "loading": _("Loading…"),
            "failed": _("The figures could not be loaded."),
            "notYet": _("The coverage figures are not available yet."),
            "rank": _("Rank"),
            "district": _("District"),
            "street": _("Street"),
            "community": _("Community"),
            "oldEstates": _("Old estates"),
            "oldHouseholds": _("Households"),
            "socialisedEstates": _("Socialised rate (estates)"),
            "socialisedHouseholds": _("Socialised rate (households)"),
            "serviceEstates": _("Service rate (estates)"),
            "serviceHouseholds": _("Service rate (households)"),
            "uncovered": _("Uncovered"),
            "abandoned": _("Abandoned buildings"),
            "socialisedRate": _("Socialised rate"),
            "serviceRate": _("Service rate"),
            "districtsOf": _("Districts of %(name)s"),
            "streetsOf": _("Streets of %(name)s"),
            "communitiesOf": _("Communities of %(name)s"),
            "estatesOf": _("Estates of %(name)s"),
            "back": _("Back"),
            "noData": _("No data"),
            "trendTitle": _("Coverage rates by month, last 10 years"),
            "sortHint": _("Click a heading to sort"),
            "open": _("Show communities"),
            "openEstates": _("Show estates"),
            "openStreets": _("Show streets"),
            "figuresOf": _("Figures of %(name)s"),
        },
    }
    return render(request, "dashboard.html", {"config": config, "date": on, "home": home,
                                              "complaints": complaint_section(request.user, home, on)})


def complaint_section(user, home, on: datetime.date) -> dict:
    """The dashboard's complaint figures for the year up to `on` (DOMAIN.md "Supervision"): the assessment ranking
    of the areas below the home area, and the figures per area and per enterprise in the user's complaint scope."""
    ranking = supervision.assessment_ranking(user=user, home=home, end=on)
    start = ranking["start"]
    by_area = (supervision.complaints_by_district if ranking["level"] == AdminLevel.DISTRICT
               else supervision.complaints_by_street)(user=user, start=start, end=on)
    by_enterprise = supervision.complaints_by_enterprise(user=user, start=start, end=on)
    # A street office also assesses its communities (001 §4(2): streets assess communities).
    street = street_of(user)
    communities = (supervision.assessment_ranking(user=user, home=street, end=on, start=start)["rows"]
                   if street is not None else [])
    for row in [*ranking["rows"], *communities, *by_area, *by_enterprise]:
        row["on_time_pct"] = _rate(row["on_time_rate"])
        row["satisfaction_pct"] = _rate(row["satisfaction_rate"])
        if "service_rate" in row:
            row["service_pct"] = _rate(row["service_rate"])
            row["inspected_pct"] = _rate(row["inspected_share"])
    return {**ranking, "by_area": by_area, "by_enterprise": by_enterprise, "communities": communities,
            "street": street, "overdue": sum(r["overdue"] for r in by_area)}


def _rate(value):
    return None if value is None else round(value * 100, 1)


def _row_view(row: dict) -> dict:
    """A figures row (docs/COVERAGE_API.md) with its rates as percentages, for the template."""
    sr = row.get("socialised_rate") or {}
    vr = row.get("service_rate") or {}
    uncovered = (row.get("by_status") or {}).get("none")
    return {
        **row,
        "soc_e": _rate(sr.get("estates")), "soc_h": _rate(sr.get("households")),
        "srv_e": _rate(vr.get("estates")), "srv_h": _rate(vr.get("households")),
        "uncovered": uncovered,
        "uncovered_households": (row.get("old_households") or 0) - ((row.get("served") or {}).get("households") or 0),
    }


def _ranked(rows: list[dict]) -> list[dict]:
    # Ranked for the assessment: service rate by estates, highest first (areas without old estates last).
    return sorted((_row_view(r) for r in rows), key=lambda r: (r["srv_e"] is None, -(r["srv_e"] or 0), r["code"]))


@require_safe
@login_required
def coverage_report_page(request):
    """The report of one area (default: the user's home area — the city for the city official, the district for
    district roles), titled for it: its children ranked (districts of a city, streets of a district, communities of a
    street) and, with `level` two steps below, their children grouped by parent."""
    on = _parse_date(request.GET.get("date"))
    area_id = request.GET.get("area")
    if area_id is None:
        area = home_area(request.user)
    else:
        pk = number_param(area_id, "area", integer=True)
        area = AdminArea.objects.filter(pk=pk).exclude(level=AdminLevel.COMMUNITY).first()
        if area is None:
            raise Invalid(_("Unknown area: use the id of a city, district or street."), field="area")
        if not restrict(AdminArea.objects.all(), request.user, VIEW).filter(pk=pk).exists():
            raise OutsideJurisdiction(_("No administrative area with that id in your jurisdiction."))
    child = CHILD_LEVEL[area.level] if area else AdminLevel.STREET
    level = request.GET.get("level") or child
    if level not in LEVELS or LEVEL_DEPTH[level] - LEVEL_DEPTH[child] not in (0, 1):
        raise Invalid(_("Bad level: use the level below the area or the one below that."), field="level")

    figures = coverage_figures(on=on, level=child, parent_id=area.pk if area else None, user=request.user)
    total = _row_view(figures["total"])
    children = _ranked(figures["rows"])
    grandchildren = None
    if level != child:
        below = coverage_figures(on=on, level=level, parent_id=area.pk if area else None, user=request.user)
        parents = dict(AdminArea.objects.filter(pk__in=[r["id"] for r in below["rows"]])
                       .values_list("pk", "parent__name"))
        grandchildren = [{**_row_view(r), "street": parents.get(r["id"], "")} for r in below["rows"]]
        grandchildren.sort(key=lambda r: (r["street"], r["srv_e"] is None, -(r["srv_e"] or 0), r["code"]))
    map_rates = {r["id"]: r["srv_e"] for r in children}
    return render(request, "reports/coverage.html", {
        "date": on,
        "level": level,
        "child_level": child,
        "next_level": CHILD_LEVEL.get(child),
        "area": area,
        "path": area_path(area) if area else [],
        "total": total,
        "streets": children,
        "communities": grandchildren,
        "generated": timezone.localtime(),
        "cutoff": settings.OLD_ESTATE_CUTOFF_YEAR,
        "complaints": complaint_section(request.user, area, on),
        "map_config": {"rates": map_rates,
                       "geojson": reverse("api:admin-area-list") + f"?level={child}",
                       "noData": _("No data")},
        "leaflet_overrides": {"TILES": [], "OVERLAYS": [], "RESET_VIEW": False},
    })
