"""Abandoned-building reports (弃管楼房): a street office reports, the district verifies, every step is recorded.

The building's `abandonment` and `abandoned_since` mirror its latest report (a rejected report leaves the building
managed). Photos are checked completely before any is written, and written files are removed again when the
transaction does not commit, so a refused report leaves nothing behind: no rows, no files.
"""
from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import FloatField
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import (
    Abandonment,
    AbandonmentEvent,
    AbandonmentPhoto,
    AbandonmentReason,
    AbandonmentReport,
    Building,
    ReportState,
)
from ..permissions import ADD, CHANGE, VIEW, OutsideJurisdiction, recheck, require, restrict, street_of
from ..refusals import Invalid
from ..selectors.abandonment import NEXT_STATES
from .exif import photo_facts

DESCRIPTION_MAX_CHARS = 2000
NOTE_MAX_CHARS = 2000

# A report still being dealt with; a building has at most one.
OPEN_STATES = (ReportState.REPORTED, ReportState.VERIFIED, ReportState.UNDER_CARETAKER)

# What the building shows while its report is in a state.
BUILDING_STATE: dict[str, str] = {
    ReportState.REPORTED: Abandonment.REPORTED,
    ReportState.VERIFIED: Abandonment.VERIFIED,
    ReportState.UNDER_CARETAKER: Abandonment.UNDER_CARETAKER,
    ReportState.RESOLVED: Abandonment.RESOLVED,
    ReportState.REJECTED: Abandonment.NONE,
}

# Recognised by the file's first bytes, never by the name or the content type the browser sent.
PHOTO_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


class ReportInvalid(Invalid):
    """A report or step the rules refuse (HTTP 400); `field` names the input at fault, when there is one."""


@dataclass(frozen=True)
class CheckedPhoto:
    data: bytes
    content_type: str


# The marker that follows a JPEG's start-of-image: an APPn, quantisation or Huffman table, frame or comment.
JPEG_SECOND_MARKERS = frozenset(range(0xE0, 0xF0)) | {0xDB, 0xC4, 0xC0, 0xC1, 0xC2, 0xFE, 0xDD}


def photo_type(head: bytes) -> str | None:
    """The image type of a file from its first 16 bytes: JPEG, PNG or WebP; None for anything else.

    More than the magic number: the structure that must follow it (a JPEG marker, PNG's IHDR chunk, a WebP VP8
    chunk), so a text or HTML file behind a three-byte JPEG prefix is not taken for a photo.
    """
    if head.startswith(b"\xff\xd8\xff") and len(head) > 3 and head[3] in JPEG_SECOND_MARKERS:
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP" and head[12:16] in (b"VP8 ", b"VP8L", b"VP8X"):
        return "image/webp"
    return None


def _check_photos(photos: Sequence) -> list[CheckedPhoto]:
    limit, max_bytes = settings.ABANDONMENT_PHOTOS_MAX, settings.ABANDONMENT_PHOTO_MAX_BYTES
    if len(photos) > limit:
        raise ReportInvalid(
            _("At most %(limit)d photos per report; %(count)d were sent.") % {"limit": limit, "count": len(photos)},
            field="photos",
        )
    checked = []
    for upload in photos:
        name = getattr(upload, "name", "") or _("(unnamed)")
        # Read one byte more than allowed rather than trusting the declared size.
        upload.seek(0)
        data = upload.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise ReportInvalid(
                _("Photo %(name)s is larger than %(mb)s MB.") % {"name": name, "mb": f"{max_bytes / 1024 / 1024:g}"},
                field="photos",
            )
        if not data:
            raise ReportInvalid(_("Photo %(name)s is empty.") % {"name": name}, field="photos")
        content_type = photo_type(data[:16])
        if content_type is None:
            raise ReportInvalid(
                _("Photo %(name)s is not a JPEG, PNG or WebP image.") % {"name": name}, field="photos"
            )
        checked.append(CheckedPhoto(data=data, content_type=content_type))
    return checked


