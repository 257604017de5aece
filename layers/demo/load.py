"""Writes a generated demo City to PostgreSQL in one transaction, with COPY (no per-row ORM saves)."""
from __future__ import annotations

import datetime
import io
import time
from collections.abc import Iterable

import numpy as np
import shapely
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from ..history import change_context
from ..planning.address import estate_aliases
from ..services.jurisdictions import enterprise_jurisdictions_refresh
from .accounts import demo_accounts_ensure, is_demo_username
from .city import SRID, City
from .complaints import demo_complaints
from .inspections import demo_inspections
from .plans import demo_plans
from .register import register_write

# The demo's black-listed enterprises were listed after failing 2019 and 2020; their contracts all start earlier.
BLACK_LISTED_ON = datetime.date(2021, 1, 1)
BLACK_LISTING_REASON = "连续两年市场行为监督检查评定不合格"

# Tables holding demo data, children first. TRUNCATE ... CASCADE also empties tables of other apps/modules that
# reference them (change logs, plans): those rows describe demo objects that no longer exist.

DEMO_TABLES = (
    "layers_abandonmentevent",
    "layers_abandonmentphoto",
    "layers_abandonmentreport",
    "layers_managementareaversion",  # no FK (history outlives areas), so CASCADE would not empty it
    "layers_enterprisejurisdiction",
    "layers_renovationproject",
    "layers_servicecontract",
    "layers_building",
    "layers_estate",
    "layers_managementarea",
    "layers_caretakeragency",
    "layers_enterprise",
    "layers_road",
    "layers_userprofile",
    "layers_adminarea",
)


# Every building the demo marks abandoned gets the report behind it: filed by its street office,
# moved on by the planner to the building's state (the report is what the district works from).
ABANDONMENT_REPORTS_SQL = """
WITH marked AS (
  SELECT b.id, b.abandonment, COALESCE(b.abandoned_since, DATE '2020-01-01') AS since, s.id AS street_id, s.code
    FROM layers_building b
    JOIN layers_estate e ON e.id = b.estate_id
    JOIN layers_adminarea c ON c.id = e.community_id
    JOIN layers_adminarea s ON s.id = c.parent_id
   WHERE b.abandonment <> 'none'
), reports AS (
  INSERT INTO layers_abandonmentreport
    (building_id, street_id, abandoned_since, reason, description, state, reported_by_id, created_at, updated_at)
  SELECT m.id, m.street_id, m.since,
         (ARRAY['enterprise_left', 'contract_expired', 'developer_left', 'unit_dissolved', 'fees_unpaid'])[1 + m.id % 5],
         '', m.abandonment, u.id, LEAST(m.since + 14, CURRENT_DATE), LEAST(m.since + 60, CURRENT_DATE)
    FROM marked m JOIN auth_user u ON u.username = 'street-' || m.code
  RETURNING id, state, reported_by_id, created_at, street_id
), filed AS (
  INSERT INTO layers_abandonmentevent (report_id, from_state, to_state, note, user_id, created_at)
  SELECT r.id, '', 'reported', '', r.reported_by_id, r.created_at FROM reports r
)
INSERT INTO layers_abandonmentevent (report_id, from_state, to_state, note, user_id, created_at)
SELECT r.id, 'reported', r.state, '', p.id, LEAST(r.created_at + interval '30 days', now())
  FROM reports r
  JOIN layers_adminarea s ON s.id = r.street_id
  JOIN layers_adminarea d ON d.id = s.parent_id
  JOIN auth_user p ON p.username = 'planner-' || d.code  -- the district's own planner verifies
 WHERE r.state <> 'reported'
"""


def _abandonment_reports(raw) -> int:
    raw.execute(ABANDONMENT_REPORTS_SQL)
    return _count(raw, "layers_abandonmentreport")


def _count(raw, table: str) -> int:
    raw.execute(f"SELECT count(*) FROM {table}")
    return raw.fetchone()[0]


