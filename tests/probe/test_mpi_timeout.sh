#!/bin/bash
# A leg that never answers (a python that hangs after MPI_Init, under the real Open MPI
# launcher) is stopped at --timeout: the run ends in time, says why, leaves no process behind,
# and the other legs are still reported.
. "$(dirname "$0")/common.sh"
need_openmpi
need_debian_mpi4py
need_cli
load_module openmpi
make_debian_venv "$TMP/venv"
export VIRTUAL_ENV=$TMP/venv
marker=mpiguard-hang-$$
cat >"$TMP/$marker.py" <<'PY'
import time
from mpi4py import MPI
MPI.COMM_WORLD.Barrier()
time.sleep(600)
PY
t0=$(now)
"$MPIGUARD" test-mpi --quick --timeout 4 --script "$TMP/$marker.py" >"$TMP/out" 2>"$TMP/err"
rc=$?
took=$(elapsed "$t0")
cat "$TMP/out" >&2
awk -v t="$took" 'BEGIN { exit !(t < 12) }' || fail "took $took s with --timeout 4"
grep -q 'did not finish within 4 s' "$TMP/out" || fail "no timeout reason"
grep -q '^verdict: broken' "$TMP/out" || fail "verdict"
[ $rc = 1 ] || fail "exit $rc"
grep -q '^1048576 ' "$TMP/out" || fail "the MPI leg is missing"
sleep 0.5
if pgrep -f "$marker" >/dev/null; then
    pgrep -af "$marker" >&2
    fail "processes left behind"
fi
note "stopped after $took s"
