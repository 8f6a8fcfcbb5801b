#!/bin/bash
# The main job, from a fresh Debian 12 machine: installs what is missing, builds, then shows
# mpiguard through real Lmod on a real mismatched env: a venv that sees Debian's python3-mpi4py
# (built for Open MPI) gets the MPICH module loaded; then `module test-mpi` measures it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash dev/setup.sh
build=$top/_build
demo=$build/demo
rm -rf "$demo"
mkdir -p "$demo/site" "$demo/home"

# The site: reference modulefiles over Debian's MPICH and Open MPI, and a SitePackage.lua that
# enables mpiguard with one line (the paths point into the build tree instead of an install).
mkdir -p "$demo/base/modulefiles"
cp -r modulefiles/debian "$demo/base/modulefiles/"
sh modulefiles/mkdebian.sh "$demo/base" 2>/dev/null
cat > "$demo/site/SitePackage.lua" <<LUA
local path = package.path
package.path = "$build/site/?.lua;" .. path
require("mpiguard_hooks").setup{ luaext = "$build/luaext/.libs/mpiguard.so",
                                 mpiguard = "$build/src/mpiguard", policy_file = "$demo/policy.conf" }
package.path = path
LUA
/usr/bin/python3 -m venv --without-pip --system-site-packages "$demo/venv"

cat > "$demo/session.sh" <<SH
set +e
source /usr/share/lmod/lmod/init/bash
export MODULEPATH=$demo/base/modulefiles/debian LMOD_PACKAGE_PATH=$demo/site HOME=$demo/home
export MPIGUARD_PROBE=$build/src/mpiguard-probe MPIGUARD_MPI4PY_BW=$top/share/mpiguard/mpi4py_bw.py
show() { printf '\n\$ %s\n' "\$*"; eval "\$@"; echo "(exit status \$?)"; }
source $demo/venv/bin/activate
echo "# A venv that sees Debian's python3-mpi4py, which is built for Open MPI."
show module load mpich
show 'echo MPICC=\$MPICC'
show module test-mpi
echo
echo "# Now the MPI that mpi4py was built for: nothing to report, and the legs agree."
show module swap mpich openmpi
show module test-mpi quick
SH
env -i PATH=/usr/local/bin:/usr/bin:/bin TERM="${TERM:-dumb}" USER="$(id -un)" bash "$demo/session.sh"
