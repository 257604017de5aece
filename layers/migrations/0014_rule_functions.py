"""Each domain rule that several statements share, defined once as an SQL function (DOMAIN.md "old estate",
"Service status of an estate"); layers_active_contracts (0004) now reads them.

The boolean rules are single-expression, IMMUTABLE, non-STRICT SQL functions: PostgreSQL inlines them into the
calling statement, so a filter written with them plans exactly as the comparison written out (no call per row, the
same index use). Their Python twins are layers.planning.rules; tests/test_rules.py checks that both agree at every
boundary, and tests/test_rule_mutants.py that the tests notice a changed comparison.
"""
from django.db import migrations

RULES = """
-- 004 §1: an old estate is built before the end of the cutoff year (settings.OLD_ESTATE_CUTOFF_YEAR, 2010): the
-- cutoff year itself is old. smallint, the type of build_year: an integer parameter would cast the column and
-- lose its statistics (the planner then guesses a third of the rows).
CREATE OR REPLACE FUNCTION layers_is_old_estate(p_build_year smallint, p_cutoff integer) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT p_build_year <= p_cutoff
$$;

-- A contract's end date is exclusive: it has not ended by p_on when it is open-ended or ends after p_on (it may
-- not have started yet).
CREATE OR REPLACE FUNCTION layers_contract_not_ended(p_end date, p_on date) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT p_end IS NULL OR p_end > p_on
$$;

-- Active on p_on: started on or before it and not ended by it ([start, end) contains p_on).
CREATE OR REPLACE FUNCTION layers_contract_active(p_start date, p_end date, p_on date) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT p_start <= p_on AND layers_contract_not_ended(p_end, p_on)
$$;

-- The service status an active contract gives its estate (DOMAIN.md "Service status of an estate").
CREATE OR REPLACE FUNCTION layers_provider_status(p_kind varchar) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE p_kind WHEN 'enterprise' THEN 'enterprise' WHEN 'community' THEN 'self_governed' ELSE 'caretaker' END
$$;

CREATE OR REPLACE FUNCTION layers_active_contracts(p_on date)
RETURNS TABLE (estate_id bigint, contract_id bigint, provider_kind varchar, enterprise_id bigint,
               caretaker_agency_id bigint, mode varchar, status text)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT c.estate_id, c.id, c.provider_kind, c.enterprise_id, c.caretaker_agency_id, c.mode,
         layers_provider_status(c.provider_kind)
    FROM layers_servicecontract c
   WHERE layers_contract_active(c.start_date, c.end_date, p_on)
$$;
"""

PREVIOUS = """
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
DROP FUNCTION layers_provider_status(varchar);
DROP FUNCTION layers_contract_active(date, date, date);
DROP FUNCTION layers_contract_not_ended(date, date);
DROP FUNCTION layers_is_old_estate(smallint, integer);
"""


class Migration(migrations.Migration):
    dependencies = [("layers", "0013_audit_log")]

    operations = [migrations.RunSQL(RULES, PREVIOUS)]
