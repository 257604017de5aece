"""Complaints taken in and routed (DOMAIN.md "Supervision"): each case gets its category, the body that settles it
(the estate's provider on the day it was received, or another department), its community, street and district, and
deadlines in working days; every step is an event.
"""
from __future__ import annotations

import datetime

from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.contrib.gis.db.models.functions import PointOnSurface
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import (
    AdminArea,
    AdminLevel,
    Building,
    Channel,
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintStatus,
    Estate,
    HandlingLevel,
    Responsible,
    StepKind,
)
from ..permissions import (
    ADD,
    CHANGE,
    VIEW,
    OutsideJurisdiction,
    district_of,
    get_restricted,
    recheck,
    require,
    restrict,
)
from ..planning.workdays import add_working_days
from ..refusals import Invalid
from ..selectors.complaints import calendar_exceptions, provider_on, providers_on

CALLER_WORDS_MAX_CHARS = 4000
ADDRESS_MAX_CHARS = 300

# A district's routing table when it has none yet (002 §3, 003 §3; DOMAIN.md "Routing to departments"): code, name,
# who settles it, the department a transferred case goes to, keywords found in hotline orders, deadlines in working
# days (sign for, reply, close). The district edits it.
DEFAULT_CATEGORIES = [
    ("pm_cleaning", "环境卫生", Responsible.PROVIDER, "", "卫生 垃圾清运 清扫 保洁 楼道脏", 1, 3, 10),
    ("pm_greening", "绿化养护", Responsible.PROVIDER, "", "绿化 树木 草坪 修剪", 1, 5, 15),
    ("pm_security", "安全秩序", Responsible.PROVIDER, "", "门卫 保安 门禁 外来人员 秩序", 1, 3, 10),
    ("pm_fire", "消防通道", Responsible.PROVIDER, "", "消防 通道堵塞 消防通道", 1, 2, 5),
    ("pm_repair", "共用设施维修", Responsible.PROVIDER, "", "维修 漏水 下水 管道 楼道灯 路灯 屋面 防水 单元门", 1, 5, 15),
    ("pm_service", "物业服务", Responsible.PROVIDER, "", "物业 服务态度 不作为 管家", 1, 5, 15),
    ("dept_heating", "供暖", Responsible.DEPARTMENT, "供热主管部门", "供暖 暖气 供热 不热 室温", 1, 2, 5),
    ("dept_quality", "保修期内房屋质量", Responsible.DEPARTMENT, "城乡建设部门", "质量 保修 裂缝 开发商", 1, 5, 20),
    ("dept_price", "价格与停车收费", Responsible.DEPARTMENT, "市场监管部门", "价格 乱收费 停车费 停车收费", 1, 5, 15),
    ("dept_lift", "电梯（特种设备）", Responsible.DEPARTMENT, "市场监管部门", "电梯", 1, 2, 10),
    ("dept_illegal", "违建、占道、犬只、垃圾分类", Responsible.DEPARTMENT, "综合执法部门",
     "违建 私搭乱建 占道 摆摊 犬 狗 垃圾分类", 1, 5, 15),
    ("dept_order", "治安", Responsible.DEPARTMENT, "公安机关", "治安 打架 盗窃 诈骗", 1, 2, 10),
    ("other", "其他物业问题", Responsible.PROVIDER, "", "", 1, 5, 15),
]


def ensure_default_categories(district: AdminArea) -> int:
    """Give a district the default routing table when it has none; returns how many categories were added."""
    if ComplaintCategory.objects.filter(district=district).exists():
        return 0
    ComplaintCategory.objects.bulk_create([
        ComplaintCategory(district=district, code=code, name=name, responsible=responsible, department=department,
                          keywords=keywords, sign_days=sign, reply_days=reply, close_days=close)
        for code, name, responsible, department, keywords, sign, reply, close in DEFAULT_CATEGORIES
    ])
    return len(DEFAULT_CATEGORIES)


def deadlines(category: ComplaintCategory, received: datetime.date) -> dict[str, datetime.date]:
    """sign_due, reply_due and close_due of a case received on `received`, in the category's working days."""
    exceptions = calendar_exceptions(received, received + datetime.timedelta(days=max(60, 3 * category.close_days)))
    return {"sign_due": add_working_days(received, category.sign_days, exceptions),
            "reply_due": add_working_days(received, category.reply_days, exceptions),
            "close_due": add_working_days(received, category.close_days, exceptions)}


