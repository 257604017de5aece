"""Officials' complaint figures (DOMAIN.md "Supervision", "Assessment of organisations"): per street and per
enterprise, each figure family one SQL statement scoped by the user's complaint scope."""
from __future__ import annotations

import datetime

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from ..models import OPEN_STATUSES, Complaint
from ..permissions import VIEW, inlined, may, restrict, user_scope_sql
from .coverage import CHILD_LEVEL, coverage_figures

# Complaints per 1,000 households, on-time rate (closed by the close-by date), satisfaction rate (satisfied or
# basically satisfied among the rated) and overdue cases (not closed by the end of the close-by date, seen on the
# period's last day), for the complaints received in [start, end]. Households are the estates' of the area (old
# and new: residents of every estate call the hotline).
AREA_SQL = """
WITH k AS (
  SELECT c.{column} AS area_id, c.status, c.rating, c.close_due, c.closed_at
    FROM layers_complaint c
   WHERE c.received_at::date BETWEEN %(start)s AND %(end)s AND c.{column} IS NOT NULL AND {scope}
), hh AS (
  SELECT {household_area} AS area_id, sum(e.households) AS households
    FROM layers_estate e JOIN layers_adminarea cm ON cm.id = e.community_id
    JOIN layers_adminarea st ON st.id = cm.parent_id
   GROUP BY 1
)
SELECT s.id, s.code, s.name, COALESCE(hh.households, 0) AS households,
       count(*) AS complaints,
       count(k.closed_at) AS closed,
       count(k.closed_at) FILTER (WHERE k.closed_at::date <= k.close_due) AS on_time,
       count(*) FILTER (WHERE k.rating <> '') AS rated,
       count(*) FILTER (WHERE k.rating IN ('satisfied', 'basically')) AS satisfied,
       count(*) FILTER (WHERE k.close_due < %(end)s
                          AND (k.closed_at IS NULL OR k.closed_at::date > k.close_due)) AS overdue
  FROM k JOIN layers_adminarea s ON s.id = k.area_id
  LEFT JOIN hh ON hh.area_id = s.id
 GROUP BY s.id, s.code, s.name, hh.households
 ORDER BY s.code
"""
BY_STREET_SQL = AREA_SQL.replace("{column}", "street_id").replace("{household_area}", "st.id")
BY_COMMUNITY_SQL = AREA_SQL.replace("{column}", "community_id").replace("{household_area}", "cm.id")
# The same per district (the city's view, DOMAIN.md "Levels").
BY_DISTRICT_SQL = AREA_SQL.replace("{column}", "district_id").replace("{household_area}", "st.parent_id")

# The same figures per enterprise, households being those of the estates it served on the period's last day.
BY_ENTERPRISE_SQL = """
WITH k AS (
  SELECT c.enterprise_id, c.status, c.rating, c.close_due, c.closed_at
    FROM layers_complaint c
   WHERE c.received_at::date BETWEEN %(start)s AND %(end)s AND c.enterprise_id IS NOT NULL AND {scope}
), hh AS (
  SELECT a.enterprise_id, sum(e.households) AS households
    FROM layers_active_contracts(%(end)s) a JOIN layers_estate e ON e.id = a.estate_id
   WHERE a.enterprise_id IS NOT NULL
   GROUP BY a.enterprise_id
)
SELECT n.id, n.credit_code AS code, n.name, COALESCE(hh.households, 0) AS households,
       count(*) AS complaints,
       count(k.closed_at) AS closed,
       count(k.closed_at) FILTER (WHERE k.closed_at::date <= k.close_due) AS on_time,
       count(*) FILTER (WHERE k.rating <> '') AS rated,
       count(*) FILTER (WHERE k.rating IN ('satisfied', 'basically')) AS satisfied,
       count(*) FILTER (WHERE k.close_due < %(end)s
                          AND (k.closed_at IS NULL OR k.closed_at::date > k.close_due)) AS overdue
  FROM k JOIN layers_enterprise n ON n.id = k.enterprise_id
  LEFT JOIN hh ON hh.enterprise_id = n.id
 GROUP BY n.id, n.credit_code, n.name, hh.households
 ORDER BY n.name
"""


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _rows(sql: str, user, start: datetime.date, end: datetime.date) -> list[dict]:
    scope = "TRUE" if user is None else inlined(*user_scope_sql(Complaint, user, VIEW, "c.id"))
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("{scope}", scope), {"start": start, "end": end})
        columns = [c.name for c in cursor.description]
        rows = [dict(zip(columns, row)) for row in cursor.fetchall()]
    for r in rows:
        r["per_1000_households"] = (round(r["complaints"] * 1000 / r["households"], 2) if r["households"] else None)
        r["on_time_rate"] = _rate(r["on_time"], r["closed"])
        r["satisfaction_rate"] = _rate(r["satisfied"], r["rated"])
    return rows


