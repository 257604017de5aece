#!/usr/bin/env bash
# The product as a small cluster on this machine (docs/SCALING.md "Topology"), from Debian packages only:
#
#   PostgreSQL primary  127.0.0.1:$CLUSTER_PRIMARY_PORT (55440)  .cluster/primary (scripts/localdb.sh, its own cluster)
#   hot standby         127.0.0.1:$CLUSTER_REPLICA_PORT (55441)  .cluster/replica (pg_basebackup -R, streaming)
#   PgBouncer           127.0.0.1:$CLUSTER_BOUNCER_PORT (55443)  databases geoapp (primary), geoapp_replica
#   app servers         127.0.0.1:$CLUSTER_APP1_PORT (8101), :$CLUSTER_APP2_PORT (8102)  gunicorn, production settings
#   job worker          manage.py qcluster, straight to the primary
#   nginx               127.0.0.1:$CLUSTER_PORT (8100)  load balancer and tile cache (scripts/cluster/nginx.conf)
#   shared files        .cluster/media (MEDIA_ROOT of every app server and the worker)
#
#   scripts/cluster.sh start | stop | status | url
#   scripts/cluster.sh stop-replica | start-replica    (the cluster tests kill and bring back the standby)
#
# Environment: CLUSTER_DIR (.cluster), the ports above, DEMO_SCALE (small), DEMO_DISTRICTS (2), CLUSTER_WORKERS (2)
# and CLUSTER_THREADS (4) per app server, TILE_EDGE_FRESH (5: seconds nginx answers a tile without asking the app) and
# TILE_EDGE_STALE (5: seconds after that it still answers the tile at once while it asks the app in the background).
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DIR="${CLUSTER_DIR:-$ROOT/.cluster}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PRIMARY_PORT="${CLUSTER_PRIMARY_PORT:-55440}"
REPLICA_PORT="${CLUSTER_REPLICA_PORT:-55441}"
BOUNCER_PORT="${CLUSTER_BOUNCER_PORT:-55443}"
APP1_PORT="${CLUSTER_APP1_PORT:-8101}"
APP2_PORT="${CLUSTER_APP2_PORT:-8102}"
LB_PORT="${CLUSTER_PORT:-8100}"
TILE_FRESH="${TILE_EDGE_FRESH:-5}"
TILE_STALE="${TILE_EDGE_STALE:-5}"
PY="$ROOT/.venv/bin/python"
USER_LINE=""  # nginx runs its workers as nobody when started by root (start_nginx)
PRIMARY_URL="postgis://geoapp:geoapp@127.0.0.1:$PRIMARY_PORT/geoapp"

primary() { env -u DATABASE_URL PGDATA_LOCAL="$DIR/primary" PGPORT_LOCAL="$PRIMARY_PORT" "$ROOT/scripts/localdb.sh" "$@"; }

# PostgreSQL and PgBouncer refuse to run as root: as root they run as the primary's owner (localdb.sh's choice).
pg_user() { stat -c %U "$DIR/primary"; }
as_pg() {
    if [ "$(pg_user)" = "$(id -un)" ]; then (cd / && "$@"); else (cd / && runuser -u "$(pg_user)" -- "$@"); fi
}
pid_alive() { [ -f "$1" ] && kill -0 "$(head -n 1 "$1")" 2>/dev/null; }

secret() {  # a random secret kept in the cluster folder
    [ -f "$DIR/$1" ] || { umask 077; head -c 32 /dev/urandom | sha256sum | cut -c1-48 >"$DIR/$1"; }
    cat "$DIR/$1"
}

fill() {  # template → file with the @NAME@ values of this cluster
    sed -e "s|@DIR@|$DIR|g" -e "s|@PRIMARY_HOST@|127.0.0.1|g" -e "s|@PRIMARY_PORT@|$PRIMARY_PORT|g" \
        -e "s|@REPLICA_HOST@|127.0.0.1|g" -e "s|@REPLICA_PORT@|$REPLICA_PORT|g" -e "s|@BOUNCER_ADDR@|127.0.0.1|g" \
        -e "s|@BOUNCER_PORT@|$BOUNCER_PORT|g" -e "s|@APP1@|127.0.0.1:$APP1_PORT|g" -e "s|@APP2@|127.0.0.1:$APP2_PORT|g" \
        -e "s|@LISTEN@|127.0.0.1:$LB_PORT|g" -e "s|@TILE_FRESH@|$TILE_FRESH|g" \
        -e "s|@EDGE_SECRET@|$(secret edge-secret)|g" -e "s|@USER_LINE@|$USER_LINE|g" "$1" >"$2"
}

