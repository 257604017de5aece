"""Background jobs (docs/JOBS.md): start, cancel, run in the worker, and find the jobs whose worker died.

The queue is django-q2 with its ORM broker (a table in this database, no other server): starting a job writes the
Job row and its queue entry in one transaction. The worker (`manage.py qcluster`) calls job_run(job id).

While a worker runs a job it holds a PostgreSQL advisory lock on the job's id, on a connection of its own (which
also writes the progress and reads the cancel flag, in autocommit, so the page sees them while the job's own
transaction is open). PostgreSQL drops that lock the moment the worker's connection closes — the worker finished,
crashed or was killed — so "running, and nobody holds its lock" means the worker died: jobs_sweep() (run when a
worker process starts and before each job) queues such a job again, up to JOBS_MAX_ATTEMPTS runs, then marks it
failed with a message. Nothing is half-written: each job writes in one transaction (an import: every row or none;
a plan: the plan and all its bundles), and an export's file is saved only once it is complete.
"""
from __future__ import annotations

import datetime
import logging
import os
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from .. import catalogue
from ..filters import filters_from
from ..io import exporters
from ..models import ImportJob, ImportStatus, Job, JobKind, JobStatus, TakeoverPlan
from ..permissions import ADD, CHANGE, VIEW, get_restricted, require
from ..refusals import Conflict, Invalid, NotFound, Refusal
from . import imports as import_service
from . import plans as plan_service

log = logging.getLogger(__name__)

LOCK_NAMESPACE = 0x6A6F62  # pg_advisory_lock(LOCK_NAMESPACE, job id): "held by the worker running the job"
TASK = "layers.services.jobs.job_run"


def setting(name: str, default):
    return type(default)(getattr(settings, name, default))


class JobCancelled(Exception):
    """The job's owner asked to stop it: the job's transaction rolls back."""


# --- starting and cancelling (web requests) -----------------------------------------------------------------------

def _enqueue(job: Job) -> None:
    async_task(TASK, job.pk, task_name=f"job-{job.pk}")


def job_start(*, user, kind: str, title: str, params: dict, import_job: ImportJob | None = None) -> Job:
    """A queued job owned by `user` and its queue entry, in one transaction."""
    require(user, Job, ADD)
    params = {**params, "language": translation.get_language() or settings.LANGUAGE_CODE}
    with transaction.atomic():
        job = Job.objects.create(kind=kind, title=title[:200], user=user, params=params, import_job=import_job,
                                 message=_("Waiting for the worker"))
        _enqueue(job)
    return job


def export_job_start(*, user, layer: str, fmt: str, query: dict) -> Job:
    """A whole-layer (or any too large) export as a job; the filters are checked now and applied when it runs."""
    feature_layer = catalogue.feature_layer(layer)
    if feature_layer is None:
        raise NotFound(_("unknown layer %(layer)r; layers: %(layers)s")
                       % {"layer": layer, "layers": ", ".join(catalogue.feature_layers())})
    exporter = exporters.get_exporter(fmt)
    if exporter is None:
        raise NotFound(_("unknown format %(format)r; formats: %(formats)s")
                       % {"format": fmt, "formats": ", ".join(exporters.EXPORTERS)})
    filters_from(query, feature_layer)  # a bad filter is refused now, not in the worker
    title = _("Export %(layer)s as %(format)s") % {"layer": feature_layer.title, "format": exporter.label}
    return job_start(user=user, kind=JobKind.EXPORT, title=title,
                     params={"layer": layer, "format": fmt, "query": dict(query)})


def import_job_start(*, user, import_job_id: int, reason: str = "", confirm_unusual: bool = False) -> Job:
    """The commit of a large checked import as a job (the same all-or-nothing commit, run by the worker)."""
    with transaction.atomic():
        record = get_restricted(ImportJob.objects.select_for_update(of=("self",)), user, VIEW, pk=import_job_id)
        require(user, ImportJob, ADD)
        if record.status != ImportStatus.CHECKED:
            raise Conflict(_("Run the dry run of “%(name)s” first.") % {"name": record.file_name})
        if Job.objects.filter(import_job=record, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).exists():
            raise Conflict(_("The import of “%(name)s” is already running.") % {"name": record.file_name})
        title = _("Import %(file)s") % {"file": record.file_name}
        return job_start(user=user, kind=JobKind.IMPORT, title=title, import_job=record,
                         params={"import_job": record.pk, "reason": reason, "confirm_unusual": confirm_unusual})


def plan_job_start(*, user, name: str, start_date, street_id=None, parameters: dict) -> Job:
    """A district-wide bundle proposal as a job; the plan's inputs are checked when it runs (plan_create)."""
    require(user, TakeoverPlan, ADD)
    title = _("Propose bundles: %(name)s") % {"name": (name or "").strip()[:120]}
    return job_start(user=user, kind=JobKind.PLAN_PROPOSAL, title=title, params={
        "name": name, "start_date": start_date.isoformat(), "street_id": street_id, "parameters": parameters})


