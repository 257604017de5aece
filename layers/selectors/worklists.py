"""Worklists of the service page: estates that still need a service assigned, built in SQL on a date.

- ``uncovered``: old estates with no service of any kind (无物业小区).
- ``renovated``: estates with a completed renovation project and still neither an enterprise nor a caretaker
  (rule 5, 000 §5(2): "对改造后仍无物业服务企业接管的，区政府提供兜底服务"); listed until one is assigned. A
  self-governed estate stays on this list: self-governance is not the fallback the rule asks for.
- ``abandoned``: estates with abandoned buildings (reported or verified, not yet under a caretaker) whose estate has
  neither an enterprise nor a caretaker; one row per estate, since service is assigned per estate.

Street offices see their own street only; every list can be filtered by street. Rows are paged and carry the details;
the map features (GeoJSON, 5 decimals: they only highlight) are the page's estates, simplified to ~3 m by
Douglas-Peucker keeping collapsed outlines (the topology-preserving simplification cost several times more and
changed nothing on estates of a few vertices). For the rest of the list the answer holds the ids and names of the
whole list (up to ID_CAP) and its extent: the page draws them from the estate vector tiles it already loads
(service.js) instead of outlines built per request (1 MB for a district's 2,962 uncovered estates).
"""
from __future__ import annotations

import datetime
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass

from django.db import connection
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import AdminArea, AdminLevel, Estate, ServiceContract
from ..permissions import VIEW, OutsideJurisdiction, home_street, inlined, require, restrict, user_scope_sql
from ..rules import old_estate_cutoff, old_estate_sql
from .coverage import VERSION_SQL

PER_PAGE = 50
MAX_PER_PAGE = 200
ID_CAP = 20000

NAMES = {
    "uncovered": gettext_lazy("Uncovered old estates"),
    "renovated": gettext_lazy("Renovated estates without an enterprise"),
    "abandoned": gettext_lazy("Abandoned buildings without a caretaker"),
}

# One SELECT per list with the same columns; {street} is "" or the street filter (constants of this module only).
COLUMNS = """
    e.id, e.code, e.name, e.households, e.floor_area, e.build_year, s.id AS street_id, s.name AS street_name,
    c.name AS community_name, COALESCE(a.status, 'none') AS status, e.geom::box2d AS box
"""
FROM = """
  FROM layers_estate e
  JOIN layers_adminarea c ON c.id = e.community_id
  JOIN layers_adminarea s ON s.id = c.parent_id
  LEFT JOIN layers_active_contracts(%(on)s) a ON a.estate_id = e.id
"""
STREET = " AND s.id = %(street)s"
SQL = {
    "uncovered": f"""
SELECT {COLUMNS}, NULL::text AS detail, 0 AS buildings
{FROM}
 WHERE {old_estate_sql("e.build_year")} AND a.estate_id IS NULL{{street}}
""",
    # The projects and buildings are grouped once (a hash join), not looked up per estate.
    "renovated": f"""
SELECT {COLUMNS}, r.names AS detail, 0 AS buildings
{FROM}
  JOIN (SELECT p.estate_id, string_agg(p.name, '; ' ORDER BY p.end_year DESC NULLS LAST, p.id) AS names
          FROM layers_renovationproject p
         WHERE p.status = 'completed'
         GROUP BY p.estate_id) r ON r.estate_id = e.id
 WHERE COALESCE(a.status, 'none') NOT IN ('enterprise', 'caretaker'){{street}}
""",
    "abandoned": f"""
SELECT {COLUMNS}, b.labels AS detail, b.n AS buildings
{FROM}
  JOIN (SELECT b.estate_id, count(*)::int AS n, string_agg(b.label, ', ' ORDER BY b.code) AS labels
          FROM layers_building b
         WHERE b.abandonment IN ('reported', 'verified')
         GROUP BY b.estate_id) b ON b.estate_id = e.id
 WHERE COALESCE(a.status, 'none') NOT IN ('enterprise', 'caretaker'){{street}}
""",
}
ORDER = " ORDER BY households DESC, id"
ORDER_R = " ORDER BY r.households DESC, r.id"
# A row of the answer: every column of a list but the bounding box (which only makes the list's extent).
ROW_COLUMNS = ("id, code, name, households, floor_area, build_year, street_id, street_name, community_name, status, "
               "detail, buildings")


