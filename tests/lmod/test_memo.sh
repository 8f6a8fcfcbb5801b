#!/bin/bash
# The memo of a check that found nothing (luaext/memo_lua.c, mpiguard_hooks_act.lua): an MPI
# load with nothing changed since such a check hands Lmod the same exports without loading the
# binding; each kind of change the memo must see makes the check run again and show what it
# finds; a memo that is not the user's own, or is damaged, is never used; none is written from
# a file system that changed in the last seconds. Then what the check looks at, traced, is all
# in the memo's record (tests/lmod/memo_cover.py).
. "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || skip "no strace (apt-get install strace)"
command -v python3 >/dev/null || skip "no python3"

MEMO=$HOME/.cache/mpiguard/clean-v1
printf '[general]\nlog = no\n' > "$POLICY"
# The binding the hooks load: a copy of the build's, so that it can be replaced here.
mkdir -p "$T/lib"
cp "$LUAEXT" "$T/lib/mpiguard.so"
LUAEXT=$T/lib/mpiguard.so
site_package
make_venv "$T/venv"
make_conda_bundled "$T/conda" # its mpi4py is built for MPICH
/usr/bin/python3 -m venv --without-pip "$T/venv2" >/dev/null 2>&1 || skip "python3 -m venv failed"
ln -s "$T/conda/lib/python3.11/site-packages/mpi4py" "$T/venv2/lib/python3.11/site-packages/mpi4py"

# What a memo records must be older than 2 seconds (a change in the same second would not show
# in whole seconds): wait that out after a change, before the load that is to write one.
settle() { sleep 3; }
# traced ARGS...: `module ARGS` under strace; OPENS: how often the binding was opened.
traced() {
    local rc
    LD_PRELOAD=$SAN_PRELOAD strace -f -o "$T/trace" -e trace=openat "${LMOD[@]}" bash "$@" >"$OUT" 2>"$ERR"
    rc=$?
    eval "$(cat "$OUT")" >/dev/null 2>&1
    OPENS=$(grep -c "\"$LUAEXT\"" "$T/trace")
    return $rc
}
# expect_checked WHAT: the last traced load ran the check (opened the binding)
expect_checked() {
    if [ "$OPENS" -gt 0 ]; then pass "$1"; else fail "$1: the binding was not opened (the memo was used)"; fi
}

# ---- a hit: the second clean load of mpich reads the memo, not the binding ----------------
settle
mod load mpich
expect_empty "$ERR" "no env, mpich: nothing to report"
expect_eq "$(stat -c %a "$MEMO" 2>&1)" 600 "a clean check leaves a memo, private (0600)"
mod purge
traced load mpich
expect_eq "$OPENS" 0 "nothing changed: the next load of mpich does not open the binding"
expect_empty "$ERR" "the memo's load: silent"
expect_eq "${MPICC:-}" "$MPICH_HOME_DIR/bin/mpicc" "the memo's load: MPICC exported as the check did"
expect_eq "${LOADEDMODULES:-}" "mpich/4.0.2" "the memo's load: the module loaded"
mod purge
expect_eq "${MPICC:-unset}" unset "purge after the memo's load: MPICC given back"

# ---- a name appearing where the check found none: the user's site gets an MPICH mpi4py ----
mod load openmpi
mod purge
traced load openmpi
expect_eq "$OPENS" 0 "openmpi, no env: the memo is used"
mod purge
mkdir -p "$HOME/.local/lib/python3.11/site-packages"
ln -s "$T/conda/lib/python3.11/site-packages/mpi4py" "$HOME/.local/lib/python3.11/site-packages/mpi4py"
settle
traced load openmpi
expect_grep "ABI_MISMATCH" "$ERR" "an mpi4py appearing in the user's site: the check runs and shows it"
mod purge
rm -rf "$HOME/.local"

# ---- a variable: the same MPI in an activated venv ----------------------------------------
settle
mod load openmpi
mod purge
activate_venv "$T/venv"
traced load openmpi
expect_checked "VIRTUAL_ENV set: the memo is not used (the binding checked, then loaded)"
expect_empty "$ERR" "venv + openmpi: nothing to report"
mod purge
traced load openmpi
expect_eq "$OPENS" 0 "venv + openmpi again: its own memo is used"
mod purge
activate_venv "$T/venv2" # VIRTUAL_ENV and PATH with other values
traced load openmpi
expect_grep "ABI_MISMATCH" "$ERR" "another venv, its mpi4py built for MPICH: the check runs and shows it"
mod purge
activate_venv "$T/venv"

# ---- a link replaced in a folder the check lists: the venv's mpi4py built for MPICH --------
ln -s "$T/conda/lib/python3.11/site-packages/mpi4py" "$T/venv/lib/python3.11/site-packages/mpi4py"
cp "$T/conda/lib/libmpi.so.12" "$T/venv/lib/"
settle
traced load openmpi
expect_grep "ABI_MISMATCH" "$ERR" "an MPICH mpi4py linked into the venv: the check runs and shows it"
mod purge
ln -sfn /usr/lib/python3/dist-packages/mpi4py "$T/venv/lib/python3.11/site-packages/mpi4py"
settle
mod load openmpi
expect_empty "$ERR" "the link pointed back at Debian's mpi4py: nothing to report"
mod purge
ln -sfn "$T/conda/lib/python3.11/site-packages/mpi4py" "$T/venv/lib/python3.11/site-packages/mpi4py"
settle
traced load openmpi
expect_grep "ABI_MISMATCH" "$ERR" "the link pointed at the MPICH mpi4py again: shown again"
mod purge
rm "$T/venv/lib/python3.11/site-packages/mpi4py" "$T/venv/lib/libmpi.so.12"
unset VIRTUAL_ENV
PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin

