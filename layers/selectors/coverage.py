"""Coverage figures, trend and uncovered-household points (docs/COVERAGE_API.md).

The figures sum per-community figures kept in memory per date and data version; the trend and the points are one
SQL statement each. Status on a date is always layers_active_contracts(date) (migration 0004) joined to estates;
nothing here loops over estates or contracts in Python. The denominator of every rate is the old estates (build
year at or before settings.OLD_ESTATE_CUTOFF_YEAR, the SQL function layers_is_old_estate of migration 0014).
"""
from __future__ import annotations

import datetime
import threading
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import CITY_ROLES, DISTRICT_ROLES, AdminArea, AdminLevel, Estate, Role
from ..permissions import LOCATE, VIEW, OutsideJurisdiction, district_of, inlined, restrict, role_of, user_scope_sql
from ..refusals import Invalid
from ..rules import old_estate_cutoff, old_estate_sql

LEVEL_DEPTH = {AdminLevel.CITY: 0, AdminLevel.DISTRICT: 1, AdminLevel.STREET: 2, AdminLevel.COMMUNITY: 3}
TREND_MAX_POINTS = 240
UNCOVERED_MAX_POINTS = 20_000

COUNT_COLUMNS = (
    "old_estates", "old_households", "old_floor_area",
    "ent_estates", "ent_households", "ent_floor_area",
    "srv_estates", "srv_households", "srv_floor_area",
    "st_enterprise", "st_caretaker", "st_self_governed", "st_none",
    "oc_established",
    "ab_reported", "ab_verified", "ab_under_caretaker", "ab_resolved",
    "ren_planned", "ren_in_progress", "ren_completed",
)

# Figures are summed per community first (estates, abandoned buildings and renovation projects each grouped
# once), then rolled up to the requested level through the community → street → district → city parents (DOMAIN.md
# "Levels": the city assesses its districts); every area of the level is returned, empty ones with zeros, and the
# total is the sum of the returned rows. A building's abandonment state on D is the to_state of the last step (of
# any of its reports) taken by the end of D; "rejected" means managed again. Renovation projects count from their
# start year, by their recorded status (projects carry years, not dates).
#
# The per-community figures do not depend on who asks: they are kept in memory per date (community_figures below)
# and every level, parent and user sums the communities of its areas, the areas being chosen per request inside
# the user's jurisdiction (permissions.restrict) exactly as before.
AREAS_SQL = """
WITH area AS (
  SELECT a.id, a.code, a.name, a.level FROM layers_adminarea a
    LEFT JOIN layers_adminarea p1 ON p1.id = a.parent_id
    LEFT JOIN layers_adminarea p2 ON p2.id = p1.parent_id
   WHERE a.level = %(level)s AND {scope}
     AND (%(parent)s::bigint IS NULL OR %(parent)s::bigint IN (a.parent_id, p1.parent_id, p2.parent_id))
), hierarchy AS (
  SELECT c.id AS community_id,
         CASE %(level)s WHEN 'community' THEN c.id WHEN 'street' THEN s.id
                        WHEN 'district' THEN d.id ELSE d.parent_id END AS area_id
    FROM layers_adminarea c
    JOIN layers_adminarea s ON s.id = c.parent_id
    JOIN layers_adminarea d ON d.id = s.parent_id
   WHERE c.level = 'community'
)"""

# What the per-community figures are a function of, besides the date, the time zone and the old-estate cutoff: the
# data version of every table BASE_SQL reads (statement triggers bump them on every write that changed a row — a
# statement changing none bumps nothing, migration 0030 — whatever the write path:
# migration 0012 — 'estates': estates, contracts; 'buildings': estates, buildings, abandonment reports, admin areas;
# 'renovations': estates, renovation projects — and migration 0026 — 'abandonment_events') and the version of
# each rule function's catalogue row (a CREATE OR REPLACE FUNCTION gives a new one). Read in the statement that
# reads the figures, so a version always names the data it was read with (one snapshot). NULL (nothing kept) when a
# version row is missing.
BASE_VERSIONS = ("abandonment_events", "buildings", "estates", "renovations")
VERSION_SQL = (
    "(SELECT CASE count(*) WHEN " + str(len(BASE_VERSIONS)) + " THEN string_agg(layer || ':' || version, ',' "
    "ORDER BY layer) END FROM layers_tileversion WHERE layer IN ("
    + ", ".join(f"'{layer}'" for layer in BASE_VERSIONS) + ")) || '/' || "
    "(SELECT string_agg(p.oid::text || ':' || p.xmin::text || p.ctid::text, ',' ORDER BY p.oid) FROM pg_proc p "
    "WHERE p.proname LIKE 'layers\\_%%')"
)

