"""The background-job API (docs/JOBS.md): list and read jobs (the progress bars poll these), cancel one, download
its file, and start an export as a job. Thin views over layers.selectors.jobs and layers.services.jobs."""
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, renderer_classes
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .. import catalogue
from ..io.exporters import CRS_URI, EXPORTERS
from ..selectors import jobs as reads
from ..services import jobs as svc
from .openapi import ErrorSerializer

ERROR = ErrorSerializer
JOB = OpenApiResponse(OpenApiTypes.OBJECT, description="A job: id, kind, title, status (queued, running, done, "
                      "failed, cancelled), done and total, percent, message (in the user's language), whether it "
                      "can be cancelled, links (download of its file, its result page), timestamps.")


@extend_schema(summary="The user's background jobs, newest first (everybody's for administrators and officials)",
               operation_id="jobs_list", tags=["jobs"],
               responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="{jobs: [job]}"),
                                         403: ERROR})
@api_view(["GET"])
def jobs(request):
    return Response({"jobs": [reads.job_json(j, user=request.user) for j in reads.jobs_visible(user=request.user)]})


@extend_schema(summary="One background job: its status and progress", operation_id="jobs_retrieve", tags=["jobs"],
               responses={200: JOB, 403: ERROR, 404: ERROR})
@api_view(["GET"])
def job_detail(request, pk: int):
    return Response(reads.job_json(reads.job_get(user=request.user, pk=pk), user=request.user))


@extend_schema(summary="Cancel a job: a queued one at once, a running one at its next chunk (nothing is kept)",
               tags=["jobs"], request=None, responses={200: JOB, 403: ERROR, 404: ERROR, 409: ERROR})
@api_view(["POST"])
def job_cancel(request, pk: int):
    job = svc.job_cancel(user=request.user, job_id=pk)
    return Response(reads.job_json(job, user=request.user))


@extend_schema(summary="The file a finished job wrote (an export)", tags=["jobs"],
               responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY),
                          400: ERROR, 403: ERROR, 404: ERROR})
@api_view(["GET"])
@renderer_classes([JSONRenderer])
def job_download(request, pk: int):
    job = svc.job_download(user=request.user, job_id=pk)
    response = FileResponse(job.result_file.open("rb"), as_attachment=True, filename=job.result_name,
                            content_type=job.result.get("content_type") or "application/octet-stream")
    if job.kind == "export":
        response["Content-Crs"] = f"<{CRS_URI}>"
    return response


@extend_schema(
    summary="Export one layer as a background job",
    description="The same layer, format and filters as GET /api/export/<layer>.<fmt> (query string), without its "
                "feature limit: the worker writes the file, the job list offers it for download. Answers 202 with "
                "the job.",
    tags=["jobs"], request=None,
    parameters=[
        OpenApiParameter("layer", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(catalogue.feature_layers())),
        OpenApiParameter("fmt", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(EXPORTERS)),
    ],
    responses={202: JOB, 400: ERROR, 403: ERROR, 404: ERROR},
)
@api_view(["POST"])
def export_job(request, layer: str, fmt: str):
    job = svc.export_job_start(user=request.user, layer=layer, fmt=fmt, query=request.query_params.dict())
    return Response(reads.job_json(job, user=request.user), status=status.HTTP_202_ACCEPTED)