def job_cancel(*, user, job_id: int) -> Job:
    """A queued job stops at once; a running one at its next chunk (its transaction then rolls back)."""
    with transaction.atomic():
        job = get_restricted(Job.objects.select_for_update(of=("self",)), user, CHANGE, pk=job_id)
        if job.finished:
            raise Conflict(_("This job has already finished (%(status)s).") % {"status": job.get_status_display()})
        if job.status == JobStatus.QUEUED:
            job.status, job.finished_at = JobStatus.CANCELLED, timezone.now()
            job.message = _("Cancelled before it started; nothing was written.")
        else:
            job.message = _("Cancelling…")
        job.cancel_requested = True
        job.save()
    return job


def job_download(*, user, job_id: int) -> Job:
    """A finished job with a result file, in the user's scope."""
    job = get_restricted(Job.objects.all(), user, VIEW, pk=job_id)
    if job.status != JobStatus.DONE or not job.result_file:
        raise Invalid(_("This job has no file to download."))
    return job


# --- running (the worker) -------------------------------------------------------------------------------------------

class Channel:
    """The running job's own autocommit connection: its advisory lock, its progress, its cancel flag."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.conn = connection.get_new_connection(connection.get_connection_params())
        self.conn.autocommit = True
        self.pause = setting("JOBS_CHUNK_PAUSE", 0.0)

    def _one(self, sql: str, params: list):
        with self.conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()

    def lock(self) -> bool:
        return self._one("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, self.job_id])[0]

    def close(self) -> None:
        self.conn.close()  # closing releases the lock

    def progress(self, done: int, total: int | None = None, message: str | None = None) -> None:
        """Write the progress (seen at once by the page) and stop if the owner asked to cancel."""
        row = self._one(
            "UPDATE layers_job SET done = %s, total = GREATEST(COALESCE(%s, total), %s), "
            "message = COALESCE(%s, message), updated_at = now() WHERE id = %s RETURNING cancel_requested",
            [done, total, done, message, self.job_id])
        if row is None or row[0]:
            raise JobCancelled()
        if self.pause:
            time.sleep(self.pause)


def _finish(job_id: int, status: str, message: str, **fields) -> None:
    Job.objects.filter(pk=job_id).update(status=status, message=message[:500], finished_at=timezone.now(),
                                         updated_at=timezone.now(), **fields)


def job_run(job_id: int) -> None:
    """The worker's task: run one job, unless another worker holds it or it has finished."""
    jobs_sweep()
    channel = Channel(job_id)
    try:
        if not channel.lock():
            return  # a second delivery of a job another worker is running
        job = Job.objects.filter(pk=job_id).select_related("user").first()
        if job is None or job.finished:
            return
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            _run_locked(job, channel)
    finally:
        channel.close()


def _run_locked(job: Job, channel: Channel) -> None:
    if job.cancel_requested:
        _finish(job.pk, JobStatus.CANCELLED, _("Cancelled before it started; nothing was written."))
        return
    if job.attempts >= setting("JOBS_MAX_ATTEMPTS", 2):
        _finish(job.pk, JobStatus.FAILED, _stopped_message(job.attempts))
        return
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=job.attempts + 1, done=0,
                                         started_at=timezone.now(), message=_("Started"), updated_at=timezone.now())
    try:
        message, fields = RUNNERS[job.kind](job, channel)
    except JobCancelled:
        _finish(job.pk, JobStatus.CANCELLED, _("Cancelled; nothing was written."))
    except Refusal as exc:
        _finish(job.pk, JobStatus.FAILED, _("Failed: %(reason)s Nothing was written.") % {"reason": exc})
    except Exception:
        log.exception("job %s failed", job.pk)
        _finish(job.pk, JobStatus.FAILED, _("Failed because of an error in the application; nothing was written. "
                                            "The administrator can find the details in the worker's log."))
    else:
        _finish(job.pk, JobStatus.DONE, message, **fields)


def _stopped_message(attempts: int) -> str:
    return _("The worker stopped while running this job (%(n)d time(s)); it was not tried again. Nothing was "
             "written: start it again.") % {"n": attempts}


def jobs_sweep() -> int:
    """Running jobs whose worker died (nobody holds their lock): queued again, or failed after the last attempt.
    Returns how many it found."""
    found = 0
    ids = list(Job.objects.filter(status=JobStatus.RUNNING).values_list("pk", flat=True))
    for job_id in ids:
        channel = Channel(job_id)
        try:
            if not channel.lock():
                continue  # its worker is alive
            job = Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).first()
            if job is None:
                continue  # it finished meanwhile
            found += 1
            with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
                if job.cancel_requested:
                    _finish(job.pk, JobStatus.CANCELLED, _("Cancelled; nothing was written."))
                elif job.attempts >= setting("JOBS_MAX_ATTEMPTS", 2):
                    _finish(job.pk, JobStatus.FAILED, _stopped_message(job.attempts))
                else:
                    with transaction.atomic():
                        Job.objects.filter(pk=job.pk).update(
                            status=JobStatus.QUEUED, done=0, updated_at=timezone.now(),
                            message=_("The worker stopped while running this job; it was queued again "
                                      "(nothing had been written)."))
                        _enqueue(job)
        finally:
            channel.close()
    return found


