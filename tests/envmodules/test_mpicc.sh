#!/bin/bash
# MPICC & co. follow the loaded MPI after every kind of module command on Environment Modules,
# with the Lmod hooks' rules and marker variables, and a user's own MPICC survives and comes
# back. No env is active: nothing may be printed (but for another MPI's MPICC when the policy
# does not export).
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
expect_eq "${__MPIGUARD_SET-unset}" "MPICC=$M/mpicc:MPI4PY_BUILD_MPICC=$M/mpicc:MPICXX=$M/mpicxx:MPIFC=$M/mpifort" "one marker variable, as the Lmod hooks'"
mod load mpich;               expect_eq "$(state)" "$mpich_state" "load again (idempotent)"
mod switch mpich openmpi;     expect_eq "$(state)" "$ompi_state" "switch mpich openmpi"
mod unload openmpi;           expect_eq "$(state)" "$none_state" "unload"
mod load openmpi hello;       expect_eq "$(state)" "$ompi_state" "load two modules"
mod purge;                    expect_eq "$(state)" "$none_state" "purge"
mod load mpich;               mod save mpg
mod purge;                    expect_eq "$(state)" "$none_state" "purge before restore"
mod restore mpg;              expect_eq "$(state)" "$mpich_state" "restore"
mod reload;                   expect_eq "$(state)" "$mpich_state" "reload"
mod refresh;                  expect_eq "$(state)" "$mpich_state" "refresh"
mod load hello;               expect_eq "$(state)" "$mpich_state" "unrelated load keeps MPICC"
mod purge
mod ml mpich
expect_eq "$(state)" "$mpich_state" "ml mpich"
mod ml -mpich
expect_eq "$(state)" "$none_state" "ml -mpich"

# A user's own MPICC: replaced while an MPI is loaded, back afterwards.
export MPICC=/home/me/bin/my-mpicc
mod load mpich;               expect_eq "$MPICC" "$M/mpicc" "user MPICC replaced on load"
mod switch mpich openmpi;     expect_eq "$MPICC" "$O/mpicc" "user MPICC replaced on switch"
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

# Another MPI's MPICC, about to be replaced by the module's: the check sees the value the load
# exports, so there is nothing to report (it is reported when the policy does not export).
export MPICC=/usr/bin/mpicc.openmpi
mod load mpich;               expect_eq "$MPICC" "$M/mpicc" "another MPI's MPICC replaced on load"
expect_nogrep MPICC_MISMATCH "$ERR" "... and not reported: the check saw the value about to be exported"
mod unload mpich;             expect_eq "$MPICC" "/usr/bin/mpicc.openmpi" "... and back after unload"
printf '[general]\nexport_mpicc = no\n' > "$POLICY"
mod load mpich;               expect_grep MPICC_MISMATCH "$ERR" "... reported when the policy does not export"
mod purge
rm -f "$POLICY"
unset MPICC

# A user value full of shell syntax is saved and restored exactly, never evaluated.
weird='/x y/mpicc;$(touch '"$T"'/pwned) `touch '"$T"'/pwned2` "q" '"'"'s'"'"' \ end {a} [b] $c'
export MPICC=$weird
mod load mpich;               expect_eq "$MPICC" "$M/mpicc" "shell-syntax MPICC replaced"
mod unload mpich;             expect_eq "$MPICC" "$weird" "shell-syntax MPICC restored exactly"
[ -e "$T/pwned" ] || [ -e "$T/pwned2" ] && fail "a user value was evaluated by the shell"
unset MPICC

# Policy: export off.
printf '[general]\nexport_mpicc = no\n' > "$POLICY"
mod load mpich;               expect_eq "$(state)" "$none_state" "export_mpicc = no"
mod purge
rm -f "$POLICY"