def _photo_meta(meta, count: int) -> list:
    """The phone's photo_meta entry ({"taken_at", "lon", "lat"}) for each photo, None where it sent none."""
    if not isinstance(meta, (list, tuple)):
        raise ReportInvalid(_("photo_meta must be a list, one entry per photo."), field="photo_meta")
    return [meta[i] if i < len(meta) else None for i in range(count)]


def _reportable_building(*, user, building_id: int) -> Building:
    """The building, locked for this transaction, if the user may report it: 403 by role, 404 outside the scope.

    A street office's scope is its street (rule 3). The 404 names only what the user sent and its own street, so it
    does not tell a street office what lies in another street.
    """
    require(user, AbandonmentReport, ADD)
    # Building has no "add report" action of its own: the buildings a user may report on are those in its scope,
    # which restrict() gives for the view action (one street for a street office, everything for the district).
    in_scope = restrict(Building.objects.all(), user, VIEW)
    building = (
        in_scope.select_for_update(of=("self",))
        .select_related("estate__community__parent")
        .filter(pk=building_id)
        .first()
    )
    if building is None:
        street = street_of(user)
        if street is not None:
            # Named as people know it (estate and label, Building.__str__), not by its database id; an unknown id
            # gets the same answer, with the number it was asked by.
            outside = Building.objects.select_related("estate").filter(pk=building_id).first()
            raise OutsideJurisdiction(
                _("Building %(building)s is not in your street (%(street)s).")
                % {"building": outside or building_id, "street": street.name}
            )
        raise Http404(_("No building with id %(building)s.") % {"building": building_id})
    return building


def _distance_m(building: Building, location: Point | None) -> float | None:
    """Metres on the ground from the reporter's position to the building's footprint (0 inside it)."""
    if location is None:
        return None
    distance = RawSQL(
        "ST_Distance(ST_Transform(layers_building.geom, 4326)::geography, "
        "ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography)",
        (location.x, location.y), output_field=FloatField(),
    )
    return Building.objects.filter(pk=building.pk).annotate(d=distance).values_list("d", flat=True).first()


def _mirror_on_building(building: Building, report: AbandonmentReport) -> None:
    building.abandonment = BUILDING_STATE[report.state]
    building.abandoned_since = None if report.state == ReportState.REJECTED else report.abandoned_since
    building.save(update_fields=["abandonment", "abandoned_since"])