app_env() {  # what every app server and the worker get
    echo DJANGO_SETTINGS_MODULE=geoapp.settings_production SECRET_KEY="$(secret secret-key)" \
        DATABASE_URL="postgis://geoapp:geoapp@127.0.0.1:$BOUNCER_PORT/geoapp" \
        DATABASE_REPLICA_URL="postgis://geoapp:geoapp@127.0.0.1:$BOUNCER_PORT/geoapp_replica" \
        MEDIA_ROOT="$DIR/media" TILE_EDGE_SECRET="$(secret edge-secret)" ALLOWED_HOSTS=127.0.0.1,localhost \
        TILE_EDGE_FRESH="$TILE_FRESH" TILE_EDGE_STALE="$TILE_STALE" \
        SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false SECURE_SSL_REDIRECT=false SECURE_HSTS_SECONDS=0 \
        AUDIT_IP_HEADER=HTTP_X_REAL_IP PYTHONUNBUFFERED=1
}

start_primary() {
    primary start
    local psql=(env PGPASSWORD=geoapp "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PRIMARY_PORT" -U geoapp -d postgres)
    # Replication settings (PostgreSQL 15's defaults already stream: wal_level replica, 10 WAL senders); jit off
    # for every connection, since PgBouncer drops Django's "-c jit=off" startup option.
    "${psql[@]}" -c "ALTER SYSTEM SET jit = off" -c "ALTER SYSTEM SET hot_standby_feedback = on" \
        -c "ALTER SYSTEM SET wal_keep_size = '256MB'" -c "SELECT pg_reload_conf()" >/dev/null
}

start_replica() {
    if [ ! -f "$DIR/replica/PG_VERSION" ]; then
        log "pg_basebackup: hot standby of 127.0.0.1:$PRIMARY_PORT into $DIR/replica"
        rm -rf "$DIR/replica"
        mkdir -p "$DIR/replica" && chown "$(pg_user):" "$DIR/replica" && chmod 700 "$DIR/replica"
        as_pg env PGPASSWORD=geoapp "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U geoapp \
            -D "$DIR/replica" -R -X stream -c fast
    fi
    if pid_alive "$DIR/replica/postmaster.pid" && "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$REPLICA_PORT"; then
        log "standby already running on 127.0.0.1:$REPLICA_PORT"
        return
    fi
    rm -f "$DIR/replica/postmaster.pid"
    log "starting the standby on 127.0.0.1:$REPLICA_PORT"
    as_pg "$PG_BIN/pg_ctl" start -s -w -t 60 -D "$DIR/replica" -l "$DIR/replica/server.log" \
        -o "-c listen_addresses=127.0.0.1 -p $REPLICA_PORT -k '$DIR/replica'" </dev/null >>"$DIR/start.log" 2>&1
}

stop_replica() {  # immediate: as if the machine went away
    if [ -f "$DIR/replica/postmaster.pid" ]; then
        as_pg "$PG_BIN/pg_ctl" stop -s -w -t 60 -m immediate -D "$DIR/replica" || true
    fi
}

start_bouncer() {
    mkdir -p "$DIR/pgbouncer"
    fill "$ROOT/scripts/cluster/pgbouncer.ini" "$DIR/pgbouncer/pgbouncer.ini"
    echo '"geoapp" "geoapp"' >"$DIR/pgbouncer/userlist.txt"
    chown -R "$(pg_user):" "$DIR/pgbouncer"
    chmod 600 "$DIR/pgbouncer/userlist.txt"
    if pid_alive "$DIR/pgbouncer/pgbouncer.pid"; then
        log "PgBouncer already running on 127.0.0.1:$BOUNCER_PORT"
        return
    fi
    log "starting PgBouncer on 127.0.0.1:$BOUNCER_PORT (session pooling)"
    as_pg /usr/sbin/pgbouncer -d -q "$DIR/pgbouncer/pgbouncer.ini" </dev/null >>"$DIR/start.log" 2>&1
}

prepare_database() {
    log "migrate, demo city (${DEMO_SCALE:-small}, ${DEMO_DISTRICTS:-2} districts) if empty, collectstatic"
    (cd "$ROOT" && env $(app_env) DATABASE_URL="$PRIMARY_URL" "$PY" manage.py migrate --noinput -v 0)
    (cd "$ROOT" && env $(app_env) DATABASE_URL="$PRIMARY_URL" "$PY" manage.py load_demo --scale "${DEMO_SCALE:-small}" \
        --districts "${DEMO_DISTRICTS:-2}" --seed "${DEMO_SEED:-1}" --if-empty)
    (cd "$ROOT" && env $(app_env) "$PY" manage.py collectstatic --noinput -v 0)
}

start_app() {  # start_app NAME PORT
    local pidfile="$DIR/app/$1.pid"
    mkdir -p "$DIR/app" "$DIR/media"
    if pid_alive "$pidfile"; then log "app server $1 already running on 127.0.0.1:$2"; return; fi
    log "starting app server $1 on 127.0.0.1:$2"
    (cd "$ROOT" && env $(app_env) "$PY" -m gunicorn geoapp.wsgi -b "127.0.0.1:$2" --workers "${CLUSTER_WORKERS:-2}" \
        --worker-class gthread --threads "${CLUSTER_THREADS:-4}" --keep-alive 30 --no-control-socket \
        --pid "$pidfile" --daemon --access-logfile "$DIR/app/$1.access.log" --error-logfile "$DIR/app/$1.log" \
        </dev/null >>"$DIR/start.log" 2>&1)
}

