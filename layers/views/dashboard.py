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

from ..selectors.coverage import coverage_figures
from layers.models import AdminArea, Estate
from layers.models.admin_units import AdminLevel
from layers.models.estates import ServiceStatus
from layers.params import date_param, number_param
from layers.permissions import LOCATE, NOT_SHOWN, VIEW, district_of, pks_in_scope, restrict
from layers.refusals import Invalid
from layers.rules import is_old_estate
from layers.views.map import STATUS_COLOURS

LEVELS = (AdminLevel.STREET, AdminLevel.COMMUNITY)


def _parse_date(value: str | None) -> datetime.date:
    try:
        return date_param(value, default=timezone.localdate())
    except ValueError:
        raise Invalid(_("Bad date: use YYYY-MM-DD."), field="date") from None


def _district(user) -> AdminArea | None:
    """Whose figures the page shows, for its title: the user's district, or the city for city-wide roles
    (DOMAIN.md "Levels")."""
    return district_of(user) or AdminArea.objects.filter(level=AdminLevel.CITY).order_by("code").first()


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

    district = _district(request.user)
    config = {
        "date": on.isoformat(),
        "today": timezone.localdate().isoformat(),
        "districtId": district.pk if district else None,
        "districtName": district.name if district else "",
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
            "streetsOf": _("Streets of %(name)s"),
            "communitiesOf": _("Communities of %(name)s"),
            "estatesOf": _("Estates of %(name)s"),
            "back": _("Back"),
            "noData": _("No data"),
            "trendTitle": _("Coverage rates by month, last 10 years"),
            "sortHint": _("Click a heading to sort"),
            "open": _("Show communities"),
            "openEstates": _("Show estates"),
        },
    }
    return render(request, "dashboard.html", {"config": config, "date": on, "district": district})


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


@require_safe
@login_required
def coverage_report_page(request):
    on = _parse_date(request.GET.get("date"))
    level = request.GET.get("level") or AdminLevel.STREET
    if level not in LEVELS:
        raise Invalid(_("Bad level: use street or community."), field="level")

    district = _district(request.user)
    figures = coverage_figures(on=on, level=AdminLevel.STREET, user=request.user)
    communities = None
    total = _row_view(figures["total"])
    # Ranked for the annual assessment: service rate by estates, highest first (areas without old estates last).
    streets = sorted((_row_view(r) for r in figures["rows"]),
                     key=lambda r: (r["srv_e"] is None, -(r["srv_e"] or 0), r["code"]))
    if level == AdminLevel.COMMUNITY:
        community_figures = coverage_figures(on=on, level=AdminLevel.COMMUNITY, user=request.user)
        parents = dict(AdminArea.objects.filter(level=AdminLevel.COMMUNITY).values_list("pk", "parent__name"))
        communities = [{**_row_view(r), "street": parents.get(r["id"], "")} for r in community_figures["rows"]]
        communities.sort(key=lambda r: (r["street"], r["srv_e"] is None, -(r["srv_e"] or 0), r["code"]))
    map_rates = {r["id"]: r["srv_e"] for r in streets or []}
    return render(request, "reports/coverage.html", {
        "date": on,
        "level": level,
        "district": district,
        "total": total,
        "streets": streets,
        "communities": communities,
        "generated": timezone.localtime(),
        "cutoff": settings.OLD_ESTATE_CUTOFF_YEAR,
        "map_config": {"rates": map_rates, "geojson": reverse("api:admin-area-list") + "?level=street",
                       "noData": _("No data")},
        "leaflet_overrides": {"TILES": [], "OVERLAYS": [], "RESET_VIEW": False},
    })
