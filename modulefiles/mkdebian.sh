#!/bin/sh
# mkdebian.sh DEST: lays out DEST/debian-mpi/{mpich,openmpi} as ordinary MPI install prefixes
# (bin/, lib/, include, share/man/man1) made of symlinks into Debian's packages, so the
# reference modulefiles can put unsuffixed wrappers (mpicc, mpiexec, ...) first on PATH and
# each MPI's own libraries first on LD_LIBRARY_PATH. Debian names them mpicc.mpich,
# mpicc.openmpi, ...; its unsuffixed names are alternatives links that follow Open MPI.
# Idempotent; skips an MPI whose package is not installed.
set -eu
dest=${1:?usage: mkdebian.sh DEST}
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
libdir=/usr/lib/$arch

layout() { # layout MPI SUFFIX LIBGLOB...
    mpi=$1 suffix=$2
    shift 2
    [ -e "/usr/bin/mpicc.$suffix" ] || { echo "mkdebian.sh: $mpi not installed, skipped" >&2; return 0; }
    root=$dest/debian-mpi/$mpi
    mkdir -p "$root/bin" "$root/lib" "$root/share/man/man1"
    for f in /usr/bin/*."$suffix"; do
        name=$(basename "$f" ".$suffix")
        ln -sfn "$f" "$root/bin/$name"
    done
    for g in "$@"; do
        for f in "$libdir"/$g; do
            [ -e "$f" ] && ln -sfn "$f" "$root/lib/$(basename "$f")"
        done
    done
    for f in /usr/share/man/man1/*."$suffix".1.gz; do
        [ -e "$f" ] && ln -sfn "$f" "$root/share/man/man1/$(basename "$f" ".$suffix.1.gz").1.gz"
    done
    [ -d "/usr/include/$arch/$mpi" ] && ln -sfn "/usr/include/$arch/$mpi" "$root/include"
    [ -d "$libdir/$mpi/include" ] && ln -sfn "$libdir/$mpi/include" "$root/include"
    return 0
}

layout mpich mpich 'libmpich*.so.12*'
layout openmpi openmpi 'libmpi.so.40*' 'libmpi_*.so.40*' 'libopen-*.so.40*' 'liboshmem.so.40*'
# MPICH's launcher is installed unsuffixed as mpiexec.hydra; mpiexec.mpich links to it.
# Hydra starts hydra_pmi_proxy from the folder of the mpiexec it was called as: link it too.
if [ -d "$dest/debian-mpi/mpich/bin" ]; then
    for f in /usr/bin/mpichversion /usr/bin/hydra_*; do
        [ -e "$f" ] && ln -sfn "$f" "$dest/debian-mpi/mpich/bin/$(basename "$f")"
    done
fi