def complaints_by_street(*, user, start: datetime.date, end: datetime.date) -> list[dict]:
    """Per street with complaints received in [start, end] in the user's scope: households, complaints, per 1,000
    households, closed, on time, on-time rate, rated, satisfied, satisfaction rate, overdue."""
    return _rows(BY_STREET_SQL, user, start, end)


def complaints_by_enterprise(*, user, start: datetime.date, end: datetime.date) -> list[dict]:
    """The same figures per enterprise the complaints were routed to."""
    return _rows(BY_ENTERPRISE_SQL, user, start, end)


def street_ranking(*, user, start: datetime.date, end: datetime.date) -> list[dict]:
    """The streets ranked for the annual assessment on complaint handling (001 §4(2)): fewer complaints per 1,000
    households, then higher on-time and satisfaction rates, then fewer overdue cases; rank 1 is best."""
    rows = complaints_by_street(user=user, start=start, end=end)
    rows.sort(key=lambda r: (*_complaint_key(r), r["code"]))
    for rank, r in enumerate(rows, 1):
        r["rank"] = rank
    return rows


HOTSPOT_MAX_POINTS = 20000

# The complaints received in [from, to] at their location, for the hotspot heat layer; the newest first when more
# than the limit fall in the box.
HOTSPOT_SQL = """
SELECT round(ST_Y(c.location)::numeric, 6)::float8 AS lat, round(ST_X(c.location)::numeric, 6)::float8 AS lon
  FROM layers_complaint c
 WHERE c.location IS NOT NULL
   AND c.received_at::date BETWEEN %(start)s AND %(end)s
   AND (%(minx)s::float8 IS NULL
        OR c.location && ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, 4490))
   AND {scope}
 ORDER BY c.received_at DESC
 LIMIT %(limit)s
"""


def complaint_hotspot_points(*, user, start: datetime.date, end: datetime.date,
                             bbox: tuple[float, float, float, float] | None = None,
                             limit: int = HOTSPOT_MAX_POINTS) -> list[list[float]]:
    """[lat, lon] of the complaints received in [start, end] in the user's complaint scope (all without a user),
    optionally inside a lon/lat bbox."""
    minx, miny, maxx, maxy = bbox if bbox else (None, None, None, None)
    scope = "TRUE" if user is None else inlined(*user_scope_sql(Complaint, user, VIEW, "c.id"))
    with connection.cursor() as cursor:
        cursor.execute(HOTSPOT_SQL.replace("{scope}", scope),
                       {"start": start, "end": end, "limit": limit, "minx": minx, "miny": miny, "maxx": maxx,
                        "maxy": maxy})
        return [list(row) for row in cursor.fetchall()]


ESTATE_LAST_COMPLAINTS = 5


def estate_complaints(*, estate_id: int, user, today: datetime.date | None = None,
                      last: int = ESTATE_LAST_COMPLAINTS) -> dict | None:
    """The estate's complaints the user may view (permissions.restrict on Complaint): how many were received this
    calendar year, how many are open, and the last few with their status and case page. None for a role that may
    not view complaints at all (the popup and page then say nothing of them)."""
    if not may(user, Complaint, VIEW):
        return None
    today = today or timezone.localdate()
    mine = restrict(Complaint.objects.filter(estate_id=estate_id), user, VIEW)
    figures = mine.aggregate(
        year=Count("id", filter=Q(received_at__year=today.year)),
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
    )
    rows = mine.select_related("category").order_by("-received_at", "-id")[:last]
    return {
        "year": figures["year"],
        "open": figures["open"],
        "last": [{
            "id": c.pk,
            "order_no": c.order_no,
            "received": timezone.localtime(c.received_at).date().isoformat(),
            "category": c.category.name if c.category_id else "",
            "status": c.get_status_display(),
            "overdue": bool(c.closed_at is None and c.close_due and c.close_due < today),
            # The case page (docs/COMPLAINTS.md "Case page").
            "url": f"/complaints/{c.pk}/",
        } for c in rows],
    }



