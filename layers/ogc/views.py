"""OGC API – Features, Part 1 Core, at /ogc/ (docs/OGC_API.md): a thin layer over the project's SQL path.

Clients log in with the session (browser), a DRF token (``Authorization: Token …``) or HTTP Basic (QGIS, GDAL);
without credentials the answer is 401 with a Basic challenge, so desktop GIS asks for a user name and password.
Every read goes through the feature layers' restrict() scope, the same as the map's export.
"""
from __future__ import annotations

import datetime
import hashlib
import json
from functools import wraps

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from .. import catalogue
from ..filters import filters_from
from ..params import number_param
from ..refusals import Invalid, NotFound, Refusal
from ..security.login_lock import LockingBasicAuthentication, LoginLocked, locked_until
from . import sql
from .collections import (
    CRS84,
    DEFAULT_LIMIT,
    GEOJSON,
    JSON,
    MAX_LIMIT,
    OPENAPI,
    CONFORMANCE,
    api_definition,
    collection,
    collections as collections_doc,
    landing_page,
    link,
)

User = get_user_model()
CREDENTIALS_SECONDS = 300
REALM = 'Basic realm="geoapp OGC API", charset="UTF-8"'
# Parameters of /items that are not property filters (ids and polygon: this project's extensions, as in export).
ITEMS_PARAMETERS = {"f", "bbox", "bbox-crs", "limit", "offset", "datetime", "on", "crs", "ids", "polygon"}
FORMATS = {None, "", "json", "geojson", "application/json", "application/geo+json"}


# The OGC exception codes (OGC API – Features Part 1, 7.5.1) of the statuses a Refusal carries.
OGC_CODES = {400: "InvalidParameterValue", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
             413: "InvalidParameterValue"}


def error_response(status: int, code: str, message: str) -> JsonResponse:
    """The OGC exception document {"code", "description"} (with the project's "error" too, for one client code)."""
    response = JsonResponse({"code": code, "description": message, "error": message}, status=status,
                            json_dumps_params={"ensure_ascii": False})
    if status == 401:
        response["WWW-Authenticate"] = REALM
    return response


def credentials_key(header: str) -> str:
    return "ogc-auth:" + hashlib.sha256((settings.SECRET_KEY + header).encode()).hexdigest()


def authenticated_user(request):
    """The session's user, else the user of a valid Basic or Token Authorization header; None otherwise.

    HTTP Basic goes through the login lock (layers/security/login_lock.py): a wrong password counts as a failed
    log-in, and a locked user name raises LoginLocked whatever the password. Checking a Basic password costs a
    deliberately slow hash (hundreds of ms); a desktop GIS sends one request per page, so an accepted header is
    remembered for a few minutes (keyed by a salted digest, never the password) and its user re-read, so a
    deactivated account is refused at once; for a Basic header the lock is re-checked too, so a lock that starts
    later is not outlasted (the header is then forgotten and checked again, which refuses it).
    """
    if request.user.is_authenticated:
        return request.user
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        user_id = cache.get(credentials_key(header))
        if user_id is not None:
            user = User.objects.filter(pk=user_id, is_active=True).first()
            if user is not None and not (is_basic(header) and locked_until(user.get_username())):
                return user
            cache.delete(credentials_key(header))
    for authenticator in (LockingBasicAuthentication(), TokenAuthentication()):
        try:
            result = authenticator.authenticate(request)
        except AuthenticationFailed:  # not LoginLocked (429), which ogc_view answers
            return None
        if result is not None:
            cache.set(credentials_key(header), result[0].pk, CREDENTIALS_SECONDS)
            return result[0]
    return None


def is_basic(header: str) -> bool:
    return header.split(" ", 1)[0].lower() == "basic"


