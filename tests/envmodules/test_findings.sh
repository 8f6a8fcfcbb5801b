#!/bin/bash
# Real detection through Environment Modules: findings appear on `module load` for mismatched
# envs, with their codes, on stderr only; healthy shapes and non-MPI modules show nothing.
. "$(dirname "$0")/lib.sh"

# No env at all: nothing.
mod load mpich; rc=$?
expect_eq "$rc" 0 "no env: exit 0"
expect_empty "$ERR" "no env: silent"
# The env activated after the load: the MPI module reloaded checks again (its modulefile
# evaluated in load mode, LOADEDMODULES unchanged).
make_venv "$T/venv"
( activate_venv "$T/venv"
  mod reload
  expect_grep "ABI_MISMATCH" "$ERR" "venv activated after the load, module reload: checked again"
  mod list
  expect_nogrep "ABI_MISMATCH" "$ERR" "then module list: not checked again" )
mod purge

# venv seeing Debian's python3-mpi4py (Open MPI ABI) + the MPICH module: ABI mismatch.
activate_venv "$T/venv"
mod load hello
expect_empty "$ERR" "venv + non-MPI module: silent"
mod load mpich; rc=$?
expect_eq "$rc" 0 "venv + mpich: exit 0 (warn does not fail)"
expect_grep "ABI_MISMATCH" "$ERR" "venv + mpich: ABI_MISMATCH shown"
expect_grep "fix: MPICC=$MPICH_HOME_DIR/bin/mpicc python -m pip install" "$ERR" "venv + mpich: the fix names the module's mpicc"
expect_eq "$(grep -c "^(mpiguard findings for mpich/4.0.2: ABI_MISMATCH=warn; details: mpiguard check)" "$ERR")" 1 \
    "venv + mpich: closing line with module name/version, code and action"
expect_eq "${LOADEDMODULES:-}" "hello/1.0:mpich/4.0.2" "venv + mpich: module loaded"
expect_eq "${MPICC:-}" "$MPICH_HOME_DIR/bin/mpicc" "venv + mpich: MPICC exported"
# Switch to Open MPI, which that mpi4py was built for: healthy, silent.
mod switch mpich openmpi; rc=$?
expect_eq "$rc" 0 "venv + openmpi (switch): exit 0"
expect_nogrep "ABI_MISMATCH" "$ERR" "venv + openmpi: no ABI_MISMATCH"
# Loading the other MPI of the family: Modules 5.2 refuses (conflict); nothing changed, so
# mpiguard has nothing to say.
mod load mpich; rc=$?
expect_eq "$rc" 1 "family conflict: Modules refuses the load"
expect_eq "${LOADEDMODULES:-}" "hello/1.0:openmpi/4.1.4" "family conflict: nothing changed"
expect_nogrep "mpiguard" "$ERR" "family conflict: mpiguard silent"
mod switch openmpi mpich
expect_eq "$(grep -c "^(mpiguard findings for mpich/4.0.2: .*ABI_MISMATCH=warn" "$ERR")" 1 "switch back: shown once, with code and action"
mod save mpg
mod purge
expect_empty "$ERR" "purge: silent"
mod restore mpg
expect_grep "ABI_MISMATCH" "$ERR" "restore: ABI_MISMATCH shown"
mod load hello
expect_empty "$ERR" "unrelated command with a mismatched MPI loaded: silent (checked once, on the MPI change)"
mod list
expect_nogrep "ABI_MISMATCH" "$ERR" "module list: not checked again"
mod purge
unset VIRTUAL_ENV
PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin

# conda env with its own bundled MPICH: the env's MPI wins over the module's.
make_conda_bundled "$T/conda"
activate_conda "$T/conda"
mod load mpich; rc=$?
expect_eq "$rc" 0 "conda bundled + mpich: exit 0"
expect_grep "ENV_BUNDLED_MPI" "$ERR" "conda bundled + mpich: ENV_BUNDLED_MPI shown"
expect_grep "mpi-external\|--no-binary" "$ERR" "conda bundled + mpich: a fix is shown"
mod purge
unset CONDA_PREFIX CONDA_DEFAULT_ENV
PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin

# conda env with an "external" MPICH: nothing on Debian provides libmpi.so.12.
make_conda_external "$T/condaext"
activate_conda "$T/condaext"
mod load mpich; rc=$?
expect_eq "$rc" 0 "conda external + mpich: exit 0"
expect_grep "LIBMPI_NOT_FOUND" "$ERR" "conda external + mpich: LIBMPI_NOT_FOUND shown"
expect_nogrep "ENV_BUNDLED_MPI" "$ERR" "conda external + mpich: not called bundled"
mod purge
finish