# The areas a request sums (the level's areas inside the user's scope, below the parent) with their communities,
# the number of communities, and the data version: the first, small statement.
AREA_MEMBERS_SQL = AREAS_SQL + """
SELECT v.version, v.communities, a.id, a.code, a.name, a.level, a.members
  FROM (SELECT """ + VERSION_SQL + """ AS version,
               (SELECT count(*) FROM layers_adminarea WHERE level = 'community') AS communities) v
  LEFT JOIN (SELECT a.id, a.code, a.name, a.level,
                    COALESCE(array_agg(h.community_id ORDER BY h.community_id)
                               FILTER (WHERE h.community_id IS NOT NULL), '{}') AS members
               FROM area a LEFT JOIN hierarchy h ON h.area_id = a.id
              GROUP BY a.id, a.code, a.name, a.level) a ON TRUE
 ORDER BY a.code, a.id
"""

# Every figure of the communities asked for (NULL: all of them; a literal array, so the planner estimates the
# estates of a district as well as of the whole city), one row each, zeros where nothing counts, and the version
# of the data they were read from. The estates, abandoned buildings (filtered before their last step is sorted) and
# renovation projects of those communities only are read.
BASE_SQL = """
WITH est AS (
  SELECT e.community_id, e.households, e.floor_area, e.owners_committee,
         COALESCE(a.status, 'none') AS status
    FROM layers_estate e
    LEFT JOIN layers_active_contracts(%(on)s) a ON a.estate_id = e.id
   WHERE {old} AND {communities}
), est_c AS (
  SELECT community_id,
         count(*) AS old_estates, sum(households) AS old_households, sum(floor_area) AS old_floor_area,
         count(*) FILTER (WHERE status = 'enterprise') AS ent_estates,
         COALESCE(sum(households) FILTER (WHERE status = 'enterprise'), 0) AS ent_households,
         COALESCE(sum(floor_area) FILTER (WHERE status = 'enterprise'), 0) AS ent_floor_area,
         count(*) FILTER (WHERE status <> 'none') AS srv_estates,
         COALESCE(sum(households) FILTER (WHERE status <> 'none'), 0) AS srv_households,
         COALESCE(sum(floor_area) FILTER (WHERE status <> 'none'), 0) AS srv_floor_area,
         count(*) FILTER (WHERE status = 'enterprise') AS st_enterprise,
         count(*) FILTER (WHERE status = 'caretaker') AS st_caretaker,
         count(*) FILTER (WHERE status = 'self_governed') AS st_self_governed,
         count(*) FILTER (WHERE status = 'none') AS st_none,
         count(*) FILTER (WHERE owners_committee = 'established') AS oc_established
    FROM est GROUP BY community_id
), ab_state AS (
  SELECT DISTINCT ON (r.building_id) r.building_id, e.community_id, ev.to_state
    FROM layers_abandonmentreport r
    JOIN layers_building b ON b.id = r.building_id
    JOIN layers_estate e ON e.id = b.estate_id
    JOIN layers_abandonmentevent ev ON ev.report_id = r.id
   WHERE ev.created_at < %(day_end)s AND {communities}
   ORDER BY r.building_id, ev.created_at DESC, ev.id DESC
), ab_c AS (
  SELECT community_id,
         count(*) FILTER (WHERE to_state = 'reported') AS ab_reported,
         count(*) FILTER (WHERE to_state = 'verified') AS ab_verified,
         count(*) FILTER (WHERE to_state = 'under_caretaker') AS ab_under_caretaker,
         count(*) FILTER (WHERE to_state = 'resolved') AS ab_resolved
    FROM ab_state GROUP BY community_id
), ren_c AS (
  SELECT e.community_id,
         count(*) FILTER (WHERE p.status = 'planned') AS ren_planned,
         count(*) FILTER (WHERE p.status = 'in_progress') AS ren_in_progress,
         count(*) FILTER (WHERE p.status = 'completed') AS ren_completed
    FROM layers_renovationproject p
    JOIN layers_estate e ON e.id = p.estate_id
   WHERE p.start_year <= %(year)s AND {communities}
   GROUP BY e.community_id
)
SELECT v.version, b.*
  FROM (SELECT {version} AS version) v
  LEFT JOIN (SELECT c.id, {columns}
               FROM layers_adminarea c
               LEFT JOIN est_c ON est_c.community_id = c.id
               LEFT JOIN ab_c ON ab_c.community_id = c.id
               LEFT JOIN ren_c ON ren_c.community_id = c.id
              WHERE c.level = 'community' AND {communities_c}) b ON TRUE
""".format(
    old=old_estate_sql("e.build_year"),
    communities="(%(communities)s::bigint[] IS NULL OR e.community_id = ANY (%(communities)s::bigint[]))",
    communities_c="(%(communities)s::bigint[] IS NULL OR c.id = ANY (%(communities)s::bigint[]))",
    columns=", ".join(f"COALESCE({c}, 0) AS {c}" for c in COUNT_COLUMNS),
    version=VERSION_SQL,
)
# Rates: numerator, denominator (float division as PostgreSQL's ::float8, None when the denominator is 0).
RATES = (("ent_estates", "old_estates"), ("ent_households", "old_households"), ("ent_floor_area", "old_floor_area"),
         ("srv_estates", "old_estates"), ("srv_households", "old_households"), ("srv_floor_area", "old_floor_area"),
         ("oc_established", "old_estates"))


