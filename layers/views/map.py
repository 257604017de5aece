"""The map page (/): its layer list, styles, legend and UI strings, handed to the browser as one JSON config."""
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from layers import catalogue
from layers.models import CITY_ROLES, AbandonmentReport, AdminLevel, ComplaintStatus, ManagementArea
from layers.models.abandonment import AbandonmentReason
from layers.models.estates import Abandonment, ServiceStatus
from layers.permissions import ADD, CHANGE, NOT_SHOWN, area_of, may, role_of, street_of
from layers.services.complaints import DEFAULT_CATEGORIES

# Colours are chosen here, once, so the map styles and the legend cannot disagree.
# Service statuses follow the Okabe-Ito palette (safe for red-green colour blindness).
STATUS_COLOURS = {
    ServiceStatus.ENTERPRISE: "#009E73",
    ServiceStatus.CARETAKER: "#1F78B4",
    ServiceStatus.SELF_GOVERNED: "#8E5EA2",
    ServiceStatus.NONE: "#D55E00",
}
ABANDONMENT_COLOURS = {
    Abandonment.NONE: "#9E9E9E",
    Abandonment.REPORTED: "#B71C1C",
    Abandonment.VERIFIED: "#7F0000",
    Abandonment.UNDER_CARETAKER: "#F0A202",
    Abandonment.RESOLVED: "#C8C8C8",
}
# Coverage analysis (docs/COVERAGE_API.md). Rates are classed by fixed breaks, in per cent, so that a colour means
# the same on every date and at every level. Sequential blues (ColorBrewer "Blues", safe for colour blindness):
# pale = few estates covered, dark = well covered.
COVERAGE_BREAKS = [0, 20, 40, 60, 80, 100]
COVERAGE_COLOURS = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"]
COVERAGE_NO_DATA = "#d9d9d9"
# The change between two dates, in percentage points: diverging orange (fell) – grey – purple (rose)
# (ColorBrewer "PuOr", safe for red-green colour blindness).
CHANGE_BREAKS = [-20, -10, -2, 2, 10, 20]
CHANGE_COLOURS = ["#b35806", "#f1a340", "#fee0b6", "#f7f7f7", "#d8daeb", "#998ec3", "#542788"]
RENOVATION_COLOURS = {"planned": "#6C7A89", "in_progress": "#E69F00", "completed": "#0072B2"}
# ColorBrewer "Paired": 12 distinct hues for enterprise jurisdictions (tile property `colour` 0–11).
ENTERPRISE_PALETTE = [
    "#1f78b4", "#33a02c", "#e31a1c", "#ff7f00", "#6a3d9a", "#b15928",
    "#a6cee3", "#b2df8a", "#fb9a99", "#fdbf6f", "#cab2d6", "#d4c04a",
]
ROAD_COLOURS = {"arterial": "#9A9A9A", "secondary": "#B0B0B0", "local": "#C6C6C6"}

def _coverage_paths() -> dict[str, str]:
    """The coverage endpoints of docs/COVERAGE_API.md the map's analysis panel calls."""
    return {"figures": reverse("api:coverage-figures"),
            "uncoveredHouseholds": reverse("api:coverage-uncovered-households")}


def _url_template(name: str, placeholders: dict[str, str], **kwargs) -> str:
    """A URL pattern for the browser, e.g. /tiles/{layer}/{z}/{x}/{y}.mvt, built from the URLconf."""
    url = reverse(name, kwargs=kwargs)
    for value, placeholder in placeholders.items():
        url = url.replace(str(value), "{%s}" % placeholder)
    return url


