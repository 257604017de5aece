"""A whole city (DOMAIN.md "Levels"): a city level above the districts, and the area each user answers for.

Existing data: when districts exist and no city does, one city record is created around them (code: the first
district's code with its last two digits 00, e.g. 230112 → 230100; name 市, to be renamed by the administrator) and
becomes every district's parent. Existing takeover plans get their street's district (or the first district).
Existing planners, officials (and district administrators) get the district when
exactly one exists; with none or several the district they answer for cannot be known, so their profile is removed
(the user keeps the account but has no role, and sees nothing, until an administrator assigns one).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


CITY_AND_DISTRICTS = """
INSERT INTO layers_adminarea (level, parent_id, code, name, geom)
SELECT 'city', NULL, CASE WHEN min(code) ~ '^[0-9]{6}$' THEN left(min(code), 4) || '00' ELSE 'CITY' END, '市',
       ST_Multi(ST_Union(geom))
  FROM layers_adminarea
 WHERE level = 'district' AND NOT EXISTS (SELECT 1 FROM layers_adminarea WHERE level = 'city')
HAVING count(*) > 0;
UPDATE layers_adminarea SET parent_id = (SELECT id FROM layers_adminarea WHERE level = 'city' ORDER BY id LIMIT 1)
 WHERE level = 'district' AND parent_id IS NULL;
UPDATE layers_userprofile SET district_id = (SELECT min(id) FROM layers_adminarea WHERE level = 'district')
 WHERE role IN ('planner', 'official', 'district_admin')
   AND (SELECT count(*) FROM layers_adminarea WHERE level = 'district') = 1;
DELETE FROM layers_userprofile WHERE role IN ('planner', 'official', 'district_admin') AND district_id IS NULL;
UPDATE layers_takeoverplan p
   SET district_id = COALESCE((SELECT s.parent_id FROM layers_adminarea s WHERE s.id = p.street_id),
                              (SELECT min(id) FROM layers_adminarea WHERE level = 'district'))
 WHERE district_id IS NULL;
SET CONSTRAINTS ALL IMMEDIATE;  -- run the deferred triggers now: the constraints below alter the same tables
"""

UNDO_CITY = """
SET CONSTRAINTS ALL IMMEDIATE;
UPDATE layers_adminarea SET parent_id = NULL WHERE level = 'district';
DELETE FROM layers_adminarea WHERE level = 'city';
SET CONSTRAINTS ALL IMMEDIATE;
"""

# The parent of an area is the level just above (admin_units.PARENT_LEVEL); a profile's district is a district and
# its street a street. CHECK constraints cannot look at another row, so triggers do.
LEVEL_TRIGGERS = """
CREATE OR REPLACE FUNCTION layers_adminarea_parent_level() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  wanted text := CASE NEW.level WHEN 'district' THEN 'city' WHEN 'street' THEN 'district'
                                WHEN 'community' THEN 'street' END;
  found text;
BEGIN
  IF NEW.parent_id IS NOT NULL AND wanted IS NOT NULL THEN  -- a city with a parent: the CHECK refuses it
    SELECT level INTO found FROM layers_adminarea WHERE id = NEW.parent_id;
    IF found IS DISTINCT FROM wanted THEN
      RAISE EXCEPTION 'adminarea_parent_level: the parent of a % must be a %, not a %', NEW.level, wanted, found
        USING ERRCODE = 'check_violation';
    END IF;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.level IS DISTINCT FROM OLD.level
     AND EXISTS (SELECT 1 FROM layers_adminarea WHERE parent_id = NEW.id) THEN
    RAISE EXCEPTION 'adminarea_parent_level: an area with children keeps its level' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER layers_adminarea_parent_level BEFORE INSERT OR UPDATE OF level, parent_id ON layers_adminarea
  FOR EACH ROW EXECUTE FUNCTION layers_adminarea_parent_level();

CREATE OR REPLACE FUNCTION layers_userprofile_area_level() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.district_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM layers_adminarea WHERE id = NEW.district_id AND level = 'district') THEN
    RAISE EXCEPTION 'userprofile_area_level: a user''s district must be a district' USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.street_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM layers_adminarea WHERE id = NEW.street_id AND level = 'street') THEN
    RAISE EXCEPTION 'userprofile_area_level: a user''s street must be a street' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER layers_userprofile_area_level BEFORE INSERT OR UPDATE OF district_id, street_id ON layers_userprofile
  FOR EACH ROW EXECUTE FUNCTION layers_userprofile_area_level();
"""

DROP_LEVEL_TRIGGERS = """
DROP TRIGGER IF EXISTS layers_userprofile_area_level ON layers_userprofile;
DROP FUNCTION IF EXISTS layers_userprofile_area_level();
DROP TRIGGER IF EXISTS layers_adminarea_parent_level ON layers_adminarea;
DROP FUNCTION IF EXISTS layers_adminarea_parent_level();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('layers', '0014_rule_functions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='adminarea',
            name='adminarea_parent_by_level',
        ),
        migrations.RemoveConstraint(
            model_name='userprofile',
            name='userprofile_street_by_role',
        ),
        migrations.AddField(
            model_name='userprofile',
            name='district',
            field=models.ForeignKey(blank=True, help_text='The district a planner, district official or district administrator answers for', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='layers.adminarea', verbose_name='district'),
        ),
        migrations.AlterField(
            model_name='adminarea',
            name='level',
            field=models.CharField(choices=[('city', 'City'), ('district', 'District'), ('street', 'Street'), ('community', 'Community')], max_length=16, verbose_name='level'),
        ),
        migrations.AlterField(
            model_name='userprofile',
            name='role',
            field=models.CharField(choices=[('city_official', 'City official (city housing bureau, read-only)'), ('planner', 'Planner (district property department)'), ('official', 'Official (read-only)'), ('district_admin', 'District administrator'), ('street_office', 'Street office'), ('administrator', 'Administrator')], max_length=16, verbose_name='role'),
        ),
        migrations.AddField(
            model_name='takeoverplan',
            name='district',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='layers.adminarea', verbose_name='district'),
        ),
        migrations.RunSQL(CITY_AND_DISTRICTS, UNDO_CITY),
        migrations.AddConstraint(
            model_name='adminarea',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('level', 'city'), ('parent__isnull', True)), models.Q(models.Q(('level', 'city'), _negated=True), ('parent__isnull', False)), _connector='OR'), name='adminarea_parent_by_level'),
        ),
        migrations.AddConstraint(
            model_name='userprofile',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('district__isnull', True), ('role__in', ('street_office',)), ('street__isnull', False)), models.Q(('district__isnull', False), ('role__in', ('planner', 'official', 'district_admin')), ('street__isnull', True)), models.Q(('district__isnull', True), ('role__in', ('city_official', 'administrator')), ('street__isnull', True)), _connector='OR'), name='userprofile_area_by_role'),
        ),
        migrations.RunSQL(LEVEL_TRIGGERS, DROP_LEVEL_TRIGGERS),
    ]