def complaints_by_district(*, user, start: datetime.date, end: datetime.date) -> list[dict]:
    """The complaint figures per district with complaints received in [start, end] in the user's scope."""
    return _rows(BY_DISTRICT_SQL, user, start, end)


def _complaint_key(r: dict) -> tuple:
    return (r["per_1000_households"] if r["per_1000_households"] is not None else float("inf"),
            -(r["on_time_rate"] or 0), -(r["satisfaction_rate"] or 0), r["overdue"])


def assessment_ranking(*, user, home, end: datetime.date, start: datetime.date | None = None) -> dict:
    """The ranking for the annual assessment (001 §4(2)) of the areas one level below the user's home area — the
    districts for the city, the streets for a district — on coverage (service rate by estates on `end`) and
    complaint handling (complaints received in the year up to `end`). Each area gets a rank on each, and its
    overall rank is by the mean of the two ranks (ties: the better complaint rank, then the code). Inspections
    are not part of it yet. {"level", "start", "end", "rows"}; rows empty without a home area.

    Like the coverage rates, the complaint figures of the ranking are the areas' whole figures, not cut to the
    user's complaint scope (docs/SECURITY.md "Read scope": a street office sees its district's rankings, so its
    neighbours must not look complaint-free); no single case shows."""
    start = start or end - datetime.timedelta(days=364)
    if home is None or home.level not in ("city", "district"):
        return {"level": None, "start": start, "end": end, "rows": []}
    level = CHILD_LEVEL[home.level]
    coverage = coverage_figures(on=end, level=level, parent_id=home.pk, user=user)["rows"]
    by_area = (complaints_by_district if level == "district" else complaints_by_street)(user=None, start=start,
                                                                                       end=end)
    complaints = {r["id"]: r for r in by_area}
    rows = []
    for c in coverage:
        k = complaints.get(c["id"])
        households = (k or {}).get("households") or 0
        rows.append({
            "id": c["id"], "code": c["code"], "name": c["name"],
            "service_rate": (c.get("service_rate") or {}).get("estates"),
            "households": households,
            "complaints": k["complaints"] if k else 0,
            "per_1000_households": k["per_1000_households"] if k else (0.0 if households else None),
            "on_time_rate": k["on_time_rate"] if k else None,
            "satisfaction_rate": k["satisfaction_rate"] if k else None,
            "overdue": k["overdue"] if k else 0,
        })
    for rank, r in enumerate(sorted(rows, key=lambda r: (r["service_rate"] is None, -(r["service_rate"] or 0),
                                                          r["code"])), 1):
        r["coverage_rank"] = rank
    for rank, r in enumerate(sorted(rows, key=lambda r: (*_complaint_key(r), r["code"])), 1):
        r["complaint_rank"] = rank
    rows.sort(key=lambda r: (r["coverage_rank"] + r["complaint_rank"], r["complaint_rank"], r["code"]))
    for rank, r in enumerate(rows, 1):
        r["rank"] = rank
    return {"level": level, "start": start, "end": end, "rows": rows}


AREA_FIGURES = {"district": BY_DISTRICT_SQL, "street": BY_STREET_SQL, "community": BY_COMMUNITY_SQL}
EXPORTED = ("complaints", "per_1000_households", "on_time_rate", "satisfaction_rate", "overdue")


def area_complaint_figures(*, level: str, end: datetime.date) -> dict[int, dict]:
    """Area id → its whole complaint figures for the year up to `end` (the coverage figures' companion in the
    dashboard's exports; like the coverage rates they are not cut to a user's scope). Empty for the city level."""
    if level not in AREA_FIGURES:
        return {}
    rows = _rows(AREA_FIGURES[level], None, end - datetime.timedelta(days=364), end)
    return {r["id"]: {key: r[key] for key in EXPORTED} for r in rows}
