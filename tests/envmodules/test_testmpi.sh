#!/bin/bash
# `module test-mpi` and `ml test-mpi` through real Environment Modules: handled by the wrapper
# around ::module/::ml, the result on stderr only (stdout stays valid shell), the status of
# `module` follows the probe's verdict, and words become options (quick, sizes=..., json).
. "$(dirname "$0")/lib.sh"
[ -x "$BUILD/src/mpiguard-probe" ] || skip "no $BUILD/src/mpiguard-probe (run make)"
export MPIGUARD_MPI4PY_BW=$SRC/share/mpiguard/mpi4py_bw.py MPIGUARD_PROBE=$BUILD/src/mpiguard-probe
# The check through `mpiguard module-hook`: a sanitizer build would otherwise preload its
# runtimes into tclsh, and the MPI launchers and pythons test-mpi starts would inherit them.
TCLEXT= SAN_PRELOAD=
siteconfig

make_venv "$T/venv"
activate_venv "$T/venv"

# Matched: Debian's mpi4py (Open MPI) under the Open MPI module.
mod load openmpi
mod test-mpi quick; rc=$?
expect_eq "$rc" 0 "openmpi + matched venv: exit 0"
expect_eq "$(tr -d '[:space:]' < "$OUT")" "" "test-mpi writes nothing to stdout when ok"
expect_grep "mpiguard test-mpi" "$ERR" "the table header is on stderr"
expect_grep "mpi4py in" "$ERR" "the mpi4py column is there"
expect_grep "^verdict: ok" "$ERR" "matched env: verdict ok"
expect_eq "${LOADEDMODULES:-}" "openmpi/4.1.4" "test-mpi changes no module"

# Mismatched: the same venv under MPICH: every rank "0 of 1", reported with the finding.
mod switch openmpi mpich
mod ml test-mpi quick; rc=$?
[ "$rc" -ne 0 ] && pass "ml test-mpi, mpich + Open MPI mpi4py: fails (exit $rc)" || fail "mismatch exited 0"
expect_grep "^# mpi4py: 0 of 1" "$ERR" "'0 of 1' is the mpi4py leg's result"
expect_grep "ABI_MISMATCH" "$ERR" "cause named"
expect_grep "pip install" "$ERR" "fix printed"
expect_eq "$(tr -d '[:space:]' < "$OUT")" "test0=1;" "stdout is only the shell's failure word"

# Options as words, and JSON (-j/--json pass through Modules' own parser).
mod test-mpi sizes=64K legs=mpi --json; rc=$?
if python3 - "$ERR" <<'PY'
import json, sys
t = open(sys.argv[1]).read()
d = json.loads(t[t.index("{"):])
assert d["schema"] == "mpiguard.probe/1", d["schema"]
assert [r["size"] for r in d["rows"]] == [65536], d["rows"]
assert d["legs"]["mpi4py"]["status"] == "skipped", d["legs"]["mpi4py"]
PY
then pass "sizes=, legs= and --json reach mpiguard test-mpi"; else fail "no probe JSON with one size in: $(head -c 600 "$ERR")"; fi

# test-mpi inside a modulefile is not intercepted (Modules rejects it as before).
mkdir -p "$T/base/modulefiles/debian-tcl/bad"
printf '#%%Module1.0\nmodule test-mpi\n' > "$T/base/modulefiles/debian-tcl/bad/1"
mod load bad; rc=$?
expect_eq "$rc" 1 "module test-mpi inside a modulefile: fails as Modules says"
expect_grep "Invalid command 'test-mpi'" "$ERR" "inside a modulefile: Modules' own message"
finish
