"""Officials' complaint endpoints (docs/COMPLAINTS.md "Officials' view"): the hotspot points of a date range."""
from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from ..refusals import Invalid
from ..selectors import supervision
from . import openapi as doc
from .drf import LoggedInElseLogInPage
from .validation import BBoxParam, DateParam, validated_query

# A hotspot map spans at most a few years (the demo holds one); longer ranges only slow the query.
HOTSPOT_MAX_DAYS = 3 * 366


class HotspotQuery(serializers.Serializer):
    to = DateParam(required=False, help_text="last day received; default today")
    bbox = BBoxParam(required=False, help_text="minx,miny,maxx,maxy in longitude/latitude degrees; default: all")

    def get_fields(self):  # "from" is a Python keyword
        fields = super().get_fields()
        fields["from"] = DateParam(required=False, help_text="first day received; default 365 days before `to`")
        return fields


class HotspotSerializer(serializers.Serializer):
    points = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2),
        help_text="[latitude, longitude] of each complaint, newest first, at most 20,000.")


@extend_schema(
    tags=["complaints"],
    summary="Complaints received in a date range, as heat-layer points (the user's complaint scope)",
    parameters=[HotspotQuery],
    responses={200: HotspotSerializer, **doc.errors(400), **doc.LOG_IN_REDIRECT},
)
@api_view(["GET", "HEAD"])
@permission_classes([LoggedInElseLogInPage])
def hotspots(request):
    query = validated_query(HotspotQuery, request)
    end = query.get("to") or timezone.localdate()
    start = query.get("from") or end - datetime.timedelta(days=365)
    if start > end:
        raise Invalid(_("from must not be after to"), field="from")
    if (end - start).days > HOTSPOT_MAX_DAYS:
        raise Invalid(_("from–to spans more than %(max)d days") % {"max": HOTSPOT_MAX_DAYS}, field="from")
    points = supervision.complaint_hotspot_points(user=request.user, start=start, end=end, bbox=query.get("bbox"))
    return Response({"from": start.isoformat(), "to": end.isoformat(), "points": points})
