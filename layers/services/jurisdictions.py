"""Derived enterprise jurisdictions (企业服务范围): rebuilt in SQL from the contracts active on a date."""
import datetime
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

# {only} is "" (every enterprise) or a filter on the enterprises to rebuild; both are constants of this module.
REFRESH_SQL = """
INSERT INTO layers_enterprisejurisdiction (enterprise_id, geom, estate_count, households, refreshed_at)
SELECT s.enterprise_id, ST_Multi(ST_CollectionExtract(ST_Union(s.geom), 3)), count(*), COALESCE(sum(s.households), 0), now()
  FROM (SELECT a.enterprise_id, e.households, COALESCE(m.geom, e.geom) AS geom
          FROM layers_active_contracts(%(on)s) a
          JOIN layers_estate e ON e.id = a.estate_id
          LEFT JOIN layers_managementarea m ON m.id = e.management_area_id
         WHERE a.provider_kind = 'enterprise'{only}) AS s
 GROUP BY s.enterprise_id
"""
ONLY = " AND a.enterprise_id = ANY(%(ids)s)"


def enterprise_jurisdictions_refresh(*, on: datetime.date | None = None) -> int:
    """Replace every EnterpriseJurisdiction by the union of the management areas (or, where an estate has none yet, the estate outlines) its enterprise serves on `on` (default today).

    Returns the number of enterprises with a jurisdiction.
    """
    on = on or timezone.localdate()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM layers_enterprisejurisdiction")
        cursor.execute(REFRESH_SQL.format(only=""), {"on": on})
        return cursor.rowcount


def enterprise_jurisdictions_refresh_some(*, enterprise_ids: Iterable[int], on: datetime.date | None = None) -> int:
    """Rebuild the jurisdictions of these enterprises only (after their contracts changed), as of `on` (today).

    An enterprise that serves no estate any more loses its row. Runs inside the caller's transaction when there is
    one, so a refused assignment leaves the jurisdictions as they were. Returns the number of rows rebuilt.
    """
    ids = sorted({int(i) for i in enterprise_ids if i is not None})
    if not ids:
        return 0
    on = on or timezone.localdate()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM layers_enterprisejurisdiction WHERE enterprise_id = ANY(%(ids)s)", {"ids": ids})
        cursor.execute(REFRESH_SQL.format(only=ONLY), {"on": on, "ids": ids})
        return cursor.rowcount
