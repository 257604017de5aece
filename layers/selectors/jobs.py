"""Reads of background jobs (docs/JOBS.md): a user's jobs (everybody's for the roles that see all) and one job."""
from __future__ import annotations

from django.urls import reverse

from ..models import Job, JobKind, JobStatus
from ..permissions import CHANGE, VIEW, get_restricted, may, restrict

LIST_MAX = 200


def jobs_visible(*, user, limit: int = LIST_MAX) -> list[Job]:
    """The newest jobs the user may see."""
    return list(restrict(Job.objects.select_related("user"), user, VIEW).order_by("-created_at", "-id")[:limit])


def job_get(*, user, pk: int) -> Job:
    """One job in the user's scope: 403 for a refused role, 404 when absent or somebody else's."""
    return get_restricted(Job.objects.select_related("user"), user, VIEW, pk=pk)


def job_json(job: Job, *, user) -> dict:
    """A job as the job list, the progress bars and the API show it."""
    links = {}
    if job.status == JobStatus.DONE and job.result_file:
        links["download"] = reverse("api:job-download", args=[job.pk])
    if job.kind == JobKind.PLAN_PROPOSAL and job.result.get("plan"):
        links["result"] = reverse("plan-detail", args=[job.result["plan"]])
    cancellable = (not job.finished and not job.cancel_requested
                   and restrict(Job.objects.filter(pk=job.pk), user, CHANGE).exists()) if may(user, Job, CHANGE) \
        else False
    return {
        "id": job.pk, "kind": job.kind, "kind_label": str(job.get_kind_display()), "title": job.title,
        "status": job.status, "status_label": str(job.get_status_display()), "finished": job.finished,
        "done": job.done, "total": job.total,
        "percent": round(100 * job.done / job.total) if job.total else (100 if job.status == JobStatus.DONE else 0),
        "message": job.message, "cancel_requested": job.cancel_requested, "cancellable": cancellable,
        "attempts": job.attempts, "user": job.user.get_username(),
        "result": job.result, "result_name": job.result_name, "links": links,
        "url": reverse("api:job-detail", args=[job.pk]),
        "cancel_url": reverse("api:job-cancel", args=[job.pk]),
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }
