"""Complaints taken in (DOMAIN.md "Supervision"; docs/COMPLAINTS.md "Intake"): GET /api/complaints/ (the user's,
filtered, 50 a page), POST /api/complaints/ (one complaint), POST /api/complaints/import/ (a hotline export: dry
run, or commit — in the request, or as a background job when it has more than IMPORT_JOB_ROWS orders)."""
from django.conf import settings
from django.core.paginator import Paginator
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, parser_classes
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from ..models import Channel, Complaint, ComplaintStatus
from ..permissions import ADD, require
from ..selectors.complaint_list import PER_PAGE, complaint_data, complaints
from ..services import complaint_import as importer
from ..services.complaints import complaint_create
from ..services.jobs import complaint_import_job_start
from . import openapi as doc
from .drf import StrictJSONParser
from .validation import DateParam, validated_body, validated_query


class ComplaintListQuery(serializers.Serializer):
    status = doc.literal(*ComplaintStatus.values, required=False)
    category = doc.WholeNumber(required=False, help_text="a category id of the district's routing table")
    channel = doc.literal(*Channel.values, required=False)
    overdue = doc.literal("true", "false", required=False, help_text="past a deadline not yet met (or not)")
    date_from = DateParam(required=False, help_text="received on or after, YYYY-MM-DD")
    date_to = DateParam(required=False, help_text="received on or before, YYYY-MM-DD")
    street = doc.WholeNumber(required=False, help_text="a street id")
    to_confirm = doc.literal("true", "false", required=False,
                             help_text="true: no estate yet (the address was not matched; a person picks it)")
    page = doc.WholeNumber(required=False, help_text="1-based")


class ComplaintCreateSerializer(serializers.Serializer):
    channel = doc.literal(*Channel.values)
    received_at = serializers.DateTimeField(required=False, help_text="default: now")
    caller_words = doc.Text(help_text="what the resident said")
    address_text = doc.Text(required=False, allow_blank=True, default="")
    category = doc.WholeNumber(required=False, allow_null=True,
                               help_text="category id; default: found from the words, else “other”")
    estate = doc.WholeNumber(required=False, allow_null=True, help_text="estate id; none: the case is to confirm")
    building = doc.WholeNumber(required=False, allow_null=True)
    caller_name = doc.Text(required=False, allow_blank=True, default="")
    caller_phone = doc.Text(required=False, allow_blank=True, default="")
    order_no = doc.Text(required=False, allow_blank=True, allow_null=True)
    district = doc.WholeNumber(required=False, allow_null=True,
                               help_text="district id, for users who are not of one district and give no estate")


class RefOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ComplaintOut(serializers.Serializer):
    id = serializers.IntegerField()
    order_no = serializers.CharField(allow_null=True)
    channel = serializers.CharField()
    channel_label = serializers.CharField()
    received_at = serializers.DateTimeField()
    caller_words = serializers.CharField()
    address_text = serializers.CharField()
    hotline_category = serializers.CharField()
    category = serializers.DictField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    level = serializers.CharField()
    district = RefOut()
    street = RefOut(allow_null=True)
    community = RefOut(allow_null=True)
    estate = serializers.DictField(allow_null=True)
    building_id = serializers.IntegerField(allow_null=True)
    match_confidence = serializers.FloatField(allow_null=True)
    enterprise = RefOut(allow_null=True)
    department = serializers.CharField()
    sign_due = serializers.DateField()
    reply_due = serializers.DateField()
    close_due = serializers.DateField()
    overdue = serializers.BooleanField()
    to_confirm = serializers.BooleanField()
    links = serializers.DictField(help_text="case: the case page")


class ComplaintPageOut(serializers.Serializer):
    complaints = ComplaintOut(many=True)
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()


class ComplaintImportSerializer(serializers.Serializer):
    file = doc.UploadField(allow_empty_file=True, help_text=".xlsx or .csv (UTF-8 or GBK) exported by the hotline")
    dry_run = serializers.BooleanField(required=False, default=True,
                                       help_text="true (default): report only; false: take the orders in")
    district = doc.WholeNumber(required=False, allow_null=True)
    channel = doc.literal(*importer.SOURCES, required=False, help_text="hotline of rows without a 来源 column")


