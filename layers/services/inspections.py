"""Daily inspections (日常巡查): a street office or community scores an estate with its district's checklist, with
photos and the place it stood; the district keeps the checklist (DOMAIN.md "Supervision").

The inspection keeps the provider serving the estate that day (selectors.complaints.provider_on), so its score
counts for that enterprise in the annual evaluation even after the estate changes hands. Photos are recognised by
their first bytes (services.abandonment.photo_type) and checked before anything is written; files written are
removed again when the transaction does not commit.
"""
from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Mapping, Sequence

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import AdminArea, AdminLevel, Checklist, ChecklistItem, Estate, Inspection, InspectionPhoto, \
    InspectionScore
from ..permissions import ADD, CHANGE, VIEW, district_of, get_restricted, recheck, require, restrict
from ..refusals import Invalid
from ..selectors.complaints import provider_on
from ..selectors.inspections import active_checklist
from .abandonment import PHOTO_EXTENSIONS, photo_type
from .exif import photo_facts

NOTE_MAX_CHARS = 2000
ITEM_NOTE_MAX_CHARS = 300
PHOTOS_MAX = 12
# How far back an inspection may be entered (a paper form typed in later); beyond, it is a mistake.
BACKDATE_MAX_DAYS = 366
# A phone's position is worth keeping only when roughly right; coarser than this is dropped, not refused.
ACCURACY_KEPT_M = 1000

# A district's checklist when it has none (common practice of street offices' property inspections: 物业服务日常
# 巡查考评表): item, maximum score, what to look at. 100 points in all.
DEFAULT_CHECKLIST_NAME = "物业服务日常巡查表"
DEFAULT_ITEMS = [
    ("保洁", 15, "楼道、院落、垃圾桶站干净无堆积；垃圾日产日清"),
    ("绿化", 10, "绿地无裸土、无枯死苗木，按时修剪浇灌"),
    ("秩序维护", 15, "门岗有人值守，外来人员车辆登记，夜间巡逻记录"),
    ("消防通道", 15, "消防通道、楼道无堵塞和杂物，消防设施完好有效"),
    ("电梯", 10, "电梯年检合格标志在有效期，轿厢清洁，应急电话畅通（无电梯的院落按设施完好计分）"),
    ("停车管理", 10, "车辆有序停放，不占消防通道和绿地，非机动车集中停放充电"),
    ("公共设施", 15, "楼道灯、单元门、路面、化粪池等共用设施完好，报修及时处理"),
    ("服务窗口", 10, "服务中心公示收费标准和服务电话，有人值班，台账齐全"),
]


class InspectionInvalid(Invalid):
    """An inspection or checklist the rules refuse (HTTP 400); `field` names the input at fault."""


def ensure_default_checklist(district: AdminArea) -> Checklist:
    """The district's checklist in use; a district that has none gets the default one (DEFAULT_ITEMS)."""
    checklist = active_checklist(district)
    if checklist is not None:
        return checklist
    with transaction.atomic():
        checklist = Checklist.objects.create(district=district, name=DEFAULT_CHECKLIST_NAME, active=True)
        ChecklistItem.objects.bulk_create([
            ChecklistItem(checklist=checklist, position=n, name=name, max_score=points, guidance=guidance)
            for n, (name, points, guidance) in enumerate(DEFAULT_ITEMS, start=1)
        ])
    return active_checklist(district)


def _text(value: str, limit: int, field: str) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise InspectionInvalid(_("The note is longer than %(limit)d characters.") % {"limit": limit}, field=field)
    return value


