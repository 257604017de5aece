"""Derived enterprise jurisdictions (企业服务范围): rebuilt in SQL from the contracts active on a date."""
import datetime

from django.db import connection, transaction
from django.utils import timezone

REFRESH_SQL = """
INSERT INTO layers_enterprisejurisdiction (enterprise_id, geom, estate_count, households, refreshed_at)
SELECT s.enterprise_id, ST_Multi(ST_CollectionExtract(ST_Union(s.geom), 3)), count(*), COALESCE(sum(s.households), 0), now()
  FROM (SELECT a.enterprise_id, e.households, COALESCE(m.geom, e.geom) AS geom
          FROM layers_active_contracts(%(on)s) a
          JOIN layers_estate e ON e.id = a.estate_id
          LEFT JOIN layers_managementarea m ON m.id = e.management_area_id
         WHERE a.provider_kind = 'enterprise') AS s
 GROUP BY s.enterprise_id
"""


def enterprise_jurisdictions_refresh(*, on: datetime.date | None = None) -> int:
    """Replace every EnterpriseJurisdiction by the union of the management areas (or, where an estate has none yet, the estate outlines) its enterprise serves on `on` (default today).

    Returns the number of enterprises with a jurisdiction.
    """
    on = on or timezone.localdate()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM layers_enterprisejurisdiction")
        cursor.execute(REFRESH_SQL, {"on": on})
        return cursor.rowcount