def abandonment_report_create(
    *,
    user,
    building_id: int,
    abandoned_since: datetime.date,
    reason: str,
    description: str = "",
    photos: Sequence = (),
    reporter_location: Point | None = None,
    accuracy_m: float | None = None,
    photo_meta: Sequence = (),
) -> AbandonmentReport:
    """Report a building abandoned, with up to ABANDONMENT_PHOTOS_MAX photos; the building becomes "reported".

    Raises PermissionDenied (role), Http404 (building outside the user's scope) or ReportInvalid (input, or an open
    report already exists). Nothing is stored unless everything succeeds.
    """
    if reason not in AbandonmentReason.values:
        raise ReportInvalid(
            _("Unknown reason %(reason)r; expected one of: %(choices)s.")
            % {"reason": reason, "choices": ", ".join(AbandonmentReason.values)},
            field="reason",
        )
    if abandoned_since > timezone.localdate():
        raise ReportInvalid(_("The abandonment date cannot be in the future."), field="abandoned_since")
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX_CHARS:
        raise ReportInvalid(
            _("The description is longer than %(limit)d characters.") % {"limit": DESCRIPTION_MAX_CHARS},
            field="description",
        )
    checked = _check_photos(photos)
    meta = _photo_meta(photo_meta, len(checked))

    written: list[str] = []
    storage = AbandonmentPhoto._meta.get_field("image").storage
    try:
        with transaction.atomic():
            building = _reportable_building(user=user, building_id=building_id)
            street = building.estate.community.parent
            # The building row is locked, so two clerks reporting it at once cannot both pass this check.
            open_report = building.abandonment_reports.filter(state__in=OPEN_STATES).first()
            if open_report is not None:
                # 409: the building changed since the reporter looked (never two open reports for one building).
                raise ReportInvalid(
                    _("%(building)s already has an open report (no. %(id)d, %(state)s).")
                    % {"building": building, "id": open_report.pk, "state": open_report.get_state_display()},
                    status=409, code="open_report", details={"report_id": open_report.pk},
                )
            report = AbandonmentReport.objects.create(
                building=building,
                street=street,
                abandoned_since=abandoned_since,
                reason=reason,
                description=description,
                state=ReportState.REPORTED,
                reported_by=user,
                reporter_location=reporter_location,
                accuracy_m=accuracy_m if reporter_location is not None else None,
                distance_m=_distance_m(building, reporter_location),
            )
            for photo, entry in zip(checked, meta):
                # The phone's fields, else (the desktop page uploads the camera's file) the camera's EXIF.
                taken_at, where = photo_facts(entry, photo.data, photo.content_type)
                row = AbandonmentPhoto(report=report, content_type=photo.content_type, size=len(photo.data),
                                       taken_at=taken_at, location=Point(*where, srid=4326) if where else None)
                name = f"{uuid.uuid4().hex}.{PHOTO_EXTENSIONS[photo.content_type]}"
                row.image.save(name, ContentFile(photo.data), save=False)
                written.append(row.image.name)
                row.save()
            AbandonmentEvent.objects.create(
                report=report, from_state="", to_state=ReportState.REPORTED, note=description, user=user
            )
            _mirror_on_building(building, report)
            recheck(report, user, ADD)
    except BaseException:
        # Django has no on-rollback hook; this block is the outermost transaction on every request path (no
        # ATOMIC_REQUESTS), so its failure is the rollback. A caller wrapping this in its own atomic() owns the rest.
        for name in written:
            storage.delete(name)
        raise
    return report


def abandonment_report_transition(*, user, report_id: int, to: str, note: str = "") -> AbandonmentReport:
    """Move a report to its next state (district only), record the step and mirror it on the building.

    Raises PermissionDenied (role), Http404 (outside the scope or absent) or ReportInvalid (a move the report's life
    does not allow; the message names the current state and the allowed next ones).
    """
    require(user, AbandonmentReport, CHANGE)
    if to not in ReportState.values:
        raise ReportInvalid(
            _("Unknown state %(to)r; expected one of: %(choices)s.")
            % {"to": to, "choices": ", ".join(s for s in ReportState.values if s != ReportState.REPORTED)},
            field="to",
        )
    note = (note or "").strip()
    if len(note) > NOTE_MAX_CHARS:
        raise ReportInvalid(_("The note is longer than %(limit)d characters.") % {"limit": NOTE_MAX_CHARS}, field="note")
    with transaction.atomic():
        report = (
            restrict(AbandonmentReport.objects.all(), user, CHANGE)
            .select_for_update(of=("self",))
            .select_related("building")
            .filter(pk=report_id)
            .first()
        )
        if report is None:
            raise OutsideJurisdiction(_("No abandoned-building report %(id)s in your jurisdiction.") % {"id": report_id})
        allowed = NEXT_STATES.get(report.state, ())
        if to not in allowed:
            current = report.get_state_display()
            if allowed:
                raise ReportInvalid(
                    _("The report is %(current)s; it can only become: %(allowed)s.")
                    % {"current": current, "allowed": ", ".join(str(ReportState(s).label) for s in allowed)},
                    field="to",
                )
            raise ReportInvalid(_("The report is %(current)s; it cannot change any more.") % {"current": current},
                                field="to")
        from_state = report.state
        report.state = to
        report.save(update_fields=["state", "updated_at"])
        AbandonmentEvent.objects.create(report=report, from_state=from_state, to_state=to, note=note, user=user)
        building = Building.objects.select_for_update().get(pk=report.building_id)
        _mirror_on_building(building, report)
        recheck(report, user, CHANGE)
    return report


