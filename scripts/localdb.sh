#!/usr/bin/env bash
# A project-local PostgreSQL 15 + PostGIS cluster for development and tests.
#
#   scripts/localdb.sh start    initdb on first use, start (no-op when running), wait, ensure db + postgis
#   scripts/localdb.sh stop     stop the cluster (no-op when not running)
#   scripts/localdb.sh restart  pg_ctl restart -m fast (clients' connections are cut, as in a real restart)
#   scripts/localdb.sh status   where the cluster lives and whether it runs
#   scripts/localdb.sh clean    stop and delete the cluster
#   scripts/localdb.sh psql     open psql on the application database
#   scripts/localdb.sh url      print the DATABASE_URL of the local cluster
#
# The cluster listens on 127.0.0.1:$PGPORT_LOCAL (default 55432) only, with its unix socket inside the
# data directory, and has one role geoapp/geoapp (SUPERUSER: the tests create databases and extensions).
#
# Where it lives and who runs it:
#   * normal user: <project>/.pgdata, server runs as that user.
#   * root: PostgreSQL refuses to run as root, so the server runs as the owner of an existing data
#     directory, else as `postgres` (if that user exists), else as a system user `geoapp-pg` created
#     on demand (GEOAPP_PG_USER overrides the choice). The data directory is <project>/.pgdata when
#     that user can reach it, otherwise /var/lib/geoapp/<dirname>-<hash of project path>/ (e.g. for a
#     checkout under /root).
#   * PGDATA_LOCAL=<dir> overrides both: a throwaway cluster (tests/test_db_restart.py runs one on another port).
#
# If DATABASE_URL is set, `start` does nothing: that database is used as is.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PORT="${PGPORT_LOCAL:-55432}"
DB_NAME=geoapp
DB_USER=geoapp
DB_PASSWORD=geoapp
LOCAL_DATA="${PGDATA_LOCAL:-$ROOT/.pgdata}"
ALT_DATA="/var/lib/geoapp/$(basename "$ROOT")-$(printf '%s' "$ROOT" | sha256sum | cut -c1-10)"
[ -z "${PGDATA_LOCAL:-}" ] || ALT_DATA="$PGDATA_LOCAL"

PGDATA=""       # chosen data directory
PG_OS_USER=""   # OS user that owns the data directory and runs the server

local_url() { echo "postgis://$DB_USER:$DB_PASSWORD@127.0.0.1:$PORT/$DB_NAME"; }

# Run a PostgreSQL server program as PG_OS_USER, from / (the project may be unreadable to that user),
# without our lock descriptor (a postmaster inheriting it would hold the lock forever).
as_pg() {
    if [ "$PG_OS_USER" = "$(id -un)" ]; then
        (cd / && "$@") 9>&-
    else
        (cd / && runuser -u "$PG_OS_USER" -- "$@") 9>&-
    fi
}

default_root_pg_user() {
    if [ -n "${GEOAPP_PG_USER:-}" ]; then
        echo "$GEOAPP_PG_USER"
    elif getent passwd postgres >/dev/null; then
        echo postgres
    else
        echo geoapp-pg
    fi
}

ensure_os_user() {
    if ! getent passwd "$PG_OS_USER" >/dev/null; then
        log "creating system user $PG_OS_USER to run PostgreSQL (it refuses to run as root)"
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$PG_OS_USER"
    fi
}

# Decide PGDATA and PG_OS_USER for an existing cluster; leaves PGDATA empty when there is none yet.
find_cluster() {
    local dir
    for dir in "$LOCAL_DATA" "$ALT_DATA"; do
        if [ -d "$dir" ]; then
            PGDATA="$dir"
            PG_OS_USER="$(stat -c %U "$dir")"
            break
        fi
    done
    if is_root; then
        if [ -z "$PGDATA" ] || [ "$PG_OS_USER" = root ]; then
            PG_OS_USER="$(default_root_pg_user)"
        fi
    else
        if [ -n "$PGDATA" ] && [ "$PG_OS_USER" != "$(id -un)" ]; then
            die "$PGDATA belongs to $PG_OS_USER: run this as $PG_OS_USER or root (or \`make clean-db\` as root)"
        fi
        PG_OS_USER="$(id -un)"
    fi
}

