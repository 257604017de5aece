"""Worklists of the service page: estates that still need a service assigned, built in SQL on a date.

- ``uncovered``: old estates with no service of any kind (无物业小区).
- ``renovated``: estates with a completed renovation project and still neither an enterprise nor a caretaker
  (rule 5, 000 §5(2): "对改造后仍无物业服务企业接管的，区政府提供兜底服务"); listed until one is assigned. A
  self-governed estate stays on this list: self-governance is not the fallback the rule asks for.
- ``abandoned``: estates with abandoned buildings (reported or verified, not yet under a caretaker) whose estate has
  neither an enterprise nor a caretaker; one row per estate, since service is assigned per estate.

Street offices see their own street only; every list can be filtered by street. Rows are paged; the map features
(GeoJSON, 5 decimals: they only highlight) cover the whole list up to FEATURE_CAP; the rows carry the details. The
features are simplified to ~3 m by Douglas-Peucker keeping collapsed outlines: the topology-preserving
simplification cost several times more and changed nothing on estates of a few vertices.
"""
from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

from django.db import connection
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import AdminArea, AdminLevel, Estate, ServiceContract
from ..permissions import VIEW, OutsideJurisdiction, home_street, inlined, require, restrict, user_scope_sql
from ..rules import old_estate_cutoff, old_estate_sql

PER_PAGE = 50
MAX_PER_PAGE = 200
FEATURE_CAP = 5000

NAMES = {
    "uncovered": gettext_lazy("Uncovered old estates"),
    "renovated": gettext_lazy("Renovated estates without an enterprise"),
    "abandoned": gettext_lazy("Abandoned buildings without a caretaker"),
}

# One SELECT per list with the same columns; {street} is "" or the street filter (constants of this module only).
COLUMNS = """
    e.id, e.code, e.name, e.households, e.floor_area, e.build_year, s.id AS street_id, s.name AS street_name,
    c.name AS community_name, COALESCE(a.status, 'none') AS status
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
    features_json: str  # GeoJSON FeatureCollection of the whole list (capped), as PostgreSQL wrote it
    features_truncated: bool

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
                 per_page: int = PER_PAGE, with_features: bool = True) -> Worklist:
    """One page of worklist `name`, with its totals and (optionally) the map features of the whole list."""
    require(user, ServiceContract, VIEW)
    if name not in SQL:
        raise Http404(_("No worklist named %(name)r; the worklists are %(names)s.")
                      % {"name": name, "names": ", ".join(SQL)})
    street = worklist_street(user=user, street_id=street_id)
    on = on or timezone.localdate()
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    base = _list_sql(name, street, user)
    params = {"on": on, "cutoff": old_estate_cutoff(), "street": street.pk if street else None,
              "page": int(page), "per_page": per_page, "cap": FEATURE_CAP if with_features else 0}
    # One statement: the list is computed once (a materialised CTE) for the totals, the page (clamped to the last
    # page in SQL) and the map features.
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH w AS MATERIALIZED ({base}),
                 t AS (SELECT count(*)::int AS n, COALESCE(sum(households), 0) AS households,
                              COALESCE(sum(buildings), 0) AS buildings FROM w),
                 pg AS (SELECT GREATEST(1, LEAST(%(page)s, (t.n + %(per_page)s - 1) / %(per_page)s)) AS page FROM t)
            SELECT t.n, t.households, t.buildings, pg.page,
                   (SELECT COALESCE(json_agg(r ORDER BY r.households DESC, r.id), '[]'::json)
                      FROM (SELECT * FROM w{ORDER} LIMIT %(per_page)s OFFSET (pg.page - 1) * %(per_page)s) r)::text,
                   (SELECT json_build_object('type', 'FeatureCollection', 'features',
                             COALESCE(json_agg(json_build_object('type', 'Feature', 'id', f.id,
                               'geometry', ST_AsGeoJSON(ST_Simplify(e.geom, 0.00003, true), 5)::json,
                               'properties', json_build_object('id', f.id, 'name', f.name,
                                   'households', f.households, 'status', f.status))
                               ORDER BY f.households DESC, f.id), '[]'::json))
                      FROM (SELECT * FROM w{ORDER} LIMIT %(cap)s) f
                      JOIN layers_estate e ON e.id = f.id)::text
              FROM t, pg
            """,
            params,
        )
        count, households, buildings, page, rows_json, features_json = cursor.fetchone()
    pages = max(1, -(-count // per_page))
    rows = json.loads(rows_json)
    if not with_features:
        features_json = '{"type": "FeatureCollection", "features": []}'
    truncated = with_features and count > FEATURE_CAP
    return Worklist(
        name=name, title=str(NAMES[name]), on=on, street=street, count=count, households=int(households),
        buildings=int(buildings), page=page, pages=pages, per_page=per_page, rows=rows, features_json=features_json,
        features_truncated=truncated,
    )


def _list_sql(name: str, street, user) -> str:
    """A worklist's statement for a street (or all) and the estates the user may view (permissions.scope_sql): a
    district's users their district's."""
    scope = inlined(*user_scope_sql(Estate, user, VIEW, "e.id"))
    return SQL[name].format(street=(STREET if street else "") + f" AND {scope}")


def worklist_counts(*, user, street_id: int | None = None, on: datetime.date | None = None,
                    known: Worklist | None = None) -> dict[str, int]:
    """The number of estates on every worklist (for the tabs); `known`, a list already read with the same street
    and date, is not counted again."""
    require(user, ServiceContract, VIEW)
    street = worklist_street(user=user, street_id=street_id)
    params = {"on": on or timezone.localdate(), "cutoff": old_estate_cutoff(), "street": street.pk if street else None}
    wanted = [name for name in SQL if known is None or known.name != name]
    counts = {} if known is None else {known.name: known.count}
    if wanted:  # the other lists counted in one statement
        parts = ", ".join(f"(SELECT count(*)::int FROM ({_list_sql(name, street, user)}) w)" for name in wanted)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {parts}", params)
            counts.update(zip(wanted, cursor.fetchone()))
    return {name: counts[name] for name in SQL}
