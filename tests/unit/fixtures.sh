#!/bin/bash
# Builds the unit tests' fixtures in $1: small shared objects and executables compiled against
# Debian's real MPICH (libmpich.so.12) and Open MPI (libmpi.so.40) with chosen RPATH/RUNPATH,
# MPI "installations" and the prefixes the tests lay env shapes on. Run once per test run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
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

# conda's python carries DT_RPATH $ORIGIN/../lib; a venv's or the system's does not. The
# conda fixtures' python is the loader oracle (tests/loader/oracle.c) with that RPATH, so the
# differential check can run it where the env's python is.
$cc -o python_conda "$here/../loader/oracle.c" -ldl -Wl,--disable-new-dtags,-rpath,\$ORIGIN/../lib

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
# A bundled MPICH as conda-forge and PyPI's mpich wheel ship it: SONAME libmpi.so.12 (which
# Debian's libmpich.so.12 does not have), MPICH's version symbols.
printf 'const char MPII_Version_string[] = "4.0.2";\nconst char MPII_Version_device[] = "ch4:ofi";\nint MPI_Get_version(int *v, int *s) { *v = 4; *s = 0; return 0; }\n' > bundled.c
$cc -shared -fPIC -Wl,-soname,libmpi.so.12 -o bundled-libmpi.so.12 bundled.c

# ---- site stacks (FACTS 7): MPI installations laid out as EasyBuild, Spack, HPE Cray PE, Intel
# MPI, HPC-X and MVAPICH lay them out. Vendor libraries that cannot be had here are stand-ins
# compiled with the SONAME and the identifying symbols the real ones carry; Open MPI and MPICH
# are Debian's real libraries behind the vendor's folder names.
stub_lib() { # path soname C-definitions...
    local out=$1 soname=$2; shift 2
    mkdir -p "$(dirname "$out")"
    printf '%s\n' "$@" 'int MPI_Get_version(int *v, int *s) { *v = 3; *s = 1; return 0; }' > "$out.c"
    $cc -shared -fPIC -Wl,-soname,"$soname" -o "$out" "$out.c"
    rm -f "$out.c"
}
wrappers() { # bin-dir family(mpich|openmpi) names...
    local bin=$1 fam=$2; shift 2
    mkdir -p "$bin"
    for w in "$@"; do ln -sf "/usr/bin/$w.$fam" "$bin/$w"; done
}
# HPE Cray PE: cray-mpich 8.1.28 for PrgEnv-gnu 12.3 (SONAME libmpi_gnu_123.so.12, MPICH 3.4a2
# inside), libmpich.so a link to it; cray-mpich-abi's lib-abi-mpich/libmpi.so.12.
cray=stacks/opt/cray/pe/mpich/8.1.28/ofi/gnu/12.3
stub_lib $cray/lib/libmpi_gnu_123.so.12.0.0 libmpi_gnu_123.so.12 \
    'const char MPII_Version_string[] = "3.4a2";' 'const char MPII_Version_device[] = "ch4:ofi";'
ln -sf libmpi_gnu_123.so.12.0.0 $cray/lib/libmpi_gnu_123.so.12
ln -sf libmpi_gnu_123.so.12 $cray/lib/libmpi_gnu_123.so
ln -sf libmpi_gnu_123.so $cray/lib/libmpich.so
stub_lib $cray/lib-abi-mpich/libmpi.so.12.0.0 libmpi.so.12 \
    'const char MPII_Version_string[] = "3.4a2";' 'const char MPII_Version_device[] = "ch4:ofi";'
