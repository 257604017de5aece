#!/usr/bin/env bash
# Start the web application: shared by `make run` and the Docker image.
#
#   wait for the database -> migrate -> load demo data if the database is empty
#   -> collectstatic (when DEBUG is off) -> serve
#
# Environment:
#   DJANGO_SETTINGS_MODULE  geoapp.settings (default) or geoapp.settings_production
#   DATABASE_URL            see geoapp/settings.py
#   DEMO_SCALE, DEMO_SEED, DEMO_DISTRICTS   demo city loaded into an empty database (real, 1, 4)
#   DB_WAIT_SECONDS         how long to wait for the database (60)
#   WEB_WORKERS             gunicorn workers in production (4)
#   HOST, PORT              runserver address in development (127.0.0.1, 8000)
#   PYTHON                  interpreter (default: .venv/bin/python if present, else python3)
set -euo pipefail

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
else
    step "runserver on http://${HOST:-127.0.0.1}:${PORT:-8000}/"
    exec "$PYTHON" manage.py runserver "${HOST:-127.0.0.1}:${PORT:-8000}"
fi