IMPORT_REPORT = OpenApiResponse(description="The per-row report: rows, counts {new, to_confirm, existing, "
                                "duplicate, error}, to_add, errors [{row, column, message}], orders [{row, order_no, "
                                "status, estate, confidence, category, …}]; after a commit also added and "
                                "already_there.")
IMPORT_JOB = OpenApiResponse(description="More than IMPORT_JOB_ROWS orders: {job: {id, …}} — the commit runs as a "
                             "background job (GET /api/jobs/<id>/).")


def _flag(value):
    return None if value is None else value == "true"


@extend_schema(
    tags=["supervision"], operation_id="complaints_list", methods=["GET"],
    summary="Complaints in the user's scope, newest first, 50 a page",
    parameters=[ComplaintListQuery], responses={200: ComplaintPageOut, **doc.errors(400, 403)},
)
@extend_schema(
    tags=["supervision"], operation_id="complaints_create", methods=["POST"],
    summary="Take in one complaint (community, street office, district)",
    request=ComplaintCreateSerializer, responses={201: ComplaintOut, **doc.errors(400, 403, 404)},
)
@api_view(["GET", "POST"])
@parser_classes([StrictJSONParser, FormParser])
def complaint_list(request):
    if request.method == "POST":
        require(request.user, Complaint, ADD)
        body = validated_body(ComplaintCreateSerializer, request)
        complaint = complaint_create(
            user=request.user, channel=body["channel"], received_at=body.get("received_at") or timezone.now(),
            caller_words=body["caller_words"], address_text=body.get("address_text") or "",
            category_id=body.get("category"), estate_id=body.get("estate"), building_id=body.get("building"),
            caller_name=body.get("caller_name") or "", caller_phone=body.get("caller_phone") or "",
            order_no=body.get("order_no") or None, district_id=body.get("district"))
        return Response(complaint_data(complaints(user=request.user).get(pk=complaint.pk)), status=201)
    query = validated_query(ComplaintListQuery, request)
    rows = complaints(user=request.user, status=query.get("status"), category=query.get("category"),
                      channel=query.get("channel"), overdue=_flag(query.get("overdue")),
                      date_from=query.get("date_from"), date_to=query.get("date_to"), street=query.get("street"),
                      to_confirm=_flag(query.get("to_confirm")))
    page = Paginator(rows, PER_PAGE).get_page(query.get("page"))
    today = timezone.localdate()
    return Response({"complaints": [complaint_data(c, today) for c in page.object_list],
                     "count": page.paginator.count, "page": page.number, "pages": page.paginator.num_pages})


@extend_schema(
    tags=["supervision"], operation_id="complaints_import",
    summary="Import a hotline work-order export (dry run, then commit)",
    request={"multipart/form-data": ComplaintImportSerializer},
    responses={200: IMPORT_REPORT, 202: IMPORT_JOB, **doc.errors(400, 403, 413)},
)
@api_view(["POST"])
@parser_classes([MultiPartParser, FormParser])
def complaint_import(request):
    importer.require_importer(request.user)
    body = validated_body(ComplaintImportSerializer, request)
    upload = body["file"]
    if upload.size > importer.MAX_BYTES:
        raise importer.too_large(upload.name)
    data = upload.read()
    kwargs = dict(user=request.user, data=data, name=upload.name, district_id=body.get("district"),
                  default_channel=importer.SOURCES[body.get("channel") or "12345"])
    if body.get("dry_run", True):
        return Response(importer.complaint_import_check(**kwargs))
    if importer.count_rows(data, upload.name) > settings.IMPORT_JOB_ROWS:
        job = complaint_import_job_start(**kwargs)
        return Response({"job": {"id": job.pk, "status": job.status, "links": {"job": f"/api/jobs/{job.pk}/"}}},
                        status=202)
    return Response(importer.complaint_import_commit(**kwargs))
