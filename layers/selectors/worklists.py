"""Worklists of the service page: estates that still need a service assigned, built in SQL on a date.

- ``uncovered``: old estates with no service of any kind (无物业小区).
- ``renovated``: estates with a completed renovation project and still neither an enterprise nor a caretaker
  (rule 5, 000 §5(2): "对改造后仍无物业服务企业接管的，区政府提供兜底服务"); listed until one is assigned. A
  self-governed estate stays on this list: self-governance is not the fallback the rule asks for.
- ``abandoned``: estates with abandoned buildings (reported or verified, not yet under a caretaker) whose estate has
  neither an enterprise nor a caretaker; one row per estate, since service is assigned per estate.

Street offices see their own street only; every list can be filtered by street. Rows are paged; the map features
(GeoJSON, simplified to ~3 m, 5 decimals: they only highlight) cover the whole list up to FEATURE_CAP; the rows carry the details.
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

from ..models import AdminArea, AdminLevel, Estate, Role, ServiceContract
from ..permissions import VIEW, OutsideJurisdiction, inlined, require, restrict, role_of, street_of, user_scope_sql
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
    "renovated": f"""
SELECT {COLUMNS}, r.names AS detail, 0 AS buildings
{FROM}
  JOIN LATERAL (SELECT string_agg(p.name, '; ' ORDER BY p.end_year DESC NULLS LAST, p.id) AS names
                  FROM layers_renovationproject p
                 WHERE p.estate_id = e.id AND p.status = 'completed') r ON r.names IS NOT NULL
 WHERE COALESCE(a.status, 'none') NOT IN ('enterprise', 'caretaker'){{street}}
""",
    "abandoned": f"""
SELECT {COLUMNS}, b.labels AS detail, b.n AS buildings
{FROM}
  JOIN LATERAL (SELECT count(*)::int AS n, string_agg(b.label, ', ' ORDER BY b.code) AS labels
                  FROM layers_building b
                 WHERE b.estate_id = e.id AND b.abandonment IN ('reported', 'verified')) b ON b.n > 0
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
    features: dict  # GeoJSON FeatureCollection of the whole list (capped)
    features_truncated: bool


def worklist_street(*, user, street_id: int | None) -> AdminArea | None:
    """The street a list is limited to: a street office's own street always; else the one asked for (or None)."""
    own = street_of(user) if role_of(user) == Role.STREET_OFFICE else None
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
    # The estates the user may view (permissions.scope_sql): a district's users their district's.
    scope = inlined(*user_scope_sql(Estate, user, VIEW, "e.id"))
    base = SQL[name].format(street=(STREET if street else "") + f" AND {scope}")
    params = {"on": on, "cutoff": old_estate_cutoff(), "street": street.pk if street else None}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), COALESCE(sum(households), 0), COALESCE(sum(buildings), 0) FROM ({base}) w",
                       params)
        count, households, buildings = cursor.fetchone()
        pages = max(1, -(-count // per_page))
        page = max(1, min(int(page), pages))
        cursor.execute(f"SELECT * FROM ({base}) w{ORDER} LIMIT %(limit)s OFFSET %(offset)s",
                       {**params, "limit": per_page, "offset": (page - 1) * per_page})
        names = [col.name for col in cursor.description]
        rows = [dict(zip(names, row)) for row in cursor.fetchall()]
        features, truncated = {"type": "FeatureCollection", "features": []}, False
        if with_features and count:
            cursor.execute(
                f"""
                SELECT json_build_object('type', 'FeatureCollection', 'features', COALESCE(json_agg(json_build_object(
                         'type', 'Feature', 'id', w.id,
                         'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(e.geom, 0.00003), 5)::json,
                         'properties', json_build_object('id', w.id, 'name', w.name, 'households', w.households,
                             'status', w.status))), '[]'::json))::text
                  FROM (SELECT * FROM ({base}) w0{ORDER} LIMIT %(cap)s) w
                  JOIN layers_estate e ON e.id = w.id
                """,
                {**params, "cap": FEATURE_CAP},
            )
            features = json.loads(cursor.fetchone()[0])
            truncated = count > FEATURE_CAP
    return Worklist(
        name=name, title=str(NAMES[name]), on=on, street=street, count=count, households=int(households),
        buildings=int(buildings), page=page, pages=pages, per_page=per_page, rows=rows, features=features,
        features_truncated=truncated,
    )


def worklist_counts(*, user, street_id: int | None = None, on: datetime.date | None = None,
                    known: Worklist | None = None) -> dict[str, int]:
    """The number of estates on every worklist (for the tabs); `known`, a list already read with the same street
    and date, is not counted again."""
    return {name: known.count if known is not None and known.name == name else
            worklist_get(user=user, name=name, street_id=street_id, on=on, per_page=1, with_features=False).count
            for name in SQL}