# A session left by an earlier mpiguard, whose fragment kept one __MPIGUARD_SET_<VAR> per
# variable: given back on purge, and replaced by the one marker on the next MPI load.
earlier() { # mpich loaded, mpiguard's bookkeeping in the earlier form
    mod load mpich
    unset __MPIGUARD_SET
    export __MPIGUARD_SET_MPICC=$M/mpicc __MPIGUARD_SET_MPI4PY_BUILD_MPICC=$M/mpicc
    export __MPIGUARD_SET_MPICXX=$M/mpicxx __MPIGUARD_SET_MPIFC=$M/mpifort
}
export MPICC=/home/me/bin/my-mpicc
earlier
expect_eq "${__MPIGUARD_USER_MPICC-none}" /home/me/bin/my-mpicc "earlier markers: the user's MPICC kept"
mod purge
expect_eq "$(state)" "/home/me/bin/my-mpicc|unset|unset|unset" "earlier markers: given back on purge"
env | grep -q '^__MPIGUARD_' && fail "earlier markers: bookkeeping left after purge: $(env | grep '^__MPIGUARD_')"
unset MPICC
earlier
mod switch mpich openmpi
expect_eq "$(state)" "$ompi_state" "earlier markers: the next MPI change sets MPICC & co."
expect_eq "$(env | grep -c '^__MPIGUARD_SET_')" 0 "earlier markers: replaced by the one marker"
mod purge;                    expect_eq "$(state)" "$none_state" "earlier markers: nothing left after purge"
env | grep -q '^__MPIGUARD_' && fail "earlier markers: bookkeeping left: $(env | grep '^__MPIGUARD_')"

# Without the Tcl extension the check runs by `mpiguard module-hook`, and the give-back's usual
# case in Tcl (giveBackHere): no fork, so a purge works with `mpiguard` not even runnable.
TCLEXT_SAVED=$TCLEXT
TCLEXT=; siteconfig
bogus() { siteconfig '' "mpiguard $T/no/such/mpiguard"; }
export MPICC=/home/me/bin/my-mpicc
mod load mpich;               expect_eq "$(state)" "$mpich_state" "no extension: load mpich"
bogus; mod purge
expect_eq "$(state)" "/home/me/bin/my-mpicc|unset|unset|unset" "no extension: the user's MPICC back after purge"
expect_empty "$ERR" "no extension: given back in Tcl, mpiguard not run"
env | grep -q '^__MPIGUARD_' && fail "no extension: bookkeeping left: $(env | grep '^__MPIGUARD_')"
siteconfig; mod load mpich
export MPICC=/home/me/bin/other
bogus; mod unload mpich
expect_eq "$(state)" "/home/me/bin/other|unset|unset|unset" "no extension: the user's later MPICC kept after unload"
unset MPICC
siteconfig; export MPICC=$weird; mod load mpich
bogus; mod unload mpich
expect_eq "$MPICC" "$weird" "no extension: shell-syntax MPICC given back exactly"
unset MPICC
# '%' and ':' in what mpiguard set are written %25 and %3A in the marker.
siteconfig; mod load mpich
odd="$T/odd%3A:dir/mpicc"
oddmark() { # the marker, MPICC's value (the first) replaced by $odd, encoded
    export __MPIGUARD_SET="MPICC=$(printf '%s' "$odd" | sed 's/%/%25/g; s/:/%3A/g'):${__MPIGUARD_SET#*:}"
}
export MPICC=$odd; oddmark
bogus; mod purge
expect_eq "$(state)" "$none_state" "no extension: a value with '%' and ':' read back from the marker"
siteconfig; mod load mpich
export MPICC=$odd.mine; oddmark
bogus; mod purge
expect_eq "$(state)" "$odd.mine|unset|unset|unset" "no extension: ... and a different value is the user's"
unset MPICC
# A kept value holding a newline (not one mpiguard keeps: planted): left to `mpiguard
# module-hook --give-back`, which says why.
siteconfig; mod load mpich
export __MPIGUARD_USER_MPICC="/home/me/line
break"
mod purge
expect_eq "$(state)" "$none_state" "no extension: a kept value with a newline is not handed back"
expect_grep "not restoring MPICC: the value kept for it holds a control character" "$ERR" \
    "no extension: ... by module-hook, which says why"
env | grep -q '^__MPIGUARD_' && fail "no extension: bookkeeping left: $(env | grep '^__MPIGUARD_')"
TCLEXT=$TCLEXT_SAVED; siteconfig

