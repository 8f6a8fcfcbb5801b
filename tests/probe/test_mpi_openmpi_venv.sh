#!/bin/bash
# `mpiguard test-mpi` with the Open MPI module loaded and a venv of Debian's python3 that sees
# python3-mpi4py (built against Open MPI): the matched case. All three columns get numbers
# (RDMA write is skipped here, with its reason), the verdict is ok, exit 0, all under 20 s.
. "$(dirname "$0")/common.sh"
need_openmpi
need_debian_mpi4py
need_cli
load_module openmpi
make_debian_venv "$TMP/venv"
export VIRTUAL_ENV=$TMP/venv PATH=$TMP/venv/bin:$PATH

t0=$(now)
"$MPIGUARD" test-mpi >"$TMP/out" 2>"$TMP/err"
rc=$?
took=$(elapsed "$t0")
cat "$TMP/out" >&2
[ $rc = 0 ] || fail "exit $rc, expected 0: $(cat "$TMP/err")"
awk -v t="$took" -v l="$RUN_LIMIT" 'BEGIN { exit !(t < l) }' || fail "default run took $took s (limit $RUN_LIMIT)"
grep -q '^verdict: ok: ' "$TMP/out" || fail "no ok verdict"
grep -q 'intra-node only' "$TMP/out" || fail "does not say the result is intra-node only"
grep -q 'mpi4py in venv "venv"' "$TMP/out" || fail "no mpi4py column header"
# every default size >= 64 KiB has an MPI and an mpi4py number
for size in 65536 262144 1048576; do
    line=$(grep "^$size " "$TMP/out") || fail "no row for $size"
    set -- $line
    awk -v a="$3" -v b="$4" -v f="$BW_FLOOR" 'BEGIN { exit !(a > f && b > f) }' || fail "row '$line' not plausible"
done

"$MPIGUARD" test-mpi --quick --json >"$TMP/json" 2>"$TMP/err" || fail "--json exit $?"
[ "$(json_get "$TMP/json" 'j["schema"]')" = mpiguard.probe/1 ] || fail "schema"
[ "$(json_get "$TMP/json" 'j["verdict"]["status"]')" = ok ] || fail "json verdict"
[ "$(json_get "$TMP/json" 'j["legs"]["mpi4py"]["status"]')" = ok ] || fail "mpi4py leg"
[ "$(json_get "$TMP/json" 'j["module"]["abi"]')" = openmpi ] || fail "abi"
[ "$(json_get "$TMP/json" 'len(j["legs"]["mpi4py"]["rows"])')" = 2 ] || fail "--quick rows"
[ "$(json_get "$TMP/json" 'j["legs"]["verbs"]["status"] in ("skipped", "ok", "failed") and bool(j["legs"]["verbs"]["reason"]) or j["legs"]["verbs"]["status"] == "ok"')" = True ] || fail "verbs leg without status/reason"
note "default run took $took s; env/MPI ratio $(json_get "$TMP/json" 'j["verdict"]["env_vs_mpi"]') (quick)"
