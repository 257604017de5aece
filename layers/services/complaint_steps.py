"""Every step of a complaint after intake — sign, transfer, escalate, reply, check, rate, close, reopen, joint meeting —
each one event with its attachments, and the automatic escalation of overdue cases (DOMAIN.md "Supervision").

Who may take which step at which level is the table STEPS below; the service enforces it (Forbidden), the status a
step starts from (Invalid), and refuses every step but reopening on a closed case (Conflict, 409). Attachments are
checked by their first bytes before anything is written, and written files are removed again when the transaction
does not commit (as layers/services/abandonment.py does with photos).
"""
from __future__ import annotations

import datetime
import io
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import (
    CalendarDay,
    Complaint,
    ComplaintAttachment,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintStatus,
    HandlingLevel,
    JointMeetingItem,
    Rating,
    Responsible,
    Role,
    StepKind,
)
from ..permissions import ADD, CHANGE, DELETE, VIEW, enterprise_of, get_restricted, recheck, require, role_of
from ..planning.workdays import add_working_days
from ..refusals import Conflict, Forbidden, Invalid
from ..selectors.complaints import calendar_exceptions
from .abandonment import photo_type
from .exif import photo_facts

NOTE_MAX_CHARS = 2000
S = ComplaintStatus

# Staff of each handling level (001 §5(2): community → street → district); the system administrator acts at any.
LEVEL_STAFF: dict[str, frozenset[str]] = {
    HandlingLevel.COMMUNITY: frozenset({Role.COMMUNITY}),
    HandlingLevel.STREET: frozenset({Role.STREET_OFFICE}),
    HandlingLevel.DISTRICT: frozenset({Role.PLANNER, Role.DISTRICT_ADMINISTRATOR}),
}
NEXT_LEVEL = {HandlingLevel.COMMUNITY: HandlingLevel.STREET, HandlingLevel.STREET: HandlingLevel.DISTRICT}

# Who takes a step:
#   staff      — the staff of the case's current level (a case not yet placed in a community: the district's staff)
#   enterprise — a user of the enterprise serving the case's estate
#   provider   — who answers for the estate: its enterprise when an enterprise serves it, else (caretaker,
#                self-governed, no provider, transferred to a department) the staff of the case's level
#   meeting    — the street office or the district (the joint meeting's members), at any level
MEETING = frozenset({Role.STREET_OFFICE, Role.PLANNER, Role.DISTRICT_ADMINISTRATOR})


@dataclass(frozen=True)
class Step:
    actors: tuple[str, ...]
    from_statuses: tuple[str, ...]
    to_status: str | None  # None: the status stays


ACTIVE = (S.RECEIVED, S.SIGNED, S.TRANSFERRED, S.REPLIED)

# The table of steps: step → who, from which statuses, to which status.
# | step          | who                | from                           | to          |
# |---------------|--------------------|--------------------------------|-------------|
# | signed        | staff, enterprise  | received                       | signed      |
# | transferred   | staff              | received, signed               | transferred |
# | escalated     | staff              | received, signed, transferred, replied | (level +1) |
# | replied       | provider           | signed, transferred            | replied     |
# | checked       | staff              | replied                        | replied     |
# | rated         | staff              | replied (after a check)        | replied     |
# | closed        | staff              | replied (rated)                | closed      |
# | reopened      | staff              | closed (unsatisfied, once)     | signed      |
# | joint_meeting | meeting            | any open status                | —           |
# | decided       | meeting            | any open status (on the list)  | —           |
# | note          | staff, enterprise  | any open status                | —           |
STEPS: dict[str, Step] = {
    StepKind.SIGNED: Step(("staff", "enterprise"), (S.RECEIVED,), S.SIGNED),
    StepKind.TRANSFERRED: Step(("staff",), (S.RECEIVED, S.SIGNED), S.TRANSFERRED),
    StepKind.ESCALATED: Step(("staff",), ACTIVE, None),
    StepKind.REPLIED: Step(("provider",), (S.SIGNED, S.TRANSFERRED), S.REPLIED),
    StepKind.CHECKED: Step(("staff",), (S.REPLIED,), None),
    StepKind.RATED: Step(("staff",), (S.REPLIED,), None),
    StepKind.CLOSED: Step(("staff",), (S.REPLIED,), S.CLOSED),
    StepKind.REOPENED: Step(("staff",), (S.CLOSED,), S.SIGNED),
    StepKind.JOINT_MEETING: Step(("meeting",), ACTIVE, None),
    StepKind.DECIDED: Step(("meeting",), ACTIVE, None),
    StepKind.NOTE: Step(("staff", "enterprise"), ACTIVE, None),
}
STEP_KINDS = tuple(STEPS)

