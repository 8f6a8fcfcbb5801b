#!/bin/bash
# The main job, from a fresh Debian 12 machine: installs what is missing, builds, then shows
# mpiguard on real mismatched envs built from Debian's packages.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash dev/setup.sh
mpiguard=$top/_build/src/mpiguard
demo=$top/_build/demo
rm -rf "$demo"
mkdir -p "$demo"

# A "site MPICH module" made of Debian's MPICH, as the reference modulefile sets it up.
mkdir -p "$demo/mpich/bin"
for w in mpicc mpicxx mpifort mpiexec; do ln -s "/usr/bin/$w.mpich" "$demo/mpich/bin/$w"; done
/usr/bin/python3 -m venv --without-pip --system-site-packages "$demo/venv"

echo "# A venv that sees Debian's python3-mpi4py (built for Open MPI), with the MPICH module loaded:"
echo "\$ mpiguard check"
set +e
env VIRTUAL_ENV="$demo/venv" PATH="$demo/mpich/bin:$demo/venv/bin:$PATH" LMOD_FAMILY_MPI=mpich \
    LMOD_FAMILY_MPI_VERSION=4.0.2 MPI_HOME="$demo/mpich" LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu \
    "$mpiguard" check
echo "(exit status $?)"
set -e
