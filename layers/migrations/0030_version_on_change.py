"""A layer's whole data version (``layers_tileversion.version``) grows only with a statement that changed a row.

Before, 0012's statement trigger ``{table}_tile_version`` bumped it for every statement on a table a layer is built
from, rows or none. Django writes statements that change nothing: deleting a takeover plan's bundle sets
``bundle_id`` to NULL in the contracts of that bundle — none, while the plan is a draft — and that empty UPDATE made
every low-zoom estate tile of the city, the coverage figures kept in memory (layers/selectors/coverage.py) and the
plan page's tiles (layers/selectors/plans.py) stale. A row written back as it was counted as a change too.

Now the tables whose rows have a place (0028's PLACED) bump ``version`` in their cells trigger, with the cells,
and only when the statement inserted or deleted a row or changed one (an UPDATE: 0028's CHANGED, timestamps no
tile shows apart). The layer rows are still locked before any number is drawn, in layer order. TRUNCATE bumps
``version`` and ``base`` as before. The tables without a place (the enterprise register, the admin areas) keep
0012's trigger: their every statement counts.
"""
import importlib

from django.db import migrations

tile_versions = importlib.import_module("layers.migrations.0012_tile_versions")
tile18 = importlib.import_module("layers.migrations.0028_tile18")

SQL = [
    """CREATE FUNCTION layers_bump_layer_versions(layers text[]) RETURNS void LANGUAGE plpgsql AS $$
       BEGIN
           -- Rows in one order, so two statements bumping overlapping sets cannot deadlock each other.
           PERFORM 1 FROM layers_tileversion WHERE layer = ANY (layers) ORDER BY layer FOR UPDATE;
           UPDATE layers_tileversion SET version = nextval('layers_tileversion_seq') WHERE layer = ANY (layers);
       END $$""",
]
REVERSE = []

for table, table_layers in tile18.PLACED.items():
    table_layers = sorted(table_layers)
    names = ", ".join(f"'{layer}'" for layer, _ in table_layers)
    changed = tile18.CHANGED.format(side="new_rows", other="old_rows")
    SQL += [
        f"""CREATE OR REPLACE FUNCTION {table}_tile_cells() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           IF TG_OP = 'INSERT' THEN
               IF EXISTS (SELECT 1 FROM new_rows) THEN
                   PERFORM layers_bump_layer_versions(ARRAY[{names}]);
                   {tile18._bumps(table_layers, ["new_rows"])}
               END IF;
           ELSIF TG_OP = 'UPDATE' THEN
               -- A changed row's new image is none of the old ones (they hold its id): one is enough to know.
               IF EXISTS (SELECT 1 FROM {changed} c) THEN
                   PERFORM layers_bump_layer_versions(ARRAY[{names}]);
                   {tile18._bumps(table_layers, [tile18.CHANGED.format(side="old_rows", other="new_rows"), changed])}
               END IF;
           ELSIF EXISTS (SELECT 1 FROM old_rows) THEN
               PERFORM layers_bump_layer_versions(ARRAY[{names}]);
               {tile18._bumps(table_layers, ["old_rows"])}
           END IF;
           RETURN NULL;
       END $$""",
        f"DROP TRIGGER {table}_tile_version ON {table}",
        # Same name: it still fires before the cells' TRUNCATE trigger (which bumps the base).
        f"""CREATE TRIGGER {table}_tile_version AFTER TRUNCATE ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION layers_bump_tile_versions({names})""",
    ]
    before = next(s for s in tile18.SQL if s.startswith(f"CREATE FUNCTION {table}_tile_cells()"))
    REVERSE = [
        f"DROP TRIGGER IF EXISTS {table}_tile_version ON {table}",
        f"""CREATE TRIGGER {table}_tile_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION layers_bump_tile_versions(
                    {", ".join(f"'{layer}'" for layer in tile_versions.DEPENDENCIES[table])})""",
        before.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1),
    ] + REVERSE

REVERSE.append("DROP FUNCTION IF EXISTS layers_bump_layer_versions(text[])")


class Migration(migrations.Migration):
    dependencies = [("layers", "0029_photo_place")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