def _number(value):
    """Counts as int, areas as float rounded to 0.01 m²."""
    if value is None:
        return None
    if isinstance(value, float):
        return round(value, 2)
    return int(value)


def _rate(value):
    return None if value is None else round(float(value), 6)


def _row(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["id"], "code": r["code"], "name": r["name"], "level": r["level"],
        "old_estates": _number(r["old_estates"]),
        "old_households": _number(r["old_households"]),
        "old_floor_area": _number(float(r["old_floor_area"])),
        "enterprise": {"estates": _number(r["ent_estates"]), "households": _number(r["ent_households"]),
                       "floor_area": _number(float(r["ent_floor_area"]))},
        "served": {"estates": _number(r["srv_estates"]), "households": _number(r["srv_households"]),
                   "floor_area": _number(float(r["srv_floor_area"]))},
        "by_status": {"enterprise": _number(r["st_enterprise"]), "caretaker": _number(r["st_caretaker"]),
                      "self_governed": _number(r["st_self_governed"]), "none": _number(r["st_none"])},
        "socialised_rate": {"estates": _rate(r["rate_ent_estates"]), "households": _rate(r["rate_ent_households"]),
                            "floor_area": _rate(r["rate_ent_floor_area"])},
        "service_rate": {"estates": _rate(r["rate_srv_estates"]), "households": _rate(r["rate_srv_households"]),
                         "floor_area": _rate(r["rate_srv_floor_area"])},
        "owners_committee_rate": _rate(r["rate_oc_established"]),
        "abandoned": {"reported": _number(r["ab_reported"]), "verified": _number(r["ab_verified"]),
                      "under_caretaker": _number(r["ab_under_caretaker"]), "resolved": _number(r["ab_resolved"])},
        "renovation": {"planned": _number(r["ren_planned"]), "in_progress": _number(r["ren_in_progress"]),
                       "completed": _number(r["ren_completed"])},
    }


def _end_of_day(on: datetime.date) -> datetime.datetime:
    """The first instant after the date, in the project's time zone (events are timestamped)."""
    return timezone.make_aware(datetime.datetime.combine(on + datetime.timedelta(days=1), datetime.time.min))


