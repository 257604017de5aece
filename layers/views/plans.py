"""Takeover-plan pages: /plans/ (saved plans and the "new plan" form) and /plans/<id>/ (map, bundles, coverage).

The list's form posts here, is read by a Django form that the API's PlanCreate serializer checks
(layers/views/forms.py), and starts a proposal job (docs/JOBS.md): the list then follows its progress
(?job=<id>, plan_list.js) and opens the plan when it is done; everything on the plan page is done by
plan.js against the JSON API (layers/api/plans.py). Officials see both pages read-only.
"""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from ..models import AdminArea, AdminLevel, PlanStatus, ServiceStatus, TakeoverPlan
from ..permissions import ADD, CHANGE, VIEW, district_of, may, require, restrict
from ..params import number_param
from ..refusals import Invalid, NotFound, Refusal
from ..selectors import jobs as job_reads
from ..selectors import plans as reads
from ..services import jobs as job_services
from ..services import plans as services
from ..tiles.serve import CACHE_CONTROL, MVT_CONTENT_TYPE, coding_for, compress, etag_matches, recalled, remember
from ..tiles.views import tile_problem
from .forms import PlanForm
from .jobs import job_strings
from .map import STATUS_COLOURS

# Bundles are drawn by their number in a qualitative palette (ColorBrewer "Set2"/"Dark2" mix, readable on the land
# colour); the number never changes while the plan is edited, so neither does the colour.
BUNDLE_PALETTE = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1f78b4",
                  "#b2df8a", "#fb9a99", "#cab2d6", "#fdbf6f"]


# The modules plan.js imports, announced in the page's head (<link rel="modulepreload">) by the address its imports
# resolve to: the unhashed name beside plan.js (collected static files keep both names); tests/test_plan_page_speed.py
# checks the list against the imports.
PLAN_IMPORTS = [f"layers/js/{name}.js" for name in ("compat", "api", "dom", "format", "layers", "styles")]

# The bundle list's rows rendered at once; the others follow in chunks when the browser is idle (plan.js).
PLAN_LIST_FIRST = 60


def _form_defaults() -> dict:
    return {"start_date": timezone.localdate().isoformat(), **services.DEFAULTS}


@require_http_methods(["GET", "POST"])
@login_required
def plan_list(request):
    require(request.user, TakeoverPlan, VIEW)
    form, status = PlanForm(initial=_form_defaults()), 200
    if request.method == "POST":
        require(request.user, TakeoverPlan, ADD)
        form = PlanForm(request.POST)
        if form.is_valid():
            fields = {k: v for k, v in form.validated.items() if k != "background"}
            name, start_date, street_id = fields.pop("name"), fields.pop("start_date"), fields.pop("street", None)
            try:
                # Checked now, so that a wrong field is shown on the form; the bundles are proposed by the worker
                # (docs/JOBS.md) while the page shows its progress, then opens the plan.
                services.plan_inputs_check(user=request.user, name=name, start_date=start_date,
                                           street_id=street_id, **fields)
                job = job_services.plan_job_start(user=request.user, name=name, start_date=start_date,
                                                  street_id=street_id, parameters=fields)
                return redirect(f"{reverse('plan-list')}?job={job.pk}")
            except Refusal as exc:
                form.refuse(exc)
                status = exc.status
        else:
            status = 400
    job = None
    if request.method == "GET" and request.GET.get("job"):
        job = job_reads.job_json(job_reads.job_get(
            user=request.user, pk=number_param(request.GET.get("job"), "job", integer=True, minimum=1,
                                                 maximum=2**31 - 1)),
            user=request.user)
    return render(request, "plans/plan_list.html", {
        "job_config": {"job": job, "strings": {**job_strings(), "list": _("All background jobs")},
                       "urls": {"jobList": reverse("job-list")}, "csrfToken": get_token(request)} if job else None,
        "plans": reads.plan_list_rows(user=request.user),
        "can_create": may(request.user, TakeoverPlan, ADD),
        "own_district": district_of(request.user),  # a plan without a street is for this district (or the city)
        # The streets of the planner's own district (DOMAIN.md "Levels"); the system administrator's: every one.
        "streets": restrict(AdminArea.objects.filter(level=AdminLevel.STREET), request.user, VIEW).order_by("code"),
        "form": form,
        "statuses": {s.value: s.label for s in PlanStatus},
    }, status=status)