def _check_photos(photos: Sequence) -> list[tuple[bytes, str, int | None]]:
    """Each photo (an upload, or (upload, item id)) read and recognised: (data, content type, item id)."""
    if len(photos) > PHOTOS_MAX:
        raise InspectionInvalid(_("At most %(limit)d photos per inspection; %(count)d were sent.")
                                % {"limit": PHOTOS_MAX, "count": len(photos)}, field="photos")
    max_bytes = settings.ABANDONMENT_PHOTO_MAX_BYTES
    checked = []
    for photo in photos:
        upload, item_id = photo if isinstance(photo, tuple) else (photo, None)
        name = getattr(upload, "name", "") or _("(unnamed)")
        upload.seek(0)
        data = upload.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise InspectionInvalid(_("Photo %(name)s is larger than %(mb)s MB.")
                                    % {"name": name, "mb": f"{max_bytes / 1024 / 1024:g}"}, field="photos")
        if not data:
            raise InspectionInvalid(_("Photo %(name)s is empty.") % {"name": name}, field="photos")
        content_type = photo_type(data[:16])
        if content_type is None:
            raise InspectionInvalid(_("Photo %(name)s is not a JPEG, PNG or WebP image.") % {"name": name},
                                    field="photos")
        checked.append((data, content_type, item_id))
    return checked


def _scores(items: list[ChecklistItem], scores: Mapping) -> list[tuple[ChecklistItem, int, str]]:
    """Every item of the checklist scored once, 0 ≤ score ≤ the item's maximum. `scores` maps an item id (int or
    str) to a score or to (score, note)."""
    by_id = {item.pk: item for item in items}
    given = {}
    for key, value in scores.items():
        try:
            item_id = int(key)
        except (TypeError, ValueError):
            raise InspectionInvalid(_("Unknown checklist item: %(value)s") % {"value": key}, field="scores") from None
        if item_id not in by_id:
            raise InspectionInvalid(_("Item %(value)s is not on the district's checklist.") % {"value": key},
                                    field="scores")
        given[item_id] = value
    rows = []
    for item in items:
        if item.pk not in given:
            raise InspectionInvalid(_("Score every item: %(item)s has no score.") % {"item": item.name},
                                    field="scores")
        value = given[item.pk]
        score, note = value if isinstance(value, tuple) else (value, "")
        try:
            score = int(score)
        except (TypeError, ValueError):
            raise InspectionInvalid(_("The score of %(item)s is not a whole number: %(value)s")
                                    % {"item": item.name, "value": score}, field="scores") from None
        if not 0 <= score <= item.max_score:
            raise InspectionInvalid(_("The score of %(item)s must lie between 0 and %(max)d; %(value)d was sent.")
                                    % {"item": item.name, "max": item.max_score, "value": score}, field="scores")
        rows.append((item, score, _text(note, ITEM_NOTE_MAX_CHARS, "scores")))
    return rows


def inspection_record(*, user, estate_id: int, scores: Mapping, inspected_on: datetime.date | None = None,
                      note: str = "", photos: Sequence = (), location: Point | None = None,
                      accuracy_m: float | None = None, photo_meta: Sequence = ()) -> Inspection:
    """Record one inspection of an estate in the user's area, scored with the district's checklist in use.

    Raises Forbidden (role), NotFound (estate outside the user's area) or InspectionInvalid (a score out of range,
    an item missing, a photo that is not an image, a date in the future). Nothing is stored unless all succeeds.
    `photo_meta`: the phone's {"taken_at", "lon", "lat"} per photo, in the order of `photos`.
    """
    require(user, Inspection, ADD)
    today = timezone.localdate()
    inspected_on = inspected_on or today
    if inspected_on > today:
        raise InspectionInvalid(_("The inspection date cannot be in the future."), field="inspected_on")
    if inspected_on < today - datetime.timedelta(days=BACKDATE_MAX_DAYS):
        raise InspectionInvalid(_("The inspection date lies more than a year back."), field="inspected_on")
    note = _text(note, NOTE_MAX_CHARS, "note")
    if accuracy_m is not None and (accuracy_m < 0 or accuracy_m != accuracy_m):
        raise InspectionInvalid(_("The position's accuracy must be a number of metres."), field="accuracy_m")
    if location is not None and accuracy_m is not None and accuracy_m > ACCURACY_KEPT_M:
        location = accuracy_m = None
    if location is None:
        accuracy_m = None
    checked = _check_photos(photos)
    written: list[str] = []
    storage = InspectionPhoto._meta.get_field("file").storage
    try:
        with transaction.atomic():
            estate = get_restricted(Estate.objects.select_related("community__parent__parent"), user, VIEW,
                                    pk=estate_id)
            community = estate.community
            checklist = ensure_default_checklist(community.parent.parent)
            items = list(checklist.items.all())
            rows = _scores(items, scores)
            total = sum(score for _item, score, _note in rows)
            inspection = Inspection.objects.create(
                estate=estate, checklist=checklist, **provider_on(estate.pk, inspected_on),
                street=community.parent, community=community, inspected_on=inspected_on, inspector=user,
                location=location, accuracy_m=accuracy_m, total_score=total,
                max_score=sum(item.max_score for item in items), note=note,
            )
            recheck(inspection, user, ADD)
            InspectionScore.objects.bulk_create([
                InspectionScore(inspection=inspection, item=item, score=score, note=item_note)
                for item, score, item_note in rows
            ])
            item_ids = {item.pk for item in items}
            for i, (data, content_type, item_id) in enumerate(checked):
                taken_at, where = photo_facts(photo_meta[i] if i < len(photo_meta) else None, data, content_type)
                row = InspectionPhoto(inspection=inspection, content_type=content_type, size=len(data),
                                      item_id=item_id if item_id in item_ids else None,
                                      location=Point(*where, srid=4326) if where else None)
                if taken_at is not None:
                    row.taken_at = taken_at
                row.file.save(f"{uuid.uuid4().hex}.{PHOTO_EXTENSIONS[content_type]}", ContentFile(data), save=False)
                written.append(row.file.name)
                row.save()
    except BaseException:
        # The outermost transaction on every request path: its failure is the rollback (as in abandonment).
        for name in written:
            storage.delete(name)
        raise
    return inspection


