"""Settings read from the environment: each case imports the settings in a fresh interpreter (no database)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Imports a settings module; prints OK, or IMPROPERLY: <message> and exits 3 on ImproperlyConfigured.
IMPORT_SETTINGS = """
import importlib, sys
from django.core.exceptions import ImproperlyConfigured
try:
    settings = importlib.import_module(sys.argv[1])
except ImproperlyConfigured as exc:
    print("IMPROPERLY:", exc)
    sys.exit(3)
print("OK", settings.STORAGE_SRID, settings.OLD_ESTATE_CUTOFF_YEAR, settings.DEBUG, len(settings.BASEMAP_TILES))
"""

SETTINGS_VARIABLES = (
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "STORAGE_SRID",
    "OLD_ESTATE_CUTOFF_YEAR",
    "BASEMAP_TILES",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
)
GOOD_SECRET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"


def import_settings(module: str, **env: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", IMPORT_SETTINGS, module],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_improperly_configured(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 3, f"expected ImproperlyConfigured, got:\n{result.stdout}\n{result.stderr}"
    message = result.stdout.strip()
    assert message.startswith("IMPROPERLY:")
    for word in words:
        assert word in message, message


def assert_ok(result: subprocess.CompletedProcess) -> list[str]:
    assert result.returncode == 0, result.stdout + result.stderr
    fields = result.stdout.split()
    assert fields[0] == "OK"
    return fields[1:]


def test_good_secret_is_50_characters():
    assert len(GOOD_SECRET) == 50


def test_production_refuses_a_missing_secret():
    assert_improperly_configured(import_settings("geoapp.settings_production"), "SECRET_KEY")


@pytest.mark.parametrize("secret", ["dev-insecure-secret-key-change-me", "too-short", ""])
def test_production_refuses_weak_secrets(secret):
    assert_improperly_configured(import_settings("geoapp.settings_production", SECRET_KEY=secret), "SECRET_KEY")


def test_production_accepts_a_50_character_secret():
    srid, cutoff, debug, _ = assert_ok(import_settings("geoapp.settings_production", SECRET_KEY=GOOD_SECRET))
    assert debug == "False"


def test_development_settings_need_no_environment():
    assert assert_ok(import_settings("geoapp.settings"))[2] == "True"


def test_defaults_are_cgcs2000_and_2010():
    srid, cutoff, _, basemaps = assert_ok(import_settings("geoapp.settings"))
    assert (srid, cutoff, basemaps) == ("4490", "2010", "0")


def test_environment_overrides_srid_and_cutoff():
    srid, cutoff, _, _ = assert_ok(
        import_settings("geoapp.settings_production", SECRET_KEY=GOOD_SECRET, STORAGE_SRID="4326",
                        OLD_ESTATE_CUTOFF_YEAR="2000")
    )
    assert (srid, cutoff) == ("4326", "2000")


@pytest.mark.parametrize("value", ["[not json", '[{"name": "no url"}]'])
def test_bad_basemap_tiles(value):
    assert_improperly_configured(import_settings("geoapp.settings", BASEMAP_TILES=value), "BASEMAP_TILES")


def test_basemap_tiles_accepts_a_bare_url_and_a_json_list():
    url = "https://tiles.example.org/{z}/{x}/{y}.png"
    assert assert_ok(import_settings("geoapp.settings", BASEMAP_TILES=url))[3] == "1"
    layers = f'[{{"name": "a", "url": "{url}"}}, {{"url": "{url}"}}]'
    assert assert_ok(import_settings("geoapp.settings", BASEMAP_TILES=layers))[3] == "2"


@pytest.mark.parametrize("name", ["STORAGE_SRID", "OLD_ESTATE_CUTOFF_YEAR"])
def test_non_integer_is_refused(name):
    assert_improperly_configured(import_settings("geoapp.settings", **{name: "cgcs2000"}), name)


def test_bad_debug_is_refused():
    assert_improperly_configured(import_settings("geoapp.settings", DEBUG="maybe"), "DEBUG")
