"""The black-list trigger of 0009 for bundles: its one IF named NEW.start_date, which a bundle row does not have, so
PL/pgSQL refused every bundle insert. Same rule (rule 4), with the contract-only fields read in their own branch."""
from django.db import migrations

FIXED_SQL = """
CREATE OR REPLACE FUNCTION layers_refuse_blacklisted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    e record;
    starts date;
BEGIN
    IF NEW.enterprise_id IS NULL THEN
        RETURN NEW;
    END IF;
    IF TG_TABLE_NAME = 'layers_servicecontract' THEN
        starts := (to_jsonb(NEW) ->> 'start_date')::date;
        IF TG_OP = 'UPDATE' AND NEW.enterprise_id IS NOT DISTINCT FROM OLD.enterprise_id
           AND starts IS NOT DISTINCT FROM (to_jsonb(OLD) ->> 'start_date')::date THEN
            RETURN NEW;
        END IF;
    ELSIF TG_OP = 'UPDATE' AND NEW.enterprise_id IS NOT DISTINCT FROM OLD.enterprise_id THEN
        RETURN NEW;
    END IF;
    SELECT name, list_status, list_status_since INTO e FROM layers_enterprise WHERE id = NEW.enterprise_id;
    IF e.list_status = 'black' AND (TG_TABLE_NAME <> 'layers_servicecontract'
                                    OR e.list_status_since IS NULL OR starts >= e.list_status_since) THEN
        RAISE EXCEPTION 'enterprise % (%) is on the black list', e.name, NEW.enterprise_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'blacklisted_enterprise';
    END IF;
    RETURN NEW;
END $$;
"""

ORIGINAL_SQL = """
CREATE OR REPLACE FUNCTION layers_refuse_blacklisted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    e record;
BEGIN
    IF NEW.enterprise_id IS NULL
       OR (TG_OP = 'UPDATE' AND NEW.enterprise_id IS NOT DISTINCT FROM OLD.enterprise_id
           AND (TG_TABLE_NAME <> 'layers_servicecontract' OR NEW.start_date IS NOT DISTINCT FROM OLD.start_date)) THEN
        RETURN NEW;
    END IF;
    SELECT name, list_status, list_status_since INTO e FROM layers_enterprise WHERE id = NEW.enterprise_id;
    IF e.list_status = 'black' AND (TG_TABLE_NAME <> 'layers_servicecontract'
                                    OR e.list_status_since IS NULL OR NEW.start_date >= e.list_status_since) THEN
        RAISE EXCEPTION 'enterprise % (%) is on the black list', e.name, NEW.enterprise_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'blacklisted_enterprise';
    END IF;
    RETURN NEW;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [("layers", "0009_service_planning")]

    operations = [migrations.RunSQL(FIXED_SQL, ORIGINAL_SQL)]
