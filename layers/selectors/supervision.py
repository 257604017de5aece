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


# Daily inspections per area (DOMAIN.md "Assessment of organisations": site checks, 000 §6; 001 §4(2)) made in
# [start, end]: how many, how many of the area's estates were inspected at least once and that share of all its
# estates, and the mean score in percent of the checklist's maximum. Every estate of the area counts (inspections
# are not limited to old estates); an area without estates has no share.
INSPECTION_AREA_SQL = """
WITH i AS (
  SELECT {inspection_area} AS area_id, count(*) AS inspections, count(DISTINCT i.estate_id) AS estates_inspected,
         avg(100.0 * i.total_score / i.max_score) AS average_pct
    FROM layers_inspection i JOIN layers_adminarea st ON st.id = i.street_id
   WHERE i.inspected_on BETWEEN %(start)s AND %(end)s
   GROUP BY 1
), e AS (
  SELECT {estate_area} AS area_id, count(*) AS estates
    FROM layers_estate e JOIN layers_adminarea cm ON cm.id = e.community_id
    JOIN layers_adminarea st ON st.id = cm.parent_id
   GROUP BY 1
)
SELECT COALESCE(e.area_id, i.area_id) AS id, COALESCE(e.estates, 0) AS estates,
       COALESCE(i.inspections, 0) AS inspections, COALESCE(i.estates_inspected, 0) AS estates_inspected,
       i.average_pct
  FROM e FULL JOIN i ON i.area_id = e.area_id
"""
INSPECTION_AREAS = {
    "district": ("st.parent_id", "st.parent_id"),
    "street": ("i.street_id", "st.id"),
    "community": ("i.community_id", "cm.id"),
}
NO_INSPECTIONS = {"estates": 0, "inspections": 0, "estates_inspected": 0, "inspected_share": None,
                  "average_pct": None}
RANKS = ("rank", "coverage_rank", "complaint_rank", "inspection_rank")


def area_inspection_figures(*, level: str, start: datetime.date, end: datetime.date) -> dict[int, dict]:
    """Area id → {estates, inspections, estates_inspected, inspected_share (0–1), average_pct (one decimal)} for the
    daily inspections made in [start, end] in the areas of `level` (district, street or community). Like the
    coverage rates of the ranking these are the areas' whole figures, not cut to a user's scope; empty for another
    level."""
    if level not in INSPECTION_AREAS:
        return {}
    inspection_area, estate_area = INSPECTION_AREAS[level]
    sql = INSPECTION_AREA_SQL.replace("{inspection_area}", inspection_area).replace("{estate_area}", estate_area)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"start": start, "end": end})
        columns = [c.name for c in cursor.description]
        rows = [dict(zip(columns, row)) for row in cursor.fetchall()]
    return {r["id"]: {"estates": r["estates"], "inspections": r["inspections"],
                      "estates_inspected": r["estates_inspected"],
                      "inspected_share": _rate(r["estates_inspected"], r["estates"]),
                      "average_pct": None if r["average_pct"] is None else round(float(r["average_pct"]), 1)}
            for r in rows}


def _inspection_key(r: dict) -> tuple:
    # More of the area's estates inspected, then a better mean score, then more inspections.
    return (r["inspected_share"] is None, -(r["inspected_share"] or 0), -(r["average_pct"] or 0),
            -r["inspections"])


def rank_assessment(rows: list[dict]) -> list[dict]:
    """Give each area row (service_rate, the complaint figures, the inspection figures) its coverage rank, complaint
    rank and inspection rank, and its overall rank by the sum of the three (the mean of the three ranks; ties: the
    better complaint rank, then the better inspection rank, then the code). Returns the rows in overall order."""
    for rank, r in enumerate(sorted(rows, key=lambda r: (r["service_rate"] is None, -(r["service_rate"] or 0),
                                                          r["code"])), 1):
        r["coverage_rank"] = rank
    for rank, r in enumerate(sorted(rows, key=lambda r: (*_complaint_key(r), r["code"])), 1):
        r["complaint_rank"] = rank
    for rank, r in enumerate(sorted(rows, key=lambda r: (*_inspection_key(r), r["code"])), 1):
        r["inspection_rank"] = rank
    rows = sorted(rows, key=lambda r: (r["coverage_rank"] + r["complaint_rank"] + r["inspection_rank"],
                                       r["complaint_rank"], r["inspection_rank"], r["code"]))
    for rank, r in enumerate(rows, 1):
        r["rank"] = rank
        r["rank_sum"] = r["coverage_rank"] + r["complaint_rank"] + r["inspection_rank"]
    return rows


def assessment_ranking(*, user, home, end: datetime.date, start: datetime.date | None = None) -> dict:
    """The ranking for the annual assessment (001 §4(2): the city assesses districts, the district its street
    offices, a street its communities) of the areas one level below `home` on coverage (service rate by estates on
    `end`), complaint handling (complaints received in the year up to `end`) and daily inspections (made in the
    same period). Each area gets a rank on each, and its overall rank is by the mean of the three ranks
    (rank_assessment). {"level", "start", "end", "rows"}; rows empty without a home area.

    Like the coverage rates, the complaint and inspection figures of the ranking are the areas' whole figures, not
    cut to the user's scope (docs/SECURITY.md "Read scope": a street office sees its district's rankings, so its
    neighbours must not look complaint-free); no single case shows."""
    start = start or end - datetime.timedelta(days=364)
    if home is None or home.level not in ("city", "district", "street"):
        return {"level": None, "start": start, "end": end, "rows": []}
    level = CHILD_LEVEL[home.level]
    coverage = coverage_figures(on=end, level=level, parent_id=home.pk, user=user)["rows"]
    return {"level": level, "start": start, "end": end,
            "rows": assessment_rows(coverage, level=level, start=start, end=end)}


def assessment_rows(coverage: list[dict], *, level: str, start: datetime.date, end: datetime.date) -> list[dict]:
    """The coverage rows of areas of one `level` (docs/COVERAGE_API.md) with their complaint figures (received in
    [start, end]) and inspection figures (made in [start, end]), ranked by rank_assessment. Empty for the city
    level (nothing ranks cities)."""
    if level not in AREA_FIGURES:
        return []
    complaints = {r["id"]: r for r in _rows(AREA_FIGURES[level], None, start, end)}
    inspections = area_inspection_figures(level=level, start=start, end=end)
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
            **inspections.get(c["id"], NO_INSPECTIONS),
        })
    return rank_assessment(rows)


AREA_FIGURES = {"district": BY_DISTRICT_SQL, "street": BY_STREET_SQL, "community": BY_COMMUNITY_SQL}
EXPORTED = ("complaints", "per_1000_households", "on_time_rate", "satisfaction_rate", "overdue")


def area_complaint_figures(*, level: str, end: datetime.date) -> dict[int, dict]:
    """Area id → its whole complaint figures for the year up to `end` (the coverage figures' companion in the
    dashboard's exports; like the coverage rates they are not cut to a user's scope). Empty for the city level."""
    if level not in AREA_FIGURES:
        return {}
    rows = _rows(AREA_FIGURES[level], None, end - datetime.timedelta(days=364), end)
    return {r["id"]: {key: r[key] for key in EXPORTED} for r in rows}
