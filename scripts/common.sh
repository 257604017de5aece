# Shared helpers for scripts/bootstrap.sh and scripts/localdb.sh (sourced, not executed).
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
STATE_DIR="$ROOT/.state"            # git-ignored: lock files

log()  { printf '==> %s\n' "$*" >&2; }
die()  { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# Hold an exclusive lock on .state/<name>.lock for the rest of the script,
# so that two `make` invocations do not initialise or start the cluster at once.
take_lock() {
    local file="$STATE_DIR/$1.lock"
    mkdir -p "$STATE_DIR"
    [ -e "$file" ] || : >>"$file"
    # root working in someone else's checkout must not leave files that owner cannot open later.
    if is_root; then
        chown --reference="$ROOT" "$STATE_DIR" "$file" 2>/dev/null || true
    fi
    # flock works on a read-only descriptor too.
    exec 9<"$file"
    if ! flock -w 120 9; then
        die "timed out waiting for $STATE_DIR/$1.lock"
    fi
}
