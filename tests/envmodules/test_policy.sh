#!/bin/bash
# Each policy action gives its documented output and exit status on Environment Modules; block
# applies nothing; exemptions; the user override only when the site allows it.
# Shape: a venv seeing Debian's python3-mpi4py (Open MPI) + the MPICH module = ABI_MISMATCH.
# Twice: the check in-process (the Tcl extension), then through `mpiguard module-hook`.
. "$(dirname "$0")/lib.sh"

make_venv "$T/venv"
activate_venv "$T/venv"
policy() { printf '%b' "$1" > "$POLICY"; }
fresh() { mod purge; }
load_case() { mod load mpich; RC=$?; }

for how in extension command; do
    P="$how: "
    if [ "$how" = command ]; then TCLEXT=; siteconfig; fi
    policy ''
    load_case
    expect_eq "$RC" 0 "${P}default: exit 0"
    expect_grep "ABI_MISMATCH=warn" "$ERR" "${P}default: shown as warn"
    expect_nogrep "^WARNING\|^ERROR" "$ERR" "${P}default: plain message, no Modules warning/error frame"
    expect_eq "${LOADEDMODULES:-}" "mpich/4.0.2" "${P}default: applied"
    fresh

    policy '[actions]\nABI_MISMATCH = ignore\n'
    load_case
    expect_eq "$RC" 0 "${P}ignore: exit 0"
    expect_nogrep "ABI_MISMATCH" "$ERR" "${P}ignore: not shown"
    fresh

    policy '[actions]\ndefault = ignore\n'
    load_case
    expect_empty "$ERR" "${P}default = ignore: silent"
    fresh

    policy '[actions]\nABI_MISMATCH = note\n'
    load_case
    expect_eq "$RC" 0 "${P}note: exit 0"
    expect_grep "ABI_MISMATCH=note" "$ERR" "${P}note: shown as note"
    fresh

    policy '[general]\nwarn_fails = yes\n'
    load_case
    expect_eq "$RC" 1 "${P}warn_fails: exit 1"
    expect_grep "ABI_MISMATCH=warn" "$ERR" "${P}warn_fails: shown"
    expect_grep "^WARNING: mpiguard: see the findings above for mpich/4.0.2" "$ERR" "${P}warn_fails: a Modules warning line"
    expect_eq "${LOADEDMODULES:-}" "mpich/4.0.2" "${P}warn_fails: still applied"
    expect_eq "${MPICC:-}" "$MPICH_HOME_DIR/bin/mpicc" "${P}warn_fails: MPICC applied"
    fresh

    policy '[actions]\nABI_MISMATCH = block\n'
    mod load hello
    load_case
    expect_eq "$RC" 1 "${P}block: exit 1"
    expect_grep "ABI_MISMATCH=block" "$ERR" "${P}block: shown"
    expect_grep "ERROR: mpiguard: the site policy does not allow loading mpich/4.0.2" "$ERR" "${P}block: says it refused"
    expect_eq "$(tr -d '[:space:]' < "$OUT")" "test0=1;" "${P}block: stdout is only the shell's failure word"
    expect_eq "${LOADEDMODULES:-}" "hello/1.0" "${P}block: nothing applied (modules)"
    expect_eq "${MPICC-unset}|${MPI_HOME-unset}" "unset|unset" "${P}block: nothing applied (env)"
    # A block refuses the whole command.
    mod load mpich hello; RC=$?
    expect_eq "$RC" 1 "${P}block in a multi-module load: exit 1"
    expect_eq "${LOADEDMODULES:-}" "hello/1.0" "${P}block in a multi-module load: nothing applied"
    mod ml mpich; RC=$?
    expect_eq "$RC" 1 "${P}block through ml: exit 1"
    fresh

    policy "[general]\nexempt_users = nobody, $(id -un)\n[actions]\nABI_MISMATCH = block\n"
    load_case
    expect_eq "$RC" 0 "${P}exempt user: exit 0"
    expect_empty "$ERR" "${P}exempt user: silent"
    fresh

    policy "[general]\nexempt_prefixes = $T\n[actions]\nABI_MISMATCH = block\n"
    load_case
    expect_eq "$RC" 0 "${P}exempt prefix: exit 0"
    expect_empty "$ERR" "${P}exempt prefix: silent"
    fresh

    # The user's own policy file: ignored unless the site allows it.
    printf '[actions]\nABI_MISMATCH = ignore\n' > "$T/user.conf"
    export MPIGUARD_POLICY=$T/user.conf
    policy '[actions]\nABI_MISMATCH = block\n'
    load_case
    expect_eq "$RC" 1 "${P}user override not allowed: site block stands"
    fresh
    policy '[general]\nuser_override = yes\n[actions]\nABI_MISMATCH = block\n'
    load_case
    expect_eq "$RC" 0 "${P}user override allowed: exit 0"
    expect_nogrep "ABI_MISMATCH" "$ERR" "${P}user override allowed: user's ignore applies"
    fresh
    unset MPIGUARD_POLICY

    # Malformed policy: one line naming file and line, defaults apply, module works.
    policy '[actions]\nABI_MISMATCH = explode\n'
    load_case
    expect_eq "$RC" 0 "${P}malformed policy: exit 0"
    expect_eq "$(grep -c "ignoring the site policy: $POLICY:2:" "$ERR")" 1 "${P}malformed policy: one clear line"
    expect_grep "ABI_MISMATCH=warn" "$ERR" "${P}malformed policy: built-in defaults apply"
    expect_eq "${LOADEDMODULES:-}" "mpich/4.0.2" "${P}malformed policy: applied"
    fresh
done
finish
