"""JSON endpoints for one complaint case and its steps (docs/COMPLAINTS.md "Steps").

GET /api/complaints/<id>/ gives the case with its timeline and the steps the caller may take now;
GET /api/complaints/<id>/steps/ the timeline; POST it (multipart/form-data with attachments, or JSON) takes one step.
The rules live in services.complaint_steps (the table STEPS); refusals are answered by the API's one exception
handler: 400 input or a step the case's status does not allow, 401, 403 role or level, 404 scope, 409 closed case.
"""
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes
from rest_framework.response import Response

from ..models import Rating
from ..selectors import complaint_case as selectors
from ..services.complaint_steps import STEP_KINDS, complaint_step, steps_allowed
from . import openapi as doc
from .drf import TOKEN_FIRST
from .idempotency import idempotent_view
from .validation import DateParam, photo_meta_by_field, validated_body

CASE_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The complaint.")


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.CharField()
    taken_at = serializers.CharField(allow_null=True, help_text="A photo's capture time (the phone's or EXIF)")
    point = serializers.ListField(child=serializers.FloatField(), allow_null=True,
                                  help_text="[lon, lat] where the photo was taken, if known")


class ComplaintEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    level = serializers.CharField()
    note = serializers.CharField()
    user = serializers.CharField(allow_null=True, help_text="null: the system (automatic escalation)")
    created_at = serializers.DateTimeField()
    attachments = AttachmentSerializer(many=True)


class ComplaintCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order_no = serializers.CharField(allow_null=True)
    channel = serializers.CharField()
    received_at = serializers.DateTimeField()
    caller_words = serializers.CharField()
    address_text = serializers.CharField()
    category = serializers.DictField()
    district = serializers.CharField()
    street = serializers.CharField(allow_null=True)
    community = serializers.CharField(allow_null=True)
    estate = serializers.DictField(allow_null=True)
    enterprise = serializers.CharField(allow_null=True)
    provider_kind = serializers.CharField()
    department = serializers.CharField()
    level = serializers.CharField()
    status = serializers.CharField()
    rating = serializers.CharField()
    reopened = serializers.IntegerField()
    at_joint_meeting = serializers.BooleanField()
    sign_due = serializers.DateField()
    reply_due = serializers.DateField()
    close_due = serializers.DateField()
    overdue = serializers.DictField(child=serializers.BooleanField())
    location = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    joint_meeting = serializers.DictField(allow_null=True)
    steps_allowed = serializers.ListField(child=serializers.CharField())
    events = ComplaintEventSerializer(many=True)


class ComplaintStepsSerializer(serializers.Serializer):
    events = ComplaintEventSerializer(many=True)


class ComplaintStepCreateSerializer(serializers.Serializer):
    kind = doc.literal(*STEP_KINDS)
    note = doc.Text(required=False, allow_blank=True, trim_whitespace=False)
    department = doc.Text(required=False, allow_blank=True, help_text="transferred: the department (default: the "
                          "category's)")
    rating = doc.literal(*Rating.values, required=False, allow_blank=True, help_text="rated")
    agenda = doc.Text(required=False, allow_blank=True, help_text="joint_meeting")
    meeting_on = DateParam(required=False, allow_null=True, help_text="decided: YYYY-MM-DD")
    decision = doc.Text(required=False, allow_blank=True, help_text="decided")
    attachments = serializers.ListField(child=doc.UploadField(allow_empty_file=True), required=False,
                                        help_text="Photos (JPEG, PNG, WebP) or documents (PDF, .docx, .xlsx); repeat "
                                        "the field; each is checked by its bytes.")
    photo_meta = serializers.CharField(
        required=False, help_text='JSON object "<file field>#<n>" → {"taken_at": ISO time, "lon", "lat"}: when and where '
                                  "the n-th file (from 0) of that field was taken, sent by the phone (its resized "
                                  "copy has no EXIF); without it a JPEG's EXIF is read")


def _case(request, pk):
    complaint = selectors.complaint_get(user=request.user, pk=pk)
    return selectors.complaint_data(complaint, user=request.user, steps=steps_allowed(request.user, complaint))


@extend_schema(
    tags=["complaints"], operation_id="complaint_case",
    summary="One complaint with its timeline, deadlines and the steps the caller may take now",
    parameters=[CASE_ID],
    responses={200: ComplaintCaseSerializer, **doc.errors(401, 404)},
)
@api_view(["GET", "HEAD"])
@authentication_classes(TOKEN_FIRST)
def complaint_detail(request, pk):
    return Response(_case(request, pk))


@extend_schema(
    tags=["complaints"], operation_id="complaint_steps_list", methods=["GET"],
    summary="The case's steps, oldest first", parameters=[CASE_ID],
    responses={200: ComplaintStepsSerializer, **doc.errors(401, 404)},
)
@extend_schema(
    tags=["complaints"], operation_id="complaint_steps_create", methods=["POST"],
    summary="Take one step on the case (sign, transfer, escalate, reply, check, rate, close, reopen, joint meeting)",
    description="Who may take which step at which level: docs/COMPLAINTS.md \"Steps\". 201 with the case.",
    parameters=[CASE_ID],
    request={"multipart/form-data": ComplaintStepCreateSerializer, "application/json": ComplaintStepCreateSerializer},
    responses={201: ComplaintCaseSerializer, **doc.errors(400, 401, 403, 404, 409)},
)
@api_view(["GET", "HEAD", "POST"])
@authentication_classes(TOKEN_FIRST)
@idempotent_view  # the phone's outbox: one step per Idempotency-Key, a refusal (409 closed) replayed as given
def complaint_steps(request, pk):
    if request.method != "POST":
        complaint = selectors.complaint_get(user=request.user, pk=pk)
        return Response({"events": [selectors.event_data(e) for e in selectors.complaint_events(complaint)]})
    selectors.complaint_get(user=request.user, pk=pk)  # 404 outside the scope before any input error
    body = validated_body(ComplaintStepCreateSerializer, request)
    meta = photo_meta_by_field(request)
    complaint_step(user=request.user, complaint_id=pk, kind=body["kind"], note=body.get("note") or "",
                   department=body.get("department") or "", rating=body.get("rating") or "",
                   agenda=body.get("agenda") or "", meeting_on=body.get("meeting_on"),
                   decision=body.get("decision") or "", attachments=request.FILES.getlist("attachments"),
                   attachment_meta=[meta.get(f"attachments#{n}")
                                    for n in range(len(request.FILES.getlist("attachments")))])
    return Response(_case(request, pk), status=201)