ATTACHMENTS_MAX = 6
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf",
                         "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx"}
ATTACHMENT_KINDS = gettext_lazy("JPEG, PNG or WebP photos, PDF, Word (.docx) or Excel (.xlsx) documents")


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


# --- who may -------------------------------------------------------------------------------------------------------

def _is_provider_enterprise(complaint: Complaint) -> bool:
    return complaint.enterprise_id is not None and not complaint.department


def _staff_roles(complaint: Complaint) -> frozenset[str]:
    if complaint.level == HandlingLevel.COMMUNITY and complaint.community_id is None:
        return LEVEL_STAFF[HandlingLevel.DISTRICT]  # not yet placed in a community: the district handles it
    return LEVEL_STAFF[complaint.level]


def actor_ok(user, complaint: Complaint, actor: str) -> bool:
    role = role_of(user)
    if actor == "enterprise":
        own = enterprise_of(user)
        return own is not None and own.pk == complaint.enterprise_id
    if role == Role.ADMINISTRATOR:
        return True
    if actor == "staff":
        return role in _staff_roles(complaint)
    if actor == "provider":
        if _is_provider_enterprise(complaint):
            return actor_ok(user, complaint, "enterprise")
        return role in _staff_roles(complaint)
    if actor == "meeting":
        return role in MEETING
    return False


def _may_take(user, complaint: Complaint, kind: str) -> bool:
    return any(actor_ok(user, complaint, actor) for actor in STEPS[kind].actors)


def _state_ok(complaint: Complaint, kind: str) -> bool:
    step = STEPS[kind]
    if complaint.status not in step.from_statuses:
        return False
    if kind == StepKind.ESCALATED:
        return complaint.level in NEXT_LEVEL
    if kind == StepKind.RATED:
        return _checked_since_reply(complaint)
    if kind == StepKind.CLOSED:
        return bool(complaint.rating)
    if kind == StepKind.REOPENED:
        return complaint.rating == Rating.UNSATISFIED and complaint.reopened < 1
    if kind == StepKind.JOINT_MEETING:
        return not complaint.at_joint_meeting
    if kind == StepKind.DECIDED:
        return complaint.at_joint_meeting
    return True


def _checked_since_reply(complaint: Complaint) -> bool:
    last_reply = complaint.events.filter(kind=StepKind.REPLIED).order_by("-created_at", "-id").first()
    if last_reply is None:
        return False
    return complaint.events.filter(kind=StepKind.CHECKED, id__gt=last_reply.pk).exists()


def steps_allowed(user, complaint: Complaint) -> list[str]:
    """The steps this user may take on the case now (the buttons of the case page)."""
    return [kind for kind in STEPS if _may_take(user, complaint, kind) and _state_ok(complaint, kind)]


# --- attachments ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckedFile:
    data: bytes
    content_type: str
    name: str


def attachment_type(data: bytes) -> str | None:
    """The type of an attachment from its bytes (never from its name or the browser's content type): a photo, a
    PDF, or an Office Open XML document (a zip with [Content_Types].xml and word/ or xl/)."""
    kind = photo_type(data[:16])
    if kind is not None:
        return kind
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, ValueError):
            return None
        if "[Content_Types].xml" in names:
            if any(n.startswith("word/") for n in names):
                return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            if any(n.startswith("xl/") for n in names):
                return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return None


def check_attachments(files: Sequence) -> list[CheckedFile]:
    limit = _setting("COMPLAINT_ATTACHMENTS_MAX", ATTACHMENTS_MAX)
    max_bytes = _setting("COMPLAINT_ATTACHMENT_MAX_BYTES", ATTACHMENT_MAX_BYTES)
    if len(files) > limit:
        raise Invalid(_("At most %(limit)d attachments per step; %(count)d were sent.")
                      % {"limit": limit, "count": len(files)}, field="attachments")
    checked = []
    for upload in files:
        name = (getattr(upload, "name", "") or _("(unnamed)")).replace("/", "_").replace("\\", "_")[-120:]
        upload.seek(0)
        data = upload.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise Invalid(_("Attachment %(name)s is larger than %(mb)s MB.")
                          % {"name": name, "mb": f"{max_bytes / 1024 / 1024:g}"}, field="attachments")
        if not data:
            raise Invalid(_("Attachment %(name)s is empty.") % {"name": name}, field="attachments")
        content_type = attachment_type(data)
        if content_type is None:
            raise Invalid(_("Attachment %(name)s is not one of: %(kinds)s.") % {"name": name, "kinds": ATTACHMENT_KINDS},
                          field="attachments")
        checked.append(CheckedFile(data=data, content_type=content_type, name=name))
    return checked


