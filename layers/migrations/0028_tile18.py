"""Tile data versions per map cell: an edit changes the ETag of the tiles it touches only, not of its whole layer.

Before, a tile's ETag held its layer's data version (0012_tile_versions), so one save anywhere made every cached
tile of the layer stale — in nginx's shared cache and in the app's own. Now the map is cut into cells (the Web-
Mercator tiles of zoom CELL_ZOOM, about 850 m wide at Harbin's latitude) and ``layers_tilecell`` holds a version
per layer and cell. Statement triggers with transition tables read the rows a statement wrote — their old and new
geometry, or their estate's or building's — and bump every cell those boxes touch (plus a margin), for every layer
the table feeds. A tile's data version (``layers_tile_data_version``) is then

    the layer's ``base`` + the sum of the versions of the cells the tile covers      (zoom ≥ CELL_ZOOM - 4)
    the layer's ``version`` (any change anywhere, as before)                          (lower zooms: many cells)

Every number comes from the one sequence ``layers_tileversion_seq`` and a cell is bumped while its layer's version
row is locked (the ``*_tile_version`` statement trigger fires first: trigger names sort), so a cell's version only
grows, in commit order; the sum therefore grows with every committed change of a covered cell and never repeats.
``base`` is bumped where an edit cannot be placed: TRUNCATE, the tables without a geometry of their own
(enterprise names in the jurisdictions, admin areas in the buildings' scope), and a statement touching more than
MAX_CELLS cells. ``version`` is still bumped by every statement (since 0030_version_on_change: by every statement
that changed a row).

What a tile depends on, and so which boxes a change bumps (the tile SQL in layers/catalogue.py):
- a feature is in a tile when its ``geom_web`` box meets the tile's envelope: its own box, old and new (an UPDATE:
  of the rows it changed; a row written back unchanged bumps nothing);
- an estate's street scopes its buildings: the boxes of its buildings; its contracts colour it: the estate's box;
- a hexagon of ``coverage_hex`` holds the estates whose point lies in it: the estate's box grown by 4 km (twice
  the largest hexagon's edge, zoom 11).
"""
from django.db import migrations

CELL_ZOOM = 15
LOW_ZOOMS_BELOW = CELL_ZOOM - 4  # below: the layer's whole version (a zoom-10 tile covers 1,024 cells)
MAX_CELLS = 4096  # a statement touching more bumps its layers' base instead
MARGIN_M = 1.0  # a box on a cell's edge bumps both cells
HALF_WORLD = 20037508.342789244

# table → [(layer, boxes of the changed rows; {rows} is old_rows or new_rows)]
OWN = "SELECT r.geom_web FROM {rows} r"
OF_ESTATE = "SELECT e.geom_web FROM layers_estate e WHERE e.id IN (SELECT r.estate_id FROM {rows} r)"
OF_ESTATE_HEX = ("SELECT ST_Expand(e.geom_web, 4000) FROM layers_estate e "
                 "WHERE e.id IN (SELECT r.estate_id FROM {rows} r)")
PLACED = {
    "layers_road": [("roads", OWN)],
    "layers_managementarea": [("management_areas", OWN)],
    "layers_estate": [
        ("buildings", "SELECT b.geom_web FROM layers_building b WHERE b.estate_id IN (SELECT r.id FROM {rows} r)"),
        ("coverage_hex", "SELECT ST_Expand(r.geom_web, 4000) FROM {rows} r"),
        ("estates", OWN),
        ("renovations", OWN),
    ],
    "layers_building": [("buildings", OWN)],
    "layers_abandonmentreport": [
        ("buildings", "SELECT b.geom_web FROM layers_building b WHERE b.id IN (SELECT r.building_id FROM {rows} r)"),
    ],
    "layers_servicecontract": [("coverage_hex", OF_ESTATE_HEX), ("estates", OF_ESTATE)],
    "layers_renovationproject": [("renovations", OF_ESTATE)],
    "layers_enterprisejurisdiction": [("jurisdictions", OWN)],
}
# Tables whose rows have no place: any change bumps the layers' base (0012's DEPENDENCIES for them).
UNPLACED = {"layers_enterprise": ["jurisdictions"], "layers_adminarea": ["buildings"]}

