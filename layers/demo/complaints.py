"""A demo year of complaints per district (DOMAIN.md "Supervision"), written with COPY: seasonal, clustered on badly
served estates, each with the events of the steps it went through."""
from __future__ import annotations

import datetime
import io
from collections import defaultdict

import numpy as np
from django.utils import timezone

from ..models import AdminArea, AdminLevel, ComplaintCategory
from ..planning.workdays import add_working_days, is_working_day
from ..selectors.complaints import calendar_exceptions
from ..services.complaints import ensure_default_categories

# Complaints a year per 1,000 households of a well-served estate; an estate without a contract, under a caretaker or
# served by a low-credit enterprise draws several times as many (000 §4(1): many complaints mark the estates for key
# supervision).
BASE_RATE = 6.0
FACTOR_NONE, FACTOR_CARETAKER, FACTOR_LOW_CREDIT = 4.0, 2.0, 2.5
LOW_CREDIT = ("B", "C")

# Share of each category in a year, and its months: heating in the heating season (October to April in Harbin),
# cleaning and greening mostly in summer.
WINTER = (1, 2, 3, 4, 10, 11, 12)
CATEGORY_SHARE = {
    "pm_cleaning": 0.16, "pm_greening": 0.07, "pm_security": 0.07, "pm_fire": 0.04, "pm_repair": 0.2,
    "pm_service": 0.12, "dept_heating": 0.14, "dept_quality": 0.03, "dept_price": 0.05, "dept_lift": 0.03,
    "dept_illegal": 0.04, "dept_order": 0.01, "other": 0.04,
}
MONTH_WEIGHT = {
    "dept_heating": {1: 6, 2: 4, 3: 2, 4: 1, 10: 2, 11: 6, 12: 7},
    "pm_cleaning": {5: 2, 6: 3, 7: 4, 8: 4, 9: 2},
    "pm_greening": {5: 3, 6: 4, 7: 4, 8: 3, 9: 1},
}
WORDS = {
    "pm_cleaning": "{estate}{building}楼道垃圾多日无人清运，气味很大",
    "pm_greening": "{estate}{building}旁树木长期不修剪，挡住窗户",
    "pm_security": "{estate}门卫经常无人值守，外来人员随意进出",
    "pm_fire": "{estate}{building}门前消防通道被车辆堵塞",
    "pm_repair": "{estate}{building}下水管道漏水，楼道灯不亮",
    "pm_service": "{estate}物业服务态度差，报修无人处理",
    "dept_heating": "{estate}{building}暖气不热，室温不到十五度",
    "dept_quality": "{estate}{building}外墙裂缝，开发商不保修",
    "dept_price": "{estate}物业乱收停车费",
    "dept_lift": "{estate}{building}电梯经常停运",
    "dept_illegal": "{estate}有人私搭乱建占用绿地",
    "dept_order": "{estate}夜间有人打架，影响治安",
    "other": "{estate}其他物业问题，请尽快处理",
}
JOINT_AGENDA = "多次投诉未解决，提请联席会议协调"
JOINT_DECISION = "由街道牵头，相关部门配合，限期整改"
EVENT_COLUMNS = ("complaint_id", "kind", "from_status", "to_status", "level", "note", "user_id", "created_at")
COMPLAINT_COLUMNS = (
    "id", "order_no", "channel", "received_at", "caller_words", "address_text", "hotline_category", "caller_name",
    "caller_phone", "category_id", "district_id", "street_id", "community_id", "estate_id", "building_id",
    "match_confidence", "provider_kind", "enterprise_id", "department", "level", "status", "sign_due", "reply_due",
    "close_due", "signed_at", "replied_at", "closed_at", "rating", "reopened", "at_joint_meeting", "created_by_id",
    "created_at", "updated_at", "location",
)


def _buf(rows) -> io.StringIO:
    from .load import _text
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join(map(_text, row)))
        buf.write("\n")
    buf.seek(0)
    return buf


def _at(day: datetime.date, hour: float) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, _TZ[0]) + datetime.timedelta(hours=hour)


