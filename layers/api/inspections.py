"""JSON endpoint for daily inspections (docs/INSPECTIONS.md): GET the inspections in the user's scope, POST one
(multipart, with its photos). Rules in services.inspections, reads in selectors.inspections; refusals answered by
the API's one exception handler ({"error", "field"?}: 400 input, 401 not logged in, 403 role, 404 scope)."""
import json

from django.contrib.gis.geos import Point
from django.core.paginator import Paginator
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes
from rest_framework.response import Response

from ..models import Inspection
from ..permissions import ADD, require
from ..refusals import Invalid
from ..selectors import inspections as selectors
from ..services.inspections import inspection_record
from . import openapi as doc
from .drf import TOKEN_FIRST
from .idempotency import idempotent_view
from .validation import DateParam, WholeNumber, photo_meta_by_field, validated_body, validated_query

PER_PAGE = 100


class InspectionListQuery(serializers.Serializer):
    estate = WholeNumber(required=False, min_value=1, max_value=2**31 - 1, help_text="An estate's id")
    street = WholeNumber(required=False, min_value=1, max_value=2**31 - 1, help_text="A street's id")
    enterprise = WholeNumber(required=False, min_value=1, max_value=2**31 - 1,
                             help_text="The enterprise serving the estate on the day")
    year = WholeNumber(required=False, min_value=1900, max_value=2100)
    page = WholeNumber(required=False, min_value=1, max_value=100000, help_text="1-based")


class InspectionCreateSerializer(serializers.Serializer):
    estate = WholeNumber(help_text="The estate inspected (in the user's area)")
    scores = serializers.CharField(
        help_text='JSON object: checklist item id → score, or → {"score": n, "note": "…"}; every item of the '
                  "district's checklist in use, 0 ≤ score ≤ the item's maximum")
    inspected_on = DateParam(required=False, help_text="YYYY-MM-DD, default today; not in the future")
    note = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    lon = serializers.FloatField(required=False, min_value=-180, max_value=180)
    lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
    accuracy_m = serializers.FloatField(required=False, min_value=0, help_text="The position's accuracy in metres")
    photos = serializers.ListField(child=doc.UploadField(allow_empty_file=True), required=False,
                                   help_text="JPEG, PNG or WebP photos (repeat the field); photo_<item id> for an "
                                             "item's photo")
    photo_meta = serializers.CharField(
        required=False, help_text='JSON object "<file field>#<n>" → {"taken_at": ISO time, "lon", "lat"}: when and where '
                                  "the n-th file (from 0) of that field was taken, sent by the phone (its resized "
                                  "copy has no EXIF); without it a JPEG's EXIF is read")


class ItemScoreSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    name = serializers.CharField()
    score = serializers.IntegerField()
    max_score = serializers.IntegerField()
    note = serializers.CharField()


class InspectionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    estate = serializers.IntegerField()
    estate_name = serializers.CharField()
    street = serializers.IntegerField()
    community = serializers.IntegerField()
    inspected_on = serializers.DateField()
    provider_kind = serializers.CharField()
    enterprise = serializers.IntegerField(allow_null=True)
    total_score = serializers.IntegerField()
    max_score = serializers.IntegerField()
    percent = serializers.FloatField()
    inspector = serializers.CharField()
    position = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    accuracy_m = serializers.FloatField(allow_null=True)
    note = serializers.CharField()
    scores = ItemScoreSerializer(many=True, required=False)
    photos = serializers.ListField(child=serializers.CharField(), required=False)


class InspectionPageSerializer(serializers.Serializer):
    inspections = InspectionSerializer(many=True)
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()


def inspection_data(inspection: Inspection, *, full: bool = False) -> dict:
    data = {
        "id": inspection.pk, "estate": inspection.estate_id, "estate_name": inspection.estate.name,
        "street": inspection.street_id, "community": inspection.community_id,
        "inspected_on": inspection.inspected_on.isoformat(), "provider_kind": inspection.provider_kind,
        "enterprise": inspection.enterprise_id, "total_score": inspection.total_score,
        "max_score": inspection.max_score, "percent": inspection.percent,
        "inspector": inspection.inspector.get_full_name() or inspection.inspector.username,
        "position": [inspection.location.x, inspection.location.y] if inspection.location else None,
        "accuracy_m": inspection.accuracy_m, "note": inspection.note,
    }
    if full:
        data["scores"] = [{"item": s.item_id, "name": s.item.name, "score": s.score, "max_score": s.item.max_score,
                           "note": s.note} for s in inspection.scores.all()]
        data["photos"] = [f"/inspections/photos/{p.pk}/" for p in inspection.photos.all()]
    return data


def _scores(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError:
        raise Invalid(_("The scores are not a JSON object of item ids and scores."), field="scores") from None
    if not isinstance(value, dict):
        raise Invalid(_("The scores are not a JSON object of item ids and scores."), field="scores")
    return {key: (v.get("score"), v.get("note", "")) if isinstance(v, dict) else v for key, v in value.items()}


@extend_schema(
    tags=["inspections"], operation_id="inspections_list", methods=["GET"],
    summary="Daily inspections the user may read, newest first, 100 a page",
    parameters=[InspectionListQuery],
    responses={200: InspectionPageSerializer, **doc.errors(400, 401)},
)
@extend_schema(
    tags=["inspections"], operation_id="inspections_create", methods=["POST"],
    summary="Record an inspection of an estate (street office, community, district)",
    description="multipart/form-data with the photos; 201 with the inspection and its item scores.",
    request={"multipart/form-data": InspectionCreateSerializer},
    responses={201: InspectionSerializer, **doc.errors(400, 401, 403, 404)},
)
@api_view(["GET", "HEAD", "POST"])
@authentication_classes(TOKEN_FIRST)
@idempotent_view  # the phone's outbox: one inspection per Idempotency-Key, a lost answer replayed (docs/MOBILE.md)
def inspections(request):
    if request.method == "POST":
        require(request.user, Inspection, ADD)  # a refused role learns that before any input error
        body = validated_body(InspectionCreateSerializer, request)
        location = None
        if body.get("lon") is not None and body.get("lat") is not None:
            location = Point(body["lon"], body["lat"], srid=4326)
        meta = photo_meta_by_field(request)
        uploads = [(key, n, upload) for key in request.FILES if key.startswith("photo")
                   for n, upload in enumerate(request.FILES.getlist(key))]
        photos = [(upload, int(key[6:]) if key[6:].isdigit() else None) for key, _n, upload in uploads]
        inspection = inspection_record(
            photo_meta=[meta.get(f"{key}#{n}") for key, n, _upload in uploads],
            user=request.user, estate_id=body["estate"], scores=_scores(body["scores"]),
            inspected_on=body.get("inspected_on"), note=body.get("note", ""), photos=photos, location=location,
            accuracy_m=body.get("accuracy_m") if location is not None else None)
        return Response(inspection_data(selectors.inspection_detail(request.user, inspection.pk), full=True),
                        status=201)
    query = validated_query(InspectionListQuery, request)
    rows = selectors.inspections_for(request.user, estate_id=query.get("estate"), street_id=query.get("street"),
                                     enterprise_id=query.get("enterprise"), year=query.get("year"))
    page = Paginator(rows, PER_PAGE).get_page(query.get("page"))
    return Response({"inspections": [inspection_data(i) for i in page.object_list], "count": page.paginator.count,
                     "page": page.number, "pages": page.paginator.num_pages})