ln -sf libmpi.so.12.0.0 $cray/lib-abi-mpich/libmpi.so.12
mkdir -p $cray/bin && printf '#!/bin/sh\necho "MPICH Version: 3.4a2"\n' > $cray/bin/mpichversion && chmod 755 $cray/bin/mpichversion
# Intel MPI 2021.10 (lib/release) and 2021.11+ (lib): I_MPI_Check_image_status identifies it.
for v in 2021.10.0:lib/release 2021.13.1:lib; do
    d=stacks/opt/intel/oneapi/mpi/${v%%:*}
    stub_lib $d/${v#*:}/libmpi.so.12.0.0 libmpi.so.12 'int I_MPI_Check_image_status(void) { return 0; }' \
        'const char MPII_Version_string[] = "3.4a2";'
    ln -sf libmpi.so.12.0.0 $d/${v#*:}/libmpi.so.12
    wrappers $d/bin mpich mpicc mpicxx mpifort mpiexec
done
# EasyBuild: OpenMPI/4.1.4-GCC-12.2.0 (real Open MPI), impi/2021.9.0-intel-compilers-2023.1.0
# whose I_MPI_ROOT is <EBROOTIMPI>/mpi/2021.9.0.
eb=stacks/apps/software
mkdir -p $eb/OpenMPI/4.1.4-GCC-12.2.0/lib
ln -sf "$syslib/libmpi.so.40" $eb/OpenMPI/4.1.4-GCC-12.2.0/lib/libmpi.so.40
wrappers $eb/OpenMPI/4.1.4-GCC-12.2.0/bin openmpi mpicc mpicxx mpifort mpiexec mpirun
ebimpi=$eb/impi/2021.9.0-intel-compilers-2023.1.0/mpi/2021.9.0
stub_lib $ebimpi/lib/release/libmpi.so.12.0.0 libmpi.so.12 'int I_MPI_Check_image_status(void) { return 0; }'
ln -sf libmpi.so.12.0.0 $ebimpi/lib/release/libmpi.so.12
wrappers $ebimpi/bin mpich mpicc mpicxx mpifort mpiexec
# Spack: hashed prefixes, modules that set PATH (no LD_LIBRARY_PATH) and MPICC themselves.
sp=stacks/spack/opt/spack/linux-debian12-x86_64/gcc-12.2.0
mkdir -p $sp/openmpi-4.1.4-qwertyuiopasdfg/lib $sp/mpich-4.0.2-zxcvbnmlkjhgfds/lib
ln -sf "$syslib/libmpi.so.40" $sp/openmpi-4.1.4-qwertyuiopasdfg/lib/libmpi.so.40
wrappers $sp/openmpi-4.1.4-qwertyuiopasdfg/bin openmpi mpicc mpicxx mpifort mpiexec mpirun
ln -sf "$syslib/libmpich.so.12" $sp/mpich-4.0.2-zxcvbnmlkjhgfds/lib/libmpich.so.12
ln -sf "$syslib/libmpich.so.12" $sp/mpich-4.0.2-zxcvbnmlkjhgfds/lib/libmpi.so.12
wrappers $sp/mpich-4.0.2-zxcvbnmlkjhgfds/bin mpich mpicc mpicxx mpifort mpiexec
# NVIDIA HPC-X: Open MPI under $HPCX_DIR/ompi.
mkdir -p stacks/opt/hpcx-v2.17.1/ompi/lib
ln -sf "$syslib/libmpi.so.40" stacks/opt/hpcx-v2.17.1/ompi/lib/libmpi.so.40
wrappers stacks/opt/hpcx-v2.17.1/ompi/bin openmpi mpicc mpicxx mpifort mpiexec mpirun
# MVAPICH2 2.3.7: MPICH ABI, device ch3:mrail.
stub_lib stacks/opt/mvapich2-2.3.7/lib/libmpi.so.12.1.1 libmpi.so.12 \
    'const char MPII_Version_string[] = "2.3.7";' 'const char MPII_Version_device[] = "ch3:mrail";'
ln -sf libmpi.so.12.1.1 stacks/opt/mvapich2-2.3.7/lib/libmpi.so.12
wrappers stacks/opt/mvapich2-2.3.7/bin mpich mpicc mpicxx mpifort mpiexec
# Extensions built by each stack's compiler: Cray's cc links libmpi_gnu_123.so.12.
build_ext ext_cray.so "-L$cray/lib -lmpi_gnu_123" ""
build_ext ext_ompi_rpath_spack.so "-L$syslib -lmpi" "-Wl,--enable-new-dtags,-rpath,$out/$sp/openmpi-4.1.4-qwertyuiopasdfg/lib"

# ---- mpi4py >= 4.1 wheels: the per-ABI extensions and the libraries their search finds --------
# A full MPICH install (libmpi.so -> libmpi.so.12, as MPICH's make install lays it out).
mkdir -p mpich-full/lib mpich-full/bin
sed 's/4.0.2/4.1.2/' bundled.c > full.c
$cc -shared -fPIC -Wl,-soname,libmpi.so.12 -o mpich-full/lib/libmpi.so.12.4.2 full.c
ln -sf libmpi.so.12.4.2 mpich-full/lib/libmpi.so.12
ln -sf libmpi.so.12 mpich-full/lib/libmpi.so
wrappers mpich-full/bin mpich mpicc mpicxx mpifort mpiexec
# The MPI 5 standard ABI (libmpi_abi.so.1) and the wheel's MPI.mpiabi extension.
stub_lib abi/libmpi_abi.so.1 libmpi_abi.so.1 'int MPI_Abi_get_version(int *a, int *b) { *a = 1; *b = 0; return 0; }'
build_ext ext_mpiabi.so "-Labi -l:libmpi_abi.so.1" ""
# A library named like the search's first candidate that is not an MPI (no MPI_Get_version),
# and one whose own dependency is missing.
$cc -shared -fPIC -Wl,-soname,libnotmpi.so.0 -o notmpi.so ext.c
mkdir -p dep && $cc -shared -fPIC -Wl,-soname,libgone.so.1 -o dep/libgone.so.1 ext.c
$cc -shared -fPIC -Wl,-soname,libmpi.so.12 -o needs-gone-libmpi.so.12 full.c -Wl,--no-as-needed -Ldep -l:libgone.so.1

# ---- public user reports (test_reports.c) ------------------------------------------------------
# anaconda-issues#1310: Anaconda's 2016 mpich2 1.4.1p1 (libmpich.so.3) and an mpi4py built by
# conda-build against it (RPATH $ORIGIN/../../..).
stub_lib reports/mpich2/libmpich.so.3 libmpich.so.3 'const char MPIR_Version_string[] = "1.4.1p1";' \
    'const char MPIR_Version_device[] = "ch3:nemesis";'
build_ext ext_mpich2_condarpath.so "-Lreports/mpich2 -l:libmpich.so.3" "-Wl,--disable-new-dtags,-rpath,\$ORIGIN/../../.."
# mpi4py#570: an mpi4py built against Open MPI 5 (it uses ompi_mpi_errors_abort, new in 5.0).
mkdir -p reports/ompi5
printf 'const char ompi_version_string[] = "5.0.3";\nint ompi_mpi_comm_world;\nint ompi_mpi_errors_abort;\nint MPI_Get_version(int *v, int *s) { *v = 3; *s = 1; return 0; }\n' > reports/ompi5/o.c
$cc -shared -fPIC -Wl,-soname,libmpi.so.40 -o reports/ompi5/libmpi.so.40 reports/ompi5/o.c
printf 'extern int ompi_mpi_errors_abort;\nint *mpg_handler(void) { return &ompi_mpi_errors_abort; }\n' > ompi5ext.c
$cc -shared -fPIC -o ext_ompi5.so ompi5ext.c -Wl,--no-as-needed -Lreports/ompi5 -l:libmpi.so.40
# RHEL/Fedora's MPI modules (mpi/mpich-x86_64, mpi/openmpi-x86_64) over /usr/lib64/<mpi>.
stub_lib reports/usr/lib64/mpich/lib/libmpi.so.12 libmpi.so.12 'const char MPII_Version_string[] = "3.3.2";' \
    'const char MPII_Version_device[] = "ch3:nemesis";'
wrappers reports/usr/lib64/mpich/bin mpich mpicc mpicxx mpifort mpiexec
mkdir -p reports/usr/lib64/openmpi/lib
ln -sf "$syslib/libmpi.so.40" reports/usr/lib64/openmpi/lib/libmpi.so.40
wrappers reports/usr/lib64/openmpi/bin openmpi mpicc mpicxx mpifort mpiexec mpirun
# conda-forge/mpich-feedstock#132: conda-forge's own MPICH 4.3 (ch4:ofi) in an env.
stub_lib reports/cf-mpich-4.3.2.so libmpi.so.12 'const char MPII_Version_string[] = "4.3.2";' \
    'const char MPII_Version_device[] = "ch4:ofi";'
# firedrake#2980: the MPICH PETSc built for a Firedrake venv.
mkdir -p reports/petsc/default/lib reports/petsc/default/bin
ln -sf "$syslib/libmpich.so.12" reports/petsc/default/lib/libmpich.so.12
ln -sf /usr/bin/mpiexec.mpich reports/petsc/default/bin/mpiexec
build_ext ext_ompi_condarpath.so "-L$syslib -lmpi" "-Wl,--disable-new-dtags,-rpath,\$ORIGIN/../../.."
build_ext ext_mpich_rpath_petsc.so "-L$syslib -lmpich" "-Wl,--disable-new-dtags,-rpath,$out/reports/petsc/default/lib"
touch .done