def routing(category: ComplaintCategory, estate: Estate | None, received: datetime.date) -> dict:
    """Who settles the case: another department for a transferred category, else the estate's provider on the day
    it was received (an estate without a contract: the community settles it; no estate yet: decided on
    confirmation)."""
    if category.responsible == Responsible.DEPARTMENT:
        return {"provider_kind": "", "enterprise_id": None, "department": category.department}
    if estate is None:
        return {"provider_kind": "", "enterprise_id": None, "department": ""}
    return {**provider_on(estate.pk, received), "department": ""}


def _area_of(estate: Estate | None) -> dict:
    if estate is None:
        return {"community": None, "street": None}
    community = estate.community
    return {"community": community, "street": community.parent}


def _location(estate: Estate | None, building: Building | None, location: Point | None) -> Point | None:
    if location is not None:
        return location
    if building is not None:
        return Building.objects.annotate(p=PointOnSurface("geom")).get(pk=building.pk).p
    if estate is not None:
        return Estate.objects.annotate(p=PointOnSurface("geom")).get(pk=estate.pk).p
    return None


def _text(value: str, limit: int, label: str) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise Invalid(_("%(field)s is too long: %(n)d characters, at most %(limit)d.")
                      % {"field": label, "n": len(value), "limit": limit})
    return value


def complaint_create(*, user, channel: str, received_at: datetime.datetime, caller_words: str,
                     category_id: int | None = None, address_text: str = "", hotline_category: str = "",
                     estate_id: int | None = None, building_id: int | None = None, order_no: str | None = None,
                     caller_name: str = "", caller_phone: str = "", location: Point | None = None,
                     match_confidence: float | None = None, district_id: int | None = None) -> Complaint:
    """Take in one complaint. The estate (and building), when given, must lie in the user's jurisdiction; without
    one the case waits in the district's "to confirm" list. A hotline order number is taken once (unique)."""
    require(user, Complaint, ADD)
    if channel not in Channel.values:
        raise Invalid(_("Unknown channel: %(value)s") % {"value": channel})
    caller_words = _text(caller_words, CALLER_WORDS_MAX_CHARS, _("The complaint"))
    if not caller_words:
        raise Invalid(_("Say what the complaint is about."))
    address_text = _text(address_text, ADDRESS_MAX_CHARS, _("The address"))
    if received_at > timezone.now() + datetime.timedelta(minutes=5):
        raise Invalid(_("The time received lies in the future: %(value)s") % {"value": received_at})
    with transaction.atomic():
        estate = building = None
        if estate_id is not None:
            estate = get_restricted(Estate.objects.select_related("community__parent__parent"), user, VIEW,
                                    pk=estate_id)
        if building_id is not None:
            building = get_restricted(Building.objects.all(), user, VIEW, pk=building_id)
            if estate is None:
                estate = Estate.objects.select_related("community__parent__parent").get(pk=building.estate_id)
            elif building.estate_id != estate.pk:
                raise Invalid(_("The building does not belong to the estate."))
        district = _district(user, estate, district_id)
        category = _category(district, category_id)
        received = timezone.localdate(received_at)
        complaint = Complaint.objects.create(
            order_no=order_no or None, channel=channel, received_at=received_at, caller_words=caller_words,
            address_text=address_text, hotline_category=hotline_category[:100], caller_name=caller_name[:50],
            caller_phone=caller_phone[:30], category=category, district=district, **_area_of(estate),
            estate=estate, building=building, match_confidence=match_confidence,
            location=_location(estate, building, location), **routing(category, estate, received),
            level=HandlingLevel.COMMUNITY, status=ComplaintStatus.RECEIVED, **deadlines(category, received),
            created_by=user,
        )
        recheck(complaint, user, VIEW)
        ComplaintEvent.objects.create(complaint=complaint, kind=StepKind.RECEIVED, to_status=complaint.status,
                                      level=complaint.level, user=user,
                                      note=complaint.get_channel_display())
    return complaint


