#!/bin/bash
# `mpiguard test-mpi` with the MPICH module loaded and a venv whose mpi4py is Debian's (built
# against Open MPI): launched by MPICH's mpiexec, every rank of it is "0 of 1". The tool must
# say exactly that, promptly (no hang), with exit 1, while the module's own MPI still measures.
. "$(dirname "$0")/common.sh"
need_mpich
need_debian_mpi4py
need_cli
load_module mpich
make_debian_venv "$TMP/venv"
export VIRTUAL_ENV=$TMP/venv PATH=$TMP/venv/bin:$PATH

t0=$(now)
"$MPIGUARD" test-mpi --quick >"$TMP/out" 2>"$TMP/err"
rc=$?
took=$(elapsed "$t0")
cat "$TMP/out" >&2
[ $rc = 1 ] || fail "exit $rc, expected 1: $(cat "$TMP/err")"
awk -v t="$took" -v l="$QUICK_LIMIT" 'BEGIN { exit !(t < l) }' || fail "took $took s: the 0-of-1 case must end promptly"
grep -q '^65536 .* 0 of 1$' "$TMP/out" || fail "no '0 of 1' in the mpi4py column"
grep -q '^verdict: broken: every rank of your env.s mpi4py is rank 0 of 1' "$TMP/out" || fail "verdict"
line=$(grep '^1048576 ' "$TMP/out") && set -- $line && awk -v a="$3" -v f="$BW_FLOOR" 'BEGIN { exit !(a > f) }' ||
    fail "the MPICH leg did not measure: '$line'"

"$MPIGUARD" test-mpi --quick --json >"$TMP/json" 2>"$TMP/err"
[ $? = 1 ] || fail "--json exit status"
[ "$(json_get "$TMP/json" 'j["legs"]["mpi4py"]["status"]')" = zero_of_one ] || fail "json mpi4py status"
[ "$(json_get "$TMP/json" 'j["verdict"]["status"]')" = broken ] || fail "json verdict"
[ "$(json_get "$TMP/json" 'j["module"]["abi"]')" = mpich ] || fail "abi"
[ "$(json_get "$TMP/json" '"libmpi.so.40" in (j["env"]["mpi4py_library"] or "")')" = True ] || fail "mpi4py library"
cause=$(json_get "$TMP/json" 'j["verdict"]["cause"]')
note "took $took s; cause from the check: $cause"
# With the core check in place the cause is the ABI mismatch it finds in the env's files.
if [ "${MPIGUARD_CORE_STUB:-}" != 1 ]; then
    [ "$cause" = ABI_MISMATCH ] || fail "cause '$cause', expected ABI_MISMATCH"
    grep -q '^fix: ' "$TMP/out" || fail "no fix printed"
fi