def _district_for_checklists(user, district_id: int | None) -> AdminArea:
    own = district_of(user)
    if own is not None:
        return own
    district = None
    if district_id is not None:
        district = restrict(AdminArea.objects.filter(level=AdminLevel.DISTRICT), user, VIEW).filter(
            pk=district_id).first()
    if district is None:
        raise InspectionInvalid(_("Choose the district whose checklist this is."), field="district")
    return district


def checklist_save(*, user, items: Iterable[Mapping], name: str = "", district_id: int | None = None) -> Checklist:
    """Replace the district's checklist in use by a new one with these items ({"name", "max_score", "guidance"}, in
    order). The old checklist is kept, inactive, for the inspections that used it (their scores stay as scored)."""
    require(user, Checklist, CHANGE)
    district = _district_for_checklists(user, district_id)
    name = (name or "").strip() or DEFAULT_CHECKLIST_NAME
    if len(name) > 60:
        raise InspectionInvalid(_("The checklist's name is longer than %(limit)d characters.") % {"limit": 60},
                                field="name")
    rows = []
    for n, item in enumerate(items, start=1):
        item_name = (item.get("name") or "").strip()
        if not item_name:
            continue
        if len(item_name) > 60:
            raise InspectionInvalid(_("Item %(item)s: the name is longer than %(limit)d characters.")
                                    % {"item": n, "limit": 60}, field="items")
        try:
            max_score = int(item.get("max_score"))
        except (TypeError, ValueError):
            raise InspectionInvalid(_("Item %(item)s: the maximum score must be a whole number.") % {"item": item_name},
                                    field="items") from None
        if not 1 <= max_score <= 100:
            raise InspectionInvalid(_("Item %(item)s: the maximum score must lie between 1 and 100.")
                                    % {"item": item_name}, field="items")
        rows.append((item_name, max_score, _text(item.get("guidance", ""), 500, "items")))
    if not rows:
        raise InspectionInvalid(_("A checklist needs at least one item."), field="items")
    with transaction.atomic():
        Checklist.objects.select_for_update().filter(district=district, active=True).update(active=False)
        checklist = Checklist.objects.create(district=district, name=name, active=True)
        recheck(checklist, user, CHANGE)
        ChecklistItem.objects.bulk_create([
            ChecklistItem(checklist=checklist, position=n, name=item_name, max_score=max_score, guidance=guidance)
            for n, (item_name, max_score, guidance) in enumerate(rows, start=1)
        ])
    return checklist