# ---- the policy file: one that does not export MPICC ----------------------------------------
settle
mod load mpich
mod purge
printf '[general]\nlog = no\nexport_mpicc = no\n' > "$POLICY"
settle
traced load mpich
expect_eq "${MPICC:-unset}" unset "a policy that does not export: MPICC left alone (the memo not used)"
mod purge
printf '[general]\nlog = no\n' > "$POLICY"

# ---- the binding replaced (another build) ----------------------------------------------------
settle
mod load mpich
mod purge
cp "$T/lib/mpiguard.so" "$T/lib/mpiguard.so.new"
mv "$T/lib/mpiguard.so.new" "$T/lib/mpiguard.so"
settle
traced load mpich
expect_checked "the binding replaced: the memo is not used"
mod purge

# ---- MPIGUARD_NO_CACHE: no memo used, none written -------------------------------------------
traced load mpich
expect_eq "$OPENS" 0 "before MPIGUARD_NO_CACHE: the memo is used"
mod purge
export MPIGUARD_NO_CACHE=1
traced load mpich
expect_checked "MPIGUARD_NO_CACHE=1: the memo is not used"
mod purge
rm -f "$MEMO"
settle
mod load mpich
expect_eq "$(ls "$MEMO" 2>/dev/null)" "" "MPIGUARD_NO_CACHE=1: no memo written"
mod purge
unset MPIGUARD_NO_CACHE

# ---- a memo that is not the user's own, or damaged: never used, never an error ----------------
settle
mod load mpich
mod purge
chmod 0640 "$MEMO"
traced load mpich
expect_checked "a memo others can read (0640): not used"
expect_empty "$ERR" "a memo others can read: silent"
mod purge
settle
mod load mpich
mod purge
sed -i 's/^end .*/end 1/' "$MEMO"
traced load mpich
expect_checked "a memo whose end line does not count its lines: not used"
expect_empty "$ERR" "a damaged memo: silent"
mod purge
head -c 4000 /dev/urandom > "$MEMO"
traced load mpich
expect_checked "a memo of random bytes: not used"
expect_empty "$ERR" "a memo of random bytes: silent"
mod purge
rm -f "$MEMO"
mkfifo "$MEMO"
traced load mpich
expect_checked "a FIFO in the memo's place: not used (and not blocked on)"
mod purge
rm -f "$MEMO"

# ---- nothing written from a file system that just changed -------------------------------------
settle
touch "$POLICY" # its change time: now
mod load mpich
expect_eq "$(ls "$MEMO" 2>/dev/null)" "" "the policy changed this second: no memo written"
mod purge

# ---- what the check looks at is all in the memo's record -------------------------------------
# The paths mpiguard adds to Lmod's own (strace of the same load without the hooks), less its
# own files; each must be on a line of the memo, or be a link or a missing name in a folder the
# memo looks at by its times.
mkdir -p "$T/site-off"
: > "$T/site-off/SitePackage.lua"
cover() { # cover WHAT ARGS...: the load ARGS, traced with and without mpiguard, then compared
    local what=$1
    shift
    mod purge
    rm -f "$MEMO"
    settle
    LMOD_PACKAGE_PATH=$T/site-off LD_PRELOAD=$SAN_PRELOAD strace -f -s 4096 -e trace=%file -o "$T/off" \
        "${LMOD[@]}" bash "$@" >/dev/null 2>&1
    LD_PRELOAD=$SAN_PRELOAD strace -f -s 4096 -e trace=%file -o "$T/on" "${LMOD[@]}" bash "$@" >"$OUT" 2>"$ERR"
    eval "$(cat "$OUT")" >/dev/null 2>&1
    expect_empty "$ERR" "$what: nothing to report"
    [ -f "$MEMO" ] || { fail "$what: no memo written"; return; }
    grep -o '"/[^"]*"' "$T/off" | tr -d '"' | sort -u > "$T/off.paths"
    grep -o '"/[^"]*"' "$T/on" | tr -d '"' | sort -u |
        comm -13 "$T/off.paths" - |
        grep -v -e "^$HOOKS_DIR/" -e "^$T/site/" -e "^$HOME/.cache\(/mpiguard\|\$\)" -e '^/proc/' -e '/libjansson' > "$T/check.paths"
    [ -s "$T/check.paths" ] || { fail "$what: strace showed no path the check looked at"; return; }
    if python3 "$SRC/tests/lmod/memo_cover.py" "$MEMO" "$T/check.paths" > "$T/cover" 2>&1; then
        pass "$what: the $(wc -l < "$T/check.paths") paths the check looked at are in the memo's record"
    else
        fail "$what: not in the memo's record: $(head -c 1500 "$T/cover")"
    fi
    mod purge
}
cover "no env, mpich" load mpich
activate_venv "$T/venv"
cover "venv, openmpi" load openmpi
unset VIRTUAL_ENV
PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
finish