class DemoExists(Exception):
    """--keep was asked but a demo district is already loaded."""


def _text(value) -> str:
    """One value in COPY text format."""
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return str(value)  # numbers, dates (ISO format)


def _hex(geoms) -> list[str]:
    arr = np.empty(len(geoms), dtype=object)
    arr[:] = list(geoms)
    return list(shapely.to_wkb(shapely.set_srid(arr, SRID), hex=True, include_srid=True))


def _multi_hex(polygons) -> list[str]:
    arr = np.empty(len(polygons), dtype=object)
    arr[:] = list(polygons)
    return _hex(shapely.multipolygons(arr, indices=np.arange(len(arr))))


def _copy(raw, table: str, columns: Iterable[str], rows: Iterable[tuple]) -> int:
    buf = io.StringIO()
    n = 0
    for row in rows:
        buf.write("\t".join(map(_text, row)))
        buf.write("\n")
        n += 1
    buf.seek(0)
    raw.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buf)
    return n


def _street_opinions(raw) -> int:
    """Each street office's opinion (003 §5(3)) of every enterprise serving an estate of its street in the last
    finished year: a score from 60 to 99 that follows from the ids (one SQL statement: the load stays quick)."""
    year = timezone.localdate().year - 1
    raw.execute(
        """INSERT INTO layers_streetopinion (street_id, enterprise_id, year, score, comment, at)
           SELECT DISTINCT community.parent_id, c.enterprise_id, %s,
                  60 + (community.parent_id * 7 + c.enterprise_id * 13) %% 40, '', now()
           FROM layers_servicecontract c
           JOIN layers_estate e ON e.id = c.estate_id
           JOIN layers_adminarea community ON community.id = e.community_id
           WHERE c.enterprise_id IS NOT NULL AND c.start_date < %s AND (c.end_date IS NULL OR c.end_date > %s)""",
        [year, datetime.date(year + 1, 1, 1), datetime.date(year, 1, 1)])
    return raw.rowcount


def _next_id(raw, table: str) -> int:
    raw.execute(f"SELECT COALESCE(max(id), 0) + 1 FROM {table}")
    return raw.fetchone()[0]


def _sync_sequence(raw, table: str) -> None:
    raw.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
    )


def _wipe(raw, district_codes: list[str]) -> list[tuple]:
    """Empty the demo tables; return the profiles of non-demo users so they can be restored afterwards."""
    raw.execute(
        f"""SELECT u.username, p.user_id, p.role, COALESCE(a.code, d.code)
             FROM layers_userprofile p JOIN {get_user_model()._meta.db_table} u ON u.id = p.user_id
             LEFT JOIN layers_adminarea a ON a.id = p.street_id
             LEFT JOIN layers_adminarea d ON d.id = p.district_id
            ORDER BY p.user_id"""
    )
    kept = [row[1:] for row in raw.fetchall() if not is_demo_username(row[0], district_codes)]
    raw.execute(f"TRUNCATE {', '.join(DEMO_TABLES)} RESTART IDENTITY CASCADE")
    return kept


def _restore_profiles(raw, profiles: list[tuple]) -> list[int]:
    """Re-insert kept profiles whose street or district still exists; return the user ids whose profile had to be
    dropped."""
    dropped = []
    for user_id, role, area_code in profiles:
        area_id = None
        if area_code:
            raw.execute("SELECT id FROM layers_adminarea WHERE code = %s", [area_code])
            found = raw.fetchone()
            if not found:
                dropped.append(user_id)
                continue
            area_id = found[0]
        column = "street_id" if role == "street_office" else "district_id"
        raw.execute(
            f"INSERT INTO layers_userprofile (user_id, role, {column}) VALUES (%s, %s, %s)", [user_id, role, area_id]
        )
    return dropped


