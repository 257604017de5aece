"""Management-area versions and history kept by the database, so admin, API, bulk and raw SQL writes alike are recorded.

Before an update: the version goes up by one when anything changed, and a redraw (new geometry) needs a reason.
After any insert, change or delete: one layers_managementareaversion row with who, why, before and after.
Who and why come from the transaction's settings geoapp.user_id, geoapp.change_reason and geoapp.change_action,
set by layers.history.change_context.
"""
from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION layers_managementarea_attrs(r layers_managementarea) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('code', r.code, 'name', r.name, 'district_id', r.district_id,
                            'street_id', r.street_id, 'version', r.version)
$$;

CREATE OR REPLACE FUNCTION layers_managementarea_before_update() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  redrawn boolean := ST_AsEWKB(NEW.geom) IS DISTINCT FROM ST_AsEWKB(OLD.geom);
BEGIN
  IF NOT redrawn AND layers_managementarea_attrs(NEW) - 'version' = layers_managementarea_attrs(OLD) - 'version' THEN
    NEW.version := OLD.version;  -- nothing changed: no new version, no history row
    RETURN NEW;
  END IF;
  IF redrawn AND COALESCE(current_setting('geoapp.change_reason', true), '') = '' THEN
    RAISE EXCEPTION 'a reason is required to redraw management area %', OLD.code USING ERRCODE = 'check_violation';
  END IF;
  NEW.version := OLD.version + 1;
  RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION layers_managementarea_record() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  action text := NULLIF(current_setting('geoapp.change_action', true), '');
  who bigint := NULLIF(current_setting('geoapp.user_id', true), '')::bigint;
  why text := COALESCE(current_setting('geoapp.change_reason', true), '');
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO layers_managementareaversion
      (area_id, area_code, version, action, reason, user_id, changed_at, geom_before, geom_after, attrs_before, attrs_after)
    VALUES (NEW.id, NEW.code, NEW.version, COALESCE(action, 'create'), why, who, now(), NULL, NEW.geom, NULL,
            layers_managementarea_attrs(NEW));
  ELSIF TG_OP = 'UPDATE' THEN
    IF NEW.version = OLD.version THEN
      RETURN NULL;
    END IF;
    INSERT INTO layers_managementareaversion
      (area_id, area_code, version, action, reason, user_id, changed_at, geom_before, geom_after, attrs_before, attrs_after)
    VALUES (NEW.id, NEW.code, NEW.version,
            COALESCE(action, CASE WHEN ST_AsEWKB(NEW.geom) IS DISTINCT FROM ST_AsEWKB(OLD.geom) THEN 'redraw' ELSE 'update' END),
            why, who, now(), OLD.geom, NEW.geom, layers_managementarea_attrs(OLD), layers_managementarea_attrs(NEW));
  ELSE
    INSERT INTO layers_managementareaversion
      (area_id, area_code, version, action, reason, user_id, changed_at, geom_before, geom_after, attrs_before, attrs_after)
    VALUES (OLD.id, OLD.code, OLD.version, COALESCE(action, 'delete'), why, who, now(), OLD.geom, NULL,
            layers_managementarea_attrs(OLD), NULL);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER managementarea_before_update
  BEFORE UPDATE ON layers_managementarea
  FOR EACH ROW EXECUTE FUNCTION layers_managementarea_before_update();
CREATE TRIGGER managementarea_record
  AFTER INSERT OR UPDATE OR DELETE ON layers_managementarea
  FOR EACH ROW EXECUTE FUNCTION layers_managementarea_record();
"""

REVERSE = """
DROP TRIGGER managementarea_record ON layers_managementarea;
DROP TRIGGER managementarea_before_update ON layers_managementarea;
DROP FUNCTION layers_managementarea_record();
DROP FUNCTION layers_managementarea_before_update();
DROP FUNCTION layers_managementarea_attrs(layers_managementarea);
"""


class Migration(migrations.Migration):
    dependencies = [("layers", "0007_editing_history_abandonment")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
