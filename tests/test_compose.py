"""docker-compose.yml, the Dockerfile and the settings agree with each other (no Docker, no database)."""
import os
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ENTRYPOINT = ROOT / "scripts" / "entrypoint.sh"

# The variables every deployment must set explicitly.
REQUIRED_WEB_ENV = {
    "DATABASE_URL",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "STORAGE_SRID",
    "OLD_ESTATE_CUTOFF_YEAR",
    "BASEMAP_TILES",
}

# os.environ.get("X"...), os.getenv("X"...), env_bool("X"...), os.environ["X"]
ENV_READ_PATTERNS = [
    re.compile(r"""(?:os\.environ\.get|os\.getenv|os\.environ\.setdefault|\benv_\w+)\(\s*["']([A-Z][A-Z0-9_]*)["']"""),
    re.compile(r"""os\.environ\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\]"""),
]


def env_names_read_by(text: str) -> set[str]:
    return {name for pattern in ENV_READ_PATTERNS for name in pattern.findall(text)}


def settings_env_names() -> set[str]:
    text = "".join((ROOT / "geoapp" / name).read_text() for name in ("settings.py", "settings_production.py"))
    return env_names_read_by(text)


def entrypoint_env_names() -> set[str]:
    text = ENTRYPOINT.read_text()
    return env_names_read_by(text) | set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))


def as_dict(environment) -> dict[str, str]:
    """Compose accepts a mapping or a list of KEY=value strings."""
    if environment is None:
        return {}
    if isinstance(environment, dict):
        return {key: "" if value is None else str(value) for key, value in environment.items()}
    return dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)


def as_list(command) -> list[str]:
    if command is None:
        return []
    return command.split() if isinstance(command, str) else [str(part) for part in command]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def web(compose):
    return compose["services"]["web"]


@pytest.fixture(scope="module")
def web_env(web):
    return as_dict(web.get("environment"))


@pytest.fixture(scope="module")
def db_env(compose):
    return as_dict(compose["services"]["db"].get("environment"))


def test_services_exist(compose):
    assert {"db", "web"} <= set(compose["services"])


def test_db_service(compose, db_env):
    db = compose["services"]["db"]
    assert db["image"].startswith("postgis/postgis:15-")
    assert {"POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD"} <= set(db_env)
    assert "pg_isready" in " ".join(as_list(db["healthcheck"]["test"]))
    volume = as_list(db.get("volumes"))[0]
    assert volume.split(":")[0] in (compose.get("volumes") or {}), "the database needs a named volume"


def test_web_depends_on_healthy_db(web):
    depends_on = web["depends_on"]
    assert "db" in depends_on
    if isinstance(depends_on, dict):
        assert depends_on["db"].get("condition") == "service_healthy"


def test_web_database_url_matches_db_service(web_env, db_env):
    url = urlsplit(web_env["DATABASE_URL"])
    assert url.scheme in {"postgis", "postgres", "postgresql"}
    assert url.hostname == "db"
    assert url.username == db_env["POSTGRES_USER"]
    assert url.password == db_env["POSTGRES_PASSWORD"]
    assert url.path.lstrip("/") == db_env["POSTGRES_DB"]


def test_web_sets_only_variables_that_are_read(web_env):
    known = settings_env_names() | entrypoint_env_names() | {"DJANGO_SETTINGS_MODULE"}
    unknown = set(web_env) - known
    assert not unknown, f"web sets variables nothing reads: {sorted(unknown)}"


def test_settings_read_the_required_variables():
    missing = REQUIRED_WEB_ENV - settings_env_names()
    assert not missing, f"the settings do not read {sorted(missing)} (did the settings change?)"


def test_web_sets_every_required_variable(web_env):
    missing = REQUIRED_WEB_ENV - set(web_env)
    assert not missing, f"web does not set {sorted(missing)}"


def test_web_runs_production_settings(web_env):
    assert web_env["DJANGO_SETTINGS_MODULE"] == "geoapp.settings_production"
    assert web_env["DEBUG"].lower() in {"false", "0", "no", "off"}
    # Compose must refuse to start without a secret instead of falling back to anything.
    assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]*\}", web_env["SECRET_KEY"])


def test_web_runs_the_entrypoint(web):
    command = as_list(web.get("entrypoint")) + as_list(web.get("command"))
    assert any(part.endswith("scripts/entrypoint.sh") for part in command), command
    assert ENTRYPOINT.is_file()
    assert os.access(ENTRYPOINT, os.X_OK), "scripts/entrypoint.sh must be executable"
    subprocess.run(["bash", "-n", str(ENTRYPOINT)], check=True)


def test_web_publishes_port_8000(web):
    assert any(str(port).endswith("8000") for port in web.get("ports", []))


def test_web_is_built_from_the_dockerfile(web):
    build = web["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (ROOT / context / dockerfile).resolve() == ROOT / "Dockerfile"


def test_dockerfile_installs_requirements():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim-bookworm\b", dockerfile, re.M)
    assert re.search(r"^COPY\s+(\S+\s+)*requirements\.txt\s", dockerfile, re.M)
    assert re.search(r"pip install\s+(.*\s)?-r\s+\S*requirements\.txt", dockerfile)
    assert "gdal-bin" in dockerfile


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = {line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".git", ".venv", ".pgdata"} <= ignored


def test_worker_runs_the_job_queue_on_the_web_services_database_and_files(compose, web, web_env):
    """docs/JOBS.md: `docker compose up` starts the background-job worker beside the web service."""
    worker = compose["services"]["worker"]
    worker_env = as_dict(worker.get("environment"))
    assert as_list(worker["entrypoint"]) == ["scripts/entrypoint.sh", "worker"]
    assert worker["image"] == web["image"]
    for name in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY"):
        assert worker_env[name] == web_env[name]
    assert set(worker_env) <= settings_env_names() | entrypoint_env_names() | {"DJANGO_SETTINGS_MODULE"}
    # The worker writes export files where the web service reads them.
    media = [v for v in as_list(worker.get("volumes")) if v.endswith(":/app/media")]
    assert media and media[0] in as_list(web.get("volumes"))
    assert media[0].split(":")[0] in (compose.get("volumes") or {})
    assert "qcluster" in ENTRYPOINT.read_text()
