#!/usr/bin/env bash
# Back up and restore the application database with pg_dump / pg_restore (custom format).
#
#   scripts/backup.sh backup [FILE]    pg_dump -Fc of DATABASE_URL to FILE, default backups/geoapp-<UTC time>.dump;
#                                      prints the path, its size and the time taken
#   scripts/backup.sh restore FILE     pg_restore --clean --if-exists FILE into DATABASE_URL (created when missing),
#                                      in one transaction: a failed restore leaves the database as it was.
#                                      It overwrites the database, so it asks for its name on a terminal, and
#                                      refuses without RESTORE_CONFIRM=yes otherwise.
#
# DATABASE_URL defaults to the local cluster's (scripts/localdb.sh url). PG_BIN (/usr/lib/postgresql/15/bin) holds
# pg_dump and pg_restore of the server's major version. Objects are dumped without owner and privileges, so a
# backup restores into a database of another owner.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
URL="${DATABASE_URL:-$("$ROOT/scripts/localdb.sh" url)}"
URL="${URL%%\?*}"
URL="postgresql://${URL#*://}"   # postgis://… is Django's name for a libpq postgresql:// URL
DB_NAME="${URL##*/}"
SERVER_URL="${URL%/*}/postgres"

psql_server() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$SERVER_URL" "$@"; }

cmd_backup() {
    local file="${1:-$ROOT/backups/geoapp-$(date -u +%Y%m%dT%H%M%SZ).dump}" started seconds
    mkdir -p "$(dirname "$file")"
    started=$(date +%s.%N)
    # Written beside the target, renamed when complete: an interrupted dump never looks like a backup.
    "$PG_BIN/pg_dump" --format=custom --no-owner --no-privileges --file="$file.partial" "$URL"
    mv "$file.partial" "$file"
    seconds=$(printf '%.2f' "$(echo "$(date +%s.%N) - $started" | bc)")
    log "backup of $DB_NAME: $(du -h "$file" | cut -f1) in $seconds s"
    echo "$file"
}

cmd_restore() {
    local file="${1:-}" answer
    [ -n "$file" ] || die "name the backup to restore: scripts/backup.sh restore FILE (make restore BACKUP_FILE=…)"
    [ -f "$file" ] || die "no backup file $file"
    "$PG_BIN/pg_restore" --list "$file" >/dev/null || die "$file is not a pg_dump custom-format backup"
    if [ "${RESTORE_CONFIRM:-}" != yes ]; then
        if [ -t 0 ]; then
            read -r -p "This replaces every table of database $DB_NAME with $file. Type the database name to go on: " answer
            [ "$answer" = "$DB_NAME" ] || die "not confirmed: nothing restored"
        else
            die "restoring overwrites database $DB_NAME: run again with RESTORE_CONFIRM=yes to go on (nothing restored)"
        fi
    fi
    if [ -z "$(psql_server -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" ]; then
        log "creating database $DB_NAME"
        psql_server -c "CREATE DATABASE \"$DB_NAME\""
    fi
    local started seconds
    started=$(date +%s.%N)
    "$PG_BIN/pg_restore" --clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error \
        --dbname="$URL" "$file"
    seconds=$(printf '%.2f' "$(echo "$(date +%s.%N) - $started" | bc)")
    log "restored $file into $DB_NAME in $seconds s"
}

case "${1:-}" in
    backup) shift; cmd_backup "$@" ;;
    restore) shift; cmd_restore "$@" ;;
    *) die "usage: $0 backup [FILE] | restore FILE" ;;
esac