@dataclass(frozen=True)
class Worklist:
    name: str
    title: str
    on: datetime.date
    street: AdminArea | None
    count: int
    households: int
    buildings: int
    page: int
    pages: int
    per_page: int
    rows: list[dict]
    features_json: str  # GeoJSON FeatureCollection of the page's estates, as PostgreSQL wrote it
    ids: list[int]  # the whole list in its order (capped at ID_CAP), for the map
    names: list[str]  # their names, in the same order (the tooltips of the estates drawn from the tiles)
    bbox: list[float] | None  # [west, south, east, north] of the whole list; None when empty or without the map
    ids_truncated: bool
    version: str | None = None  # the data version the list was read with (coverage.VERSION_SQL); None: unknown

    @property
    def features(self) -> dict:
        return json.loads(self.features_json)


def worklist_street(*, user, street_id: int | None) -> AdminArea | None:
    """The street a list is limited to: a street office's (or a community's) own street always; else the one asked for
    (or None)."""
    own = home_street(user)
    if own is not None:
        if street_id is not None and int(street_id) != own.pk:
            raise OutsideJurisdiction(_("Street %(id)s is not your street (%(street)s).") % {"id": street_id, "street": own.name})
        return own
    if street_id is None:
        return None
    street = restrict(AdminArea.objects.all(), user, VIEW).filter(pk=street_id, level=AdminLevel.STREET).first()
    if street is None:  # absent, or another district's street (permissions.DISTRICT_LOOKUP)
        raise OutsideJurisdiction(_("No street with id %(id)s.") % {"id": street_id})
    return street


def worklist_get(*, user, name: str, street_id: int | None = None, on: datetime.date | None = None, page: int = 1,
                 per_page: int = PER_PAGE, with_map: bool = True) -> Worklist:
    """One page of worklist `name` with its totals, the outlines of the page's estates and (optionally) the ids,
    names and extent of the whole list for the map."""
    require(user, ServiceContract, VIEW)
    if name not in SQL:
        raise Http404(_("No worklist named %(name)r; the worklists are %(names)s.")
                      % {"name": name, "names": ", ".join(SQL)})
    street = worklist_street(user=user, street_id=street_id)
    on = on or timezone.localdate()
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    base = _list_sql(name, street, _scope(user))
    params = {"on": on, "cutoff": old_estate_cutoff(), "street": street.pk if street else None,
              "page": int(page), "per_page": per_page, "cap": ID_CAP if with_map else 0}
    # One statement: the list is computed once (a materialised CTE, with each estate's bounding box) for the totals,
    # the page (clamped to the last page in SQL) with its outlines, and the ids, names and extent for the map. Only
    # the page's outlines are read from the estates (by primary key): building all of them was most of the time.
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH w AS MATERIALIZED ({base}),
                 t AS (SELECT count(*)::int AS n, COALESCE(sum(households), 0) AS households,
                              COALESCE(sum(buildings), 0) AS buildings, min(ST_XMin(box)) AS west,
                              min(ST_YMin(box)) AS south, max(ST_XMax(box)) AS east, max(ST_YMax(box)) AS north
                         FROM w),
                 pg AS (SELECT GREATEST(1, LEAST(%(page)s, (t.n + %(per_page)s - 1) / %(per_page)s)) AS page FROM t),
                 r AS MATERIALIZED (SELECT {ROW_COLUMNS} FROM w{ORDER}
                                     LIMIT %(per_page)s OFFSET ((SELECT page FROM pg) - 1) * %(per_page)s)
            SELECT t.n, t.households, t.buildings, pg.page,
                   (SELECT COALESCE(json_agg(r{ORDER_R}),
                                    '[]'::json) FROM r)::text,
                   (SELECT json_build_object('type', 'FeatureCollection', 'features',
                             COALESCE(json_agg(json_build_object('type', 'Feature', 'id', r.id,
                               'geometry', ST_AsGeoJSON(ST_Simplify(e.geom, 0.00003, true), 5)::json,
                               'properties', json_build_object('id', r.id, 'name', r.name,
                                   'households', r.households, 'status', r.status))
                               {ORDER_R}), '[]'::json))
                      FROM r JOIN layers_estate e ON e.id = r.id WHERE %(cap)s > 0)::text,
                   (SELECT json_build_array(COALESCE(json_agg(f.id{ORDER}), '[]'::json),
                                            COALESCE(json_agg(f.name{ORDER}), '[]'::json))
                      FROM (SELECT id, name, households FROM w{ORDER} LIMIT %(cap)s) f)::text,
                   CASE WHEN %(cap)s > 0 AND t.n > 0 THEN
                        json_build_array(round(t.west::numeric, 6), round(t.south::numeric, 6),
                                         round(t.east::numeric, 6), round(t.north::numeric, 6))::text END,
                   {VERSION_SQL}
              FROM t, pg
            """,
            params,
        )
        count, households, buildings, page, rows_json, features_json, map_json, bbox_json, version = cursor.fetchone()
    pages = max(1, -(-count // per_page))
    ids, names = json.loads(map_json)
    return Worklist(
        name=name, title=str(NAMES[name]), on=on, street=street, count=count, households=int(households),
        buildings=int(buildings), page=page, pages=pages, per_page=per_page, rows=json.loads(rows_json),
        features_json=features_json, ids=ids, names=names, bbox=json.loads(bbox_json) if bbox_json else None,
        ids_truncated=with_map and count > ID_CAP, version=version,
    )


def _scope(user) -> str:
    """The estates the user may view (permissions.scope_sql) as an SQL test of e.id: a district's users their
    district's."""
    return inlined(*user_scope_sql(Estate, user, VIEW, "e.id"))


