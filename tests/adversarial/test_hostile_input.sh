#!/bin/bash
# Issue #8, points 1, 3 and 4: nothing in a user's names, files or variables makes `module`
# run a command, reach the terminal raw, or turn a printed fix into more than it says.
#  1. MPICC (and mpiguard's own bookkeeping variables) holding a newline and a command:
#     Lmod's stdout is evaluated in a real bash (`mod`), on load and on unload.
#  3. Env names and prefixes, mpi.cfg's mpicc and a module name holding terminal escapes,
#     newlines, bidi overrides, C1 controls: nothing but newlines reaches stderr raw, through
#     `module load`, `mpiguard check` and `mpiguard test-mpi`.
#  4. Every fix line printed for a conda env with a hostile prefix, pasted into bash, runs
#     only the command it shows, with the prefix as one argument.
# Side effects are looked for as files named PWNED anywhere under the test's folder.
. "$(dirname "$0")/lib.sh"

pwned() { find "$T" \( -name PWNED -o -name '*.PWNED' \) 2>/dev/null | head -3; }
expect_no_side_effect() {
    local p
    p=$(pwned)
    if [ -n "$p" ]; then fail "$1: a command ran: $p"; rm -f $p; else pass "$1"; fi
}
cd "$T"

# ---- 1. a newline in the user's MPICC -------------------------------------------------------
# The payload is a script path: Lmod escapes blanks and shell syntax, not newlines.
printf '#!/bin/sh\ntouch "$0.PWNED"\n' > "$T/evil"
chmod +x "$T/evil"
export MPICC=$'x\n'"$T/evil"
mod load mpich
expect_no_side_effect "MPICC with a newline: load runs nothing"
expect_eq "${MPICC:-}" "$MPICH_HOME_DIR/bin/mpicc" "MPICC with a newline: the module's mpicc is exported"
expect_eq "${__MPIGUARD_USER_MPICC-unset}" "unset" "MPICC with a newline: not kept for later"
expect_grep "MPICC" "$ERR" "MPICC with a newline: the user is told"
no_control "$ERR" "MPICC with a newline: stderr has no raw control bytes"
mod unload mpich
expect_no_side_effect "MPICC with a newline: unload runs nothing"
mod purge
unset MPICC

# ... and planted in mpiguard's own bookkeeping, which unload gives back.
mod load mpich
export __MPIGUARD_USER_MPICC=$'y\n'"$T/evil"
export __MPIGUARD_USER_MPICXX=$'y\n'"$T/evil"
mod unload mpich
expect_no_side_effect "planted __MPIGUARD_USER_MPICC: unload runs nothing"
expect_eq "${MPICC-unset}" "unset" "planted value: not given back"
mod purge
unset __MPIGUARD_USER_MPICC __MPIGUARD_USER_MPICXX

# ... and an MPI_HOME (so the wrapper path mpiguard would export) holding a newline: exported
# by the user, for a module that sets only its family (a modulefile's own setenv of such a
# value is Lmod's hole, not mpiguard's).
mkdir -p "$T/base/modulefiles/debian/evilmpi"
evilhome=$T/$'home\n'"$T/evil"$'\nx'
mkdir -p "$evilhome/bin"
ln -sf /usr/bin/mpicc.mpich "$evilhome/bin/mpicc"
printf 'family("MPI")\n' > "$T/base/modulefiles/debian/evilmpi/1.0.lua"
export MPI_HOME=$evilhome
mod load evilmpi
expect_no_side_effect "MPI_HOME with a newline: load runs nothing"
expect_eq "${MPICC-unset}" "unset" "MPI_HOME with a newline: no MPICC built from it"
mod purge
unset MPI_HOME

# ---- 3. names that are terminal escapes -------------------------------------------------------
printf '[general]\nlog = no\n' > "$POLICY"
n=0
for name in "${hostile_names[@]}"; do
    n=$((n + 1))
    quick_venv "$T/envs/$name"
    export VIRTUAL_ENV=$T/envs/$name
    mod load mpich; rc=$?
    expect_eq "$rc" 0 "venv #$n: module load exits 0"
    no_control "$ERR" "venv #$n ($(printf %q "$name")): stderr clean"
    expect_grep "ABI_MISMATCH" "$ERR" "venv #$n: still reported"
    expect_no_side_effect "venv #$n: nothing ran"
    "$BUILD/src/mpiguard" check --color=never > "$T/check.out" 2>&1
    no_control "$T/check.out" "venv #$n: mpiguard check clean"
    "$BUILD/src/mpiguard" check --color=never --verbose > "$T/check.out" 2>&1
    no_control "$T/check.out" "venv #$n: mpiguard check --verbose clean"
    mod purge
done
unset VIRTUAL_ENV