def load_city(city: City, *, keep: bool = False, log=None) -> dict[str, int]:
    """Write `city` (replacing all demo data unless keep) and the demo accounts; return row counts by table."""
    log = log or (lambda message: None)
    counts: dict[str, int] = {}
    now = timezone.now().isoformat()
    with transaction.atomic():
        raw = connection.cursor().cursor  # the psycopg2 cursor, for COPY
        kept_profiles = []
        district_codes = [d.code for d in city.districts]
        if keep:
            raw.execute("SELECT code FROM layers_adminarea WHERE code = ANY(%s)", [district_codes])
            found = [row[0] for row in raw.fetchall()]
            if found:
                raise DemoExists(f"district {', '.join(found)} is already loaded; run without --keep to replace it")
            raw.execute(f"LOCK TABLE {', '.join(DEMO_TABLES)} IN SHARE ROW EXCLUSIVE MODE")
        else:
            kept_profiles = _wipe(raw, district_codes)
        t = time.perf_counter()

        # Administrative areas, parents first.
        raw.execute("SELECT code, id FROM layers_adminarea WHERE code = %s", [city.city.code])
        admin_id = dict(raw.fetchall())  # --keep: the city may be there already
        admin = [a for a in (city.city, *city.districts, *city.streets, *city.communities) if a.code not in admin_id]
        first = _next_id(raw, "layers_adminarea")
        admin_id.update({a.code: first + k for k, a in enumerate(admin)})
        counts["admin areas"] = _copy(
            raw, "layers_adminarea", ("id", "level", "parent_id", "code", "name", "geom"),
            ((admin_id[a.code], a.level, admin_id.get(a.parent_code), a.code, a.name, g)
             for a, g in zip(admin, _hex([a.geom for a in admin]))),
        )
        counts["roads"] = _copy(
            raw, "layers_road", ("name", "road_class", "geom"),
            ((r.name, r.road_class, g) for r, g in zip(city.roads, _hex([r.geom for r in city.roads]))),
        )

        first = _next_id(raw, "layers_enterprise")
        enterprise_id = {e.credit_code: first + k for k, e in enumerate(city.enterprises)}
        counts["enterprises"] = _copy(
            raw, "layers_enterprise",
            ("id", "name", "credit_code", "credit_grade", "list_status", "list_status_since", "list_status_reason",
             "filed_on",
             "contact_person", "contact_phone", "address"),
            ((enterprise_id[e.credit_code], e.name, e.credit_code, e.credit_grade, e.list_status,
              *((BLACK_LISTED_ON, BLACK_LISTING_REASON) if e.list_status == "black" else (None, "")), e.filed_on,
              e.contact_person, e.contact_phone, e.address) for e in city.enterprises),
        )
        first = _next_id(raw, "layers_caretakeragency")
        agency_id = {a.name: first + k for k, a in enumerate(city.agencies)}
        counts["caretaker agencies"] = _copy(
            raw, "layers_caretakeragency", ("id", "name", "kind", "street_id", "enterprise_id", "contact_phone"),
            ((agency_id[a.name], a.name, a.kind, admin_id[a.street_code], enterprise_id.get(a.enterprise_code),
              a.contact_phone) for a in city.agencies),
        )

        # Management areas: the no-overlap trigger checks each row against those already written.
        first = _next_id(raw, "layers_managementarea")
        area_id = {a.code: first + k for k, a in enumerate(city.areas)}
        district_of_street = {s.code: admin_id[s.parent_code] for s in city.streets}
        with change_context(user=None, reason="demo city", action="create"):  # history rows say why (0008)
            counts["management areas"] = _copy(
                raw, "layers_managementarea",
                ("id", "code", "name", "district_id", "street_id", "geom", "version", "created_at", "updated_at"),
                ((area_id[a.code], a.code, a.name, district_of_street[a.street_code], admin_id[a.street_code], g, 1, now,
                  now)
                 for a, g in zip(city.areas, _hex([a.geom for a in city.areas]))),
            )
        log(f"  admin areas, roads, providers, management areas: {time.perf_counter() - t:.1f} s")

        t = time.perf_counter()
        first = _next_id(raw, "layers_estate")
        estate_id = {e.code: first + k for k, e in enumerate(city.estates)}
        counts["estates"] = _copy(
            raw, "layers_estate",
            ("id", "code", "name", "address", "aliases", "build_year", "households", "floor_area", "is_open", "owners_committee",
             "community_id", "management_area_id", "geom"),
            ((estate_id[e.code], e.code, e.name, e.address, "、".join(estate_aliases(e.name)), e.build_year, e.households, e.floor_area, e.is_open,
              e.owners_committee, admin_id[e.community_code], area_id.get(e.area_code), g)
             for e, g in zip(city.estates, _multi_hex([e.geom for e in city.estates]))),
        )
        log(f"  estates: {time.perf_counter() - t:.1f} s")

        t = time.perf_counter()
        buildings = [(estate_id[e.code], b) for e in city.estates for b in e.buildings]
        counts["buildings"] = _copy(
            raw, "layers_building",
            ("code", "estate_id", "label", "floors", "households", "build_year", "has_elevator", "abandonment",
             "abandoned_since", "geom"),
            ((b.code, eid, b.label, b.floors, b.households, b.build_year, b.has_elevator, b.abandonment,
              b.abandoned_since, g) for (eid, b), g in zip(buildings, _hex([b.geom for _, b in buildings]))),
        )
        log(f"  buildings: {time.perf_counter() - t:.1f} s")

        t = time.perf_counter()
        counts["contracts"] = _copy(
            raw, "layers_servicecontract",
            ("estate_id", "provider_kind", "enterprise_id", "caretaker_agency_id", "mode", "start_date", "end_date",
             "note", "created_at"),
            ((estate_id[c.estate_code], c.provider_kind, enterprise_id.get(c.enterprise_code),
              agency_id.get(c.agency_name), c.mode, c.start_date, c.end_date, c.note, now) for c in city.contracts),
        )
        counts["renovation projects"] = _copy(
            raw, "layers_renovationproject",
            ("estate_id", "name", "items", "funding_city", "funding_district", "funding_social", "funding_owners",
             "status", "start_year", "end_year"),
            ((estate_id[r.estate_code], r.name, "{" + ",".join(r.items) + "}", f"{r.funding_city:.2f}",
              f"{r.funding_district:.2f}", f"{r.funding_social:.2f}", f"{r.funding_owners:.2f}", r.status,
              r.start_year, r.end_year) for r in city.renovations),
        )
        for table in ("layers_adminarea", "layers_road", "layers_enterprise", "layers_caretakeragency",
                      "layers_managementarea", "layers_estate", "layers_building", "layers_servicecontract",
                      "layers_renovationproject"):
            _sync_sequence(raw, table)
        log(f"  contracts, renovations: {time.perf_counter() - t:.1f} s")

        t = time.perf_counter()
        dropped = _restore_profiles(raw, kept_profiles)
        if dropped:
            log(f"  profiles of users {dropped} dropped: their street is not in this demo")
        counts["demo accounts"] = len(demo_accounts_ensure(district_codes=district_codes))
        counts["abandonment reports"] = _abandonment_reports(raw)
        counts.update(register_write(raw, city, enterprise_id))  # evaluations, listings, change log (demo/register.py)
        counts["street opinions"] = _street_opinions(raw)
        raw.execute(f"ANALYZE {', '.join(DEMO_TABLES[1:])}")
        counts["enterprise jurisdictions"] = enterprise_jurisdictions_refresh()
        counts["takeover plans"] = sum(demo_plans(district_code=code) for code in district_codes)
        log(f"  accounts, analyze, jurisdictions: {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        counts["inspections"] = demo_inspections(raw, district_codes)
        log(f"  inspections: {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        counts.update(demo_complaints(raw, district_codes=district_codes, seed=city.seed))
        raw.execute("ANALYZE layers_complaint, layers_complaintevent")
        log(f"  a year of complaints: {time.perf_counter() - t:.1f} s")
    return counts