def _list_sql(name: str, street, scope: str) -> str:
    """A worklist's statement for a street (or all) and a scope (_scope)."""
    return SQL[name].format(street=(STREET if street else "") + f" AND {scope}")


# worklist_counts' memory: (database, data version, date, cutoff, street, the user's scope) → {list: count}, least
# recently used first. The version (coverage.VERSION_SQL: statement triggers bump it on every write to the estates,
# contracts, buildings, abandonment reports, admin areas and renovation projects, and a rule function's catalogue
# row changes with it) is read in the statement that reads the lists, so an entry names the data it was counted
# from: a page turn or another tab counts only what it has not seen on that version. Per process; 0 turns it off.
COUNT_ENTRIES = 64
_counts: OrderedDict = OrderedDict()
_counts_lock = threading.Lock()


def forget_worklist_counts() -> None:
    """Empties the memory (the benchmark's cold runs; nothing else needs it: a key changes with the data)."""
    with _counts_lock:
        _counts.clear()


def _remember(key: tuple, counts: dict[str, int]) -> None:
    with _counts_lock:  # entries are replaced, never changed
        _counts[key] = {**_counts.get(key, {}), **counts}
        _counts.move_to_end(key)
        while len(_counts) > COUNT_ENTRIES:
            _counts.popitem(last=False)


def worklist_counts(*, user, street_id: int | None = None, on: datetime.date | None = None,
                    known: Worklist | None = None) -> dict[str, int]:
    """The number of estates on every worklist (for the tabs); `known`, a list already read with the same street
    and date, is not counted again, nor are the lists counted before on the data version it was read with."""
    require(user, ServiceContract, VIEW)
    street = worklist_street(user=user, street_id=street_id)
    params = {"on": on or timezone.localdate(), "cutoff": old_estate_cutoff(), "street": street.pk if street else None}
    scope = _scope(user)
    where = (connection.alias, connection.settings_dict["NAME"])
    request = (params["on"], params["cutoff"], params["street"], scope)
    counts = {}
    if known is not None:
        counts[known.name] = known.count
        if known.version is not None:
            with _counts_lock:
                counts = {**_counts.get((*where, known.version, *request), {}), **counts}
            _remember((*where, known.version, *request), {known.name: known.count})
    wanted = [name for name in SQL if name not in counts]
    if wanted:  # the other lists counted in one statement, with the version of the data counted
        parts = ", ".join(f"(SELECT count(*)::int FROM ({_list_sql(name, street, scope)}) w)" for name in wanted)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {VERSION_SQL}, {parts}", params)
            version, *found = cursor.fetchone()
        counts.update(zip(wanted, found))
        if version is not None:
            _remember((*where, version, *request), dict(zip(wanted, found)))
    return {name: counts[name] for name in SQL}
