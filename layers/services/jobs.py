"""Background jobs (docs/JOBS.md): start, cancel, run in the worker, and find the jobs whose worker died.

The queue is django-q2 with its ORM broker (a table in this database, no other server): starting a job writes the
Job row and its queue entry in one transaction. The worker (`manage.py qcluster`) calls job_run(job id).

While a worker runs a job it holds a PostgreSQL advisory lock on the job's id, on a connection of its own (which
also writes the progress and reads the cancel flag, in autocommit, so the page sees them while the job's own
transaction is open). PostgreSQL drops that lock the moment the worker's connection closes — the worker finished,
crashed or was killed — so "running, and nobody holds its lock" means the worker died: jobs_sweep() (run when a
worker process starts and before each job) queues such a job again, up to JOBS_MAX_ATTEMPTS runs, then marks it
failed with a message; it also deletes result files older than JOBS_RESULT_DAYS (jobs_expire_results, also run
hourly by the worker's scheduler). Nothing is half-written: each job writes in one transaction (an import: every row
or none; a plan: the plan and all its bundles), and an export's file is saved only once it is complete.
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
from ..models import Complaint, ImportJob, ImportStatus, Job, JobKind, JobStatus, TakeoverPlan
from ..permissions import ADD, CHANGE, VIEW, get_restricted, require
from ..refusals import Conflict, Invalid, NotFound, Refusal
from . import complaint_import
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
        _refuse_second_job(record)
        title = _("Import %(file)s") % {"file": record.file_name}
        return job_start(user=user, kind=JobKind.IMPORT, title=title, import_job=record,
                         params={"import_job": record.pk, "reason": reason, "confirm_unusual": confirm_unusual})


def import_check_job_start(*, user, import_job_id: int, mapping: dict, srid=None, gcj02_choice=None) -> Job:
    """The dry run of a large uploaded file as a job (the same check, run by the worker; it writes only the report).
    The choices are checked now; the rows when it runs."""
    import_service.import_check_options(mapping, srid, gcj02_choice)
    with transaction.atomic():
        record = get_restricted(ImportJob.objects.select_for_update(of=("self",)), user, VIEW, pk=import_job_id)
        require(user, ImportJob, ADD)
        if record.status == ImportStatus.COMMITTED:
            raise Conflict(_("The import of “%(name)s” was already committed.") % {"name": record.file_name})
        _refuse_second_job(record)
        title = _("Dry run of %(file)s") % {"file": record.file_name}
        return job_start(user=user, kind=JobKind.IMPORT, title=title, import_job=record,
                         params={"import_job": record.pk, "step": "check", "mapping": mapping, "srid": srid,
                                 "gcj02": gcj02_choice or ""})


def _refuse_second_job(record: ImportJob) -> None:
    if Job.objects.filter(import_job=record, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).exists():
        raise Conflict(_("The import of “%(name)s” is already running.") % {"name": record.file_name})


def plan_job_start(*, user, name: str, start_date, street_id=None, parameters: dict) -> Job:
    """A district-wide bundle proposal as a job; the plan's inputs are checked when it runs (plan_create)."""
    require(user, TakeoverPlan, ADD)
    title = _("Propose bundles: %(name)s") % {"name": (name or "").strip()[:120]}
    return job_start(user=user, kind=JobKind.PLAN_PROPOSAL, title=title, params={
        "name": name, "start_date": start_date.isoformat(), "street_id": street_id, "parameters": parameters})


def complaint_import_job_start(*, user, data: bytes, name: str, district_id=None, default_channel: str) -> Job:
    """A hotline import committed by the worker (more than IMPORT_JOB_ROWS orders): the file waits under
    MEDIA_ROOT/jobs/uploads/ until the job has run (docs/COMPLAINTS.md "Intake")."""
    require(user, Complaint, ADD)
    folder = Path(settings.MEDIA_ROOT) / "jobs" / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    handle, path = tempfile.mkstemp(dir=folder, suffix=Path(name).suffix.lower())
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    return job_start(user=user, kind=JobKind.COMPLAINT_IMPORT, title=_("Import of %(name)s") % {"name": name},
                     params={"path": path, "name": name, "district_id": district_id, "channel": default_channel})


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
    if job.status == JobStatus.DONE and job.result.get("expired_at"):
        raise Invalid(job.message)
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
    jobs_expire_results()
    return found


def jobs_expire_results() -> int:
    """Delete the result files of jobs that finished more than JOBS_RESULT_DAYS days ago; each such job then says
    its file expired. Run by the sweep and every hour by the worker's scheduler. Returns how many it deleted."""
    days = setting("JOBS_RESULT_DAYS", 7)
    cutoff = timezone.now() - datetime.timedelta(days=days)
    expired = 0
    for job in Job.objects.filter(status=JobStatus.DONE, finished_at__lt=cutoff).exclude(result_file=""):
        name = job.result_file.name
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            message = _("The file %(name)s expired and was deleted: results are kept %(days)s days after the job "
                        "finished. Start it again for a new file.") % {"name": job.result_name or name, "days": days}
        # The row first (only if nobody changed it meanwhile), then the file: a job never links a missing file.
        if Job.objects.filter(pk=job.pk, result_file=name).update(
                result_file="", message=message[:500], updated_at=timezone.now(),
                result={**job.result, "expired_at": timezone.now().isoformat()}):
            try:
                job.result_file.storage.delete(name)
            except OSError:
                log.exception("could not delete the expired file %s of job %s", name, job.pk)
            expired += 1
    return expired