# Modules without a family: RHEL's mpi/openmpi-x86_64 (from its openmpi package) and EasyBuild's
# OpenMPI/<version>-<toolchain> are known by name (src/mpi_module.c's list), as on Lmod; a module
# whose name only holds "mpi" (py-mpi4py) is not an MPI.
mkdir -p "$T/base/modulefiles/byname/mpi" "$T/base/modulefiles/byname/OpenMPI" "$T/base/modulefiles/byname/py-mpi4py"
cat > "$T/base/modulefiles/byname/mpi/openmpi-x86_64" <<EOT
#%Module 1.0
conflict mpi
prepend-path PATH $O
prepend-path LD_LIBRARY_PATH $OMPI_HOME_DIR/lib
setenv MPI_BIN $O
setenv MPI_HOME $OMPI_HOME_DIR
EOT
cat > "$T/base/modulefiles/byname/OpenMPI/4.1.4-GCC-12.2.0" <<EOT
#%Module
prepend-path PATH $O
setenv EBROOTOPENMPI $OMPI_HOME_DIR
setenv EBVERSIONOPENMPI 4.1.4
EOT
printf '#%%Module\nsetenv PYMPI 1\n' > "$T/base/modulefiles/byname/py-mpi4py/3.1"
MODULEPATH_SAVED=$MODULEPATH
MODULEPATH=$T/base/modulefiles/byname:$MODULEPATH
mod load mpi/openmpi-x86_64;  expect_eq "$(state)" "$ompi_state" "RHEL's mpi/openmpi-x86_64 (no family): known by name"
mod load py-mpi4py;           expect_eq "$(state)" "$ompi_state" "a non-MPI load after it keeps MPICC & co."
mod unload mpi/openmpi-x86_64; expect_eq "$(state)" "$none_state" "... and its unload gives them back"
mod load OpenMPI/4.1.4-GCC-12.2.0; expect_eq "$(state)" "$ompi_state" "EasyBuild's OpenMPI/4.1.4-GCC-12.2.0: known by name"
mod switch OpenMPI/4.1.4-GCC-12.2.0 mpich; expect_eq "$(state)" "$mpich_state" "switch to mpich"
mod purge;                    expect_eq "$(state)" "$none_state" "purge"
mod load py-mpi4py;           expect_eq "$(state)" "$none_state" "py-mpi4py: not an MPI"
expect_empty "$ERR" "py-mpi4py: nothing printed"
mod purge
MODULEPATH=$MODULEPATH_SAVED

# A Spack-style MPI module exports MPICC itself: that value is the module's, never kept as the
# user's own (it would come back after unload: a wrapper of an MPI no longer loaded). Through
# the Tcl extension and through `mpiguard module-hook`, which both take it from the variables
# written in the command.
mkdir -p "$T/base/modulefiles/spack/openmpi"
cat > "$T/base/modulefiles/spack/openmpi/4.1" <<EOT
#%Module1.0
if {[info commands family] ne {}} { family mpi } ;# 5.1+ (before: mpi_modules names openmpi)
prepend-path PATH $O
prepend-path LD_LIBRARY_PATH $OMPI_HOME_DIR/lib
setenv MPICC $O/mpicc
EOT
MODULEPATH=$T/base/modulefiles/spack:$MODULEPATH
spack() { echo "${MPICC-unset}|${MPI4PY_BUILD_MPICC-unset}|${__MPIGUARD_USER_MPICC-none}"; }
for how in extension command; do
    if [ "$how" = command ]; then TCLEXT=; siteconfig; fi
    mod load openmpi/4.1
    expect_eq "$(spack)" "$O/mpicc|$O/mpicc|none" "$how: Spack module: its own MPICC not kept as the user's"
    mod unload openmpi/4.1
    expect_eq "$(spack)" "unset|unset|none" "$how: Spack module unloaded: its MPICC gone, not given back"
    mod load openmpi/4.1
    mod switch openmpi/4.1 mpich
    expect_eq "$(spack)" "$M/mpicc|$M/mpicc|none" "$how: switch from the Spack module to Debian's mpich"
    mod unload mpich
    expect_eq "$(spack)" "unset|unset|none" "$how: unload after the switch: no stale Spack MPICC"
    export MPICC=/home/me/bin/my-mpicc
    mod load openmpi/4.1
    expect_eq "$(spack)" "$O/mpicc|$O/mpicc|none" "$how: a user's MPICC overwritten by the module itself"
    mod unload openmpi/4.1
    expect_eq "${MPICC-unset}" "unset" "$how: the module's value is not given back as the user's"
    unset MPICC
    env | grep -q '^__MPIGUARD_' && fail "$how: bookkeeping left: $(env | grep '^__MPIGUARD_')"
done
finish
