# Development without Docker on Debian 12 (as root or a normal user). With Docker: `docker compose up`.
#
#   make run       system packages, .venv, local PostGIS, then scripts/entrypoint.sh (runserver :8000)
#   make test      system packages, .venv, local PostGIS, then pytest (PYTEST_ARGS passed through)
#   make bench     local PostGIS, then tests/benchmarks/bench_interop.py (BENCH_ARGS passed through): this
#                  project vs tipg vs pygeoapi vs raw SQL, writes docs/BENCHMARKS.md; creates .venv-bench from
#                  requirements-bench.txt on demand (e.g. BENCH_ARGS='--scales medium --seconds 3')
#   make bench-spopt  tests/benchmarks/bench_bundles_spopt.py (BENCH_SPOPT_ARGS passed through): our bundle
#                  proposals vs PySAL spopt's MaxPHeuristic on the demo city (no database); creates .venv-spopt
#                  (Python >= 3.12) from requirements-spopt.txt on demand (scripts/bench_spopt.sh)
#   make load      local PostGIS, then tests/benchmarks/load_run.py (LOAD_ARGS passed through): gunicorn with the
#                  production settings on loopback, locust users (headless) as planners reading the map, tiles,
#                  coverage figures and editing the same areas for 3 minutes on the medium demo city (database
#                  <name>_load); prints requests, status
#                  counts, conflicts, p50/p95/p99 per kind; fails on any 5xx or lost update
#                  (e.g. LOAD_ARGS='--seconds 60 --scale small --clients 8')
#   make load-day  local PostGIS, then tests/benchmarks/capacity_run.py (CAPACITY_ARGS passed through): a district's
#                  working day (officials reading map and dashboard, planners editing, street offices reporting, an
#                  import running) by locust at 16, 50 and 100 users, 60 s each, against gunicorn as make run starts
#                  it in production; requests/s, p50/p95 per kind, errors, lost updates (docs/SCALING.md "Capacity";
#                  e.g. CAPACITY_ARGS='--cost --json /tmp/a.json')
#   make load-cluster  the same against the running cluster (make cluster; start it with DEMO_SCALE=real
#                  DEMO_DISTRICTS=4 for the same city) at CLUSTER_URL, its primary CLUSTER_DATABASE_URL
#   make backup    pg_dump -Fc of the application database to backups/geoapp-<UTC time>.dump (or BACKUP_FILE=…);
#                  prints the path (scripts/backup.sh)
#   make restore   pg_restore --clean --if-exists BACKUP_FILE into the application database, in one transaction;
#                  it overwrites that database: asks for its name, or RESTORE_CONFIRM=yes
#   make fuzz      local PostGIS, then the long bad-input runs (docs/reliability/badinput.md): hypothesis on area
#                  create/update and Schemathesis per role with many examples (BADINPUT_PROFILE=badinput-fuzz,
#                  Schemathesis's coverage phase on); PYTEST_ARGS passed through
#   make mutate    local PostGIS, then scripts/mutate.sh (MUTATE_ARGS: mutmut names, default the rule functions):
#                  mutation testing of the rule modules with mutmut from requirements-mutate.txt, installed on demand
#                  into .venv-mutate; fast tests only, not part of make test; prints the score and the survivors
#                  (docs/RELIABILITY.md "Mutation testing"; about 40 minutes on 2 shared cores)
#   make cluster   the product as a small cluster on this machine (docs/SCALING.md): PostgreSQL primary and
#                  hot standby, PgBouncer, two gunicorn app servers, the job worker, nginx as load balancer and
#                  tile cache on http://127.0.0.1:8100/ (data in .cluster/; installs nginx and pgbouncer)
#   make cluster-stop  stop it            make test-cluster  start it, then the tests marked `cluster` against it
#   make db        start the local PostGIS cluster (127.0.0.1:PGPORT_LOCAL)
#   make stop      stop it                  make clean-db   stop and delete it
#   make psql      psql on the application database
#
# Variables: DATABASE_URL (use that database, start nothing), PGPORT_LOCAL (55432), PYTEST_ARGS, BENCH_ARGS, LOAD_ARGS,
# CAPACITY_ARGS, CLUSTER_URL, CLUSTER_DATABASE_URL,
# MUTATE_ARGS, MUTATE_CHILDREN, BACKUP_FILE, RESTORE_CONFIRM, DEMO_SCALE, DEMO_SEED, DEMO_DISTRICTS, HOST, PORT, DJANGO_SETTINGS_MODULE; see scripts/*.sh.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PGPORT_LOCAL ?= 55432
PYTEST_ARGS ?=
BENCH_ARGS ?=
LOAD_ARGS ?=
CAPACITY_ARGS ?=
CLUSTER_URL ?= http://127.0.0.1:8100
CLUSTER_DATABASE_URL ?= postgis://geoapp:geoapp@127.0.0.1:55440/geoapp
MUTATE_ARGS ?=
BACKUP_FILE ?=
export PGPORT_LOCAL

