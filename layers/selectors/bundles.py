"""Selector: the inputs of the bundle planner (layers.planning.bundles) read from the database, in metres.

Estates and territories are stored in CGCS2000 degrees (EPSG:4490); the planner measures gaps and compactness in
metres, so every geometry is transformed in SQL to the UTM zone of the district's centroid (EPSG:326xx north of the
equator, 327xx south; 32652 for the demo city near 127° E) and fetched as WKB, one query per kind.
"""
from __future__ import annotations

import datetime
from collections.abc import Iterable

import shapely
from django.db import connection

from ..models import AdminArea, AdminLevel
from ..planning.bundles import Territory, Unit
from ..rules import contract_not_ended_sql, old_estate_cutoff, old_estate_sql


def utm_srid(lon: float, lat: float) -> int:
    """The EPSG code of the WGS84 / UTM zone holding a lon/lat point (north: 326zz, south: 327zz)."""
    zone = min(60, max(1, int((lon + 180.0) // 6.0) + 1))
    return (32600 if lat >= 0 else 32700) + zone


def metric_srid(*, street_id: int | None = None) -> int:
    """The UTM zone of the district's centroid (the street's, if the district is missing), for metric geometry."""
    area = AdminArea.objects.filter(level=AdminLevel.DISTRICT).order_by("code").first()
    if area is None and street_id is not None:
        area = AdminArea.objects.filter(pk=street_id).first()
    if area is None:
        raise ValueError("no district is loaded: the metric coordinate system cannot be chosen")
    centre = area.geom.centroid
    return utm_srid(centre.x, centre.y)


# Uncovered from `on` onwards: old, and no contract running on or starting after `on` (a later contract would
# overlap the open-ended bundled contract the plan creates on approval).
UNITS_SQL = f"""
SELECT e.id, e.households, e.floor_area, c.parent_id, ST_AsBinary(ST_Transform(e.geom, %(srid)s))
  FROM layers_estate e
  JOIN layers_adminarea c ON c.id = e.community_id
 WHERE {old_estate_sql("e.build_year")}
   AND (%(street)s::bigint IS NULL OR c.parent_id = %(street)s::bigint)
   AND (%(district)s::bigint IS NULL
        OR c.parent_id IN (SELECT id FROM layers_adminarea WHERE parent_id = %(district)s::bigint))
   AND (%(ids)s::bigint[] IS NULL OR e.id = ANY(%(ids)s::bigint[]))
   AND (%(all)s OR NOT EXISTS (
         SELECT 1 FROM layers_servicecontract sc
          WHERE sc.estate_id = e.id AND {contract_not_ended_sql("sc")}))
 ORDER BY e.id
"""

TERRITORIES_SQL = """
SELECT j.enterprise_id, en.credit_grade, en.list_status, ST_AsBinary(ST_Transform(j.geom, %(srid)s))
  FROM layers_enterprisejurisdiction j
  JOIN layers_enterprise en ON en.id = j.enterprise_id
 ORDER BY j.enterprise_id
"""


def _units(*, on: datetime.date | None, srid: int, street_id: int | None, ids: list[int] | None,
           any_status: bool, district_id: int | None = None) -> list[Unit]:
    params = {"srid": srid, "cutoff": old_estate_cutoff(), "street": street_id, "district": district_id, "ids": ids,
              "all": any_status, "on": on}
    with connection.cursor() as cursor:
        cursor.execute(UNITS_SQL, params)
        rows = cursor.fetchall()
    return [Unit(id=r[0], households=int(r[1]), floor_area=float(r[2]), street_id=r[3],
                 geom=shapely.from_wkb(bytes(r[4]))) for r in rows]


def uncovered_units(*, on: datetime.date, srid: int, street_id: int | None = None,
                    estate_ids: Iterable[int] | None = None, district_id: int | None = None) -> list[Unit]:
    """The old estates without any service from `on` onwards (of one street or district, or of the given ids), as
    Units."""
    ids = None if estate_ids is None else sorted({int(i) for i in estate_ids})
    return _units(on=on, srid=srid, street_id=street_id, ids=ids, any_status=False, district_id=district_id)


def units_by_ids(*, estate_ids: Iterable[int], srid: int) -> list[Unit]:
    """The given old estates as Units whatever their service (a bundle's members, to re-rank or re-check it)."""
    return _units(on=None, srid=srid, street_id=None, ids=sorted({int(i) for i in estate_ids}), any_status=True)


def territories(*, srid: int) -> list[Territory]:
    """Every enterprise's current territory (EnterpriseJurisdiction) with its credit grade and list status."""
    with connection.cursor() as cursor:
        cursor.execute(TERRITORIES_SQL, {"srid": srid})
        rows = cursor.fetchall()
    return [Territory(enterprise_id=r[0], grade=r[1], list_status=r[2], geom=shapely.from_wkb(bytes(r[3])))
            for r in rows]