SIDE = f"(2 * {HALF_WORLD} / {1 << CELL_ZOOM})"
LAST = (1 << CELL_ZOOM) - 1


def _index(expr: str) -> str:
    return f"LEAST(GREATEST(floor(({expr}) / {SIDE})::int, 0), {LAST})"


# The cell ranges (x0..x1, y0..y1) of every box.
RANGES = (f"SELECT {_index(f'ST_XMin(b) - {MARGIN_M} + {HALF_WORLD}')} AS x0, "
          f"{_index(f'ST_XMax(b) + {MARGIN_M} + {HALF_WORLD}')} AS x1, "
          f"{_index(f'{HALF_WORLD} - ST_YMax(b) - {MARGIN_M}')} AS y0, "
          f"{_index(f'{HALF_WORLD} - ST_YMin(b) + {MARGIN_M}')} AS y1 "
          "FROM unnest(boxes) b WHERE b IS NOT NULL AND NOT ST_IsEmpty(b)")

SQL = [
    "ALTER TABLE layers_tileversion ADD COLUMN base bigint NOT NULL DEFAULT nextval('layers_tileversion_seq')",
    """CREATE TABLE layers_tilecell (
           layer varchar(40) NOT NULL,
           x int NOT NULL,
           y int NOT NULL,
           version bigint NOT NULL,
           PRIMARY KEY (layer, x, y)
       )""",
    """CREATE FUNCTION layers_bump_tile_base(layers text[]) RETURNS void LANGUAGE plpgsql AS $$
       BEGIN
           PERFORM 1 FROM layers_tileversion WHERE layer = ANY (layers) ORDER BY layer FOR UPDATE;
           UPDATE layers_tileversion SET base = nextval('layers_tileversion_seq') WHERE layer = ANY (layers);
       END $$""",
    # Every cell (x, y of zoom CELL_ZOOM, y from the north as in tile addresses) a box meets, for every layer.
    f"""CREATE FUNCTION layers_bump_tile_cells(layers text[], boxes geometry[]) RETURNS void LANGUAGE plpgsql AS $$
       DECLARE
           cells bigint;
       BEGIN
           SELECT sum((x1 - x0 + 1)::bigint * (y1 - y0 + 1)) INTO cells FROM (
               {RANGES}) r;
           IF cells IS NULL THEN
               RETURN;
           END IF;
           IF cells > {MAX_CELLS} THEN
               PERFORM layers_bump_tile_base(layers);
               RETURN;
           END IF;
           INSERT INTO layers_tilecell AS c (layer, x, y, version)
           SELECT l, cx, cy, nextval('layers_tileversion_seq')
             FROM unnest(layers) l,
                  (SELECT DISTINCT cx, cy FROM (
                      {RANGES}) r,
                      generate_series(r.x0, r.x1) cx, generate_series(r.y0, r.y1) cy) cell
            ORDER BY 1, 2, 3
           ON CONFLICT (layer, x, y) DO UPDATE SET version = nextval('layers_tileversion_seq');
       END $$""",
    """CREATE FUNCTION layers_bump_tile_base_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           PERFORM layers_bump_tile_base(TG_ARGV);
           RETURN NULL;
       END $$""",
    # The data version of tile z/x/y of a layer (NULL for a layer without versions).
    f"""CREATE FUNCTION layers_tile_data_version(p_layer text, p_z int, p_x int, p_y int) RETURNS bigint
       LANGUAGE sql STABLE PARALLEL SAFE AS $$
       SELECT CASE WHEN p_z < {LOW_ZOOMS_BELOW} THEN t.version
                   ELSE t.base + COALESCE((
                       SELECT sum(c.version)::bigint FROM layers_tilecell c
                        WHERE c.layer = p_layer
                          AND c.x BETWEEN (CASE WHEN p_z >= {CELL_ZOOM} THEN p_x >> (p_z - {CELL_ZOOM})
                                                ELSE p_x << ({CELL_ZOOM} - p_z) END)
                                      AND (CASE WHEN p_z >= {CELL_ZOOM} THEN p_x >> (p_z - {CELL_ZOOM})
                                                ELSE ((p_x + 1) << ({CELL_ZOOM} - p_z)) - 1 END)
                          AND c.y BETWEEN (CASE WHEN p_z >= {CELL_ZOOM} THEN p_y >> (p_z - {CELL_ZOOM})
                                                ELSE p_y << ({CELL_ZOOM} - p_z) END)
                                      AND (CASE WHEN p_z >= {CELL_ZOOM} THEN p_y >> (p_z - {CELL_ZOOM})
                                                ELSE ((p_y + 1) << ({CELL_ZOOM} - p_z)) - 1 END)), 0) END
         FROM layers_tileversion t WHERE t.layer = p_layer
       $$""",
]
REVERSE = ["DROP FUNCTION IF EXISTS layers_tile_data_version(text, int, int, int)"]


