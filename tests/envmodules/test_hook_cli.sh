#!/bin/bash
# `mpiguard module-hook` on its own: its output is one Tcl dict that tclsh reads back exactly,
# whatever the paths hold (blanks, $, [], {}, quotes, backslashes, non-ASCII), and a wrapper
# path that could break the shell (a newline) is never offered for export.
. "$(dirname "$0")/lib.sh"

# read_dict KEY [SUBKEY]: the value tclsh reads from the hook's output in $OUT.
read_dict() {
    "$TCLSH" <(printf 'set f [open {%s}]; fconfigure $f -encoding utf-8; set d [read $f]; close $f\nfconfigure stdout -encoding utf-8\nputs -nonewline [dict get $d %s]\n' "$OUT" "$*")
}
odd="$T/odd dir \$HOME [x] {y} \"q\" back\\slash é"
mkdir -p "$odd/bin"
ln -s /usr/bin/mpicc.mpich "$odd/bin/mpicc"
ln -s /usr/bin/mpicxx.mpich "$odd/bin/mpicxx"
MPI_HOME=$odd "$MPIGUARD" module-hook --module 'mpich/4.0.2 [odd] {x}' --policy "$POLICY" >"$OUT" 2>"$ERR"
expect_eq "$?" 0 "exit 0"
expect_empty "$ERR" "nothing on stderr"
expect_eq "$(read_dict verdict)" "ok" "verdict read back"
expect_eq "$(read_dict exports MPICC)" "$odd/bin/mpicc" "MPICC with shell and Tcl syntax read back exactly"
expect_eq "$(read_dict exports MPICXX)" "$odd/bin/mpicxx" "MPICXX read back exactly"
expect_eq "$("$TCLSH" <(printf 'set f [open {%s}]; set d [read $f]; puts [dict exists $d exports MPIFC]\n' "$OUT"))" 0 \
    "no mpifort: no MPIFC"

nl="$T/line
break"
mkdir -p "$nl/bin"
ln -s /usr/bin/mpicc.mpich "$nl/bin/mpicc"
PATH=/usr/bin:/bin MPI_HOME=$nl "$MPIGUARD" module-hook --policy "$POLICY" >"$OUT" 2>"$ERR"
expect_eq "$(read_dict exports)" "" "a wrapper path with a newline is not exported"

make_venv "$T/venv"
VIRTUAL_ENV=$T/venv PATH=$T/venv/bin:$MPICH_HOME_DIR/bin:/usr/bin:/bin MPI_HOME=$MPICH_HOME_DIR \
    LD_LIBRARY_PATH=$MPICH_HOME_DIR/lib MODULES_FAMILY_MPI=mpich LOADEDMODULES=mpich/4.0.2 \
    "$MPIGUARD" module-hook --module mpich/4.0.2 --policy "$POLICY" >"$OUT" 2>"$ERR"
expect_eq "$(read_dict verdict)" "warn" "mismatched venv: verdict warn"
read_dict message > "$T/msg"
expect_grep "^mpiguard: warn ABI_MISMATCH" "$T/msg" "message: the finding"
expect_grep "^(mpiguard findings for mpich/4.0.2: ABI_MISMATCH=warn; details: mpiguard check)$" "$T/msg" "message: the closing line"
finish