# --- deadlines -----------------------------------------------------------------------------------------------------

def deadlines_from(complaint: Complaint, start: datetime.date) -> dict[str, datetime.date]:
    """The case's category deadlines counted again from `start` (after an escalation or a reopening)."""
    category = complaint.category
    exceptions = calendar_exceptions(start, start + datetime.timedelta(days=max(60, 3 * category.close_days)))
    return {"sign_due": add_working_days(start, category.sign_days, exceptions),
            "reply_due": add_working_days(start, category.reply_days, exceptions),
            "close_due": add_working_days(start, category.close_days, exceptions)}


def overdue(complaint: Complaint, today: datetime.date) -> str | None:
    """Which deadline an open case has missed: "sign" (not signed for by sign_due), "reply" (not replied by
    reply_due), "close" (not closed by close_due); None when it is on time or closed."""
    if complaint.status == S.RECEIVED and today > complaint.sign_due:
        return "sign"
    if complaint.status in (S.RECEIVED, S.SIGNED, S.TRANSFERRED) and today > complaint.reply_due:
        return "reply"
    if complaint.status != S.CLOSED and today > complaint.close_due:
        return "close"
    return None


def _escalate(complaint: Complaint, today: datetime.date) -> str:
    to = NEXT_LEVEL[complaint.level]
    complaint.level = to
    for field, value in deadlines_from(complaint, today).items():
        setattr(complaint, field, value)
    return to


# --- the step ------------------------------------------------------------------------------------------------------

def _text(value: str, field: str, limit: int = NOTE_MAX_CHARS) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise Invalid(_("The text is longer than %(limit)d characters.") % {"limit": limit}, field=field)
    return value


def complaint_step(*, user, complaint_id: int, kind: str, note: str = "", attachments: Sequence = (),
                   department: str = "", rating: str = "", agenda: str = "", meeting_on: datetime.date | None = None,
                   decision: str = "", attachment_meta: Sequence = ()) -> ComplaintEvent:
    """Take one step on a case (the table STEPS): 403 for a role that may not take it at the case's level, 404
    outside the user's scope, 409 on a closed case (except reopening), 400 for a step the case's status does not
    allow or bad input. Nothing is stored — no event, no file — unless everything succeeds. `attachment_meta`: the
    phone's {"taken_at", "lon", "lat"} per attachment, in their order."""
    if kind not in STEPS:
        raise Invalid(_("Unknown step %(kind)r; expected one of: %(choices)s.")
                      % {"kind": kind, "choices": ", ".join(STEPS)}, field="kind")
    note = _text(note, "note")
    checked = check_attachments(attachments)
    written: list[str] = []
    storage = ComplaintAttachment._meta.get_field("file").storage
    try:
        with transaction.atomic():
            complaint = get_restricted(
                Complaint.objects.select_for_update(of=("self",)).select_related("category"), user, VIEW,
                pk=complaint_id)
            event = _take(user, complaint, kind, note=note, department=department, rating=rating, agenda=agenda,
                          meeting_on=meeting_on, decision=decision)
            for i, upload in enumerate(checked):
                taken_at, where = photo_facts(attachment_meta[i] if i < len(attachment_meta) else None,
                                              upload.data, upload.content_type)
                row = ComplaintAttachment(event=event, name=upload.name, content_type=upload.content_type,
                                          size=len(upload.data), taken_at=taken_at,
                                          location=Point(*where, srid=4326) if where else None)
                row.file.save(f"{uuid.uuid4().hex}.{ATTACHMENT_EXTENSIONS[upload.content_type]}",
                              ContentFile(upload.data), save=False)
                written.append(row.file.name)
                row.save()
    except BaseException:
        # This block is the outermost transaction on every request path (no ATOMIC_REQUESTS): its failure is the
        # rollback, so the files written for it go too.
        for name in written:
            storage.delete(name)
        raise
    return event