def _bumps(table_layers, sides: list[str]) -> str:
    """One bump per layer, with the boxes of old and new rows together (one pass over the cells)."""
    out = []
    for layer, box in table_layers:
        union = " UNION ALL ".join(f"({box.format(rows=side)})" for side in sides)
        out.append(f"PERFORM layers_bump_tile_cells(ARRAY['{layer}'], ARRAY({union}));")
    return "\n               ".join(out)


# An UPDATE bumps for the rows it changed only: a row written back as it was (an import of the same file, a
# save() of an unchanged form) changes no tile. Timestamps no tile shows do not count as a change.
UNSHOWN = "ARRAY['updated_at', 'refreshed_at']"
CHANGED = ("(SELECT * FROM {side} mine WHERE NOT EXISTS (SELECT 1 FROM {other} theirs "
           f"WHERE to_jsonb(theirs) - {UNSHOWN} = to_jsonb(mine) - {UNSHOWN}))")

for table, table_layers in PLACED.items():
    table_layers = sorted(table_layers)
    names = ", ".join(f"'{layer}'" for layer, _ in table_layers)
    SQL.append(f"""CREATE FUNCTION {table}_tile_cells() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           IF TG_OP = 'INSERT' THEN
               {_bumps(table_layers, ["new_rows"])}
           ELSIF TG_OP = 'UPDATE' THEN
               {_bumps(table_layers, [CHANGED.format(side="old_rows", other="new_rows"),
                                      CHANGED.format(side="new_rows", other="old_rows")])}
           ELSE
               {_bumps(table_layers, ["old_rows"])}
           END IF;
           RETURN NULL;
       END $$""")
    # Named after {table}_tile_version, so they fire after it (the layer rows are locked first).
    SQL += [
        f"""CREATE TRIGGER {table}_tile_version_cells_ins AFTER INSERT ON {table}
                REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {table}_tile_cells()""",
        f"""CREATE TRIGGER {table}_tile_version_cells_upd AFTER UPDATE ON {table}
                REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                FOR EACH STATEMENT EXECUTE FUNCTION {table}_tile_cells()""",
        f"""CREATE TRIGGER {table}_tile_version_cells_del AFTER DELETE ON {table}
                REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {table}_tile_cells()""",
        f"""CREATE TRIGGER {table}_tile_version_cells_truncate AFTER TRUNCATE ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION layers_bump_tile_base_trigger({names})""",
    ]
    REVERSE = [f"DROP TRIGGER IF EXISTS {table}_tile_version_cells_{event} ON {table}"
               for event in ("ins", "upd", "del", "truncate")] + [
        f"DROP FUNCTION IF EXISTS {table}_tile_cells()"] + REVERSE

for table, layers in UNPLACED.items():
    names = ", ".join(f"'{layer}'" for layer in sorted(layers))
    SQL.append(f"""CREATE TRIGGER {table}_tile_version_cells AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION layers_bump_tile_base_trigger({names})""")
    REVERSE.insert(0, f"DROP TRIGGER IF EXISTS {table}_tile_version_cells ON {table}")

REVERSE += [
    "DROP FUNCTION IF EXISTS layers_bump_tile_base_trigger()",
    "DROP FUNCTION IF EXISTS layers_bump_tile_cells(text[], geometry[])",
    "DROP FUNCTION IF EXISTS layers_bump_tile_base(text[])",
    "DROP TABLE IF EXISTS layers_tilecell",
    "ALTER TABLE layers_tileversion DROP COLUMN IF EXISTS base",
]


class Migration(migrations.Migration):
    dependencies = [("layers", "0027_cov15")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
