#!/usr/bin/env bash
# Mutation testing of the rule modules (make mutate; docs/RELIABILITY.md "Mutation testing").
#
# Creates .venv-mutate on demand (requirements-mutate.txt; it sees .venv's packages through a .pth file), then runs
# mutmut (configured in pyproject.toml [tool.mutmut]) over the functions named below, or over MUTANT_NAMES given as
# arguments (mutmut's names, wildcards allowed, e.g. 'layers.planning.credit_rating.*'). Every mutant runs only the
# listed fast tests that reach its function, against the test database test_<DATABASE_URL's name>, kept between
# runs (--reuse-db). The SQL rule functions are mutated by tests/test_rule_mutants.py, which mutmut runs too.
# MUTATE_CHILDREN (2) mutants run at once. Prints the score and every survivor; exits 1 when one survives.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
# shellcheck source=scripts/common.sh
. "$ROOT/scripts/common.sh"
cd "$ROOT"

VENV="$ROOT/.venv-mutate"
STAMP="$VENV/.requirements-mutate.txt"
if [ ! -x "$VENV/bin/mutmut" ] || ! cmp -s requirements-mutate.txt "$STAMP"; then
    log "creating $VENV (requirements-mutate.txt)"
    base="$(.venv/bin/python -c 'import sys; print(sys.base_prefix)')/bin/python3"
    "$base" -m venv "$VENV"
    app_site="$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    own_site="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    printf '%s\n' "$app_site" >"$own_site/_app_venv.pth"
    "$VENV/bin/python" -m pip install -q -r requirements-mutate.txt
    cp requirements-mutate.txt "$STAMP"
fi

# The rule functions under mutation: "old estate" and contract rules (Python side), the credit rating and nearby
# candidates, the bundle bounds, the permission functions, and the services' black-list and version checks.
DEFAULT_NAMES=(
    'layers.rules.*'
    'layers.planning.rules.*'
    'layers.planning.credit_rating.*'
    'layers.planning.candidates.*'
    'layers.planning.bundles.x_bundle_problems*'
    'layers.planning.bundles.xǁ_Boundsǁ*'
    'layers.permissions.*'
    'layers.services.contracts.x__is_black*'
    'layers.services.contracts.x__check_provider*'
    'layers.services.plans.x__lock*'
    'layers.services.management_areas.x__lock*'
    'layers.services.management_areas.x__version_of*'
)
if [ "$#" -gt 0 ]; then NAMES=("$@"); else NAMES=("${DEFAULT_NAMES[@]}"); fi

rm -rf mutants  # a fresh copy of the sources: mutmut reuses results only for unchanged files anyway
"$VENV/bin/mutmut" run --max-children "${MUTATE_CHILDREN:-2}" "${NAMES[@]}" \
    | tr '\r' '\n' | grep -v '^[^ ]* Generating\|^[^ ]* Running' || true
"$VENV/bin/mutmut" results --all true >"$ROOT/mutants/results.txt" 2>&1 || true
"$VENV/bin/python" - "${NAMES[@]}" <<'PY'
import fnmatch, pathlib, re, sys
names = sys.argv[1:]
rows = [line.strip().rsplit(": ", 1) for line in pathlib.Path("mutants/results.txt").read_text().splitlines()
        if ": " in line and "__mutmut_" in line]
rows = [(n, s) for n, s in rows if any(fnmatch.fnmatch(n, p) for p in names)]
killed = sum(1 for _, s in rows if s == "killed")
survived = [n for n, s in rows if s == "survived"]
other = [(n, s) for n, s in rows if s not in ("killed", "survived")]
total = len(rows)
print(f"mutants {total}, killed {killed}, survived {len(survived)}, other {len(other)}; "
      f"score {killed / total:.1%}" if total else "no mutants")
for n in survived:
    print("SURVIVED", n)
for n, s in other:
    print(s.upper(), n)
sys.exit(1 if survived else 0)
PY
