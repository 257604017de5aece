#!/usr/bin/env bash
# Bundle proposals vs PySAL spopt's MaxPHeuristic (make bench-spopt; docs/BUNDLES.md "Against spopt").
#
# Creates .venv-spopt on demand from requirements-spopt.txt: spopt 0.8.0 needs Python >= 3.12 (python3.12/3.13 on
# PATH, else pyenv's, else SPOPT_PYTHON), so the venv has its own shapely/numpy/pyproj and does not share .venv's.
# Then runs tests/benchmarks/bench_bundles_spopt.py with the arguments given. Never part of make test.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
# shellcheck source=scripts/common.sh
. "$ROOT/scripts/common.sh"
cd "$ROOT"

VENV="$ROOT/.venv-spopt"
STAMP="$VENV/.requirements-spopt.txt"
if [ ! -x "$VENV/bin/python" ] || ! cmp -s requirements-spopt.txt "$STAMP"; then
    python="${SPOPT_PYTHON:-}"
    if [ -z "$python" ]; then
        for name in python3.12 python3.13; do
            if command -v "$name" >/dev/null && "$name" --version >/dev/null 2>&1; then python="$(command -v "$name")"; break; fi
        done
    fi
    if [ -z "$python" ]; then
        python="$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[23]*/bin/python3 2>/dev/null | head -n1 || true)"
    fi
    [ -n "$python" ] || die "spopt 0.8.0 needs Python >= 3.12: none found (set SPOPT_PYTHON)"
    log "creating $VENV with $python (requirements-spopt.txt)"
    "$python" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q -r requirements-spopt.txt
    cp requirements-spopt.txt "$STAMP"
fi
exec "$VENV/bin/python" tests/benchmarks/bench_bundles_spopt.py "$@"