def map_config(request=None) -> dict:
    """Everything the map script needs, translated into the active language (and, given a request, the user's tools)."""
    today = timezone.localdate()
    urls = picker_config(request)
    tile_url, popup_url = urls["tileUrl"], urls["popupUrl"]

    # The switcher's layers, top first, from the catalogue (drawing order is set by the panes in layers.js).
    layer_list = [switcher_entry(layer) for layer in catalogue.map_layers()]

    legend = [
        {
            "id": "estates",
            "title": _("Estate service status"),
            "items": [
                {"swatch": "fill", "colour": STATUS_COLOURS[s], "label": str(s.label)} for s in ServiceStatus
            ] + [
                {"swatch": "old", "colour": "#555555", "label": _("Old estate (built %(year)s or earlier): solid")
                 % {"year": settings.OLD_ESTATE_CUTOFF_YEAR}},
                {"swatch": "newer", "colour": "#555555", "label": _("Newer estate: pale")},
            ],
        },
        {
            "id": "buildings",
            "title": _("Buildings"),
            "items": [
                {"swatch": "fill", "colour": ABANDONMENT_COLOURS[Abandonment.NONE], "label": _("Managed building")},
                {"swatch": "hatch", "colour": ABANDONMENT_COLOURS[Abandonment.REPORTED],
                 "label": str(Abandonment.REPORTED.label)},
                {"swatch": "hatch-solid", "colour": ABANDONMENT_COLOURS[Abandonment.VERIFIED],
                 "label": str(Abandonment.VERIFIED.label)},
                {"swatch": "fill", "colour": ABANDONMENT_COLOURS[Abandonment.UNDER_CARETAKER],
                 "label": _("Abandoned, under caretaker")},
                {"swatch": "faded", "colour": ABANDONMENT_COLOURS[Abandonment.RESOLVED],
                 "label": _("Abandonment resolved")},
            ],
        },
        {
            "id": "renovations",
            "title": _("Renovation projects"),
            "items": [
                {"swatch": "outline", "colour": RENOVATION_COLOURS["planned"], "label": _("Planned")},
                {"swatch": "outline", "colour": RENOVATION_COLOURS["in_progress"], "label": _("In progress")},
                {"swatch": "outline", "colour": RENOVATION_COLOURS["completed"], "label": _("Completed")},
            ],
        },
        {
            "id": "boundaries",
            "title": _("Boundaries"),
            "items": [
                {"swatch": "line", "colour": "#2B2B2B", "width": 4, "label": _("District")},
                {"swatch": "line", "colour": "#4A4A4A", "width": 2, "label": _("Street office")},
                {"swatch": "dashed", "colour": "#6B6B6B", "width": 1, "label": _("Community")},
                {"swatch": "dashed", "colour": "#37474F", "width": 2, "label": _("Management area")},
                {"swatch": "line", "colour": ROAD_COLOURS["arterial"], "width": 4, "label": _("Road")},
            ],
        },
    ]

    if request is not None and may(request.user, ManagementArea, CHANGE):
        # The planner works on the areas: their outlines are on from the start.
        for layer in layer_list:
            if layer["id"] == "management_areas":
                layer["visible"] = True

    return {
        "tileUrl": tile_url,
        "adminAreasUrl": reverse("api:admin-area-list"),
        "searchUrl": reverse("api:search"),
        "popupUrl": popup_url,
        "today": today.isoformat(),
        "todayDisplay": formats.date_format(today, "DATE_FORMAT"),
        # The map opens on the user's own area (street, district or city; DOMAIN.md "Levels").
        "home": urls["home"],
        "fallbackView": {
            "center": list(settings.LEAFLET_CONFIG["DEFAULT_CENTER"]),
            "zoom": settings.LEAFLET_CONFIG["DEFAULT_ZOOM"],
        },
        "basemaps": [
            {
                "name": layer["name"],
                "url": layer["url"],
                "attribution": layer.get("attribution", ""),
                "maxZoom": layer.get("maxZoom", settings.LEAFLET_CONFIG["MAX_ZOOM"]),
            }
            for layer in settings.BASEMAP_TILES
        ],
        "layers": layer_list,
        "styles": {
            "status": {str(k): v for k, v in STATUS_COLOURS.items()},
            "abandonment": {str(k): v for k, v in ABANDONMENT_COLOURS.items()},
            "renovation": RENOVATION_COLOURS,
            "enterprise": ENTERPRISE_PALETTE,
            "road": ROAD_COLOURS,
            "complaintStatus": COMPLAINT_STATUS_COLOURS,
            "complaintOverdue": COMPLAINT_OVERDUE_COLOUR,
            "complaintCategory": COMPLAINT_CATEGORY_COLOURS,
            "complaintMode": "status",  # or "category": complaint_heat.js switches it
        },
        "legend": legend,
        "strings": {
            "layers": _("Layers"),
            "basemap": _("Basemap"),
            "noBasemap": _("No basemap"),
            "legend": _("Legend"),
            "zoomIn": _("Zoom in to see"),
            "statusAsOf": _("Status as of %(date)s") % {"date": formats.date_format(today, "DATE_FORMAT")},
            "searchPlaceholder": _("Estate name or address"),
            "search": _("Search"),
            "searching": _("Searching…"),
            "noResults": _("No estate found"),
            "searchFailed": _("Search failed, please try again"),
            "loading": _("Loading…"),
            "loadFailed": _("Could not load the details"),
            "details": _("Details"),
            "statuses": {str(s): str(s.label) for s in ServiceStatus},
            "notShown": str(NOT_SHOWN),
            "groups": {"coverage": _("Coverage analysis"), "complaints": _("Complaints")},
        },
        "coverage": coverage_config(today, role_of(request.user) if request is not None else None),
        "complaints": complaints_config(),
        **(user_tools(request) if request is not None else {}),
    }


