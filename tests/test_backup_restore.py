"""`make backup` / `make restore` (scripts/backup.sh): a dump of the test database restored into a scratch database,
then restored again over changed data, has the same rows in every table and the same bytes in every geometry."""
import os
import subprocess
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "backup.sh"


def url(name: str) -> str:
    db = connection.settings_dict
    return f"postgis://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{name}"


def connect(name: str):
    db = connection.settings_dict
    conn = psycopg2.connect(dbname=name, host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"])
    conn.autocommit = True
    return conn


def script(*args: str, database: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], env={**os.environ, "DATABASE_URL": url(database), **env},
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)


def fingerprint(name: str) -> dict:
    """Rows of every table of the public schema, md5 of every geometry column (EWKB in id order)."""
    conn = connect(name)
    found = {}
    with conn.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables "
                       "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1")
        for (table,) in cursor.fetchall():
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            found[table] = cursor.fetchone()[0]
        cursor.execute("SELECT c.f_table_name, c.f_geometry_column, EXISTS (SELECT 1 FROM information_schema.columns "
                       "  WHERE table_name = c.f_table_name AND column_name = 'id') "
                       "FROM geometry_columns c JOIN information_schema.tables t ON t.table_name = c.f_table_name "
                       "WHERE c.f_table_schema = 'public' AND t.table_type = 'BASE TABLE' ORDER BY 1, 2")
        for table, column, has_id in cursor.fetchall():
            order = "id" if has_id else f'ST_AsEWKB("{column}")'
            cursor.execute(f'SELECT md5(string_agg(encode(ST_AsEWKB("{column}"), \'hex\'), \',\' ORDER BY {order})) '
                           f'FROM "{table}"')
            found[f"{table}.{column}"] = cursor.fetchone()[0]
    conn.close()
    return found


@pytest.fixture
def scratch():
    name = connection.settings_dict["NAME"] + "_restore"
    admin = connect("postgres")
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    yield name
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.mark.django_db(transaction=True)
def test_backup_restore_round_trip(demo_city, scratch, tmp_path):
    source = connection.settings_dict["NAME"]
    dump = tmp_path / "nested" / "geoapp.dump"
    backup = script("backup", str(dump), database=source)
    assert backup.returncode == 0, backup.stderr
    assert backup.stdout.strip() == str(dump) and dump.stat().st_size > 0
    assert not dump.with_name(dump.name + ".partial").exists()
    expected = fingerprint(source)
    assert expected["layers_estate"] > 0 and expected["layers_managementarea"] > 0
    assert expected["layers_estate.geom"] and expected["layers_managementarea.geom"]

    refused = script("restore", str(dump), database=scratch)
    assert refused.returncode != 0 and "RESTORE_CONFIRM=yes" in refused.stderr
    with connect("postgres").cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [scratch])
        assert cursor.fetchone()[0] == 0  # refused before touching anything

    restored = script("restore", str(dump), database=scratch, RESTORE_CONFIRM="yes")
    assert restored.returncode == 0, restored.stderr
    assert fingerprint(scratch) == expected

    # Restoring over data that changed since the backup brings the backup's data back.
    with connect(scratch).cursor() as cursor:
        cursor.execute("UPDATE layers_estate SET geom = ST_Translate(geom, 0.0001, 0) "
                       "WHERE id = (SELECT min(id) FROM layers_estate)")
        cursor.execute("DELETE FROM layers_renovationproject")
    assert fingerprint(scratch) != expected
    again = script("restore", str(dump), database=scratch, RESTORE_CONFIRM="yes")
    assert again.returncode == 0, again.stderr
    assert fingerprint(scratch) == expected


@pytest.mark.django_db
def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    bogus = tmp_path / "not-a-backup.dump"
    bogus.write_text("hello")
    result = script("restore", str(bogus), database=connection.settings_dict["NAME"], RESTORE_CONFIRM="yes")
    assert result.returncode != 0 and "not a pg_dump custom-format backup" in result.stderr