start_worker() {
    local pidfile="$DIR/app/worker.pid"
    if pid_alive "$pidfile"; then return; fi
    log "starting the job worker (straight to the primary)"
    (cd "$ROOT" && env $(app_env) DATABASE_URL="$PRIMARY_URL" DATABASE_REPLICA_URL= \
        nohup "$PY" manage.py qcluster </dev/null >"$DIR/app/worker.log" 2>&1 & echo $! >"$pidfile")
}

start_nginx() {
    mkdir -p "$DIR/nginx/cache" "$DIR/nginx/tmp"
    USER_LINE=""
    if is_root; then USER_LINE="user nobody nogroup;"; chown -R nobody:nogroup "$DIR/nginx/cache" "$DIR/nginx/tmp"; fi
    fill "$ROOT/scripts/cluster/nginx.conf" "$DIR/nginx/nginx.conf"
    chmod 600 "$DIR/nginx/nginx.conf"
    if pid_alive "$DIR/nginx/nginx.pid"; then
        /usr/sbin/nginx -q -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" -s reload >>"$DIR/start.log" 2>&1
        return
    fi
    log "starting nginx on 127.0.0.1:$LB_PORT (load balancer, tile cache)"
    /usr/sbin/nginx -q -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" -e "$DIR/nginx/error.log" </dev/null \
        >>"$DIR/start.log" 2>&1
}

wait_http() {  # wait_http PORT: until the app answers (a JSON endpoint: 302 to the log-in page)
    local i
    for i in $(seq 1 120); do
        curl -s -o /dev/null -m 2 "http://127.0.0.1:$1/api/search/" && return 0
        sleep 0.5
    done
    die "nothing answers on 127.0.0.1:$1 (logs in $DIR/app, $DIR/nginx)"
}

cmd_start() {
    for program in /usr/sbin/nginx /usr/sbin/pgbouncer "$PG_BIN/pg_basebackup" "$PY"; do
        [ -x "$program" ] || die "$program not found: run \`make cluster\` (it installs nginx and pgbouncer)"
    done
    mkdir -p "$DIR"
    start_primary
    prepare_database
    start_replica
    start_bouncer
    start_app app1 "$APP1_PORT"
    start_app app2 "$APP2_PORT"
    start_worker
    start_nginx
    wait_http "$APP1_PORT"
    wait_http "$APP2_PORT"
    wait_http "$LB_PORT"
    log "cluster ready: http://127.0.0.1:$LB_PORT/ (docs/SCALING.md)"
}

stop_pidfile() {  # stop_pidfile FILE NAME: TERM the process, wait for it
    local pid i
    pid_alive "$1" || { rm -f "$1"; return 0; }
    pid="$(cat "$1")"
    log "stopping $2 (pid $pid)"
    kill "$pid"
    for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    rm -f "$1"
}

cmd_stop() {
    [ -d "$DIR" ] || { log "no cluster in $DIR"; return 0; }
    if pid_alive "$DIR/nginx/nginx.pid"; then
        log "stopping nginx"
        /usr/sbin/nginx -q -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" -s quit >>"$DIR/start.log" 2>&1 || true
    fi
    stop_pidfile "$DIR/app/worker.pid" "the job worker"
    # django-q2's processes its master left behind (a job cut short is taken again by the next worker: docs/JOBS.md)
    if pkill -TERM -f "^$PY manage.py qcluster" 2>/dev/null; then sleep 2; pkill -KILL -f "^$PY manage.py qcluster" || true; fi
    stop_pidfile "$DIR/app/app1.pid" "app server app1"
    stop_pidfile "$DIR/app/app2.pid" "app server app2"
    stop_pidfile "$DIR/pgbouncer/pgbouncer.pid" PgBouncer
    if [ -f "$DIR/replica/postmaster.pid" ]; then
        log "stopping the standby"
        as_pg "$PG_BIN/pg_ctl" stop -s -w -t 60 -m fast -D "$DIR/replica" || true
    fi
    if [ -d "$DIR/primary" ]; then primary stop; fi
}

cmd_status() {
    local name file
    for name in nginx/nginx.pid app/app1.pid app/app2.pid app/worker.pid pgbouncer/pgbouncer.pid; do
        file="$DIR/$name"
        if pid_alive "$file"; then echo "running  $name"; else echo "stopped  $name"; fi
    done
    for port in "$PRIMARY_PORT" "$REPLICA_PORT"; do
        if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port"; then echo "running  postgres :$port"; else echo "stopped  postgres :$port"; fi
    done
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    url) echo "http://127.0.0.1:$LB_PORT" ;;
    stop-replica) stop_replica ;;
    start-replica) start_replica ;;
    *) die "usage: $0 start|stop|status|url|stop-replica|start-replica" ;;
esac
