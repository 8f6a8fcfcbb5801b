#!/bin/bash
# Builds the unit tests' fixtures in $1: small shared objects and executables compiled against
# Debian's real MPICH (libmpich.so.12) and Open MPI (libmpi.so.40) with chosen RPATH/RUNPATH,
# MPI "installations" and the prefixes the tests lay env shapes on. Run once per test run.
set -euo pipefail
out=$1
mkdir -p "$out"
cd "$out"
cc=${CC:-cc}
multi=$(${cc} -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
syslib=/usr/lib/$multi
for f in "$syslib/libmpich.so.12" "$syslib/libmpi.so.40"; do
    [ -e "$f" ] || { echo "fixtures: $f missing (apt-get install libmpich-dev libopenmpi-dev)" >&2; exit 1; }
done

printf 'int mpg_fixture_symbol(void) { return 42; }\n' > ext.c
printf 'int main(void) { return 0; }\n' > main.c

# Link-time stand-ins that only carry a SONAME, so an object can need "libmpi.so.12" (the name
# conda's and most sites' MPICH use) although Debian calls its MPICH libmpich.so.12.
mkdir -p stub12
$cc -shared -fPIC -Wl,-soname,libmpi.so.12 -o stub12/libmpi.so ext.c

# ext_<abi>_<how>.so: an "MPI.so" that needs the MPI library of that ABI.
#   mpich: links real libmpich.so.12; mpi12: needs libmpi.so.12; ompi: links real libmpi.so.40
build_ext() { # name needed-flags link-flags
    $cc -shared -fPIC -o "$1" ext.c $3 -Wl,--no-as-needed $2
}
build_ext ext_mpich.so "-L$syslib -lmpich" ""
build_ext ext_ompi.so "-L$syslib -lmpi" ""
build_ext ext_mpi12_condarpath.so "-Lstub12 -lmpi" "-Wl,--disable-new-dtags,-rpath,\$ORIGIN/../../.."
build_ext ext_mpi12.so "-Lstub12 -lmpi" ""
build_ext ext_mpich_rpath_other.so "-L$syslib -lmpich" "-Wl,--disable-new-dtags,-rpath,$out/other-mpich/lib"
build_ext ext_mpich_runpath_other.so "-L$syslib -lmpich" "-Wl,--enable-new-dtags,-rpath,$out/other-mpich/lib"

# An intermediate library that links MPI (like a parallel HDF5), and an extension needing it.
mkdir -p hdf5/lib
$cc -shared -fPIC -Wl,-soname,libhdf5_fixture.so.1 -o hdf5/lib/libhdf5_fixture.so.1 ext.c -Wl,--no-as-needed -L"$syslib" -lmpi
ln -sf libhdf5_fixture.so.1 hdf5/lib/libhdf5_fixture.so
$cc -shared -fPIC -o ext_h5py.so ext.c -Wl,--no-as-needed -Lhdf5/lib -lhdf5_fixture -Wl,--enable-new-dtags,-rpath,"$out/hdf5/lib"

# conda's python carries DT_RPATH $ORIGIN/../lib; a venv's or the system's does not.
$cc -o python_conda main.c -Wl,--disable-new-dtags,-rpath,\$ORIGIN/../lib

# MPI installations. "mpich-module": what a site's MPICH module provides (libmpi.so.12 and
# libmpich.so.12, both real MPICH, and its wrappers). "mpich-debian": Debian's names only.
# "openmpi-module": Debian's Open MPI. "other-mpich": a second MPICH build (a copy).
mkdir -p mpich-module/lib mpich-module/bin mpich-debian/bin openmpi-module/bin other-mpich/lib
ln -sf "$syslib/libmpich.so.12" mpich-module/lib/libmpi.so.12
ln -sf "$syslib/libmpich.so.12" mpich-module/lib/libmpich.so.12
for w in mpicc mpicxx mpifort mpiexec; do
    ln -sf "/usr/bin/$w.mpich" "mpich-module/bin/$w"
    ln -sf "/usr/bin/$w.mpich" "mpich-debian/bin/$w"
done
for w in mpicc mpicxx mpifort mpiexec mpirun; do ln -sf "/usr/bin/$w.openmpi" "openmpi-module/bin/$w"; done
cp "$(readlink -f "$syslib/libmpich.so.12")" other-mpich/lib/libmpich.so.12
# A bundled conda MPICH: conda ships libmpi.so.12; real MPICH code under that name.
cp "$(readlink -f "$syslib/libmpich.so.12")" bundled-libmpi.so.12
touch .done