# mpi.cfg recording an mpicc whose path is an escape sequence (a venv with its own copy of
# Debian's mpi4py, under Open MPI: the note MPICC_MISMATCH quotes the path).
if [ -d /usr/lib/python3/dist-packages/mpi4py ]; then
    v=$T/cfgvenv
    quick_venv "$v"
    sed -i 's/= true/= false/' "$v/pyvenv.cfg"
    cp -r /usr/lib/python3/dist-packages/mpi4py "$v/lib/python3.11/site-packages/"
    odd=$T/$'\e]0;owned\a\e[2J'
    mkdir -p "$odd/bin"
    ln -sf /usr/bin/mpicc.mpich "$odd/bin/mpicc.mpich"
    printf '[mpi]\nmpicc = %s/bin/mpicc.mpich\n' "$odd" > "$v/lib/python3.11/site-packages/mpi4py/mpi.cfg"
    export VIRTUAL_ENV=$v
    mod load openmpi
    expect_grep "MPICC_MISMATCH" "$ERR" "mpi.cfg escape: the note is shown"
    no_control "$ERR" "mpi.cfg escape: stderr clean"
    expect_grep '\\x1b]0;owned' "$ERR" "mpi.cfg escape: shown as \\x1b"
    mod purge
    unset VIRTUAL_ENV
fi

# A module name holding an escape sequence (a user's own modulefile; the reference modulefile
# finds its MPI two folders up from modulefiles/).
umods=$T/u/modulefiles
mkdir -p "$umods/$(printf 'mp\033[31mich')"
ln -sfn "$T/base/debian-mpi" "$T/u/debian-mpi"
cp "$T/base/modulefiles/debian/mpich/4.0.2.lua" "$umods/$(printf 'mp\033[31mich')/$(printf '6.6\033]0;x\007').lua"
quick_venv "$T/plain"
export VIRTUAL_ENV=$T/plain MODULEPATH=$umods:$MODULEPATH
mod load "$(printf 'mp\033[31mich')"
expect_grep "ABI_MISMATCH" "$ERR" "escape in the module name: reported"
no_control "$ERR" "escape in the module name: stderr clean"
mod purge
export MODULEPATH=$T/base/modulefiles/debian

# test-mpi's table and verdict name the env and the launcher.
if [ -x "$BUILD/src/mpiguard-probe" ]; then
    export VIRTUAL_ENV=$T/envs/$'\e]0;owned\a'
    MPIGUARD_PROBE=$BUILD/src/mpiguard-probe MPIGUARD_MPI4PY_BW=$SRC/share/mpiguard/mpi4py_bw.py \
        "$BUILD/src/mpiguard" test-mpi --quick --launcher /bin/false > "$T/tm.out" 2> "$T/tm.err"
    no_control "$T/tm.out" "test-mpi: table and verdict clean"
    no_control "$T/tm.err" "test-mpi: progress clean"
    unset VIRTUAL_ENV
fi

# ---- 4. pasted fixes run nothing else ---------------------------------------------------------
# One conda env with a bundled MPICH, copied under each hostile name (the library is found
# through $ORIGIN, so copies work).
make_conda_bundled "$T/conda-src"
mkdir -p "$T/fakebin" "$T/paste"
for tool in conda micromamba python; do
    printf '#!/bin/bash\nprintf "%%s\\0" "$@" > "%s/paste/%s.args"\n' "$T" "$tool" > "$T/fakebin/$tool"
    chmod +x "$T/fakebin/$tool"
done
n=0
for name in "${hostile_names[@]}"; do
    n=$((n + 1))
    p=$T/cenvs/$name
    mkdir -p "$T/cenvs"
    cp -a "$T/conda-src" "$p"
    export CONDA_PREFIX=$p CONDA_DEFAULT_ENV=x
    mod load mpich
    grep -E '^ +(fix|or): ' "$ERR" | sed -E 's/^ +(fix|or): //' > "$T/fixes"
    [ -s "$T/fixes" ] || { fail "conda #$n: no fix printed: $(head -c 300 "$ERR")"; mod purge; continue; }
    rm -f "$T/paste/"*.args
    (cd "$T/paste" && PATH=$T/fakebin:/usr/bin:/bin bash "$T/fixes") > /dev/null 2>&1
    expect_no_side_effect "conda #$n ($(printf %q "$name")): pasted fixes run nothing else"
    if [ -f "$T/paste/conda.args" ]; then
        got=$(tr '\0' '\n' < "$T/paste/conda.args" | sed -n '3p')
        [ "$(tr '\0' '\n' < "$T/paste/conda.args" | sed -n '2p')" = "-p" ] &&
            python3 -c 'import os,sys; sys.exit(os.path.realpath(sys.argv[1]) != os.path.realpath(sys.argv[2]))' "$got" "$p" &&
            pass "conda #$n: conda gets the prefix as one argument" ||
            fail "conda #$n: conda got $(tr '\0' ' ' < "$T/paste/conda.args" | cat -v)"
    else
        fail "conda #$n: the conda fix did not run as a conda command: $(cat -v "$T/fixes")"
    fi
    mod purge
    rm -rf "$p"
done
unset CONDA_PREFIX CONDA_DEFAULT_ENV
echo "hostile names tried: ${#hostile_names[@]} (venv, check, conda fixes), plus MPICC, bookkeeping, MPI_HOME, mpi.cfg, module name, test-mpi"
finish