# Complaint points: fill by status (open ones strong, closed ones pale), a red ring for overdue cases.
COMPLAINT_STATUS_COLOURS = {"received": "#d7301f", "signed": "#fc8d59", "transferred": "#8856a7",
                            "replied": "#2b8cbe", "closed": "#9e9e9e"}
COMPLAINT_OVERDUE_COLOUR = "#b10026"
# Complaint points by category (the routing table's codes, services.complaints.DEFAULT_CATEGORIES): the estate's
# provider's matters in warm and green hues, the departments' in blues and purples; a district's own code near-black.
COMPLAINT_CATEGORY_COLOURS = {
    "pm_cleaning": "#8c510a", "pm_greening": "#1b9e77", "pm_security": "#e6ab02", "pm_fire": "#e41a1c",
    "pm_repair": "#ff7f00", "pm_service": "#a6761d", "dept_heating": "#f781bf", "dept_quality": "#377eb8",
    "dept_price": "#4daf4a", "dept_lift": "#984ea3", "dept_illegal": "#3f007d", "dept_order": "#08519c",
    "other": "#7f7f7f",
}


def complaints_config() -> dict:
    """The complaint layers' colours, the hotspot endpoint and texts (complaints.js)."""
    return {
        "hotspots": reverse("api:supervision-hotspots"),
        "strings": {
            "pointsTitle": _("Complaints in the year"),
            "colourBy": _("Colour by"),
            "byStatus": _("Status"),
            "byCategory": _("Category"),
            "otherCategory": _("Another category"),
            "categories": {code: name for code, name, *_rest in DEFAULT_CATEGORIES},
            "statuses": {str(s): str(s.label) for s in ComplaintStatus},
            "overdue": _("Overdue"),
            "heatTitle": _("Complaint hotspots"),
            "from": _("Received from"),
            "to": _("To"),
            "few": _("few"),
            "many": _("many"),
            "points": _("%(count)s complaints"),
            "popupTitle": _("Complaints"),
            "popupFigures": _("%(year)s received this year, %(open)s open"),
        },
    }


