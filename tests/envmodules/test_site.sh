#!/bin/bash
# A site with its own siteconfig.tcl enables mpiguard with one line and keeps its own code
# (traces on the same procedures, before or after that line); a site whose MPI modulefiles
# lack `family MPI` names them in mpiguard::setup; sourcing the file twice is harmless.
. "$(dirname "$0")/lib.sh"

site_tcl='proc ::siteAfterMod {cmd code res op} { if {[currentState mode] eq {load}} { puts stderr "SITE-LOAD [lindex $cmd 2]" } }
proc ::siteBeforeRender {cmd op} { puts stderr SITE-RENDER }
trace add execution execute-modulefile leave ::siteAfterMod
trace add execution renderSettings enter ::siteBeforeRender'

# Site code before mpiguard's line.
siteconfig "$site_tcl"
mod load mpich
expect_grep "SITE-LOAD mpich/4.0.2" "$ERR" "before: site trace kept"
expect_grep "SITE-RENDER" "$ERR" "before: site render trace kept"
expect_eq "${MPICC:-}" "$MPICH_HOME_DIR/bin/mpicc" "before: mpiguard runs too"
mod purge

# Site code after it, and the file sourced twice.
cat > "$T/site/siteconfig.tcl" <<EOF2
source {$T/site/mpiguard.tcl}
mpiguard::setup mpiguard {$MPIGUARD} policy_file {$POLICY} $EM_SETUP
source {$T/site/mpiguard.tcl}
$site_tcl
EOF2
mod load mpich; rc=$?
expect_eq "$rc" 0 "after, sourced twice: exit 0"
expect_grep "SITE-LOAD mpich/4.0.2" "$ERR" "after: site trace kept"
expect_eq "${MPICC:-}" "$MPICH_HOME_DIR/bin/mpicc" "after: mpiguard runs too"
mod purge
expect_eq "${MPICC-unset}" "unset" "after: MPICC gone after purge"

# An MPI modulefile without `family MPI` and with a name mpiguard does not know (known names,
# such as impi or mpi/openmpi-x86_64, are seen anyway: test_mpicc), named in mpi_modules.
mkdir -p "$T/base/modulefiles/debian-tcl/ourmpi"
printf '#%%Module1.0\nsetenv MPI_HOME %s\nprepend-path PATH %s/bin\n' "$MPICH_HOME_DIR" "$MPICH_HOME_DIR" \
    > "$T/base/modulefiles/debian-tcl/ourmpi/2021"
siteconfig '' 'mpi_modules {ourmpi}'
mod load ourmpi
expect_eq "${MPICC:-}" "$MPICH_HOME_DIR/bin/mpicc" "mpi_modules: MPICC for a module without family"
mod unload ourmpi
expect_eq "${MPICC-unset}" "unset" "mpi_modules: MPICC gone after unload"
siteconfig
mod load ourmpi
expect_eq "${MPICC-unset}" "unset" "without mpi_modules such a module is not seen"
mod purge

# The shipped fragment has its install paths substituted.
expect_nogrep '@bindir@\|@POLICY_FILE@' "$BUILD/site/mpiguard.tcl" "shipped mpiguard.tcl: paths substituted"
# Modules' own commands are untouched: help, an unknown command.
mod frobnicate; rc=$?
expect_eq "$rc" 1 "an unknown command still fails as before"
expect_grep "Invalid command 'frobnicate'" "$ERR" "Modules' own message"
finish