_TZ = [None]


class _Workdays:
    """add_working_days over a fixed span, by index into the span's working days (same result, no loop per call)."""

    def __init__(self, start: datetime.date, end: datetime.date, exceptions):
        self.start = start
        self.days = [start + datetime.timedelta(days=k) for k in range((end - start).days)]
        working = [is_working_day(d, exceptions) for d in self.days]
        self.work = [d for d, w in zip(self.days, working) if w]
        # index of the first working day after each day
        self.after, j = [], 0
        for k, d in enumerate(self.days):
            while j < len(self.work) and self.work[j] <= d:
                j += 1
            self.after.append(j)
        self.exceptions = exceptions

    def add(self, day: datetime.date, n: int) -> datetime.date:
        if n <= 0:
            return add_working_days(day, n, self.exceptions)
        return self.work[self.after[(day - self.start).days] + n - 1]


def _estates(raw, district_id: int):
    raw.execute(
        """SELECT e.id, e.name, e.address, e.households, e.community_id, c.parent_id,
                  encode(ST_AsEWKB(ST_PointOnSurface(e.geom)), 'hex')
             FROM layers_estate e JOIN layers_adminarea c ON c.id = e.community_id
             JOIN layers_adminarea s ON s.id = c.parent_id
            WHERE s.parent_id = %s AND e.households > 0 ORDER BY e.id""", [district_id])
    return raw.fetchall()


def _contracts(raw, district_id: int) -> dict[int, list[tuple]]:
    raw.execute(
        """SELECT k.estate_id, k.start_date, k.end_date, k.provider_kind, k.enterprise_id, COALESCE(n.credit_grade, '')
             FROM layers_servicecontract k JOIN layers_estate e ON e.id = k.estate_id
             JOIN layers_adminarea c ON c.id = e.community_id JOIN layers_adminarea s ON s.id = c.parent_id
             LEFT JOIN layers_enterprise n ON n.id = k.enterprise_id
            WHERE s.parent_id = %s""", [district_id])
    out = defaultdict(list)
    for estate_id, *rest in raw.fetchall():
        out[estate_id].append(tuple(rest))
    return out


def _provider_on(contracts: list[tuple], day: datetime.date) -> tuple[str, int | None, str]:
    for start, end, kind, enterprise_id, grade in contracts:
        if start <= day and (end is None or end > day):
            return kind, enterprise_id, grade
    return "", None, ""


def _factor(provider: tuple[str, int | None, str]) -> float:
    kind, _enterprise, grade = provider
    if not kind:
        return FACTOR_NONE
    if kind != "enterprise":
        return FACTOR_CARETAKER
    return FACTOR_LOW_CREDIT if grade in LOW_CREDIT else 1.0


