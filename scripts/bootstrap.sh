#!/usr/bin/env bash
# Prepare a Debian 12 machine for `make run` / `make test` without Docker.
#
#   scripts/bootstrap.sh packages   install missing system packages (apt; root or passwordless sudo)
#   scripts/bootstrap.sh venv       create .venv and pip install -r requirements.txt (skipped when unchanged)
#   scripts/bootstrap.sh all        both
#   scripts/bootstrap.sh cluster-packages   also the packages of `make cluster` (docs/SCALING.md): nginx, pgbouncer
#
# Environment:
#   GEOAPP_SYSTEM_PACKAGES  override the package list (space separated)
#   GEOAPP_CLUSTER_PACKAGES override the extra packages of `cluster-packages`
#   PYTHON                  interpreter for the virtualenv (default: python3.11, else python3)
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DEFAULT_PACKAGES="postgresql-15 postgresql-15-postgis-3 gdal-bin gettext chromium fonts-noto-cjk"
# `make cluster` (scripts/cluster.sh): the load balancer and tile cache, the connection pooler.
CLUSTER_PACKAGES="${GEOAPP_CLUSTER_PACKAGES:-nginx pgbouncer}"
VENV="$ROOT/.venv"
STAMP="$VENV/.requirements.sha"

venv_is_usable() {
    [ -x "$VENV/bin/python" ] &&
        "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1
}

pick_python() {
    if [ -n "${PYTHON:-}" ]; then
        echo "$PYTHON"
    elif command -v python3.11 >/dev/null 2>&1; then
        echo python3.11
    else
        echo python3
    fi
}

# Debian splits venv/ensurepip into python3-venv: add it (and python3) only when actually missing.
python_packages() {
    local py
    venv_is_usable && return 0
    py="$(pick_python)"
    if ! command -v "$py" >/dev/null 2>&1; then
        echo "python3 python3-venv"
    elif ! "$py" -c 'import ensurepip, venv' >/dev/null 2>&1; then
        echo "python3-venv"
    fi
}

missing_packages() {
    local wanted pkg
    # shellcheck disable=SC2206
    wanted=(${GEOAPP_SYSTEM_PACKAGES:-$DEFAULT_PACKAGES} $(python_packages))
    # One dpkg-query for all; unknown packages print nothing and are reported as missing.
    local installed
    installed="$(dpkg-query -W -f='${Package} ${Status}\n' "${wanted[@]}" 2>/dev/null |
        awk '$2 == "install" && $3 == "ok" && $4 == "installed" { print $1 }' || true)"
    for pkg in "${wanted[@]}"; do
        grep -qxF -- "$pkg" <<<"$installed" || echo "$pkg"
    done
}

cmd_packages() {
    command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this bootstrap supports Debian 12 only; use \`docker compose up\` elsewhere."
    local missing
    missing="$(missing_packages | tr '\n' ' ' | sed 's/ *$//')"
    if [ -z "$missing" ]; then
        log "system packages: all present"
        return 0
    fi

    local sudo=()
    if is_root; then
        sudo=()
    elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
        sudo=(sudo -n)
    else
        cat >&2 <<EOF

ERROR: missing system packages: $missing

They can only be installed by root (or a user with passwordless sudo). Ask an
administrator to run:

    apt-get update && apt-get install -y $missing

or run the whole application with Docker instead:

    SECRET_KEY=... docker compose up

EOF
        exit 1
    fi

    log "system packages: installing $missing"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
    # shellcheck disable=SC2086
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=600 $missing

    missing="$(missing_packages | tr '\n' ' ' | sed 's/ *$//')"
    [ -z "$missing" ] || die "apt-get finished but these packages are still missing: $missing"
}

cmd_venv() {
    local want py
    want="$(sha256sum "$ROOT/requirements.txt" | cut -d' ' -f1)"
    if venv_is_usable && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
        log "virtualenv: .venv is up to date with requirements.txt"
        return 0
    fi

    take_lock venv
    if ! venv_is_usable; then
        py="$(pick_python)"
        command -v "$py" >/dev/null 2>&1 || die "$py not found; install python3 (3.11) or set PYTHON=/path/to/python3.11"
        "$py" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' ||
            die "$py is Python $("$py" -c 'import platform; print(platform.python_version())'), this project needs 3.11 (set PYTHON=...)"
        if [ -e "$VENV" ]; then
            log "virtualenv: .venv is broken or not Python 3.11, recreating it"
            rm -rf "$VENV"
        fi
        log "virtualenv: creating .venv with $(command -v "$py")"
        "$py" -m venv "$VENV"
    fi

    log "virtualenv: pip install -r requirements.txt"
    rm -f "$STAMP"
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$ROOT/requirements.txt"
    echo "$want" >"$STAMP"
}

case "${1:-all}" in
    packages) cmd_packages ;;
    cluster-packages) GEOAPP_SYSTEM_PACKAGES="${GEOAPP_SYSTEM_PACKAGES:-$DEFAULT_PACKAGES} $CLUSTER_PACKAGES" cmd_packages ;;
    venv) cmd_venv ;;
    all) cmd_packages; cmd_venv ;;
    *) die "usage: $0 packages|cluster-packages|venv|all" ;;
esac
