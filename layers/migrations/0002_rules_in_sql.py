"""Rules the database enforces or derives itself: service status on a date, non-overlapping management areas."""
from django.db import migrations

SERVICE_STATUS = """
CREATE OR REPLACE FUNCTION layers_service_status(p_estate bigint, p_on date) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT COALESCE((
    SELECT CASE c.provider_kind
             WHEN 'enterprise' THEN 'enterprise'
             WHEN 'community' THEN 'self_governed'
             ELSE 'caretaker' END
      FROM layers_servicecontract c
     WHERE c.estate_id = p_estate
       AND c.start_date <= p_on
       AND (c.end_date IS NULL OR c.end_date > p_on)
     LIMIT 1), 'none')
$$;
"""

NO_OVERLAP = """
CREATE OR REPLACE FUNCTION layers_managementarea_no_overlap() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  other_code text;
BEGIN
  -- Serialise area writes so two concurrent saves cannot both pass the check.
  PERFORM pg_advisory_xact_lock(hashtext('layers_managementarea'));
  SELECT m.code INTO other_code
    FROM layers_managementarea m
   WHERE m.id <> NEW.id
     AND m.geom && NEW.geom
     AND ST_Relate(m.geom, NEW.geom, '2********')
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'management area % overlaps management area %', NEW.code, other_code
      USING ERRCODE = 'exclusion_violation';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER managementarea_no_overlap
  BEFORE INSERT OR UPDATE OF geom ON layers_managementarea
  FOR EACH ROW EXECUTE FUNCTION layers_managementarea_no_overlap();
"""


class Migration(migrations.Migration):
    dependencies = [("layers", "0001_initial")]

    operations = [
        migrations.RunSQL(SERVICE_STATUS, "DROP FUNCTION layers_service_status(bigint, date);"),
        migrations.RunSQL(
            NO_OVERLAP,
            "DROP TRIGGER managementarea_no_overlap ON layers_managementarea;"
            "DROP FUNCTION layers_managementarea_no_overlap();",
        ),
    ]