def demo_complaints(raw, *, district_codes: list[str], seed: int, today: datetime.date | None = None) -> dict[str, int]:
    """Write a year (up to today) of complaints with their events and joint-meeting items for each district."""
    today = today or timezone.localdate()
    start = today - datetime.timedelta(days=365)
    exceptions = calendar_exceptions(start, today + datetime.timedelta(days=120))
    _TZ[0] = timezone.get_current_timezone()
    workdays = _Workdays(start, today + datetime.timedelta(days=120), exceptions)
    raw.execute("SELECT username, id FROM auth_user WHERE username LIKE 'street-%%' OR username LIKE 'planner-%%'")
    users = dict(raw.fetchall())
    raw.execute("SELECT COALESCE(max(id), 0) + 1 FROM layers_complaint")
    next_id = raw.fetchone()[0]
    complaints, events, meetings = [], [], []
    days = np.array([start + datetime.timedelta(days=k) for k in range(1, 366)])
    months = np.array([d.month for d in days])
    now = timezone.now()
    for district in AdminArea.objects.filter(level=AdminLevel.DISTRICT, code__in=district_codes).order_by("code"):
        ensure_default_categories(district)
        rng = np.random.default_rng([seed, int(district.code)])
        categories = {c.code: c for c in ComplaintCategory.objects.filter(district=district, active=True)}
        codes = [c for c in CATEGORY_SHARE if c in categories]
        shares = np.array([CATEGORY_SHARE[c] for c in codes])
        shares /= shares.sum()
        day_p = {}
        for code in codes:
            w = np.array([MONTH_WEIGHT.get(code, {}).get(m, 0 if code == "dept_heating" else 1) for m in months], float)
            day_p[code] = w / w.sum()
        estates = _estates(raw, district.pk)
        if not estates:
            continue
        contracts = _contracts(raw, district.pk)
        # Each case lies at its building (or estate) as the intake service places it (PointOnSurface), written with
        # the row rather than updated afterwards.
        raw.execute("""SELECT b.estate_id, b.id, b.label, encode(ST_AsEWKB(ST_PointOnSurface(b.geom)), 'hex')
                         FROM layers_building b JOIN layers_estate e ON e.id = b.estate_id
                        JOIN layers_adminarea c ON c.id = e.community_id JOIN layers_adminarea s ON s.id = c.parent_id
                       WHERE s.parent_id = %s ORDER BY b.id""", [district.pk])
        buildings = defaultdict(list)
        for estate_id, building_id, label, point in raw.fetchall():
            buildings[estate_id].append((building_id, label, point))
        mid = start + datetime.timedelta(days=182)
        factors = np.array([_factor(_provider_on(contracts.get(e[0], []), mid)) for e in estates])
        weights = np.array([e[3] for e in estates], float) * factors
        n = int(rng.poisson(BASE_RATE * weights.sum() / 1000))
        picked = rng.choice(len(estates), size=n, p=weights / weights.sum())
        cats = rng.choice(len(codes), size=n, p=shares)
        u = rng.random((n, 8))
        day_idx = np.zeros(n, dtype=int)
        for ci, code in enumerate(codes):
            mask = cats == ci
            day_idx[mask] = rng.choice(len(days), size=int(mask.sum()), p=day_p[code])
        planner = users.get(f"planner-{district.code}")
        raw.execute("SELECT code, id FROM layers_adminarea WHERE parent_id = %s", [district.pk])
        street_code = {sid: code for code, sid in raw.fetchall()}
        for k in range(n):
            estate_id, name, address, _hh, community_id, street_id, estate_point = estates[picked[k]]
            code = codes[cats[k]]
            category = categories[code]
            received_day = days[day_idx[k]]
            received_at = _at(received_day, 7.5 + 13 * u[k, 0])
            provider = _provider_on(contracts.get(estate_id, []), received_day)
            bad = _factor(provider) > 1
            blds = buildings.get(estate_id) or [(None, "", estate_point)]
            building_id, label, point = blds[int(u[k, 1] * len(blds))]
            cid = next_id + len(complaints)
            r = u[k, 2]
            channel = ("hotline_12345" if r < 0.6 else "hotline_12319" if r < 0.72 else "online" if r < 0.82
                       else "visit" if r < 0.92 else "staff" if r < 0.97 else "media")
            hotline = channel.startswith("hotline")
            order_no = (f"{channel[-5:]}-{received_day:%Y%m%d}-{district.code}-{cid:06d}"
                        if hotline and u[k, 3] < 0.95 else None)
            due = {"sign_due": workdays.add(received_day, category.sign_days),
                   "reply_due": workdays.add(received_day, category.reply_days),
                   "close_due": workdays.add(received_day, category.close_days)}
            street_user = users.get(f"street-{street_code.get(street_id, '')}")
            department = category.department if category.responsible == "department" else ""
            kind, enterprise_id = ("", None) if department else provider[:2]
            level, status = "community", "received"
            signed_at = replied_at = closed_at = None
            rating, joint = "", False
            ev = [("received", "", "received", "community", "" if hotline else channel,
                   None if hotline else street_user, received_at)]
            age = (today - received_day).days
            late = u[k, 4] < (0.35 if bad else 0.12)   # handled after its deadline
            stuck = u[k, 5] < (0.08 if bad else 0.025)  # still open long after receipt (overdue)
            if age >= 1 or u[k, 6] < 0.5:
                signed_at = received_at + datetime.timedelta(hours=2 + 20 * u[k, 6])
                if signed_at > now:
                    signed_at = None
            if signed_at is not None:
                status = "signed"
                ev.append(("signed", "received", "signed", level, "", street_user, signed_at))
                if department:
                    status = "transferred"
                    ev.append(("transferred", "signed", "transferred", level, department, street_user,
                               signed_at + datetime.timedelta(minutes=30)))
                if u[k, 7] < (0.15 if bad else 0.05):
                    level = "street"
                    ev.append(("escalated", "", "", level, "", street_user, signed_at + datetime.timedelta(hours=1)))
                reply_day = workdays.add(received_day, max(0, category.reply_days + (4 if late else 0) - int(2 * u[k, 6])))
                replied = _at(reply_day, 9 + 8 * u[k, 0])
                if replied <= now and not (stuck and age > 20):
                    replied_at = replied
                    ev.append(("replied", status, "replied", level, "", None, replied_at))
                    status = "replied"
                    close_day = workdays.add(reply_day, 1 + (6 if late else int(3 * u[k, 4] * 8) % 3))
                    closed = _at(close_day, 9 + 8 * u[k, 3])
                    if closed <= now:
                        closed_at = closed
                        p = u[k, 5] if not stuck else u[k, 4]
                        rating = ("unsatisfied" if p < (0.3 if bad else 0.06) else
                                  "basically" if p < (0.55 if bad else 0.25) else "satisfied")
                        ev.append(("checked", "", "", level, "", street_user, closed - datetime.timedelta(hours=1)))
                        ev.append(("rated", "", "", level, rating, street_user, closed - datetime.timedelta(minutes=30)))
                        ev.append(("closed", "replied", "closed", level, "", street_user, closed))
                        status = "closed"
                elif stuck and age > 20 and u[k, 3] < 0.45 and planner:
                    joint, level = True, "district"
                    sent = signed_at + datetime.timedelta(days=7)
                    ev.append(("escalated", "", "", level, "", None, sent - datetime.timedelta(hours=1)))
                    ev.append(("joint_meeting", "", "", level, JOINT_AGENDA, planner, sent))
                    meeting_on = workdays.add(sent.date(), 10)
                    decided = _at(meeting_on, 16) if meeting_on < today else None
                    meetings.append((cid, JOINT_AGENDA, meeting_on, JOINT_DECISION if decided else "", decided,
                                     planner, sent))
                    if decided:
                        ev.append(("decided", "", "", level, JOINT_DECISION, planner, decided))
            complaints.append((
                cid, order_no, channel, received_at, WORDS[code].format(estate=name, building=label),
                f"{address}{label}", category.name if hotline else "", "", "", category.pk, district.pk,
                street_id, community_id, estate_id, building_id, None, kind, enterprise_id, department, level,
                status, due["sign_due"], due["reply_due"], due["close_due"], signed_at, replied_at, closed_at,
                rating, 0, joint, None, received_at, (closed_at or replied_at or signed_at or received_at), point,
            ))
            events.extend((cid, *e) for e in ev)
    raw.copy_expert(f"COPY layers_complaint ({', '.join(COMPLAINT_COLUMNS)}) FROM STDIN", _buf(complaints))
    raw.copy_expert(f"COPY layers_complaintevent ({', '.join(EVENT_COLUMNS)}) FROM STDIN", _buf(events))
    raw.copy_expert("COPY layers_jointmeetingitem (complaint_id, agenda, meeting_on, decision, decided_at, sent_by_id,"
                    " sent_at) FROM STDIN", _buf(meetings))
    for table in ("layers_complaint", "layers_complaintevent", "layers_jointmeetingitem"):
        raw.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)")
    return {"complaints": len(complaints), "complaint steps": len(events), "joint meeting items": len(meetings)}