def _areas_in_scope(user) -> AdminArea:
    """The administrative areas whose figures the user may see (permissions.restrict: a district's users their
    district's, the city's everyone's); None for an internal call without a user (every area)."""
    return None if user is None else restrict(AdminArea.objects.all(), user, VIEW)


# community_figures' memory: (database, data version, date, end of day, cutoff) → {community id: figures}, least
# recently used first. A key holds the data version, so an edit never needs to purge anything: its entries are
# just never asked for again and fall off the end. Per process (≈ 160 communities × 21 numbers an entry, no
# network hop); settings.COVERAGE_CACHE_ENTRIES = 0 turns it off.
COVERAGE_CACHE_ENTRIES = 32
_memory: OrderedDict = OrderedDict()
_memory_lock = threading.Lock()


def forget_community_figures() -> None:
    """Empties the memory (the benchmark's cold runs; nothing else needs it: a key changes with the data)."""
    with _memory_lock:
        _memory.clear()


def _read_community_figures(params: dict, communities: list[int] | None) -> tuple[str, dict[int, tuple]]:
    """(data version, {community id: figures in COUNT_COLUMNS order}) of the communities (None: all), one
    statement, one snapshot."""
    with connection.cursor() as cursor:
        cursor.execute(BASE_SQL, {**params, "communities": communities})
        records = cursor.fetchall()
    return records[0][0], {r[1]: r[2:] for r in records if r[1] is not None}


def community_figures(params: dict, version: str, every: int, needed: set[int]) -> dict[int, tuple]:
    """The figures of the needed communities on params' date, from memory when the data version is still the one
    read with them, otherwise read (only the missing communities; every one with no filter at all, when all are
    missing: the planner then reads each table once, by hash joins) and remembered."""
    if not needed:
        return {}
    entries = getattr(settings, "COVERAGE_CACHE_ENTRIES", COVERAGE_CACHE_ENTRIES) if version is not None else 0
    where = (connection.alias, connection.settings_dict["NAME"])
    date = (params["on"], params["day_end"], params["cutoff"])
    known: dict[int, tuple] = {}
    if entries:
        with _memory_lock:
            known = _memory.get((*where, version, *date), {})
            if known:
                _memory.move_to_end((*where, version, *date))
    missing = needed.difference(known)
    if not missing:
        return known
    read, figures = _read_community_figures(params, None if len(missing) == every else sorted(missing))
    if read != version:  # an edit committed between the two statements: the whole answer from one snapshot
        known = {}
        read, figures = _read_community_figures(params, None if len(needed) == every else sorted(needed))
    if entries:
        with _memory_lock:  # entries are replaced, never changed, so a reader holding one needs no lock
            key = (*where, read, *date)
            _memory[key] = {**_memory.get(key, {}), **figures}
            _memory.move_to_end(key)
            while len(_memory) > entries:
                _memory.popitem(last=False)
    return {**known, **figures}


def _summed(figures: dict[int, tuple], communities) -> dict[str, Any]:
    """COUNT_COLUMNS summed over the communities (zeros for none) and the rates of RATES."""
    sums = dict.fromkeys(COUNT_COLUMNS, 0)
    for community in communities:
        for column, value in zip(COUNT_COLUMNS, figures[community]):
            sums[column] += value
    for num, den in RATES:
        sums[f"rate_{num}"] = float(sums[num]) / float(sums[den]) if sums[den] else None
    return sums


