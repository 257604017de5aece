"""A management area's versions carry its district, so a removed area's history is scoped like the area was."""

import django.db.models.deletion
from django.db import migrations, models

SQL = """
UPDATE layers_managementareaversion
   SET district_id = COALESCE(attrs_after->>'district_id', attrs_before->>'district_id')::bigint;

CREATE OR REPLACE FUNCTION layers_managementareaversion_district() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.district_id := COALESCE(NEW.attrs_after->>'district_id', NEW.attrs_before->>'district_id')::bigint;
  RETURN NEW;
END
$$;

CREATE TRIGGER managementareaversion_district
  BEFORE INSERT OR UPDATE ON layers_managementareaversion
  FOR EACH ROW EXECUTE FUNCTION layers_managementareaversion_district();
"""

REVERSE = """
DROP TRIGGER managementareaversion_district ON layers_managementareaversion;
DROP FUNCTION layers_managementareaversion_district();
"""


class Migration(migrations.Migration):
    dependencies = [("layers", "0025_mobile")]

    operations = [
        migrations.AddField(
            model_name="managementareaversion",
            name="district",
            field=models.ForeignKey(db_constraint=False, editable=False, null=True,
                                    on_delete=django.db.models.deletion.DO_NOTHING, related_name="+",
                                    to="layers.adminarea", verbose_name="district"),
        ),
        migrations.AddIndex(
            model_name="managementareaversion",
            index=models.Index(fields=["district"], name="areaversion_district"),
        ),
        migrations.RunSQL(SQL, REVERSE),
    ]
