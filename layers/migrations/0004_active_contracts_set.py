"""One definition of "the contract active on a date", as a set the planner can inline and join.

layers_active_contracts(on) is a single-SELECT SQL function, so PostgreSQL inlines it into the
calling query (tiles, coverage figures) and joins instead of calling a function per estate.
layers_service_status(estate, on) is kept for the ORM and reads from the same set.
"""
from django.db import migrations

ACTIVE_CONTRACTS = """
CREATE OR REPLACE FUNCTION layers_active_contracts(p_on date)
RETURNS TABLE (estate_id bigint, contract_id bigint, provider_kind varchar, enterprise_id bigint,
               caretaker_agency_id bigint, mode varchar, status text)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT c.estate_id, c.id, c.provider_kind, c.enterprise_id, c.caretaker_agency_id, c.mode,
         CASE c.provider_kind
           WHEN 'enterprise' THEN 'enterprise'
           WHEN 'community' THEN 'self_governed'
           ELSE 'caretaker' END
    FROM layers_servicecontract c
   WHERE c.start_date <= p_on AND (c.end_date IS NULL OR c.end_date > p_on)
$$;

CREATE OR REPLACE FUNCTION layers_service_status(p_estate bigint, p_on date) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT COALESCE((SELECT a.status FROM layers_active_contracts(p_on) a WHERE a.estate_id = p_estate LIMIT 1), 'none')
$$;
"""

PREVIOUS = """
DROP FUNCTION layers_active_contracts(date) CASCADE;
CREATE OR REPLACE FUNCTION layers_service_status(p_estate bigint, p_on date) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT COALESCE((
    SELECT CASE c.provider_kind WHEN 'enterprise' THEN 'enterprise' WHEN 'community' THEN 'self_governed'
           ELSE 'caretaker' END
      FROM layers_servicecontract c
     WHERE c.estate_id = p_estate AND c.start_date <= p_on AND (c.end_date IS NULL OR c.end_date > p_on)
     LIMIT 1), 'none')
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("layers", "0003_drop_duplicate_spatial_indexes")]

    operations = [migrations.RunSQL(ACTIVE_CONTRACTS, PREVIOUS)]
