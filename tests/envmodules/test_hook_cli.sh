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

# change_of VAR: the value the dict's changes (op var value ...) give VAR ("unset" when unset,
# "none" when not changed).
change_of() {
    "$TCLSH" <(printf 'set f [open {%s}]; fconfigure $f -encoding utf-8; set d [read $f]; close $f
fconfigure stdout -encoding utf-8
set r none
foreach {op var value} [dict get $d changes] { if {$var eq {%s}} { set r [expr {$op eq {set} ? $value : {unset}}] } }
puts -nonewline $r\n' "$OUT" "$1")
}
expect_eq "$(change_of MPICC)" "$odd/bin/mpicc" "changes: MPICC set, read back exactly"
expect_eq "$(change_of __MPIGUARD_SET)" "MPICC=$odd/bin/mpicc:MPI4PY_BUILD_MPICC=$odd/bin/mpicc:MPICXX=$odd/bin/mpicxx" \
    "changes: one marker for what mpiguard set"
expect_eq "$(read_dict notices)" "" "changes: no notices"

# The user's own MPICC is kept for later, unless a modulefile wrote it in this command
# (--set-by-module: Spack's MPI modules export MPICC themselves).
MPICC=/home/me/mpicc MPI_HOME=$odd "$MPIGUARD" module-hook --module mpich/4.0.2 --policy "$POLICY" >"$OUT" 2>"$ERR"
expect_eq "$(change_of __MPIGUARD_USER_MPICC)" /home/me/mpicc "a user's MPICC kept"
MPICC=/spack/mpicc MPI_HOME=$odd "$MPIGUARD" module-hook --module mpich/4.0.2 --policy "$POLICY" \
    --set-by-module 'PATH MPICC' >"$OUT" 2>"$ERR"
expect_eq "$(change_of __MPIGUARD_USER_MPICC)" none "--set-by-module MPICC: the module's MPICC not kept as the user's"
expect_eq "$(change_of MPICC)" "$odd/bin/mpicc" "--set-by-module MPICC: MPICC still set to the module's wrapper"

# --give-back: no check, MPICC & co. given back (no MPI is loaded any more), from the one marker
# or the four of an earlier mpiguard.
MPICC=/a/mpicc MPICXX=/b/mpicxx __MPIGUARD_SET='MPICC=/a/mpicc:MPICXX=/a/mpicxx' __MPIGUARD_USER_MPICC=/home/me/mpicc \
    "$MPIGUARD" module-hook --give-back >"$OUT" 2>"$ERR"
expect_eq "$?" 0 "--give-back: exit 0"
expect_empty "$ERR" "--give-back: nothing on stderr"
expect_eq "$(change_of MPICC)|$(change_of MPICXX)|$(change_of __MPIGUARD_SET)|$(change_of __MPIGUARD_USER_MPICC)" \
    "/home/me/mpicc|none|unset|unset" "--give-back: the user's MPICC back, their later MPICXX left, the bookkeeping gone"
MPICC=/a/mpicc __MPIGUARD_SET_MPICC=/a/mpicc "$MPIGUARD" module-hook --give-back >"$OUT" 2>"$ERR"
expect_eq "$(change_of MPICC)|$(change_of __MPIGUARD_SET_MPICC)" "unset|unset" "--give-back: an earlier mpiguard's marker"
MPICC=/a/mpicc "$MPIGUARD" module-hook --give-back >"$OUT" 2>"$ERR"
expect_eq "$(read_dict changes)" "" "--give-back: nothing of mpiguard's: no changes"
bad="/line
break"
MPICC=/a/mpicc __MPIGUARD_SET=MPICC=/a/mpicc __MPIGUARD_USER_MPICC=$bad "$MPIGUARD" module-hook --give-back >"$OUT" 2>"$ERR"
expect_eq "$(change_of MPICC)" unset "--give-back: a kept value with a newline is not handed back"
"$TCLSH" <(printf 'set f [open {%s}]; set d [read $f]; close $f\nputs [join [dict get $d notices] \\n]\n' "$OUT") > "$T/notices"
expect_grep "not restoring MPICC: the value kept for it holds a control character" "$T/notices" \
    "--give-back: ... and a notice says why"

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
