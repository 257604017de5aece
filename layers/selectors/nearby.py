"""What is near a point, for the phone app's "near me" (docs/MOBILE.md): estates and buildings, nearest first.

Always through permissions.restrict(): a street office gets its street's estates and buildings only, a community
its community's. Distances are metres on the ground (geography), from the footprint's edge (0 inside it).
"""
from __future__ import annotations

from django.db.models import FloatField
from django.db.models.expressions import RawSQL

from ..models import Building, Estate
from ..permissions import VIEW, restrict

NEARBY_LIMIT = 20  # per kind: a phone screen's list, not a search


def _distance(table: str, lon: float, lat: float) -> RawSQL:
    return RawSQL(
        f"ST_Distance(ST_Transform({table}.geom, 4326)::geography, "
        "ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography)",
        (lon, lat), output_field=FloatField(),
    )


def nearby(*, user, lon: float, lat: float, limit: int = NEARBY_LIMIT) -> dict:
    """{"estates": [...], "buildings": [...]}: the `limit` nearest of each in the user's scope, with distance_m."""
    limit = max(1, min(limit, NEARBY_LIMIT))
    estates = (
        restrict(Estate.objects.all(), user, VIEW)
        .annotate(distance_m=_distance("layers_estate", lon, lat))
        .order_by("distance_m", "pk")
        .values("pk", "name", "address", "distance_m")[:limit]
    )
    buildings = (
        restrict(Building.objects.all(), user, VIEW)
        .annotate(distance_m=_distance("layers_building", lon, lat),
                  centroid=RawSQL("ST_AsText(ST_Transform(ST_PointOnSurface(layers_building.geom), 4326))", ()))
        .select_related("estate")
        .order_by("distance_m", "pk")[:limit]
    )
    return {
        "estates": [
            {"id": e["pk"], "name": e["name"], "address": e["address"], "distance_m": round(e["distance_m"], 1)}
            for e in estates
        ],
        "buildings": [
            {"id": b.pk, "label": b.label, "estate": b.estate.name, "estate_id": b.estate_id,
             "abandonment": b.abandonment, "abandonment_label": str(b.get_abandonment_display()),
             "distance_m": round(b.distance_m, 1), "centroid": _lonlat(b.centroid)}
            for b in buildings
        ],
    }


def building_outlines(*, user, lon: float, lat: float, radius_m: float = 300) -> list[dict]:
    """The footprints (GeoJSON, WGS84) of the buildings within `radius_m` of the point in the user's scope: what the
    phone's map draws so that a building can be tapped."""
    rows = (
        restrict(Building.objects.all(), user, VIEW)
        .annotate(distance_m=_distance("layers_building", lon, lat),
                  centroid=RawSQL("ST_AsText(ST_Transform(ST_PointOnSurface(layers_building.geom), 4326))", ()),
                  outline=RawSQL("ST_AsGeoJSON(ST_Transform(layers_building.geom, 4326), 6)", ()))
        .filter(distance_m__lte=radius_m)
        .select_related("estate")
        .order_by("distance_m")[:200]
    )
    return [{"id": b.pk, "name": str(b), "abandonment": b.abandonment, "outline": b.outline,
             "centroid": _lonlat(b.centroid)} for b in rows]


def _lonlat(wkt: str) -> list[float]:
    x, y = wkt[wkt.index("(") + 1:wkt.index(")")].split()
    return [round(float(x), 6), round(float(y), 6)]