def coverage_figures(*, on: datetime.date, level: str, parent_id: int | None = None, user=None) -> dict:
    """Every figure of docs/COVERAGE_API.md for each area of a level (optionally below one parent) on a date, of
    the areas inside the user's jurisdiction (all of them without a user).

    The total is the parent's row when a parent is given, otherwise the sum of all rows, named after the user's
    district, or after the city when there is exactly one (DOMAIN.md "Levels": the city housing bureau reads every
    district). Raises Invalid for an unknown level, or a parent that is not an area above that level; 404 for a
    parent outside the user's jurisdiction.
    """
    if level not in LEVEL_DEPTH:
        raise Invalid(_("level must be one of %(levels)s") % {"levels": ", ".join(LEVEL_DEPTH)}, field="level")
    parent = None
    if parent_id is not None:
        parent = AdminArea.objects.filter(pk=parent_id).values("id", "code", "name", "level").first()
        if parent is None or LEVEL_DEPTH[parent["level"]] >= LEVEL_DEPTH[level]:
            raise Invalid(_("parent must be the id of an area above the %(level)s level") % {"level": level},
                          field="parent")
        in_scope = _areas_in_scope(user)
        if in_scope is not None and parent["level"] != AdminLevel.CITY and not in_scope.filter(pk=parent_id).exists():
            raise OutsideJurisdiction(_("No administrative area with that id in your jurisdiction."))
    params = {"on": on, "day_end": _end_of_day(on), "year": on.year, "cutoff": old_estate_cutoff(),
              "level": level, "parent": parent_id}
    scope = "TRUE" if user is None else inlined(*user_scope_sql(AdminArea, user, VIEW, "a.id"))
    with connection.cursor() as cursor:
        cursor.execute(AREA_MEMBERS_SQL.replace("{scope}", scope), params)
        records = cursor.fetchall()
    version, every = records[0][:2]
    areas = [r[2:] for r in records if r[2] is not None]
    members = [community for *_area, communities in areas for community in communities]
    figures = community_figures(params, version, every, set(members))
    rows = [_row({"id": pk, "code": code, "name": name, "level": area_level, **_summed(figures, communities)})
            for pk, code, name, area_level, communities in areas]
    total = _row({"id": None, "code": "", "name": "", "level": level, **_summed(figures, members)})
    owner = parent
    if owner is None:
        district = district_of(user)
        owners = ([AdminArea.objects.filter(pk=district.pk).values("id", "code", "name", "level").get()]
                  if district is not None else
                  list(AdminArea.objects.filter(level=AdminLevel.CITY).values("id", "code", "name", "level")[:2]))
        owner = owners[0] if len(owners) == 1 else None
    total.update(owner or {"id": None, "code": "", "name": "", "level": AdminLevel.CITY.value})
    return {"date": on.isoformat(), "level": level, "total": total, "rows": rows}


# One row per month from start: old estates of the area (constant) and those under a contract on that day.
# The old estates are found once; the dates join the contracts' date ranges directly (the same condition as
# layers_active_contracts, whose parameter cannot vary per row inside one inlined scan).
TREND_SQL = f"""
WITH old AS (
  SELECT e.id FROM layers_estate e
    JOIN layers_adminarea c ON c.id = e.community_id
    JOIN layers_adminarea s ON s.id = c.parent_id
    JOIN layers_adminarea d ON d.id = s.parent_id
   WHERE {old_estate_sql("e.build_year")}
     AND (%(area)s::bigint IS NULL OR %(area)s::bigint IN (c.id, s.id, d.id, d.parent_id))
     AND {{scope}}
), days AS (
  SELECT (%(start)s::date + make_interval(months => n))::date AS on_date
    FROM generate_series(0, %(months)s) AS n
), active AS (
  SELECT d.on_date, a.status
    FROM days d
    CROSS JOIN LATERAL layers_active_contracts(d.on_date) a
    JOIN old o ON o.id = a.estate_id
)
SELECT d.on_date,
       (SELECT count(*) FROM old) AS old_estates,
       count(a.status) FILTER (WHERE a.status = 'enterprise') AS enterprise,
       count(a.status) AS served
  FROM days d LEFT JOIN active a ON a.on_date = d.on_date
 WHERE d.on_date <= %(end)s
 GROUP BY d.on_date
 ORDER BY d.on_date
"""