def complaint_create_many(*, user, orders: list[dict], district_id: int | None = None) -> list[int]:
    """complaint_create for many orders at once (a hotline import): each order a dict of complaint_create's keyword
    arguments (channel, received_at, caller_words, category_id, address_text, hotline_category, estate_id,
    building_id, order_no, caller_name, caller_phone, match_confidence). The same checks, rows and `received` events,
    in a few statements for the whole list: the estates, buildings, routing tables, calendar, providers and locations
    read once, the complaints and their events inserted in bulk (the database's constraints and the trigger
    layers_complaint_area check every row as they do for one). Returns the new complaints' ids, in order."""
    require(user, Complaint, ADD)
    if not orders:
        return []
    for order in orders:
        if order["channel"] not in Channel.values:
            raise Invalid(_("Unknown channel: %(value)s") % {"value": order["channel"]})
        if not _text(order["caller_words"], CALLER_WORDS_MAX_CHARS, _("The complaint")):
            raise Invalid(_("Say what the complaint is about."))
        _text(order.get("address_text", ""), ADDRESS_MAX_CHARS, _("The address"))
        if order["received_at"] > timezone.now() + datetime.timedelta(minutes=5):
            raise Invalid(_("The time received lies in the future: %(value)s") % {"value": order["received_at"]})
    with transaction.atomic():
        estate_ids = {o["estate_id"] for o in orders if o.get("estate_id") is not None}
        building_ids = {o["building_id"] for o in orders if o.get("building_id") is not None}
        estates = {e.pk: e for e in restrict(Estate.objects.select_related("community__parent__parent"), user, VIEW)
                   .filter(pk__in=estate_ids)}
        buildings = {b.pk: b for b in restrict(Building.objects.all(), user, VIEW).filter(pk__in=building_ids)}
        if len(estates) < len(estate_ids) or len(buildings) < len(building_ids):
            thing = Estate if len(estates) < len(estate_ids) else Building
            raise OutsideJurisdiction(_("No %(thing)s with that id in your jurisdiction.")
                                      % {"thing": thing._meta.verbose_name})
        missing = {b.estate_id for b in buildings.values()} - set(estates)
        estates.update(Estate.objects.select_related("community__parent__parent").in_bulk(missing))
        fallback = _district(user, None, district_id) if any(o.get("estate_id") is None for o in orders) else None
        placed = []  # (order, estate, building, district)
        for order in orders:
            estate = estates.get(order.get("estate_id"))
            building = buildings.get(order.get("building_id"))
            if building is not None:
                if estate is None:
                    estate = estates[building.estate_id]
                elif building.estate_id != estate.pk:
                    raise Invalid(_("The building does not belong to the estate."))
            placed.append((order, estate, building, estate.community.parent.parent if estate else fallback))
        districts = {district.pk: district for *_, district in placed}
        for district in districts.values():
            ensure_default_categories(district)
        categories = {(c.district_id, c.pk): c for c in ComplaintCategory.objects.filter(
            district_id__in=districts, active=True)}
        others = {c.district_id: c for c in categories.values() if c.code == "other"}
        days = [timezone.localdate(o["received_at"]) for o in orders]
        longest = max(c.close_days for c in categories.values())
        exceptions = calendar_exceptions(min(days), max(days) + datetime.timedelta(days=max(60, 3 * longest)))
        providers = providers_on([(place[1].pk, day) for place, day in zip(placed, days) if place[1] is not None])
        points = dict(Building.objects.filter(pk__in=buildings).annotate(p=PointOnSurface("geom"))
                      .values_list("pk", "p"))
        estate_points = dict(Estate.objects.filter(pk__in={p[1].pk for p in placed if p[1] and not p[2]})
                             .annotate(p=PointOnSurface("geom")).values_list("pk", "p"))
        due: dict[tuple[int, datetime.date], dict] = {}
        complaints = []
        for (order, estate, building, district), day in zip(placed, days):
            category_id = order.get("category_id")
            category = categories.get((district.pk, category_id)) if category_id else others.get(district.pk)
            if category is None:
                raise Invalid(_("No complaint category with that id in the district's routing table."))
            if (category.pk, day) not in due:
                due[(category.pk, day)] = {
                    "sign_due": add_working_days(day, category.sign_days, exceptions),
                    "reply_due": add_working_days(day, category.reply_days, exceptions),
                    "close_due": add_working_days(day, category.close_days, exceptions)}
            if category.responsible == Responsible.DEPARTMENT:
                route = {"provider_kind": "", "enterprise_id": None, "department": category.department}
            elif estate is None:
                route = {"provider_kind": "", "enterprise_id": None, "department": ""}
            else:
                route = {**providers[(estate.pk, day)], "department": ""}
            location = order.get("location") or (points[building.pk] if building is not None else
                                                 estate_points[estate.pk] if estate is not None else None)
            complaints.append(Complaint(
                order_no=order.get("order_no") or None, channel=order["channel"], received_at=order["received_at"],
                caller_words=order["caller_words"].strip(), address_text=(order.get("address_text") or "").strip(),
                hotline_category=(order.get("hotline_category") or "")[:100],
                caller_name=(order.get("caller_name") or "")[:50], caller_phone=(order.get("caller_phone") or "")[:30],
                category=category, district=district, **_area_of(estate), estate=estate, building=building,
                match_confidence=order.get("match_confidence"), location=location, **route,
                level=HandlingLevel.COMMUNITY, status=ComplaintStatus.RECEIVED, **due[(category.pk, day)],
                created_by=user))
        Complaint.objects.bulk_create(complaints)
        ids = [c.pk for c in complaints]
        if restrict(Complaint.objects.filter(pk__in=ids), user, VIEW).count() < len(ids):
            raise PermissionDenied(_("This change would put the %(thing)s outside your jurisdiction.")
                                   % {"thing": Complaint._meta.verbose_name})
        ComplaintEvent.objects.bulk_create(
            ComplaintEvent(complaint=c, kind=StepKind.RECEIVED, to_status=c.status, level=c.level, user=user,
                           note=c.get_channel_display()) for c in complaints)
    return ids