def on_worker_start(sender=None, **kwargs) -> None:
    """django-q2's post_spawn signal: a (re)started worker process first looks for jobs left by a dead one."""
    try:
        found = jobs_sweep()
        if found:
            log.warning("found %d job(s) whose worker had stopped", found)
    except Exception:
        log.exception("sweeping stalled jobs failed")


# --- what each kind does ----------------------------------------------------------------------------------------

def _run_export(job: Job, channel: Channel) -> tuple[str, dict]:
    params = job.params
    layer = catalogue.feature_layer(params["layer"])
    exporter = exporters.get_exporter(params["format"])
    if layer is None or exporter is None:
        raise Invalid(_("The layer or format of this export no longer exists."))
    filters = filters_from(params.get("query") or {}, layer)
    limit = setting("EXPORT_JOB_MAX_FEATURES", 1_000_000)
    total = min(exporters.export_count(layer=layer, user=job.user, filters=filters), limit + 1)
    channel.progress(0, total, _("Reading %(n)s features") % {"n": f"{total:,}"})
    with transaction.atomic():
        data = exporters.export_data_in_chunks(
            layer=layer, user=job.user, filters=filters, exporter=exporter, limit=limit,
            chunk=setting("JOBS_CHUNK_ROWS", 5000), progress=lambda n: channel.progress(n, max(total, n)))
    channel.progress(len(data.rows), len(data.rows), _("Writing the %(format)s file") % {"format": exporter.label})
    name = exporters.filename(data, exporter)
    with tempfile.TemporaryDirectory(prefix="job-export-") as directory:
        path = exporter.write(data, Path(directory))
        channel.progress(len(data.rows))  # the last cancel check: a cancelled export keeps no file
        size = os.path.getsize(path)
        with open(path, "rb") as handle:
            record = Job.objects.get(pk=job.pk)
            record.result_file.save(name, File(handle), save=False)
            Job.objects.filter(pk=job.pk).update(result_file=record.result_file.name)
    return (_("%(n)s features exported") % {"n": f"{len(data.rows):,}"},
            {"result_name": name, "result": {"features": len(data.rows), "bytes": size,
                                             "content_type": exporter.content_type}})


def _run_import(job: Job, channel: Channel) -> tuple[str, dict]:
    record = import_service.import_job_get(user=job.user, job_id=job.params["import_job"])
    total = import_service.import_job_rows(record)
    channel.progress(0, total, _("Checking %(n)s rows") % {"n": f"{total:,}"})
    record = import_service.import_job_commit(
        user=job.user, job_id=record.pk, reason=job.params.get("reason") or "",
        confirm_unusual=bool(job.params.get("confirm_unusual")),
        progress=lambda done, all_rows: channel.progress(done, all_rows, _("Saving rows")))
    counts = record.report.get("result") or {}
    return (_("Imported: %(created)s new, %(updated)s updated") % {
        "created": counts.get("created", 0), "updated": counts.get("updated", 0)},
        {"result": {"import_job": record.pk, **counts}})


def _run_plan(job: Job, channel: Channel) -> tuple[str, dict]:
    params = job.params
    channel.progress(0, 1, _("Proposing bundles"))
    plan = plan_service.plan_create(user=job.user, name=params["name"],
                                    start_date=datetime.date.fromisoformat(params["start_date"]),
                                    street_id=params.get("street_id"), **(params.get("parameters") or {}))
    channel.progress(1, 1)
    return (_("Plan “%(name)s”: %(n)s bundles proposed") % {"name": plan.name, "n": plan.bundles.count()},
            {"result": {"plan": plan.pk}})


def _run_evaluation(job: Job, channel: Channel) -> tuple[str, dict]:
    from . import evaluations as evaluation_service

    params = job.params
    channel.progress(0, 1, _("Evaluating enterprises"))
    count = evaluation_service.evaluation_run(user=job.user, district_id=params["district"], year=params["year"],
                                              progress=lambda done, total: channel.progress(done, total))
    return (_("%(n)s enterprises evaluated (drafts)") % {"n": count},
            {"result": {"district": params["district"], "year": params["year"], "enterprises": count}})


RUNNERS = {JobKind.EXPORT: _run_export, JobKind.IMPORT: _run_import, JobKind.PLAN_PROPOSAL: _run_plan,
           JobKind.EVALUATION: _run_evaluation}