# Create the data directory where PG_OS_USER can write it.
make_data_dir() {
    if ! is_root; then
        PGDATA="$LOCAL_DATA"
        mkdir -p "$PGDATA"
        chmod 700 "$PGDATA"
        return
    fi
    ensure_os_user
    if [ -n "${PGDATA_LOCAL:-}" ]; then
        PGDATA="$PGDATA_LOCAL"
        mkdir -p "$PGDATA"
        chown "$PG_OS_USER:" "$PGDATA"
        chmod 700 "$PGDATA"
        return
    fi
    if (cd / && runuser -u "$PG_OS_USER" -- test -x "$ROOT"); then
        PGDATA="$LOCAL_DATA"
        mkdir -p "$PGDATA"
        chown "$PG_OS_USER:" "$PGDATA"
        chmod 700 "$PGDATA"
        if (cd / && runuser -u "$PG_OS_USER" -- test -w "$PGDATA"); then
            return
        fi
        rmdir "$PGDATA"
    fi
    PGDATA="$ALT_DATA"
    log "user $PG_OS_USER cannot reach $ROOT: the cluster goes to $PGDATA instead"
    mkdir -p "$(dirname "$PGDATA")" "$PGDATA"
    chmod 755 "$(dirname "$PGDATA")"
    chown "$PG_OS_USER:" "$PGDATA"
    chmod 700 "$PGDATA"
}

# The socket lives in the data directory unless that path is too long for a unix socket (107 bytes).
socket_dir() {
    if [ "${#PGDATA}" -le 80 ]; then echo "$PGDATA"; else echo ""; fi
}

init_cluster() {
    [ -x "$PG_BIN/initdb" ] || die "$PG_BIN/initdb not found: install postgresql-15 (make packages)"
    make_data_dir
    if [ -n "$(ls -A "$PGDATA")" ]; then
        die "$PGDATA is not empty but holds no cluster (interrupted initdb?): run \`make clean-db\` and retry"
    fi
    log "initdb: new PostgreSQL 15 cluster in $PGDATA (server runs as $PG_OS_USER)"
    local pwfile out
    pwfile="$(mktemp)"
    out="$(mktemp)"
    printf '%s\n' "$DB_PASSWORD" >"$pwfile"
    chmod 644 "$pwfile"
    if ! as_pg "$PG_BIN/initdb" -D "$PGDATA" -U "$DB_USER" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 >"$out" 2>&1; then
        cat "$out" >&2
        rm -f "$pwfile" "$out"
        die "initdb failed"
    fi
    rm -f "$pwfile" "$out"
    # Defaults for a hand-run `pg_ctl start -D ...`; `start` below passes the same settings explicitly.
    as_pg tee -a "$PGDATA/postgresql.conf" >/dev/null <<EOF

# --- geoapp local development cluster (scripts/localdb.sh) ---
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$(socket_dir)'
synchronous_commit = off        # development data: a crash may lose the last commits, never corrupts
EOF
}

# True when the postmaster recorded in postmaster.pid is alive and serves this data directory.
# A pid file left behind by a crash or reboot (its pid dead or reused) counts as not running.
is_running() {
    local pidfile="$PGDATA/postmaster.pid" pid
    [ -f "$pidfile" ] || return 1
    pid="$(head -n 1 "$pidfile" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = postgres ] || return 1
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "$PGDATA"
}

running_port() { sed -n 4p "$PGDATA/postmaster.pid" 2>/dev/null || true; }

remove_stale_pid() {
    if [ -f "$PGDATA/postmaster.pid" ]; then
        log "removing stale $PGDATA/postmaster.pid (server not running: crash or reboot)"
        rm -f "$PGDATA/postmaster.pid" "$PGDATA"/.s.PGSQL.*.lock
    fi
}

wait_ready() {
    local i
    for i in $(seq 1 120); do
        if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
            return 0
        fi
        sleep 0.5
    done
    tail -n 30 "$PGDATA/server.log" >&2 || true
    die "PostgreSQL on 127.0.0.1:$PORT did not become ready within 60 s (log: $PGDATA/server.log)"
}

local_psql() {
    PGPASSWORD="$DB_PASSWORD" PGOPTIONS="-c client_min_messages=warning" \
        "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U "$DB_USER" "$@"
}

