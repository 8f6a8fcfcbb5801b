#!/bin/bash
# Each policy action gives its documented output and exit status on Environment Modules; block
# applies nothing; exemptions; the user override only when the site allows it.
# Shape: a venv seeing Debian's python3-mpi4py (Open MPI) + the MPICH module = ABI_MISMATCH.
. "$(dirname "$0")/lib.sh"

make_venv "$T/venv"
activate_venv "$T/venv"
policy() { printf '%b' "$1" > "$POLICY"; }
fresh() { mod purge; }
load_case() { mod load mpich; RC=$?; }

policy ''
load_case
expect_eq "$RC" 0 "default: exit 0"
expect_grep "ABI_MISMATCH=warn" "$ERR" "default: shown as warn"
expect_nogrep "^WARNING\|^ERROR" "$ERR" "default: plain message, no Modules warning/error frame"
expect_eq "${LOADEDMODULES:-}" "mpich/4.0.2" "default: applied"
fresh

policy '[actions]\nABI_MISMATCH = ignore\n'
load_case
expect_eq "$RC" 0 "ignore: exit 0"
expect_nogrep "ABI_MISMATCH" "$ERR" "ignore: not shown"
fresh

policy '[actions]\ndefault = ignore\n'
load_case
expect_empty "$ERR" "default = ignore: silent"
fresh

policy '[actions]\nABI_MISMATCH = note\n'
load_case
expect_eq "$RC" 0 "note: exit 0"
expect_grep "ABI_MISMATCH=note" "$ERR" "note: shown as note"
fresh

policy '[general]\nwarn_fails = yes\n'
load_case
expect_eq "$RC" 1 "warn_fails: exit 1"
expect_grep "ABI_MISMATCH=warn" "$ERR" "warn_fails: shown"
expect_grep "^WARNING: mpiguard: see the findings above for mpich/4.0.2" "$ERR" "warn_fails: a Modules warning line"
expect_eq "${LOADEDMODULES:-}" "mpich/4.0.2" "warn_fails: still applied"
expect_eq "${MPICC:-}" "$MPICH_HOME_DIR/bin/mpicc" "warn_fails: MPICC applied"
fresh

policy '[actions]\nABI_MISMATCH = block\n'
mod load hello
load_case
expect_eq "$RC" 1 "block: exit 1"
expect_grep "ABI_MISMATCH=block" "$ERR" "block: shown"
expect_grep "ERROR: mpiguard: the site policy does not allow loading mpich/4.0.2" "$ERR" "block: says it refused"
expect_eq "$(tr -d '[:space:]' < "$OUT")" "test0=1;" "block: stdout is only the shell's failure word"
expect_eq "${LOADEDMODULES:-}" "hello/1.0" "block: nothing applied (modules)"
expect_eq "${MPICC-unset}|${MPI_HOME-unset}" "unset|unset" "block: nothing applied (env)"
# A block refuses the whole command.
mod load mpich hello; RC=$?
expect_eq "$RC" 1 "block in a multi-module load: exit 1"
expect_eq "${LOADEDMODULES:-}" "hello/1.0" "block in a multi-module load: nothing applied"
"$TCLSH" "$MODULECMD" bash ml mpich >"$OUT" 2>"$ERR"; eval "$(cat "$OUT")"; RC=$?
expect_eq "$RC" 1 "block through ml: exit 1"
fresh

policy "[general]\nexempt_users = nobody, $(id -un)\n[actions]\nABI_MISMATCH = block\n"
load_case
expect_eq "$RC" 0 "exempt user: exit 0"
expect_empty "$ERR" "exempt user: silent"
fresh

policy "[general]\nexempt_prefixes = $T\n[actions]\nABI_MISMATCH = block\n"
load_case
expect_eq "$RC" 0 "exempt prefix: exit 0"
expect_empty "$ERR" "exempt prefix: silent"
fresh

# The user's own policy file: ignored unless the site allows it.
printf '[actions]\nABI_MISMATCH = ignore\n' > "$T/user.conf"
export MPIGUARD_POLICY=$T/user.conf
policy '[actions]\nABI_MISMATCH = block\n'
load_case
expect_eq "$RC" 1 "user override not allowed: site block stands"
fresh
policy '[general]\nuser_override = yes\n[actions]\nABI_MISMATCH = block\n'
load_case
expect_eq "$RC" 0 "user override allowed: exit 0"
expect_nogrep "ABI_MISMATCH" "$ERR" "user override allowed: user's ignore applies"
fresh
unset MPIGUARD_POLICY

# Malformed policy: one line naming file and line, defaults apply, module works.
policy '[actions]\nABI_MISMATCH = explode\n'
load_case
expect_eq "$RC" 0 "malformed policy: exit 0"
expect_eq "$(grep -c "ignoring the site policy: $POLICY:2:" "$ERR")" 1 "malformed policy: one clear line"
expect_grep "ABI_MISMATCH=warn" "$ERR" "malformed policy: built-in defaults apply"
expect_eq "${LOADEDMODULES:-}" "mpich/4.0.2" "malformed policy: applied"
fresh
finish
