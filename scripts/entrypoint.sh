#!/usr/bin/env bash
# Start the web application: shared by `make run` and the Docker image.
#
#   wait for the database -> migrate -> load demo data if the database is empty
#   -> collectstatic (when DEBUG is off) -> serve (in development also the background-job worker)
#
#   scripts/entrypoint.sh worker   only the background-job worker (docs/JOBS.md: `manage.py qcluster`), once the
#                                  web service has migrated the database (docker-compose.yml's `worker` service)
#
# Environment:
#   DJANGO_SETTINGS_MODULE  geoapp.settings (default) or geoapp.settings_production
#   DATABASE_URL            see geoapp/settings.py
#   DEMO_SCALE, DEMO_SEED, DEMO_DISTRICTS   demo city loaded into an empty database (real, 1, 4)
#   DB_WAIT_SECONDS         how long to wait for the database (60)
#   WEB_WORKERS             gunicorn workers in production (4)
#   HOST, PORT              runserver address in development (127.0.0.1, 8000)
#   PYTHON                  interpreter (default: .venv/bin/python if present, else python3)
#   RUN_WORKER              1: start the job worker beside runserver (default in development), 0: do not
set -euo pipefail
MODE="${1:-web}"

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-geoapp.settings}"
export PYTHONUNBUFFERED=1

if [ -z "${PYTHON:-}" ]; then
    if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi

step() { printf '==> %s\n' "$*" >&2; }

step "waiting for the database (settings: $DJANGO_SETTINGS_MODULE)"
# Prints "debug" or "nodebug" once the database answers, so the shell knows whether to collectstatic.
mode="$("$PYTHON" - <<'EOF'
import os, sys, time

import django
from django.conf import settings
from django.db import connection
from django.db.utils import OperationalError

django.setup()
deadline = time.monotonic() + int(os.environ.get("DB_WAIT_SECONDS", "60"))
while True:
    try:
        connection.ensure_connection()
        break
    except OperationalError as exc:
        if time.monotonic() > deadline:
            db = settings.DATABASES["default"]
            sys.exit(f"database {db.get('HOST')}:{db.get('PORT')}/{db.get('NAME')} unreachable: {exc}")
        time.sleep(1)
connection.close()
print("debug" if settings.DEBUG else "nodebug")
EOF
)"

if [ "$MODE" = worker ]; then
    # The web service migrates; the worker waits until it has (a worker on an old schema would fail its jobs).
    step "worker: waiting for the migrations"
    deadline=$((SECONDS + 10 * ${DB_WAIT_SECONDS:-60}))
    until "$PYTHON" manage.py migrate --check >/dev/null 2>&1; do
        if [ "$SECONDS" -gt "$deadline" ]; then echo "the database was not migrated in time" >&2; exit 1; fi
        sleep 3
    done
    step "worker: manage.py qcluster (background jobs, docs/JOBS.md)"
    exec "$PYTHON" manage.py qcluster
fi

step "migrate"
"$PYTHON" manage.py migrate --noinput

step "load_demo --scale ${DEMO_SCALE:-real} --districts ${DEMO_DISTRICTS:-4} --seed ${DEMO_SEED:-1} --if-empty"
"$PYTHON" manage.py load_demo --scale "${DEMO_SCALE:-real}" --districts "${DEMO_DISTRICTS:-4}" --seed "${DEMO_SEED:-1}" --if-empty

if [ "$mode" = nodebug ]; then
    step "collectstatic"
    "$PYTHON" manage.py collectstatic --noinput -v 0
fi

if [ "$DJANGO_SETTINGS_MODULE" = geoapp.settings_production ]; then
    step "gunicorn on 0.0.0.0:8000 with ${WEB_WORKERS:-4} workers"
    exec "$PYTHON" -m gunicorn geoapp.wsgi -b 0.0.0.0:8000 --workers "${WEB_WORKERS:-4}" \
        --access-logfile - --error-logfile -
elif [ "${RUN_WORKER:-1}" = 1 ]; then
    # Development: the background-job worker beside the web server, stopped with it.
    step "background-job worker (manage.py qcluster, docs/JOBS.md)"
    "$PYTHON" manage.py qcluster &
    worker=$!
    trap 'kill "$worker" 2>/dev/null || true' EXIT
    step "runserver on http://${HOST:-127.0.0.1}:${PORT:-8000}/"
    "$PYTHON" manage.py runserver "${HOST:-127.0.0.1}:${PORT:-8000}"
else
    step "runserver on http://${HOST:-127.0.0.1}:${PORT:-8000}/"
    exec "$PYTHON" manage.py runserver "${HOST:-127.0.0.1}:${PORT:-8000}"
fi
