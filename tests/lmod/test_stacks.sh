#!/bin/bash
# Site stacks whose MPI modules say neither family("MPI") nor MPI_HOME, through real Lmod:
# Spack's generated modules (family("mpi") in lower case, or no family at all; PATH only, no
# LD_LIBRARY_PATH; MPICC exported by the module itself) and an EasyBuild module (EBROOT*).
# The hooks must notice the MPI (check on load, MPICC & co. exported), and must not take the
# module's own MPICC for the user's: after unload it is gone, not "restored".
. "$(dirname "$0")/lib.sh"

SP=$T/spack/opt/spack/linux-debian12-x86_64/gcc-12.2.0
OMPI=$SP/openmpi-4.1.4-qwertyuiopasdfg
MPICH=$SP/mpich-4.0.2-zxcvbnmlkjhgfds
mkdir -p "$OMPI/bin" "$OMPI/lib" "$MPICH/bin" "$MPICH/lib" "$T/spackmods/openmpi" "$T/spackmods/mpich"
for w in mpicc mpicxx mpifort mpiexec; do
    ln -s "/usr/bin/$w.openmpi" "$OMPI/bin/$w"
    ln -s "/usr/bin/$w.mpich" "$MPICH/bin/$w"
done
ln -s /usr/lib/x86_64-linux-gnu/libmpi.so.40 "$OMPI/lib/libmpi.so.40"
ln -s /usr/lib/x86_64-linux-gnu/libmpich.so.12 "$MPICH/lib/libmpich.so.12"
# What `spack module lmod refresh` writes for an MPI provider in a hierarchy (family "mpi"),
# and a Tcl-style module without any family.
cat > "$T/spackmods/openmpi/4.1.4.lua" <<LUA
family("mpi")
prepend_path("PATH", "$OMPI/bin", ":")
prepend_path("CMAKE_PREFIX_PATH", "$OMPI", ":")
setenv("MPICC", "$OMPI/bin/mpicc")
setenv("MPICXX", "$OMPI/bin/mpicxx")
LUA
cat > "$T/spackmods/mpich/4.0.2-gcc-12.2.0-zxcvbnm.lua" <<LUA
prepend_path("PATH", "$MPICH/bin", ":")
setenv("MPICC", "$MPICH/bin/mpicc")
setenv("MPICXX", "$MPICH/bin/mpicxx")
LUA
export MODULEPATH=$T/spackmods
state() { echo "${MPICC-unset}|${MPI4PY_BUILD_MPICC-unset}|${__MPIGUARD_USER_MPICC-none}"; }

mod load openmpi
expect_eq "$(state)" "$OMPI/bin/mpicc|$OMPI/bin/mpicc|none" \
    "family(\"mpi\") module: recognised (MPI4PY_BUILD_MPICC set), its own MPICC not saved as the user's"
mod unload openmpi
expect_eq "$(state)" "unset|unset|none" "after unload the module's MPICC is gone, not restored"
mod load mpich/4.0.2-gcc-12.2.0-zxcvbnm
expect_eq "$(state)" "$MPICH/bin/mpicc|$MPICH/bin/mpicc|none" "a module without family, named mpich: recognised"
mod purge
expect_eq "$(state)" "unset|unset|none" "purge"

# Swapping from the Spack module to a module that does not export MPICC itself, then unloading
# it: MPICC must not come back as the Spack module's (a stale wrapper of an unloaded MPI).
export MODULEPATH=$T/spackmods:$T/base/modulefiles/debian
mod load openmpi
mod swap openmpi mpich/4.0.2
expect_eq "${MPICC-unset}" "$MPICH_HOME_DIR/bin/mpicc" "swap to Debian's mpich module"
mod unload mpich
expect_eq "$(state)" "unset|unset|none" "unload after the swap: no stale Spack MPICC handed back"
export MODULEPATH=$T/spackmods

# A user's own MPICC before a Spack module: the module overwrites it (Lmod's setenv); mpiguard
# never hands the module's value back as if it were the user's.
export MPICC=/home/me/bin/my-mpicc
mod load openmpi
expect_eq "$(state)" "$OMPI/bin/mpicc|$OMPI/bin/mpicc|none" "user MPICC overwritten by the module itself"
mod unload openmpi
expect_eq "${MPICC-unset}" "unset" "the module's value is not restored as the user's"
unset MPICC

# The check runs on load: Debian's mpi4py (Open MPI) in a venv under the Spack MPICH module.
make_venv "$T/venv"
activate_venv "$T/venv"
mod load mpich/4.0.2-gcc-12.2.0-zxcvbnm
expect_grep "ABI_MISMATCH" "$ERR" "check ran for the family-less Spack module"
expect_grep "MPICC=$MPICH/bin/mpicc python -m pip install" "$ERR" "fix names the module's mpicc"
mod purge
mod load openmpi
expect_empty "$ERR" "healthy: Debian's Open MPI mpi4py under the Spack Open MPI module"
mod purge

# EasyBuild: no family, EBROOTOPENMPI, an RPATH build without LD_LIBRARY_PATH.
EB=$T/easybuild/software/OpenMPI/4.1.4-GCC-12.2.0
mkdir -p "$EB/bin" "$EB/lib" "$T/ebmods/OpenMPI"
for w in mpicc mpicxx mpifort mpiexec; do ln -s "/usr/bin/$w.openmpi" "$EB/bin/$w"; done
ln -s /usr/lib/x86_64-linux-gnu/libmpi.so.40 "$EB/lib/libmpi.so.40"
cat > "$T/ebmods/OpenMPI/4.1.4-GCC-12.2.0.lua" <<LUA
local root = "$EB"
conflict("OpenMPI")
prepend_path("PATH", pathJoin(root, "bin"))
setenv("EBROOTOPENMPI", root)
setenv("EBVERSIONOPENMPI", "4.1.4")
LUA
export MODULEPATH=$T/ebmods
mod load OpenMPI/4.1.4-GCC-12.2.0
expect_eq "${MPI4PY_BUILD_MPICC-unset}" "$EB/bin/mpicc" "EasyBuild OpenMPI recognised, wrappers from EBROOTOPENMPI"
expect_empty "$ERR" "healthy under EasyBuild's OpenMPI"
# A non-MPI command while an MPI known only by its name is loaded: the hooks find it again (the
# loaded modules are listed when LOADEDMODULES names one that may be an MPI) and keep its exports.
export MODULEPATH=$T/ebmods:$T/base/modulefiles/debian
mod load hello
expect_eq "${MPI4PY_BUILD_MPICC-unset}" "$EB/bin/mpicc" "a later non-MPI load keeps the name-only MPI's exports"
expect_empty "$ERR" "and says nothing"
mod unload OpenMPI
expect_eq "${MPI4PY_BUILD_MPICC-unset}" "unset" "unloading the name-only MPI gives the exports back"
mod purge
finish
