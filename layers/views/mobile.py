"""The phone app /m/ (docs/MOBILE.md): near me, mark an abandoned building, offline map and outbox.

One page whose ES modules (static/layers/js/m/) do the work against the JSON API; this module serves the page,
the nearby list, the web app manifest and the service worker (at /m/sw.js so that its scope is /m/).
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from ..models import AbandonmentReason, AbandonmentReport
from ..params import number_param
from ..permissions import ADD, area_of, may, mobile_tabs, require_mobile
from ..refusals import Invalid
from ..selectors.nearby import building_outlines, nearby
from .mobile_tasks import tasks_config

# What the service worker keeps for the app to open with no signal (the app shell). Leaflet comes with
# django-leaflet; the rest is ours or vendored from npm (scripts/vendor.sh).
# The map's library is loaded after the first screen (near.js loadMap), never by the page itself.
MAP_STATIC = {
    "leaflet": "leaflet/leaflet.js", "leafletCss": "leaflet/leaflet.css",
    "vectorGrid": "layers/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js",
}
SHELL_STATIC = [
    "layers/js/m/start.js",  # first: the page preloads the modules in this order, and this one asks for the lists
    *MAP_STATIC.values(),
    "layers/vendor/idb/index.js",
    "layers/css/mobile.css",
    "layers/js/dom.js", "layers/js/format.js",
    "layers/js/m/app.js", "layers/js/m/outbox.js", "layers/js/m/photos.js", "layers/js/m/offline.js",
    "layers/js/m/near.js", "layers/js/m/report.js",
    "layers/js/m/inspect.js", "layers/js/m/complaints.js",
]
WORKBOX_STATIC = "layers/vendor/workbox/"
# The layers the phone map draws and the offline map keeps (vector tiles, docs/TILES.md).
MOBILE_TILE_LAYERS = ["roads", "estates", "buildings"]  # the street outline is drawn from the page (GeoJSON)
OFFLINE_ZOOMS = (14, 18)
FAR_METRES = 200  # farther from the building than this, the reporter confirms (the report keeps the distance)


def _strings() -> dict:
    return {
        "online": _("Connection: online"), "offline": _("Offline"),
        "position": _("Your position (± {accuracy} m)"),
        "noPosition": _("No position: {reason}. The list shows your area."),
        "noGeolocation": _("This browser gives no position."),
        "nearbyOffline": _("No signal: the list cannot be loaded now."),
        "noNetwork": _("No network connection."),
        "nothingFound": _("Nothing found."),
        "addressMatch": _("Address match"),
        "picked": _("Building: {name}"),
        "pickBuilding": _("Pick a building on the map or in the list."),
        "pickFirst": _("Pick a building first."),
        "farAway": _("You are about {metres} m from this building. Report it anyway?"),
        "queued": _("Saved in the outbox: {name}."),
        "removePhoto": _("Remove photo"),
        "waiting": _("Waiting"), "sent": _("Sent"), "failed": _("Failed"),
        "conflict": _("Conflict: already reported"),
        "outboxCount": _("{n} to send"),
        "sendAgain": _("Send again"), "discard": _("Discard"),
        "discardConfirm": _("Discard this record from the phone? It has not reached the server."),
        "clear": _("Clear"),
        "photoCount": _("{n} photos"),
        "reportNo": _("Report no. {id}"),
        "offlineArea": _("Area: {area}, zooms 14–18."),
        "noArea": _("Your account has no area to download."),
        "offlineKept": _("Downloaded: {mb} MB, {tiles} tiles, {at}."),
        "offlineNone": _("No offline map on this phone."),
        "estimating": _("Estimating the size…"),
        "offlineEstimate": _("About {mb} MB ({tiles} tiles); the limit is {limit} MB."),
        "offlineTooBig": _("About {mb} MB ({tiles} tiles): more than the limit of {limit} MB."),
        "downloading": _("Downloading {done} of {total} tiles…"),
        "downloadFailed": _("The download failed:"),
        "viewReport": _("View report"),
        "photo": _("Photo"),
        "photoWhere": _("Taken at {lat}, {lon}"),
        "placeUnknown": _("place unknown"),
        "dateUnknown": _("date unknown"),
    }


@lru_cache(maxsize=1)
def _shell_digest() -> str:
    digest = hashlib.sha256()
    for path in SHELL_STATIC:
        found = finders.find(path)
        if found:
            with open(found, "rb") as f:
                digest.update(f.read())
    digest.update(render_to_string("mobile/sw.js", {"shell": [], "version": ""}).encode())
    return digest.hexdigest()


def app_version() -> str:
    """A hash of the shell's files, the worker's template and MOBILE_APP_RELEASE (the deployment's name): a new
    deployment gets a new worker script and new cache names, so the worker installs again and drops the old caches."""
    return hashlib.sha256(f"{_shell_digest()} {settings.MOBILE_APP_RELEASE}".encode()).hexdigest()[:12]


def _area(user) -> dict | None:
    area = area_of(user)
    if area is None:
        return None
    wgs = area.geom.transform(4326, clone=True)
    centre = wgs.point_on_surface  # where the lists start without a position (inside the area, unlike a centroid)
    return {"name": area.name, "level": area.level, "bbox": [round(v, 6) for v in wgs.extent],
            "centre": [round(centre.x, 6), round(centre.y, 6)], "outline": json.loads(wgs.json)}


@login_required
@require_safe
def mobile_app(request):
    require_mobile(request.user)
    tabs = mobile_tabs(request.user)
    config = {
        "version": app_version(),
        "tabs": list(tabs),
        "area": _area(request.user) if "near" in tabs else None,  # no map for a role without "Near me"
        "canReport": may(request.user, AbandonmentReport, ADD),
        "reasons": [[value, str(label)] for value, label in AbandonmentReason.choices],
        "today": timezone.localdate().isoformat(),
        "photosMax": settings.ABANDONMENT_PHOTOS_MAX,
        "offlineMaxBytes": settings.MOBILE_OFFLINE_MAX_BYTES,
        "offlineZooms": list(OFFLINE_ZOOMS),
        "tileLayers": MOBILE_TILE_LAYERS,
        "urls": {
            "nearby": reverse("mobile-nearby") if "near" in tabs else None,
            "search": reverse("api:search"),
            "addressMatch": reverse("api:address-match"),
            "report": "/api/buildings/{id}/abandonment-reports/",
            "tile": "/tiles/{layer}/{z}/{x}/{y}.mvt",
            "reportDetail": "/api/abandonment-reports/{id}/",
            "sw": reverse("mobile-sw"),
            **{name: static(path) for name, path in MAP_STATIC.items()},
            "scope": reverse("mobile"),
        },
        "farMetres": FAR_METRES,
        "strings": _strings(),
        "tasks": tasks_config(request.user),  # the Inspect and Complaints tabs (views/mobile_tasks.py)
    }
    return render(request, "mobile/app.html", {
        "config": config, "tabs": tabs, "modules": [path for path in SHELL_STATIC if path.endswith(".js") and "/js/" in path
                                      or path.endswith("idb/index.js")]})


@login_required
@require_safe
def mobile_nearby(request):
    """GET ?lon=&lat=: the nearest estates and buildings in the user's scope, and building outlines to tap."""
    require_mobile(request.user, "near")
    lon = number_param(request.GET.get("lon"), "lon", minimum=-180, maximum=180)
    lat = number_param(request.GET.get("lat"), "lat", minimum=-90, maximum=90)
    if lon is None or lat is None:
        raise Invalid(_("lon and lat are required."), field="lon" if lon is None else "lat")
    data = nearby(user=request.user, lon=lon, lat=lat)
    data["outlines"] = building_outlines(user=request.user, lon=lon, lat=lat)
    return JsonResponse(data)


@require_safe
def mobile_manifest(request):
    """The web app manifest: installable, opening on /m/ in its own window."""
    data = {
        "name": _("Old-estate field app"),
        "short_name": _("Field app"),
        "start_url": reverse("mobile"),
        "scope": reverse("mobile"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#b3261e",
        "lang": "zh-Hans",
        "icons": [{"src": static("layers/img/mobile-icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }
    return HttpResponse(json.dumps(data, ensure_ascii=False), content_type="application/manifest+json")


@require_safe
def mobile_service_worker(request):
    """The service worker (Workbox, vendored): precaches the shell under a versioned cache name."""
    body = render_to_string("mobile/sw.js", {
        "version": app_version(),
        "workbox": static(WORKBOX_STATIC),
        "workbox_sw": static(WORKBOX_STATIC + "workbox-sw.js"),
        "shell": [static(path) for path in SHELL_STATIC] + [reverse("mobile")],
        "shell_json": json.dumps([static(path) for path in SHELL_STATIC]),
        "page": reverse("mobile"),
    })
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
