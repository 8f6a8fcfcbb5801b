#!/bin/bash
# MPICC & co. follow the loaded MPI after every kind of module command, and a user's own
# MPICC survives and comes back. No env is active: nothing may be printed.
. "$(dirname "$0")/lib.sh"

M=$MPICH_HOME_DIR/bin
O=$OMPI_HOME_DIR/bin
state() { echo "${MPICC-unset}|${MPI4PY_BUILD_MPICC-unset}|${MPICXX-unset}|${MPIFC-unset}"; }
mpich_state="$M/mpicc|$M/mpicc|$M/mpicxx|$M/mpifort"
ompi_state="$O/mpicc|$O/mpicc|$O/mpicxx|$O/mpifort"
none_state="unset|unset|unset|unset"

mod load hello;               expect_eq "$(state)" "$none_state" "non-MPI load sets nothing"
expect_empty "$ERR" "non-MPI load prints nothing"
mod load mpich;               expect_eq "$(state)" "$mpich_state" "load mpich"
expect_empty "$ERR" "healthy load prints nothing"
mod load mpich;               expect_eq "$(state)" "$mpich_state" "load again (idempotent)"
mod load openmpi;             expect_eq "$(state)" "$ompi_state" "family auto-swap to openmpi"
mod swap openmpi mpich;       expect_eq "$(state)" "$mpich_state" "swap openmpi mpich"
mod unload mpich;             expect_eq "$(state)" "$none_state" "unload"
mod load openmpi hello;       expect_eq "$(state)" "$ompi_state" "load two modules"
mod purge;                    expect_eq "$(state)" "$none_state" "purge"
mod load mpich;               mod save;
mod purge;                    expect_eq "$(state)" "$none_state" "purge before restore"
mod restore;                  expect_eq "$(state)" "$mpich_state" "restore"
mod update;                   expect_eq "$(state)" "$mpich_state" "update"
mod reload;                   expect_eq "$(state)" "$mpich_state" "reload"
mod load hello;               expect_eq "$(state)" "$mpich_state" "unrelated load keeps MPICC"
mod purge

# A user's own MPICC: replaced while an MPI is loaded, back afterwards.
export MPICC=/home/me/bin/my-mpicc
mod load mpich;               expect_eq "$MPICC" "$M/mpicc" "user MPICC replaced on load"
mod load openmpi;             expect_eq "$MPICC" "$O/mpicc" "user MPICC replaced on swap"
mod unload openmpi;           expect_eq "$MPICC" "/home/me/bin/my-mpicc" "user MPICC back after unload"
expect_eq "${MPI4PY_BUILD_MPICC-unset}" "unset" "MPI4PY_BUILD_MPICC gone"
mod load mpich; mod purge;    expect_eq "$MPICC" "/home/me/bin/my-mpicc" "user MPICC back after purge"
# The user changes MPICC while an MPI is loaded: theirs stays after unload.
mod load mpich
export MPICC=/home/me/bin/other
mod load hello;               expect_eq "$MPICC" "/home/me/bin/other" "user's later MPICC kept"
mod unload mpich;             expect_eq "$MPICC" "/home/me/bin/other" "user's later MPICC kept after unload"
unset MPICC
env | grep -q '^__MPIGUARD_' && fail "bookkeeping variables left: $(env | grep '^__MPIGUARD_')"

# One bookkeeping variable, not one per export (each setenv costs Lmod on load and on purge).
mod load mpich
expect_eq "$(env | grep -c '^__MPIGUARD_')" 1 "one bookkeeping variable while an MPI is loaded"
expect_eq "${__MPIGUARD_SET-unset}" "MPICC=$M/mpicc:MPI4PY_BUILD_MPICC=$M/mpicc:MPICXX=$M/mpicxx:MPIFC=$M/mpifort" \
    "the marker holds what mpiguard set"
mod purge
# A session that loaded an MPI under an earlier mpiguard (one __MPIGUARD_SET_<VAR> each) unloads
# cleanly after the upgrade: the old markers are read, the values go, and so do the markers.
export MPICC=$M/mpicc MPI4PY_BUILD_MPICC=$M/mpicc MPICXX=$M/mpicxx MPIFC=$M/mpifort
export __MPIGUARD_SET_MPICC=$M/mpicc __MPIGUARD_SET_MPI4PY_BUILD_MPICC=$M/mpicc \
    __MPIGUARD_SET_MPICXX=$M/mpicxx __MPIGUARD_SET_MPIFC=$M/mpifort __MPIGUARD_USER_MPICXX=/home/me/bin/my-mpicxx
mod load hello;               expect_eq "$(state)" "unset|unset|/home/me/bin/my-mpicxx|unset" "old markers: values given back"
expect_eq "$(env | grep '^__MPIGUARD_' | tr '\n' ' ')" "" "old markers: all gone"
unset MPICXX
mod purge
# Paths with ':' and '%' go through the marker and come back out unchanged.
mkdir -p "$T/we:ird%3A/bin" "$T/base/modulefiles/debian/weirdmpi"
for w in mpicc mpicxx mpifort mpiexec; do ln -sf "/usr/bin/$w.mpich" "$T/we:ird%3A/bin/$w"; done
cat > "$T/base/modulefiles/debian/weirdmpi/1.lua" <<EOF
family("MPI")
setenv("MPI_HOME", "$T/we:ird%3A")
prepend_path("PATH", "$T/we:ird%3A/bin")
prepend_path("LD_LIBRARY_PATH", "$MPICH_HOME_DIR/lib")
EOF
mod load weirdmpi;            expect_eq "$MPICC" "$T/we:ird%3A/bin/mpicc" "a wrapper path with ':' and '%' exported"
export MPICC=/home/me/bin/later
mod unload weirdmpi;          expect_eq "$MPICC" "/home/me/bin/later" "... and told apart from the user's later value"
expect_eq "${MPICXX-unset}" "unset" "... and unset on unload"
unset MPICC
mod purge

# A user value full of shell syntax is saved and restored exactly, never evaluated.
weird='/x y/mpicc;$(touch '"$T"'/pwned) `touch '"$T"'/pwned2` "q" '"'"'s'"'"' \ end'
export MPICC=$weird
mod load mpich;               expect_eq "$MPICC" "$M/mpicc" "shell-syntax MPICC replaced"
mod unload mpich;             expect_eq "$MPICC" "$weird" "shell-syntax MPICC restored exactly"
[ -e "$T/pwned" ] || [ -e "$T/pwned2" ] && fail "a user value was evaluated by the shell"
unset MPICC

# A user value with a newline is replaced, not kept, and the one line says for which module.
export MPICXX=$'/x\nrm -rf y'
mod load mpich
expect_eq "$MPICXX" "$M/mpicxx" "MPICXX with a newline replaced"
expect_grep "your MPICXX held a control character (a newline?): replaced by mpich/4.0.2's" "$ERR" \
    "MPICXX with a newline: the line names the module"
mod unload mpich;             expect_eq "${MPICXX:-unset}" "unset" "MPICXX with a newline: not given back"
unset MPICXX

# Policy: export off.
printf '[general]\nexport_mpicc = no\n' > "$POLICY"
mod load mpich;               expect_eq "$(state)" "$none_state" "export_mpicc = no"
mod purge
finish