def ogc_view(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return error_response(405, "MethodNotAllowed", _("OGC API – Features here is read-only: use GET"))
        try:
            user = authenticated_user(request)
        except LoginLocked as exc:
            # 429 without a Basic challenge: desktop GIS shows the message instead of asking for the password again.
            response = error_response(429, "LoginLocked", str(exc.detail))
            response["Retry-After"] = str(exc.wait)
            return response
        if user is None:
            return error_response(401, "NotAuthenticated", _("log in, or send HTTP Basic or Token credentials"))
        request.user = user
        if request.GET.get("f") not in FORMATS:
            return error_response(400, "InvalidParameterValue", _("f must be json (this service writes JSON only)"))
        try:
            return view(request, *args, **kwargs)
        except Refusal as exc:  # the OGC API's one handler: a Refusal as an OGC exception document
            return error_response(exc.status, OGC_CODES.get(exc.status, "InvalidParameterValue"), exc.message)
    return wrapper


def base_url(request) -> str:
    return request.build_absolute_uri(reverse("ogc:landing")).rstrip("/")


def json_response(data: dict, content_type: str = JSON) -> HttpResponse:
    return HttpResponse(json.dumps(data, ensure_ascii=False), content_type=content_type)


@ogc_view
def landing(request):
    return json_response(landing_page(base_url(request)))


@ogc_view
def conformance(request):
    return json_response({"conformsTo": CONFORMANCE})


@ogc_view
def api(request):
    return json_response(api_definition(base_url(request)), OPENAPI)


@ogc_view
def collections(request):
    return json_response(collections_doc(base_url(request), sql.extents()))


def layer_or_404(collection_id: str):
    layer = catalogue.feature_layer(collection_id)
    if layer is None:
        raise NotFound(_("no collection %(id)r; collections: %(ids)s")
                       % {"id": collection_id, "ids": ", ".join(catalogue.feature_layers())})
    return layer


@ogc_view
def collection_detail(request, collection_id):
    layer = layer_or_404(collection_id)
    return json_response(collection(base_url(request), layer, sql.extents().get(layer.name)))


def parse_int(value: str | None, name: str, default: int, minimum: int) -> int:
    return number_param(value, name, integer=True, default=default, minimum=minimum)


def datetime_date(value: str) -> datetime.date:
    """An instant of the datetime parameter (a date or an RFC 3339 date-time) as the status date of dated layers."""
    if "/" in value:
        raise Invalid(_("datetime must be one instant here (the date of the service status), not an interval"),
                      field="datetime")
    try:
        if "T" in value:
            return timezone.localtime(datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))).date()
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise Invalid(_("datetime must be a date or an RFC 3339 date-time, not %(value)r") % {"value": value},
                      field="datetime") from None


def request_filters(request, layer):
    query = request.GET.copy()
    for name in ("bbox-crs", "crs"):
        value = query.get(name)
        if value and value != CRS84:
            raise Invalid(_("%(name)s must be %(crs)s: coordinates are served as CRS84") % {"name": name, "crs": CRS84},
                          field=name)
    bbox = query.get("bbox")
    if bbox and len(bbox.split(",")) == 6:  # a 3D bbox: minx,miny,minz,maxx,maxy,maxz
        parts = bbox.split(",")
        query["bbox"] = ",".join([parts[0], parts[1], parts[3], parts[4]])
    filters = filters_from(query, layer, reserved=ITEMS_PARAMETERS)
    if layer.dated and query.get("datetime") and not query.get("on"):
        filters.on = datetime_date(query["datetime"])
    return filters


def page_link(request, base: str, layer, rel: str, offset: int, limit: int) -> dict:
    query = request.GET.copy()
    query["offset"] = str(offset)
    query["limit"] = str(limit)
    titles = {"next": "next page", "prev": "previous page", "self": "this page"}
    return link(f"{base}/collections/{layer.name}/items?{query.urlencode()}", rel, GEOJSON, titles[rel])


@ogc_view
def items(request, collection_id):
    layer = layer_or_404(collection_id)
    # A limit above the maximum is not an error (Part 1, /req/core/fc-limit-response-1): the maximum is used.
    limit = min(parse_int(request.GET.get("limit"), "limit", DEFAULT_LIMIT, 1), MAX_LIMIT)
    offset = parse_int(request.GET.get("offset"), "offset", 0, 0)
    filters = request_filters(request, layer)
    page = sql.items_page(layer=layer, user=request.user, filters=filters, limit=limit, offset=offset)
    base = base_url(request)
    links = [page_link(request, base, layer, "self", offset, limit),
             link(f"{base}/collections/{layer.name}", "collection", JSON, str(layer.title))]
    if offset + page.number_returned < page.number_matched:
        links.append(page_link(request, base, layer, "next", offset + limit, limit))
    if offset > 0:
        links.append(page_link(request, base, layer, "prev", max(offset - limit, 0), limit))
    head = {
        "type": "FeatureCollection",
        "timeStamp": timezone.now().replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "numberMatched": page.number_matched,
        "numberReturned": page.number_returned,
        "links": links,
    }
    if layer.dated:
        head["statusOn"] = filters.on.isoformat()
    # PostgreSQL's feature array goes into the envelope as it came: no parsing, no re-serialising.
    body = b"".join((json.dumps(head, ensure_ascii=False)[:-1].encode(), b', "features": ', page.features, b"}"))
    response = HttpResponse(body, content_type=GEOJSON)
    response["Content-Crs"] = f"<{CRS84}>"
    return response


@ogc_view
def item(request, collection_id, feature_id):
    layer = layer_or_404(collection_id)
    filters = request_filters(request, layer)
    feature = sql.item(layer=layer, user=request.user, fid=feature_id, filters=filters)
    if feature is None:
        raise NotFound(_("no feature %(id)s in %(layer)s within your jurisdiction")
                       % {"id": feature_id, "layer": layer.name})
    base = base_url(request)
    links = [link(f"{base}/collections/{layer.name}/items/{feature_id}", "self", GEOJSON),
             link(f"{base}/collections/{layer.name}", "collection", JSON, str(layer.title))]
    body = feature[:-1] + ', "links": ' + json.dumps(links, ensure_ascii=False) + "}"
    response = HttpResponse(body.encode(), content_type=GEOJSON)
    response["Content-Crs"] = f"<{CRS84}>"
    return response
