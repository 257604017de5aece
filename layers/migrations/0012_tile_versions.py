"""A data version per vector-tile layer, bumped by statement-level triggers on every table the layer is built from.

The tile endpoint puts the version in its ETag and in its server-side cache key (layers/tiles/serve.py): an edit
by any write path (services, admin, bulk SQL, imports) changes the ETag, so a browser's If-None-Match misses and
the cached tile is never served again. Versions come from a sequence, which is not transactional: a rolled-back
edit's number is never handed out again, so no two states of a layer share a version. The sequence starts at the
migration's epoch milliseconds, so a re-created database does not reuse the ETags of an old one.

The version row stays locked by the writing transaction until it commits, so concurrent writers of one layer
serialise on it, and a reader sees the version and the data of the same snapshot (the tile query reads both in
one statement). Edits here are rare and short (district staff), so the serialisation costs nothing in practice.
"""
from django.db import migrations

# table → tile layers built from it (a layer's scope also follows the admin areas: a building's street).
DEPENDENCIES = {
    "layers_road": ["roads"],
    "layers_managementarea": ["management_areas"],
    "layers_estate": ["estates", "renovations", "coverage_hex", "buildings"],
    "layers_building": ["buildings"],
    "layers_abandonmentreport": ["buildings"],
    "layers_servicecontract": ["estates", "coverage_hex"],
    "layers_renovationproject": ["renovations"],
    "layers_enterprisejurisdiction": ["jurisdictions"],
    "layers_enterprise": ["jurisdictions"],
    "layers_adminarea": ["buildings"],
}
LAYERS = sorted({layer for layers in DEPENDENCIES.values() for layer in layers})

SQL = [
    "CREATE SEQUENCE layers_tileversion_seq",
    "SELECT setval('layers_tileversion_seq', (extract(epoch FROM clock_timestamp()) * 1000)::bigint)",
    """CREATE TABLE layers_tileversion (
           layer varchar(40) PRIMARY KEY,
           version bigint NOT NULL DEFAULT nextval('layers_tileversion_seq')
       )""",
    "INSERT INTO layers_tileversion (layer) VALUES " + ", ".join(f"('{layer}')" for layer in LAYERS),
    """CREATE FUNCTION layers_bump_tile_versions() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           -- Rows in one order, so two statements bumping overlapping sets cannot deadlock each other.
           PERFORM 1 FROM layers_tileversion WHERE layer = ANY (TG_ARGV) ORDER BY layer FOR UPDATE;
           UPDATE layers_tileversion SET version = nextval('layers_tileversion_seq') WHERE layer = ANY (TG_ARGV);
           RETURN NULL;
       END $$""",
] + [
    f"""CREATE TRIGGER {table}_tile_version
            AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION layers_bump_tile_versions({", ".join(f"'{layer}'" for layer in layers)})"""
    for table, layers in DEPENDENCIES.items()
]

REVERSE = [f"DROP TRIGGER IF EXISTS {table}_tile_version ON {table}" for table in DEPENDENCIES] + [
    "DROP FUNCTION IF EXISTS layers_bump_tile_versions()",
    "DROP TABLE IF EXISTS layers_tileversion",
    "DROP SEQUENCE IF EXISTS layers_tileversion_seq",
]


class Migration(migrations.Migration):
    dependencies = [("layers", "0011_imports")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