def _district(user, estate: Estate | None, district_id: int | None) -> AdminArea:
    if estate is not None:
        return estate.community.parent.parent
    own = district_of(user)
    if own is not None:
        return own
    if district_id is None:
        raise Invalid(_("Choose the district the complaint belongs to."))
    district = restrict(AdminArea.objects.filter(level=AdminLevel.DISTRICT), user, VIEW).filter(pk=district_id).first()
    if district is None:
        raise Invalid(_("No district with that id in your jurisdiction."))
    return district


def _category(district: AdminArea, category_id: int | None) -> ComplaintCategory:
    ensure_default_categories(district)
    categories = ComplaintCategory.objects.filter(district=district, active=True)
    category = categories.filter(pk=category_id).first() if category_id else categories.filter(code="other").first()
    if category is None:
        raise Invalid(_("No complaint category with that id in the district's routing table."))
    return category


def complaint_confirm_estate(*, user, complaint_id: int, estate_id: int, building_id: int | None = None,
                             note: str = "") -> Complaint:
    """A person picks the estate of a case whose address could not be matched (the "to confirm" list): the case
    gets its community and street and is routed to the estate's provider on the day it was received."""
    require(user, Complaint, CHANGE)
    with transaction.atomic():
        complaint = get_restricted(Complaint.objects.select_for_update().select_related("category"), user, CHANGE,
                                   pk=complaint_id)
        estate = get_restricted(Estate.objects.select_related("community__parent__parent"), user, VIEW, pk=estate_id)
        if estate.community.parent.parent_id != complaint.district_id:
            raise Invalid(_("The estate lies in another district than the complaint."))
        building = None
        if building_id is not None:
            building = Building.objects.filter(pk=building_id, estate=estate).first()
            if building is None:
                raise Invalid(_("The building does not belong to the estate."))
        area = _area_of(estate)
        complaint.estate, complaint.building = estate, building
        complaint.community, complaint.street = area["community"], area["street"]
        complaint.location = _location(estate, building, None)
        route = routing(complaint.category, estate, timezone.localdate(complaint.received_at))
        complaint.provider_kind, complaint.enterprise_id = route["provider_kind"], route["enterprise_id"]
        complaint.department = route["department"]
        complaint.save()
        recheck(complaint, user, VIEW)
        ComplaintEvent.objects.create(complaint=complaint, kind=StepKind.CONFIRMED, level=complaint.level, user=user,
                                      note=note or estate.name)
    return complaint
