"""Narrow covering indexes for the coverage figures; each estate's district, kept by the database.

Estate.district is its community's parent's parent (the lookup permissions.DISTRICT_LOOKUP used before), written
only here: a BEFORE trigger sets it on every insert and on every update of the community (or of the column itself,
so a stray write cannot make it wrong), and an AFTER trigger on the admin areas re-sets it for the estates of a
community or street whose parent changes.
"""
import django.db.models.deletion
from django.db import migrations, models

DISTRICT_SQL = """
CREATE FUNCTION layers_estate_district() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.district_id := (SELECT s.parent_id FROM layers_adminarea c JOIN layers_adminarea s ON s.id = c.parent_id
                       WHERE c.id = NEW.community_id);
  RETURN NEW;
END $$;
CREATE TRIGGER layers_estate_district BEFORE INSERT OR UPDATE OF community_id, district_id ON layers_estate
  FOR EACH ROW EXECUTE FUNCTION layers_estate_district();

CREATE FUNCTION layers_adminarea_estate_district() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Naming the column fires layers_estate_district on each estate below the moved area.
  UPDATE layers_estate SET community_id = community_id
   WHERE community_id IN (SELECT id FROM layers_adminarea WHERE id = NEW.id OR parent_id = NEW.id);
  RETURN NULL;
END $$;
CREATE TRIGGER layers_adminarea_estate_district AFTER UPDATE OF parent_id ON layers_adminarea
  FOR EACH ROW WHEN (OLD.parent_id IS DISTINCT FROM NEW.parent_id)
  EXECUTE FUNCTION layers_adminarea_estate_district();

UPDATE layers_estate SET community_id = community_id;
"""

DISTRICT_REVERSE = """
DROP TRIGGER IF EXISTS layers_adminarea_estate_district ON layers_adminarea;
DROP FUNCTION IF EXISTS layers_adminarea_estate_district();
DROP TRIGGER IF EXISTS layers_estate_district ON layers_estate;
DROP FUNCTION IF EXISTS layers_estate_district();
"""


class Migration(migrations.Migration):
    dependencies = [("layers", "0020_supervision")]

    operations = [
        migrations.AddIndex(
            model_name="building",
            index=models.Index(fields=["id"], include=("estate",), name="building_id_estate"),
        ),
        migrations.AddIndex(
            model_name="estate",
            index=models.Index(fields=["community"], include=("id", "build_year", "households", "floor_area",
                                                              "owners_committee"), name="estate_community_figures"),
        ),
        migrations.AddIndex(
            model_name="estate",
            index=models.Index(fields=["id"], include=("community",), name="estate_id_community"),
        ),
        migrations.AddField(
            model_name="estate",
            name="district",
            field=models.ForeignKey(blank=True, editable=False, null=True,
                                    on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="layers.adminarea", verbose_name="district"),
        ),
        migrations.RunSQL(DISTRICT_SQL, DISTRICT_REVERSE),
    ]