def _config(request, plan: TakeoverPlan) -> dict:
    can_edit = plan.status == PlanStatus.DRAFT and may(request.user, TakeoverPlan, CHANGE)
    base = f"/api/plans/{plan.pk}/"
    # The plan's street, else its district, else (a city-wide plan) the city: the first view.
    area = plan.street or plan.district or AdminArea.objects.filter(level=AdminLevel.CITY).order_by("code").first()
    west, south, east, north = area.geom.extent if area is not None else (-180, -85, 180, 85)
    return {
        "planId": plan.pk,
        "bounds": [[south, west], [north, east]],
        "tiles": reverse("plan-tile", args=[plan.pk, "LAYER", 0, 0, 0]).replace("LAYER/0/0/0",
                                                                                 "{layer}/{tileZoom}/{x}/{y}"),
        "canEdit": can_edit,
        "listFirst": PLAN_LIST_FIRST,
        "csrfToken": get_token(request) if can_edit else None,
        "api": {
            "plan": base, "map": base + "map.json", "bundles": base + "bundles/", "bundle": base + "bundles/{id}/",
            "candidates": base + "bundles/{id}/candidates/", "approve": base + "approve/",
            "coverage": base + "coverage/", "versions": base + "versions/",
            "streets": reverse("api:admin-area-list") + "?level=street",
        },
        "palette": BUNDLE_PALETTE,  # by the bundle's number, which edits keep
        "statusColours": {str(k): v for k, v in STATUS_COLOURS.items()},
        "strings": {
            "bundle": _("Bundle #%(number)s"),
            "estates": _("%(n)s estates"),
            "oneEstate": _("1 estate"),
            "households": _("households"),
            "floorArea": _("floor area (m²)"),
            "score": _("ease score"),
            "enterprise": _("Enterprise"),
            "noEnterprise": _("— choose an enterprise —"),
            "loadingCandidates": _("Loading candidates…"),
            "noCandidates": _("No enterprise with a territory nearby."),
            "candidate": _("%(name)s · %(grade)s · %(distance)s m · serves %(households)s households"),
            "edit": _("Edit on the map"),
            "stopEdit": _("Done editing"),
            "editHint": _("Click an uncovered estate to add it to this bundle, an estate of this bundle to remove "
                          "it, or an estate of another bundle to move it here. Size and contiguity are re-checked."),
            "moveConfirm": _("Move %(estate)s from bundle #%(from)s to bundle #%(to)s?"),
            "deleteBundle": _("Delete bundle"),
            "deleteConfirm": _("Delete bundle #%(number)s? Its estates become free."),
            "newBundle": _("New bundle"),
            "newBundleHint": _("Click uncovered estates that are in no bundle, then create the bundle."),
            "createBundle": _("Create bundle"),
            "cancel": _("Cancel"),
            "selection": _("%(n)s estates, %(households)s households selected"),
            "approve": _("Approve the plan"),
            "approveMissing": _("%(n)s bundles still have no enterprise (%(numbers)s). Choose an enterprise for "
                                "every bundle before approving the plan."),
            "estateNumber": _("estate %(id)s"),
            "approveConfirm": _("Approve “%(name)s”? %(n)s bundled contracts from %(date)s will be created for "
                                "%(bundles)s bundles, all at once. The plan can no longer be changed afterwards."),
            "approved": _("Approved: the contracts have been created."),
            "saved": _("Saved as version %(version)s."),
            "conflict": _("Someone changed the plan meanwhile; it has been reloaded."),
            "free": _("Uncovered estate, in no bundle"),
            "inBundle": _("In bundle #%(number)s"),
            "territory": _("Service area of %(name)s (%(grade)s)"),
            "discard": _("Discard the plan"),
            "discardConfirm": _("Discard this plan? It is kept, read-only."),
            "versionLine": _("v%(version)s · %(when)s · %(user)s · %(note)s"),
            "noBundles": _("No bundle: no group of adjacent uncovered estates reaches the minimum size."),
            "loadFailed": _("Could not load the plan."),
            "missingEnterprise": _("%(n)s bundles still need an enterprise."),
            "selectBundle": _("Select a bundle in the list or on the map."),
            "contracts": _("%(n)s contracts"),
            "legendBundle": _("Bundle (its number and colour stay while you edit)"),
            "legendTerritory": _("Enterprise service areas"),
            "legendStreet": _("Street office boundary"),
        },
        "statusLabels": {str(s): str(s.label) for s in ServiceStatus},
    }


@require_safe
@login_required
def plan_detail(request, pk):
    plan = reads.plan_get(user=request.user, pk=pk)
    config = _config(request, plan)
    return render(request, "plans/plan_detail.html", {
        "plan": plan,
        "config": config,
        "status_label": PlanStatus(plan.status).label,
        "tiles_key": reads.plan_tiles_key(plan),
        "leaflet_overrides": {"TILES": [], "OVERLAYS": []},
        "modules": PLAN_IMPORTS,
        # what plan.js asks first (setup()), in the order the server is best to answer it
        "preloads": [config["api"]["plan"] + "?view=page", config["api"]["coverage"], config["api"]["versions"],
                     config["api"]["streets"]],
        "export_geojson": reverse("api:plan-export-geojson", args=[plan.pk]),
        "export_geojson_estates": reverse("api:plan-export-geojson", args=[plan.pk]) + "?per=estate",
        "export_csv": reverse("api:plan-export-csv", args=[plan.pk]),
    })


@require_safe
@login_required
def plan_tile(request, pk, layer, z, x, y):
    """A vector tile of the plan page (layers.selectors.plans.plan_tile): its estates, or the territories."""
    plan = reads.plan_get(user=request.user, pk=pk)
    if layer not in reads.PLAN_TILE_LAYERS:
        raise NotFound(_("unknown tile layer %(layer)r") % {"layer": layer})
    problem = tile_problem(z, x, y)
    if problem:
        raise Invalid(problem)
    # MVT is not compressed by itself (a district's tiles shrink to about half): Brotli or gzip as the browser
    # accepts, each coding its own representation, with its own ETag (a 304 only for the coding the browser has).
    coding = coding_for(request.META.get("HTTP_ACCEPT_ENCODING"))
    etag = reads.plan_tile_etag(plan, layer, z, x, y)
    if coding:
        etag = f'{etag[:-1]}.{coding}"'
    if etag_matches(request.headers.get("If-None-Match"), etag):
        response = HttpResponseNotModified()
    else:
        # Kept under its ETag in the catalogue tiles' memory (layers/tiles/serve.py): the ETag names what the tile
        # holds (plan_tiles_key), so a plan reopened after an edit of its bundles is drawn without a tile query.
        tile = recalled(etag)
        if tile is None:
            tile = reads.plan_tile(plan, layer, z, x, y)
            if coding:
                tile = compress(tile, coding)
            remember(etag, tile)
        response = HttpResponse(tile, content_type=MVT_CONTENT_TYPE)
        if coding:
            response["Content-Encoding"] = coding
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    patch_vary_headers(response, ("Accept-Encoding",))
    return response
