#!/bin/bash
# `module test-mpi` through real Lmod: handled by the startup hook, the result on stderr only
# (stdout stays valid shell), the exit status of `module` follows the probe's verdict, and
# words become options (quick, json, sizes=...; `--` passes dashed options through).
. "$(dirname "$0")/lib.sh"
[ -x "$BUILD/src/mpiguard-probe" ] || skip "no $BUILD/src/mpiguard-probe (run make)"
# A build tree keeps the mpi4py script in the source tree.
export MPIGUARD_MPI4PY_BW=$SRC/share/mpiguard/mpi4py_bw.py MPIGUARD_PROBE=$BUILD/src/mpiguard-probe

# Under the sanitizer preload (lib.sh) the launched python and Open MPI's singleton start run
# instrumented too and take longer than the default 15 s launch limit: give them more.
TM_SLOW=
[ -n "$SAN_PRELOAD" ] && TM_SLOW=timeout=120

make_venv "$T/venv"
activate_venv "$T/venv"

# Matched: Debian's mpi4py (Open MPI) under the Open MPI module.
mod load openmpi
mod test-mpi quick $TM_SLOW; rc=$?
expect_eq "$rc" 0 "openmpi + matched venv: exit 0"
expect_empty "$OUT" "test-mpi writes nothing to stdout when ok"
expect_grep "mpiguard test-mpi" "$ERR" "the table header is on stderr"
expect_grep "mpi4py in" "$ERR" "the mpi4py column is there"
expect_grep "^verdict: ok" "$ERR" "matched env: verdict ok"
expect_grep "verdict" "$ERR" "a verdict is given"
expect_eq "${LOADEDMODULES:-}" "openmpi/4.1.4" "test-mpi changes no module"

# Mismatched: the same venv under MPICH: every rank "0 of 1", reported with the finding.
mod swap openmpi mpich
mod test-mpi quick $TM_SLOW; rc=$?
[ "$rc" -ne 0 ] && pass "mpich + Open MPI mpi4py: module test-mpi fails (exit $rc)" || fail "mismatch exited 0"
expect_grep "^# mpi4py: 0 of 1" "$ERR" "'0 of 1' is the mpi4py leg's result"
# The module's own MPI leg still measures under MPICH (its launcher works from the module's bin).
if awk '$1 == 65536 && $3 ~ /^[0-9]+\.[0-9]+$/ {found = 1} END {exit !found}' "$ERR"; then
    pass "MPI leg measured under the MPICH module"
else
    fail "no MPI number at 64 KiB under mpich: $(grep -E '^(65536|#)' "$ERR" | head -5)"
fi
expect_grep "ABI_MISMATCH" "$ERR" "cause named"
expect_grep "pip install" "$ERR" "fix printed"
expect_eq "$(tr -d '[:space:]' < "$OUT")" "false" "stdout is only the shell's failure word"

# Options through `--`, and JSON.
mod test-mpi sizes=64K $TM_SLOW -- --json; rc=$?
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["schema"]=="mpiguard.probe/1", d' "$ERR" 2>/dev/null; then
    pass "json=... gives the mpiguard.probe/1 object on stderr"
else
    # progress lines may precede the object on stderr: take the last JSON object
    if python3 - "$ERR" <<'PY'
import json, sys
t = open(sys.argv[1]).read()
d = json.loads(t[t.index("{\n"):] if "{\n" in t else t[t.index("{"):])
assert d["schema"] == "mpiguard.probe/1"
PY
    then pass "--json gives the mpiguard.probe/1 object on stderr"; else fail "no probe JSON in: $(head -c 400 "$ERR")"; fi
fi

# Not test-mpi: Lmod's own unknown-command handling is untouched.
mod frobnicate; rc=$?
expect_eq "$rc" 1 "an unknown command still fails as before"
finish