def coverage_config(today, role=None) -> dict:
    """The coverage layers' endpoints, class breaks, colours and texts (coverage.js). The choropleth opens on the
    districts for the city roles (DOMAIN.md "Levels": the city compares its districts), on the streets otherwise."""
    return {
        "api": _coverage_paths(),
        "level": AdminLevel.DISTRICT.value if role in CITY_ROLES else AdminLevel.STREET.value,
        "breaks": COVERAGE_BREAKS,
        "colours": COVERAGE_COLOURS,
        "noData": COVERAGE_NO_DATA,
        "changeBreaks": CHANGE_BREAKS,
        "changeColours": CHANGE_COLOURS,
        "cutoffYear": settings.OLD_ESTATE_CUTOFF_YEAR,
        "strings": {
            "statusAsOf": _("Status as of %(date)s"),
            "changeAsOf": _("Change from %(since)s to %(date)s"),
            "choroplethTitle": _("%(rate)s by %(level)s"),
            "changeTitle": _("Change in %(rate)s, %(since)s → %(date)s"),
            "changeUnit": _("+/− percentage points"),
            "percentagePoints": _("%(value)s percentage points"),
            "noOldEstate": _("No old estate"),
            "noChange": _("No change (within ±2)"),
            "rates": {
                "socialised_rate.estates": _("Socialised rate (estates)"),
                "socialised_rate.households": _("Socialised rate (households)"),
                "service_rate.estates": _("Service rate (estates)"),
                "service_rate.households": _("Service rate (households)"),
            },
            "levels": {"city": pgettext("grouped by", "city"), "district": pgettext("grouped by", "district"),
                       "street": pgettext("grouped by", "street office"), "community": pgettext("grouped by", "community")},
            "drillHint": _("Click an area to see the areas inside it"),
            "estatesCovered": _("%(served)s of %(total)s old estates"),
            "heatTitle": _("Uncovered households (old estates without any service)"),
            "heatLow": _("few"),
            "heatHigh": _("many"),
            "hexTitle": _("Service rate per hexagon (estates)"),
            "loadFailed": _("Could not load the coverage figures"),
            "sinceAfterDate": _("The comparison date must be earlier than the status date."),
        },
    }


def switcher_entry(layer: catalogue.Layer) -> dict:
    """A layer as the map script reads it: its id, title and minimum zoom, where it comes from, what a click opens."""
    entry = layer.map
    data = {
        "id": layer.name,
        "source": entry.source,
        "name": str(layer.title),
        "minZoom": layer.min_zoom,
        "visible": entry.visible,
        "popupKind": entry.popup_kind,
        "dated": layer.dated,
    }
    if entry.source == "tiles":
        data["idProperty"] = entry.id_property
    for key, value in (("level", entry.level), ("group", entry.group), ("editMinZoom", entry.edit_min_zoom)):
        if value is not None:
            data[key] = value
    return data


def api_paths() -> dict[str, str]:
    """The editing endpoints of docs/EDIT_API.md the map calls ({id} is filled in by the browser), by name."""
    return {name: path for layer in catalogue.all() for name, path in layer.api.items()}


def user_tools(request) -> dict:
    """The user's role, what it may do on the map, and what the editor and the report form need."""
    user = request.user
    street = street_of(user)
    permissions = {
        "canEditAreas": may(user, ManagementArea, CHANGE),
        "canReportAbandonment": may(user, AbandonmentReport, ADD),
        "canVerifyReports": may(user, AbandonmentReport, CHANGE),
    }
    tools = {"role": role_of(user), "permissions": permissions, "streetId": street.pk if street else None}
    if not (permissions["canEditAreas"] or permissions["canReportAbandonment"]):
        return tools  # a read-only role gets no write URLs, token or editor strings
    tools.update({
        "api": api_paths(),
        "csrfToken": get_token(request),
        "abandonmentReasons": [[str(value), str(label)] for value, label in AbandonmentReason.choices],
        "editStrings": edit_strings(),
    })
    return tools