def months_between(start: datetime.date, end: datetime.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month - (1 if end.day < start.day else 0)


def coverage_trend(*, area_id: int | None, start: datetime.date, end: datetime.date, user=None) -> list[dict]:
    """Monthly estate-count rates from start (same day of each month) to end, for an area (None: everything the
    user may see); 404 for an area outside the user's jurisdiction."""
    in_scope = _areas_in_scope(user)
    if area_id is not None and in_scope is not None and not in_scope.filter(pk=area_id).exists() and not (
            AdminArea.objects.filter(pk=area_id, level=AdminLevel.CITY).exists()):
        raise OutsideJurisdiction(_("No administrative area with that id in your jurisdiction."))
    if end < start:
        raise Invalid(_("from must not be after to"), field="from")
    months = months_between(start, end)
    if months + 1 > TREND_MAX_POINTS:
        raise Invalid(_("at most %(max)d monthly points: narrow from–to") % {"max": TREND_MAX_POINTS}, field="from")
    params = {"cutoff": old_estate_cutoff(), "area": area_id, "start": start, "end": end,
              "months": months}
    scope = "TRUE" if user is None else inlined(*user_scope_sql(Estate, user, LOCATE, "e.id"))
    with connection.cursor() as cursor:
        cursor.execute(TREND_SQL.replace("{scope}", scope), params)
        rows = cursor.fetchall()
    return [
        {"date": on_date.isoformat(),
         "socialised_rate": _rate(enterprise / old) if old else None,
         "service_rate": _rate(served / old) if old else None}
        for on_date, old, enterprise, served in rows
    ]


# Point on surface in CGCS2000 (numerically lon/lat); the largest estates first, so the cap drops small ones.
UNCOVERED_SQL = f"""
SELECT round(ST_Y(p)::numeric, 6)::float8, round(ST_X(p)::numeric, 6)::float8, households
  FROM (SELECT ST_PointOnSurface(e.geom) AS p, e.households, e.id
          FROM layers_estate e
          LEFT JOIN layers_active_contracts(%(on)s) a ON a.estate_id = e.id
         WHERE {old_estate_sql("e.build_year")} AND a.estate_id IS NULL AND {{scope}}
           AND (%(minx)s::float8 IS NULL OR e.geom && ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, 4490))
         ORDER BY e.households DESC, e.id
         LIMIT %(limit)s) AS u
"""


def uncovered_household_points(*, on: datetime.date, bbox: tuple[float, float, float, float] | None = None,
                               limit: int = UNCOVERED_MAX_POINTS, user=None) -> list[list]:
    """[lat, lon, households] of old estates without any service on a date, optionally inside a lon/lat bbox, of
    the estates the user may locate (all of them without a user)."""
    minx, miny, maxx, maxy = bbox if bbox else (None, None, None, None)
    params = {"on": on, "cutoff": old_estate_cutoff(), "limit": limit,
              "minx": minx, "miny": miny, "maxx": maxx, "maxy": maxy}
    scope = "TRUE" if user is None else inlined(*user_scope_sql(Estate, user, LOCATE, "e.id"))
    with connection.cursor() as cursor:
        cursor.execute(UNCOVERED_SQL.replace("{scope}", scope), params)
        return [list(row) for row in cursor.fetchall()]


CHILD_LEVEL = {AdminLevel.CITY: AdminLevel.DISTRICT, AdminLevel.DISTRICT: AdminLevel.STREET,
               AdminLevel.STREET: AdminLevel.COMMUNITY}


def home_area(user) -> AdminArea | None:
    """The area whose figures a user's dashboard and report open on (DOMAIN.md "Levels", "Who uses it"): the city for
    the city official and the system administrator, the user's district for district roles, the street's district for
    a street office and a community (they see the district's rankings, docs/SECURITY.md "Read scope"). None when there
    is none."""
    role = role_of(user)
    profile = getattr(user, "profile", None)
    if role in DISTRICT_ROLES and profile is not None and profile.district_id:
        return profile.district
    if role == Role.STREET_OFFICE and profile is not None and profile.street_id:
        return profile.street.parent
    if role == Role.COMMUNITY and profile is not None and profile.community_id:
        return profile.community.parent.parent
    if role in CITY_ROLES:
        return AdminArea.objects.filter(level=AdminLevel.CITY).order_by("code").first()
    return None


def area_path(area: AdminArea) -> list[AdminArea]:
    """The area and its parents, the top (the city) first."""
    path = [area]
    while path[0].parent_id is not None:
        path.insert(0, path[0].parent)
    return path