ensure_database() {
    if [ -z "$(local_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" ]; then
        log "creating database $DB_NAME"
        local_psql -d postgres -c "CREATE DATABASE $DB_NAME OWNER $DB_USER"
    fi
    local_psql -d "$DB_NAME" -c "CREATE EXTENSION IF NOT EXISTS postgis"
}

cmd_start() {
    if [ -n "${DATABASE_URL:-}" ]; then
        log "DATABASE_URL is set: using it, no local cluster started"
        return 0
    fi
    take_lock localdb
    find_cluster
    if [ -z "$PGDATA" ] || [ ! -f "$PGDATA/PG_VERSION" ]; then
        [ -z "$PGDATA" ] || [ -z "$(ls -A "$PGDATA")" ] ||
            die "$PGDATA is not empty but holds no cluster (interrupted initdb?): run \`make clean-db\` and retry"
        [ -z "$PGDATA" ] || rmdir "$PGDATA"
        init_cluster
    fi
    [ "$(cat "$PGDATA/PG_VERSION")" = 15 ] ||
        die "$PGDATA holds a PostgreSQL $(cat "$PGDATA/PG_VERSION") cluster, expected 15: \`make clean-db\` to recreate it"

    if is_running; then
        local port
        port="$(running_port)"
        [ "$port" = "$PORT" ] ||
            die "the local cluster is already running on port $port, not $PORT: \`make stop\` first (or set PGPORT_LOCAL=$port)"
        log "PostgreSQL already running on 127.0.0.1:$PORT ($PGDATA)"
    else
        remove_stale_pid
        if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
            die "another server already listens on 127.0.0.1:$PORT: stop it or choose another port with PGPORT_LOCAL=..."
        fi
        log "starting PostgreSQL on 127.0.0.1:$PORT (data: $PGDATA, log: $PGDATA/server.log)"
        if ! as_pg "$PG_BIN/pg_ctl" start -s -w -t 60 -D "$PGDATA" -l "$PGDATA/server.log" \
            -o "-c listen_addresses=127.0.0.1 -p $PORT -k '$(socket_dir)'"; then
            tail -n 30 "$PGDATA/server.log" >&2 || true
            die "pg_ctl start failed (log: $PGDATA/server.log)"
        fi
    fi
    wait_ready
    ensure_database
    log "database ready: $(local_url)"
}

cmd_stop() {
    take_lock localdb
    find_cluster
    if [ -z "$PGDATA" ] || [ ! -f "$PGDATA/PG_VERSION" ]; then
        log "no local cluster to stop"
    elif is_running; then
        log "stopping PostgreSQL ($PGDATA)"
        as_pg "$PG_BIN/pg_ctl" stop -s -w -t 60 -m fast -D "$PGDATA"
    else
        remove_stale_pid
        log "PostgreSQL is not running ($PGDATA)"
    fi
}

cmd_restart() {
    take_lock localdb
    find_cluster
    { [ -n "$PGDATA" ] && is_running; } || die "the local cluster is not running: nothing to restart"
    log "restarting PostgreSQL ($PGDATA)"
    # Options and port come from postmaster.opts, written by the start above.
    as_pg "$PG_BIN/pg_ctl" restart -s -w -t 60 -m fast -D "$PGDATA" -l "$PGDATA/server.log"
    wait_ready
}

cmd_clean() {
    cmd_stop
    if [ -n "$PGDATA" ] && [ -d "$PGDATA" ]; then
        log "deleting the local cluster $PGDATA"
        rm -rf "$PGDATA"
    fi
}

cmd_status() {
    find_cluster
    if [ -z "$PGDATA" ]; then
        echo "no local cluster (would be created in $LOCAL_DATA or $ALT_DATA)"
    elif is_running; then
        echo "running on 127.0.0.1:$(running_port) as $PG_OS_USER, data $PGDATA"
    else
        echo "stopped, data $PGDATA (owner $PG_OS_USER)"
    fi
}

cmd_psql() {
    local url="${DATABASE_URL:-$(local_url)}"
    exec "$PG_BIN/psql" "${url/#postgis:/postgresql:}" "$@"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart) cmd_restart ;;
    clean) cmd_clean ;;
    status) cmd_status ;;
    psql) shift; cmd_psql "$@" ;;
    url) local_url ;;
    *) die "usage: $0 start|stop|restart|status|clean|psql|url" ;;
esac