def edit_strings() -> dict:
    """The editor's and the report form's texts (English source strings, translated by gettext)."""
    return {
        # the editor card
        "editorTitle": _("Management-area editor"),
        "startEditing": _("Edit management areas"),
        "stopEditing": _("Close the editor"),
        "zoomToEdit": _("The map is at level %(current)s; zoom in to level %(zoom)s or closer to edit management "
                        "areas."),
        "onlyAreas": _("Show only management areas"),
        "loadingAreas": _("Loading the management areas in view…"),
        "areasLoaded": _("Click an area to select it, or draw a new one."),
        "loadAreasFailed": _("Could not load the management areas in view."),
        "newArea": _("Draw a new area"),
        "drawHint": _("Click the corners of the new area on the map; click the first corner again to finish. "
                      "Corners snap to the neighbouring areas' corners and edges."),
        "selected": _("Selected area"),
        "version": _("Version %(version)s"),
        "editBoundary": _("Edit boundary"),
        "editHint": _("Drag the corners, or drag the whole area (move tool), or cut a hole (scissors). "
                      "Ctrl+Z undoes, Ctrl+Y redoes."),
        "split": _("Split"),
        "splitHint": _("Draw a line across the area: click where it starts, then each bend, and click the last "
                       "point again to finish."),
        "merge": _("Merge with a neighbour"),
        "mergeHint": _("Click the neighbouring area to merge into this one."),
        "mergeWith": _("Merge %(a)s with %(b)s (the second one is removed)"),
        "history": _("History"),
        "undo": _("Undo"),
        "redo": _("Redo"),
        "save": _("Check and save"),
        "cancel": _("Cancel"),
        "discard": _("Discard changes"),
        "close": _("Close"),
        "confirmDiscard": _("Discard the unsaved changes?"),
        "finishFirst": _("Save or discard the current change first."),
        "unsaved": _("Unsaved changes"),
        "newAreaTitle": _("New management area"),
        "name": _("Name"),
        "code": _("Code (optional)"),
        "reason": _("Reason for the change (recorded in the history)"),
        "reasonRequired": _("Please give the reason for this change."),
        "nameRequired": _("Please give the area a name."),
        "checking": _("Checking the boundary…"),
        "saving": _("Saving…"),
        "saved": _("Saved: %(name)s, version %(version)s."),
        "noChange": _("Nothing has changed yet."),
        "confirmSave": _("Save"),
        "splitConfirm": _("Split the area"),
        "mergeConfirm": _("Merge the areas"),
        "splitDone": _("Split into %(a)s and %(b)s."),
        "mergeDone": _("Merged into %(name)s."),
        "mergeChecking": _("Working out the merged boundary…"),
        "mergeTouching": _("The two areas share an edge; the merged boundary is drawn dashed."),
        "mergeGap": _("The two areas are %(gap)s m apart (a merge may fill gaps of up to %(max)s m). Merging fills "
                      "the gap between them; the merged boundary is drawn dashed."),
        "mergeBridge": _("Filled gap: %(area)s m² (orange on the map)"),
        "mergeBridgeConfirm": _("Fill the gap and merge"),
        "mergeProblems": _("These areas cannot be merged:"),
        "problemOtherAreaEstate": _("Takes in an estate of another area"),
        "rename": _("Rename / change code"),
        "areaCode": _("Code"),
        "codeRequired": _("Please give the area a code."),
        "renamed": _("Saved: %(name)s (%(code)s), version %(version)s."),
        "mergedInto": _("Merged into %(name)s: its history"),
        "mergedFrom": _("Took in %(name)s: its history"),
        # validation
        "problemsTitle": _("The boundary cannot be saved yet:"),
        "okTitle": _("The boundary is valid."),
        "warningsTitle": _("Please note (you can still save):"),
        "problemInvalid": _("Invalid shape"),
        "problemOverlap": _("Overlaps a neighbouring area (red on the map)"),
        "problemOutside": _("Partly outside the district (red on the map)"),
        "clipToNeighbours": _("Clip to the neighbours and the district"),
        "clipped": _("The boundary was clipped to its neighbours. Check it, then save."),
        "estatesCut": _("These estates would be cut by the boundary:"),
        "requestFailed": _("The server could not be reached. Please try again."),
        # conflict
        "conflictTitle": _("Someone else saved this area in the meantime"),
        "conflictBody": _("Their version %(version)s (%(saved)s) is drawn in orange; "
                          "your unsaved boundary is drawn in blue."),
        "theirs": _("Their version"),
        "mine": _("Your change"),
        "reloadTheirs": _("Reload theirs (discard mine)"),
        "reapplyMine": _("Re-apply mine on top of theirs"),
        # my change applied onto theirs, shown before saving
        "rebaseTitle": _("Your change applied onto their version"),
        "rebaseHint": _("The corners you moved, added or removed are applied to their boundary; the result is drawn "
                        "in green. Nothing is saved until you check and save it."),
        "rebaseNothing": _("Your boundary has no change of its own left to apply: the result is their version."),
        "rebaseResult": _("Merged result"),
        "rebasePlaces": _("You both changed the same corners at %(n)s places (numbered on the map). Choose whose "
                          "change to keep at each:"),
        "rebasePlace": _("Place %(n)s"),
        "keepMine": _("Mine"),
        "keepTheirs": _("Theirs"),
        "rebaseAccept": _("Use this boundary, then check and save"),
        "rebaseChooseFirst": _("Choose mine or theirs at every numbered place first."),
        "overwriteTheirs": _("Overwrite their version with mine: their change to %(corners)s corners "
                             "(about %(area)s m²) is lost"),
        "overwriteTheirsCorners": _("Overwrite their version with mine: their change to %(corners)s corners is lost"),
        # history
        "historyTitle": _("History of %(name)s"),
        "historyEmpty": _("No recorded changes."),
        "historyHint": _("Choose a version to see its boundary (dashed) over the current one."),
        "restore": _("Restore this version"),
        "restoreReason": _("Reason for restoring"),
        "restored": _("Version %(version)s restored as version %(new)s."),
        "current": _("current"),
        # who saved a version and when, in the district's time zone: the same words in the conflict box and history
        "savedBy": _("%(at)s, saved by %(user)s"),
        # the abandoned-building report
        "markAbandoned": _("Mark as abandoned"),
        "reportTitle": _("Report an abandoned building"),
        "reportBuilding": _("Building"),
        "abandonedSince": _("Abandoned since"),
        "abandonReason": _("Reason"),
        "description": _("Description"),
        "descriptionHint": _("What happened, who used to manage it, who to contact…"),
        "photos": _("Photos (JPEG, PNG or WebP; up to 5, 5 MB each)"),
        "tooManyPhotos": _("Please choose at most 5 photos."),
        "photoTooLarge": _("%(name)s is larger than 5 MB."),
        "submitReport": _("Submit the report"),
        "reportSent": _("Reported. The district department will verify it."),
        "sending": _("Sending…"),
    }


