"""The service page (/service/): three worklists with a map, assignment by estate or drawn selection, nearby custody.

The page is a shell: service.js reads the worklists, candidates and history from the JSON API (api/service.py) and
assigns through it, so the page and the API answer to the same rules.
"""
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from ..models import (
    AdminArea,
    AdminLevel,
    CaretakerAgency,
    ContractMode,
    Enterprise,
    ListStatus,
    ProviderKind,
    ServiceContract,
)
from ..permissions import ADD, CHANGE, VIEW, home_street, may, role_of
from ..selectors.worklists import NAMES
from .map import map_config

# The base layers under the worklists: boundaries, estates coloured by status, buildings, service areas, roads.
SERVICE_PAGE_LAYERS = {"admin_district", "admin_street", "admin_community", "buildings", "estates", "jurisdictions",
                       "roads"}


def _url_template(name: str, **kwargs) -> str:
    return reverse(name, kwargs={k: 987654321 for k in kwargs}).replace("987654321", "{id}")


def service_config(request) -> dict:
    user = request.user
    config = map_config(request)
    config["layers"] = [dict(layer) for layer in config["layers"] if layer["id"] in SERVICE_PAGE_LAYERS]
    config["legend"] = [block for block in config["legend"] if block["id"] in SERVICE_PAGE_LAYERS]
    own_street = home_street(user)
    can_assign = may(user, ServiceContract, ADD)
    streets = AdminArea.objects.filter(level=AdminLevel.STREET).order_by("code")
    if own_street is not None:
        streets = streets.filter(pk=own_street.pk)
    config["service"] = {
        "worklists": [{"name": name, "title": str(title)} for name, title in NAMES.items()],
        "streets": [{"id": s.pk, "name": s.name} for s in streets],
        "ownStreet": own_street.pk if own_street else None,
        "canAssign": can_assign,
        "canEnd": may(user, ServiceContract, CHANGE),
        "urls": {
            "worklist": reverse("api:worklist-detail", kwargs={"name": "NAME"}).replace("NAME", "{name}"),
            "assign": reverse("api:service-assign"),
            "selection": reverse("api:service-selection"),
            "end": _url_template("api:contract-end", pk=0),
            "candidates": _url_template("api:estate-candidates", pk=0),
            "contracts": _url_template("api:estate-contracts", pk=0),
            "estate": _url_template("estate-detail", pk=0),
        },
        "csrfToken": get_token(request),
        "enterprises": [
            {"id": e.pk, "name": e.name, "grade": e.credit_grade, "listStatus": e.list_status}
            for e in Enterprise.objects.exclude(list_status=ListStatus.BLACK).order_by("name")
        ] if can_assign else [],
        "agencies": [
            {"id": a.pk, "name": a.name, "kind": a.kind, "kindLabel": str(a.get_kind_display()),
             "streetId": a.street_id, "street": a.street.name}
            for a in CaretakerAgency.objects.select_related("street", "enterprise").order_by("street__code", "name")
            if not (a.enterprise_id and a.enterprise.list_status == ListStatus.BLACK)
        ] if can_assign else [],
        "providerKinds": [[str(v), str(label)] for v, label in ProviderKind.choices],
        "enterpriseModes": [[str(m), str(m.label)] for m in (ContractMode.SINGLE, ContractMode.NEARBY,
                                                              ContractMode.BUNDLED)],
        "strings": service_strings(),
    }
    return config


def service_strings() -> dict:
    return {
        "estates": _("%(count)s estates"),
        "households": _("%(count)s households"),
        "buildings": _("%(count)s abandoned buildings"),
        "noRows": _("Nothing on this list."),
        "page": _("Page %(page)s of %(pages)s"),
        "previous": _("Previous"),
        "next": _("Next"),
        "allStreets": _("All streets"),
        "estate": _("Estate"),
        "street": _("Street"),
        "status": _("Status"),
        "detail": _("Renovation / buildings"),
        "showOnMap": _("Map"),
        "assign": _("Assign service"),
        "nearby": _("Nearby candidates"),
        "history": _("History"),
        "selectBox": _("Select with a box"),
        "selectLasso": _("Select with a lasso"),
        "clearSelection": _("Clear the selection"),
        "drawHint": _("Draw on the map: the estates without service inside the shape are selected."),
        "formTitle": _("Assign service"),
        "formEstate": _("Estate: %(name)s"),
        "formSelection": _("The estates without service inside the drawn shape"),
        "selectionStreets": _("The %(count)s selected estates lie in: %(streets)s"),
        "selectionEmpty": _("No estate without service lies inside the selection."),
        "listSeparator": _(", "),
        "noAgency": _("These estates lie in several streets: a street-run agency serves only its own street, so "
                      "only custodian enterprises are offered."),
        "provider": _("Provider"),
        "enterprise": _("Enterprise"),
        "mode": _("Takeover mode"),
        "agency": _("Caretaker agency"),
        "startDate": _("Start date"),
        "endDate": _("End date (optional, first day without service)"),
        "note": _("Note"),
        "replace": _("Replace the current service from the start date"),
        "check": _("Check"),
        "submit": _("Assign"),
        "cancel": _("Cancel"),
        "checking": _("Checking…"),
        "saving": _("Saving…"),
        "wouldAssign": _("%(count)s estates (%(households)s households) would be assigned."),
        "assigned": _("Assigned to %(count)s estates (%(households)s households)."),
        "chooseEnterprise": _("Choose an enterprise."),
        "chooseAgency": _("Choose a caretaker agency."),
        "candidatesTitle": _("Nearby candidates for %(name)s"),
        "candidatesHint": _("Ranked by distance to the enterprise's current service area (50%), credit grade (30%) "
                            "and current load (20%). Black-listed enterprises are never proposed."),
        "noCandidates": _("No enterprise serves estates nearby."),
        "rank": _("Rank"),
        "distance": _("Distance"),
        "grade": _("Credit grade"),
        "load": _("Households served"),
        "score": _("Score"),
        "pick": _("Choose"),
        "metres": _("%(value)s m"),
        "historyTitle": _("Service history of %(name)s"),
        "noHistory": _("No contract recorded."),
        "changes": _("Recorded assignments and ends"),
        "endContract": _("End"),
        "endOn": _("End date"),
        "endReason": _("Reason"),
        "ended": _("Contract ended."),
        "loadFailed": _("Could not load the list."),
        "close": _("Close"),
        "unlimited": _("open-ended"),
        "loading": _("Loading…"),
    }


@require_safe
@login_required
def service_page(request):
    if not may(request.user, ServiceContract, VIEW) or role_of(request.user) is None:
        raise PermissionDenied(_("Your role may not view the service worklists."))
    return render(request, "service.html", {
        "map_config": service_config(request),
        "leaflet_overrides": {"TILES": [], "OVERLAYS": []},
    })