VENV_PY := .venv/bin/python
# The local cluster's URL unless the caller chose a database.
DB_ENV := DATABASE_URL="$${DATABASE_URL:-$$(scripts/localdb.sh url)}"

.PHONY: help packages venv cluster cluster-stop test-cluster db stop clean-db psql status run test bench bench-spopt load load-day load-cluster backup restore fuzz mutate

help:
	@sed -n '1,/^$$/p' Makefile | sed 's/^# \{0,1\}//'

packages:
	@scripts/bootstrap.sh packages

venv:
	@scripts/bootstrap.sh venv

cluster: venv
	@scripts/bootstrap.sh cluster-packages
	@scripts/cluster.sh start

cluster-stop:
	@scripts/cluster.sh stop

# The tests marked `cluster` (tests/test_cluster.py), skipped by `make test`; they need `make cluster` running.
test-cluster: cluster
	@$(DB_ENV) GEOAPP_CLUSTER_URL="$$(scripts/cluster.sh url)" $(VENV_PY) -m pytest -m cluster tests/test_cluster.py $(PYTEST_ARGS)

db: packages
	@scripts/localdb.sh start

stop:
	@scripts/localdb.sh stop

clean-db:
	@scripts/localdb.sh clean

status:
	@scripts/localdb.sh status

psql: db
	@scripts/localdb.sh psql

run: packages venv db
	@$(DB_ENV) scripts/entrypoint.sh

test: packages venv db
	@$(DB_ENV) $(VENV_PY) -m pytest $(PYTEST_ARGS)

bench: venv db
	@$(DB_ENV) $(VENV_PY) tests/benchmarks/bench_interop.py $(BENCH_ARGS)

bench-spopt: venv
	@scripts/bench_spopt.sh $(BENCH_SPOPT_ARGS)

load: venv db
	@$(DB_ENV) $(VENV_PY) tests/benchmarks/load_run.py $(LOAD_ARGS)

load-day: venv db
	@$(DB_ENV) $(VENV_PY) tests/benchmarks/capacity_run.py $(CAPACITY_ARGS)

load-cluster: venv
	@CAPACITY_DATABASE_URL="$(CLUSTER_DATABASE_URL)" $(VENV_PY) tests/benchmarks/capacity_run.py \
		--target $(CLUSTER_URL) $(CAPACITY_ARGS)

backup: db
	@$(DB_ENV) scripts/backup.sh backup $(BACKUP_FILE)

restore: db
	@$(DB_ENV) scripts/backup.sh restore $(BACKUP_FILE)

mutate: packages venv db
	@$(DB_ENV) scripts/mutate.sh $(MUTATE_ARGS)

fuzz: packages venv db
	@$(DB_ENV) BADINPUT_PROFILE=badinput-fuzz $(VENV_PY) -m pytest tests/test_area_properties.py \
		tests/test_schemathesis.py $(PYTEST_ARGS)