EXPIRE_TASK = "layers.services.jobs.jobs_expire_results"


def ensure_expiry_schedule() -> None:
    """The hourly django-q2 schedule of jobs_expire_results, created once (an advisory lock keeps two starting
    worker processes from creating it twice)."""
    from django_q.models import Schedule

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [LOCK_NAMESPACE])  # job ids start at 1
        if not Schedule.objects.filter(func=EXPIRE_TASK).exists():
            Schedule.objects.create(name="jobs-expire-results", func=EXPIRE_TASK, schedule_type=Schedule.HOURLY,
                                    repeats=-1)


def on_worker_start(sender=None, **kwargs) -> None:
    """django-q2's post_spawn signal: a (re)started worker process first looks for jobs left by a dead one, deletes
    expired result files and makes sure their hourly schedule exists."""
    try:
        found = jobs_sweep()
        if found:
            log.warning("found %d job(s) whose worker had stopped", found)
        ensure_expiry_schedule()
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


def _run_import_check(job: Job, channel: Channel) -> tuple[str, dict]:
    params = job.params
    record = import_service.import_job_get(user=job.user, job_id=params["import_job"])
    total = import_service.import_file_rows(record)
    channel.progress(0, total, _("Checking %(n)s rows") % {"n": f"{total:,}"})
    record = import_service.import_job_check(
        user=job.user, job_id=record.pk, mapping=params.get("mapping") or {}, srid=params.get("srid"),
        gcj02_choice=params.get("gcj02") or None,
        progress=lambda done, all_rows: channel.progress(done, all_rows))
    summary = record.report.get("summary") or {}
    return (_("Checked: %(ok)s rows ready, %(errors)s with errors") % {
        "ok": f"{summary.get('ok', 0):,}", "errors": f"{summary.get('errors', 0):,}"},
        {"result": {"import_job": record.pk, "summary": summary},
         "done": summary.get("rows", total), "total": summary.get("rows", total)})


def _run_import(job: Job, channel: Channel) -> tuple[str, dict]:
    if job.params.get("step") == "check":
        return _run_import_check(job, channel)
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
    plan = plan_service.plan_create(user=job.user, name=params["name"],
                                    start_date=datetime.date.fromisoformat(params["start_date"]),
                                    street_id=params.get("street_id"), progress=channel.progress,
                                    **(params.get("parameters") or {}))
    return (_("Plan “%(name)s”: %(n)s bundles proposed") % {"name": plan.name, "n": plan.bundles.count()},
            {"result": {"plan": plan.pk}, "done": 3, "total": 3})


def _run_complaint_import(job: Job, channel: Channel) -> tuple[str, dict]:
    params = job.params
    path = Path(params["path"])
    data = path.read_bytes()
    channel.progress(0, None, _("Matching addresses"))
    report = complaint_import.complaint_import_commit(
        user=job.user, data=data, name=params["name"], district_id=params.get("district_id"),
        default_channel=params["channel"], progress=lambda done, total: channel.progress(done, total,
                                                                                       _("Saving work orders")))
    path.unlink(missing_ok=True)
    return (_("Imported: %(added)s work orders added, %(existing)s already there") % {
        "added": report["added"], "existing": report["already_there"]},
        {"result": {"added": report["added"], "already_there": report["already_there"],
                    "to_confirm": report["counts"]["to_confirm"]}})


def _run_evaluation(job: Job, channel: Channel) -> tuple[str, dict]:
    from . import evaluations as evaluation_service

    params = job.params
    channel.progress(0, 1, _("Evaluating enterprises"))
    count = evaluation_service.evaluation_run(user=job.user, district_id=params["district"], year=params["year"],
                                              progress=lambda done, total: channel.progress(done, total))
    return (_("%(n)s enterprises evaluated (drafts)") % {"n": count},
            {"result": {"district": params["district"], "year": params["year"], "enterprises": count}})


RUNNERS = {JobKind.EXPORT: _run_export, JobKind.IMPORT: _run_import, JobKind.PLAN_PROPOSAL: _run_plan,
           JobKind.COMPLAINT_IMPORT: _run_complaint_import, JobKind.EVALUATION: _run_evaluation}


def ensure_daily_command(name: str, command: str, at: datetime.time) -> None:
    """post_migrate: the daily django-q2 schedule `name` that runs `manage.py <command>` at `at` (the worker,
    `manage.py qcluster`, runs it; docs/JOBS.md). Created once, its next run kept when it exists."""
    from django_q.models import Schedule

    if Schedule.objects.filter(name=name).exists():
        return
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    Schedule.objects.create(name=name, func="django.core.management.call_command", args=repr(command),
                            schedule_type=Schedule.DAILY, repeats=-1,
                            next_run=timezone.make_aware(datetime.datetime.combine(tomorrow, at)))
