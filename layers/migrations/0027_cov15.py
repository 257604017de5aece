"""A data version for the abandonment events, the one table the coverage figures read that had none.

The coverage figures keep each community's figures per date in memory, keyed by the versions of every table they
read (layers/selectors/coverage.py): estates and contracts ('estates'), buildings, abandonment reports and admin
areas ('buildings'), renovation projects ('renovations') — migration 0012's rows — and now the abandonment events,
whose last step decides a building's state on a date. The row lives in layers_tileversion next to the others (no
tile layer is named after it) and is bumped by the same statement trigger function, so it shares their guarantees:
a sequence number never reused, the row locked by the writing transaction until it commits, read in the same
statement as the data it names. Only event writers lock it, so no writers wait on each other that did not before.
"""
from django.db import migrations

SQL = [
    "INSERT INTO layers_tileversion (layer) VALUES ('abandonment_events') ON CONFLICT (layer) DO NOTHING",
    """CREATE TRIGGER layers_abandonmentevent_tile_version
            AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON layers_abandonmentevent
            FOR EACH STATEMENT EXECUTE FUNCTION layers_bump_tile_versions('abandonment_events')""",
]

REVERSE = [
    "DROP TRIGGER IF EXISTS layers_abandonmentevent_tile_version ON layers_abandonmentevent",
    "DELETE FROM layers_tileversion WHERE layer = 'abandonment_events'",
]


class Migration(migrations.Migration):
    dependencies = [("layers", "0026_area_version_district")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
