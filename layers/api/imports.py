"""The import API (docs/IMPORT.md): upload a file, dry-run it with a field mapping and coordinate choices, commit it.

Thin DRF views over layers.services.imports, their bodies read by the serializers the schema documents; refusals are
answered by the API's one exception handler, {"error": …} (and the per-row "report") with 400 (bad file or choice),
403 (role), 404 (no such job), 409 (already committed / not checked yet), 413 (file too large).
"""
from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from ..io.readers import file_size
from ..models import ImportJob
from ..permissions import ADD, require
from ..refusals import TooLarge
from ..selectors import jobs as job_reads
from ..services import imports as svc
from ..services import jobs as job_services
from .drf import StrictJSONParser
from .openapi import ErrorSerializer, Text, UploadField, WholeNumber
from .validation import validated_body

ERROR = ErrorSerializer
JOB = OpenApiResponse(OpenApiTypes.OBJECT, description="The job: id, status, target, file name, mapping, srid, "
                      "gcj02 choice, and its report (file description; after a dry run: summary, per-row errors and "
                      "warnings, crs, gcj02 verdict, unusual rows, preview GeoJSON).")


MULTIPART_OVERHEAD = 64 * 1024


class ImportUploadSerializer(serializers.Serializer):
    file = UploadField(allow_empty_file=True, help_text=".geojson, .gpkg, .zip (one shapefile) or .csv")
    target = serializers.ChoiceField(choices=list(svc.IMPORTERS))


class ImportCheckSerializer(serializers.Serializer):
    mapping = serializers.DictField(child=serializers.CharField(allow_blank=True, allow_null=True),
                                    help_text="{field: source column}")
    srid = WholeNumber(required=False, allow_null=True,
                       help_text="EPSG code of the coordinates; required when the file names none")
    gcj02 = serializers.ChoiceField(choices=["convert", "bd09", "keep", ""], required=False, allow_null=True,
                                    allow_blank=True, help_text="the positions come from a commercial map: convert "
                                    "them from GCJ-02 (“convert”: AMap/Gaode, Tencent) or from BD-09 (“bd09”: "
                                    "Baidu) to CGCS2000; or “keep” them as they are")


class ImportCommitSerializer(serializers.Serializer):
    reason = Text(required=False, allow_blank=True, allow_null=True,
                  help_text="kept in management areas' history; default “Import <file name>”")
    confirm_unusual = serializers.BooleanField(
        required=False, default=False,
        help_text="import all the same when the dry run flagged rows far from the district (report.unusual.far) or "
                  "severalfold the stored area (report.unusual.ratio); without it such a commit is refused (400)")


def job_json(job: ImportJob) -> dict:
    return {"id": job.pk, "status": job.status, "target": job.target, "file_name": job.file_name,
            "mapping": job.mapping, "srid": job.srid, "gcj02": job.gcj02, "reason": job.reason,
            "user": job.user.get_username() if job.user else None, "created_at": job.created_at.isoformat(),
            "committed_at": job.committed_at.isoformat() if job.committed_at else None, "report": job.report}


@extend_schema(
    summary="Upload a file to import", operation_id="imports_create", tags=["imports"],
    request={"multipart/form-data": ImportUploadSerializer},
    responses={201: JOB, 400: ERROR, 403: ERROR, 413: ERROR},
)
@api_view(["POST"])
@parser_classes([MultiPartParser, FormParser])
def import_jobs(request):
    require(request.user, ImportJob, ADD)
    # Refuse an oversized body before it is parsed (and spooled to disk); the form's own fields need little room.
    max_bytes = svc.limits().max_bytes
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > max_bytes + MULTIPART_OVERHEAD:
        raise TooLarge(_("The upload is %(size)s; files up to %(max)s may be imported.")
                       % {"size": file_size(declared), "max": file_size(max_bytes)})
    body = validated_body(ImportUploadSerializer, request)
    job, _description = svc.import_job_create(user=request.user, upload=body["file"], target=body["target"])
    return Response(job_json(job), status=status.HTTP_201_CREATED)


@extend_schema(summary="An import job and its last report", operation_id="imports_retrieve", tags=["imports"],
               responses={200: JOB, 403: ERROR, 404: ERROR})
@api_view(["GET"])
def import_job(request, pk: int):
    return Response(job_json(svc.import_job_get(user=request.user, job_id=pk)))


@extend_schema(
    summary="Dry run: check every row with this mapping and these coordinate choices; writes nothing but the job",
    operation_id="imports_check", tags=["imports"],
    description="A file of more than IMPORT_JOB_ROWS rows (2,000) is checked by the background worker: 202 with "
                "the import and its background job under \"job\" (docs/JOBS.md); the report is then stored with "
                "the import (GET /api/imports/<id>/).",
    request=ImportCheckSerializer,
    responses={200: JOB, 202: JOB, 400: ERROR, 403: ERROR, 404: ERROR, 409: ERROR},
)
@api_view(["POST"])
@parser_classes([StrictJSONParser])
def import_job_check(request, pk: int):
    data = validated_body(ImportCheckSerializer, request)
    record = svc.import_job_get(user=request.user, job_id=pk)
    if svc.import_file_rows(record) > settings.IMPORT_JOB_ROWS:
        # A large file: the worker runs the dry run (the same check); the page follows its progress, then reads
        # the report stored with the import.
        job = job_services.import_check_job_start(user=request.user, import_job_id=pk, mapping=data["mapping"],
                                                  srid=data.get("srid"), gcj02_choice=data.get("gcj02"))
        return Response({**job_json(record), "job": job_reads.job_json(job, user=request.user)},
                        status=status.HTTP_202_ACCEPTED)
    job = svc.import_job_check(user=request.user, job_id=pk, mapping=data["mapping"], srid=data.get("srid"),
                               gcj02_choice=data.get("gcj02"))
    return Response(job_json(job))


@extend_schema(
    summary="Commit a checked job: every row in one transaction, or none", operation_id="imports_commit",
    description="A file of more than IMPORT_JOB_ROWS rows (2,000) is committed by the background worker: 202 with "
                "the import and its background job under \"job\" (docs/JOBS.md).",
    tags=["imports"],
    request=ImportCommitSerializer,
    responses={200: JOB, 202: JOB, 400: ERROR, 403: ERROR, 404: ERROR, 409: ERROR},
)
@api_view(["POST"])
@parser_classes([StrictJSONParser])
def import_job_commit(request, pk: int):
    data = validated_body(ImportCommitSerializer, request)
    record = svc.import_job_get(user=request.user, job_id=pk)
    if svc.import_job_rows(record) > settings.IMPORT_JOB_ROWS:
        # A large file: the worker commits it (the same one transaction); the page follows the job's progress.
        job = job_services.import_job_start(user=request.user, import_job_id=pk, reason=data.get("reason") or "",
                                             confirm_unusual=data.get("confirm_unusual", False))
        return Response({**job_json(record), "job": job_reads.job_json(job, user=request.user)},
                        status=status.HTTP_202_ACCEPTED)
    job = svc.import_job_commit(user=request.user, job_id=pk, reason=data.get("reason") or "",
                                confirm_unusual=data.get("confirm_unusual", False))
    return Response(job_json(job))