def _take(user, complaint: Complaint, kind: str, *, note, department, rating, agenda, meeting_on,
          decision) -> ComplaintEvent:
    role = role_of(user)
    if role not in ({Role.ENTERPRISE, Role.ADMINISTRATOR} | MEETING | LEVEL_STAFF[HandlingLevel.COMMUNITY]):
        raise Forbidden(_("Your role may not take steps on complaints."))
    if complaint.status == S.CLOSED and kind != StepKind.REOPENED:
        raise Conflict(_("The case is closed; only an unsatisfied case can be reopened (once)."), code="closed")
    if not _may_take(user, complaint, kind):
        raise Forbidden(_("Your role may not take the step “%(step)s” on a case handled at the %(level)s level.")
                        % {"step": StepKind(kind).label, "level": complaint.get_level_display()})
    step = STEPS[kind]
    if complaint.status not in step.from_statuses:
        raise Invalid(_("The case is “%(status)s”; the step “%(step)s” cannot be taken now.")
                      % {"status": complaint.get_status_display(), "step": StepKind(kind).label}, field="kind")
    now = timezone.now()
    from_status, level = complaint.status, complaint.level
    handler = globals()[f"_step_{kind}"]
    note = handler(user, complaint, now=now, note=note, department=department, rating=rating, agenda=agenda,
                   meeting_on=meeting_on, decision=decision) or note
    if step.to_status is not None:
        complaint.status = step.to_status
    complaint.save()
    return ComplaintEvent.objects.create(
        complaint=complaint, kind=kind, from_status=from_status,
        to_status=complaint.status if complaint.status != from_status else "", level=complaint.level or level,
        note=note, user=user)


def _step_signed(user, complaint, *, now, **_kw):
    complaint.signed_at = now


def _step_transferred(user, complaint, *, now, note, department, **_kw):
    department = _text(department, "department", 60) or complaint.category.department
    if not department:
        raise Invalid(_("Name the department the case is transferred to."), field="department")
    if complaint.signed_at is None:
        complaint.signed_at = now
    complaint.department = department
    return f"{department}：{note}" if note else department


def _step_escalated(user, complaint, *, note, **_kw):
    if complaint.level not in NEXT_LEVEL:
        raise Invalid(_("The case is already handled at the district; it cannot go higher."), field="kind")
    to = _escalate(complaint, timezone.localdate())
    if complaint.status == S.SIGNED:
        complaint.status = S.RECEIVED  # the next level signs for it
        complaint.signed_at = None
    return note or str(HandlingLevel(to).label)


def _step_replied(user, complaint, *, now, note, **_kw):
    if not note:
        raise Invalid(_("Write the reply."), field="note")
    complaint.replied_at = now


def _step_checked(user, complaint, *, note, **_kw):
    if not note:
        raise Invalid(_("Write what the check found."), field="note")


def _step_rated(user, complaint, *, note, rating, **_kw):
    if rating not in Rating.values:
        raise Invalid(_("Choose the resident's rating: %(choices)s.")
                      % {"choices": "、".join(str(label) for label in Rating.labels)}, field="rating")
    if not _checked_since_reply(complaint):
        raise Invalid(_("Check the reply before recording the resident's rating."), field="kind")
    complaint.rating = rating
    label = str(Rating(rating).label)
    return f"{label}：{note}" if note else label


def _step_closed(user, complaint, *, now, **_kw):
    if not complaint.rating:
        raise Invalid(_("Record the resident's rating before closing the case."), field="kind")
    complaint.closed_at = now


def _step_reopened(user, complaint, **_kw):
    if complaint.rating != Rating.UNSATISFIED:
        raise Invalid(_("Only a case the resident was unsatisfied with can be reopened."), field="kind")
    if complaint.reopened >= 1:
        raise Conflict(_("The case has already been reopened once; it cannot be reopened again."), code="reopened")
    complaint.reopened += 1
    complaint.closed_at = None
    complaint.replied_at = None
    complaint.rating = ""
    for field, value in deadlines_from(complaint, timezone.localdate()).items():
        if field != "sign_due":
            setattr(complaint, field, value)
    complaint.sign_due = min(complaint.sign_due, complaint.reply_due)


def _step_joint_meeting(user, complaint, *, agenda, **_kw):
    agenda = _text(agenda, "agenda")
    if not agenda:
        raise Invalid(_("Write the agenda for the joint meeting."), field="agenda")
    if complaint.at_joint_meeting:
        raise Invalid(_("The case is already on the joint meeting's list."), field="kind")
    JointMeetingItem.objects.create(complaint=complaint, agenda=agenda, sent_by=user)
    complaint.at_joint_meeting = True
    return agenda


def _step_decided(user, complaint, *, meeting_on, decision, **_kw):
    item = JointMeetingItem.objects.select_for_update().filter(complaint=complaint).first()
    if item is None:
        raise Invalid(_("The case is not on the joint meeting's list."), field="kind")
    decision = _text(decision, "decision")
    if meeting_on is None:
        raise Invalid(_("Give the date of the meeting."), field="meeting_on")
    if meeting_on > timezone.localdate():
        raise Invalid(_("The meeting date lies in the future."), field="meeting_on")
    if not decision:
        raise Invalid(_("Write the meeting's decision."), field="decision")
    item.meeting_on, item.decision, item.decided_at = meeting_on, decision, timezone.now()
    item.save()
    return f"{meeting_on:%Y-%m-%d}：{decision}"