def picker_config(request) -> dict:
    """What the estate picker (estate_picker.js) needs: the tile and popup URL patterns, the street outlines and the
    user's own area to open on."""
    return {
        "tileUrl": _url_template("tile", {"zzlayerzz": "layer", 911111: "z", 922222: "x", 933333: "y"},
                                 layer="zzlayerzz", z=911111, x=922222, y=933333),
        "popupUrl": _url_template("api:feature-popup", {"zzkindzz": "kind", 944444: "id"}, kind="zzkindzz",
                                  pk=944444),
        "adminAreasUrl": reverse("api:admin-area-list"),
        "home": _home(request),
        "estatesMinZoom": catalogue.get("estates").min_zoom,
    }


def _home(request) -> dict | None:
    """The name and lon/lat bbox of the area the user answers for: the map's first view."""
    area = area_of(request.user) if request is not None else None
    if area is None:
        return None
    minx, miny, maxx, maxy = area.geom.extent
    return {"name": area.name, "level": area.level, "bbox": [round(v, 6) for v in (minx, miny, maxx, maxy)]}


@login_required
def map_page(request):
    return render(
        request,
        "map.html",
        {
            "map_config": map_config(request),
            # The basemaps are added by layers.js (into its own layer switcher), not by django-leaflet.
            "leaflet_overrides": {"TILES": [], "OVERLAYS": []},
        },
    )