def _step_note(user, complaint, *, note, **_kw):
    if not note:
        raise Invalid(_("Write the note."), field="note")


# --- automatic escalation ------------------------------------------------------------------------------------------

def escalate_overdue(today: datetime.date | None = None) -> list[int]:
    """Move every open case past its sign or reply deadline up one level (community → street → district), with a
    system event (user None) and its deadlines counted again from today. Idempotent: the new deadlines lie after
    today, so a second run the same day (or before they pass) does nothing. Returns the escalated cases' ids."""
    today = today or timezone.localdate()
    escalated = []
    candidates = (Complaint.objects.filter(status__in=(S.RECEIVED, S.SIGNED, S.TRANSFERRED),
                                           level__in=tuple(NEXT_LEVEL))
                  .filter(sign_due__lt=today) .values_list("pk", flat=True))
    for pk in candidates:
        with transaction.atomic():
            complaint = Complaint.objects.select_for_update().select_related("category").get(pk=pk)
            missed = overdue(complaint, today)
            if missed not in ("sign", "reply") or complaint.level not in NEXT_LEVEL:
                continue
            from_status, due = complaint.status, complaint.sign_due if missed == "sign" else complaint.reply_due
            to = _escalate(complaint, today)
            if complaint.status == S.SIGNED:
                complaint.status, complaint.signed_at = S.RECEIVED, None
            complaint.save()
            label = _("not signed for by %(due)s") if missed == "sign" else _("not replied by %(due)s")
            ComplaintEvent.objects.create(
                complaint=complaint, kind=StepKind.ESCALATED, from_status=from_status,
                to_status=complaint.status if complaint.status != from_status else "", level=to, user=None,
                note=_("Escalated automatically to the %(level)s level: %(why)s.")
                % {"level": HandlingLevel(to).label, "why": label % {"due": f"{due:%Y-%m-%d}"}})
            escalated.append(pk)
    return escalated


ESCALATION_SCHEDULE = "escalate_overdue"


def register_schedule(sender=None, **kwargs) -> None:
    """post_migrate: the daily schedule that runs `manage.py escalate_overdue` at 0:15 (docs/JOBS.md)."""
    from .jobs import ensure_daily_command

    ensure_daily_command(ESCALATION_SCHEDULE, "escalate_overdue", datetime.time(0, 15))


# --- the district's routing table and the working-day calendar ------------------------------------------------------

# The audit log records these writes (layers/security/audit.py AuditMiddleware: one event per successful write).
def category_update(*, user, category_id: int, responsible: str, department: str, keywords: str, sign_days: int,
                    reply_days: int, close_days: int, active: bool) -> ComplaintCategory:
    """Change one row of the district's routing table (planners, district administrators, in their district)."""
    if responsible not in Responsible.values:
        raise Invalid(_("Unknown responsible body: %(value)s") % {"value": responsible}, field="responsible")
    department = _text(department, "department", 60)
    if responsible == Responsible.PROVIDER:
        department = ""
    elif not department:
        raise Invalid(_("Name the department a transferred category goes to."), field="department")
    if not (0 <= sign_days <= reply_days <= close_days <= 365):
        raise Invalid(_("The deadlines must grow: sign for ≤ reply ≤ close, at most 365 working days."),
                      field="sign_days")
    with transaction.atomic():
        category = get_restricted(ComplaintCategory.objects.select_for_update(), user, CHANGE, pk=category_id)
        category.responsible, category.department = responsible, department
        category.keywords = " ".join(_text(keywords, "keywords", 300).split())
        category.sign_days, category.reply_days, category.close_days = sign_days, reply_days, close_days
        category.active = active
        category.save()
        recheck(category, user, CHANGE)
    return category


def calendar_day_save(*, user, date: datetime.date, working: bool, name: str) -> CalendarDay:
    """Add or change one exception of the working-day calendar (a holiday, or a make-up working day)."""
    require(user, CalendarDay, CHANGE)
    require(user, CalendarDay, ADD)
    name = _text(name, "name", 40)
    day, _created = CalendarDay.objects.update_or_create(date=date, defaults={"working": working, "name": name})
    return day


def calendar_day_delete(*, user, date: datetime.date) -> int:
    require(user, CalendarDay, DELETE)
    deleted, _rows = CalendarDay.objects.filter(date=date).delete()
    return deleted
