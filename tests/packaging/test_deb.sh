#!/bin/bash
# test_deb.sh: the Debian packages as an admin gets them. From `make distdir` (what a release
# tarball holds): dpkg-buildpackage -us -uc -b with the declared build dependencies, lintian
# (no errors), the package split (libibverbs only behind mpiguard-probe-verbs), then installs
# them on this machine with apt-get (their Depends resolved), and checks: `mpiguard check` in a
# real venv, the man pages, real Lmod enabled through the installed SitePackage.lua and
# reference modulefiles, and the project's Lmod tests against the installed files
# (MPG_INSTALLED=/usr). Purges the packages at the end.
#
# Needs root (it installs packages) and the tools in DEPS; skips, saying why, otherwise. Runs
# in the plain build only (not under ASan, not in distcheck's read-only tree). Numbers (build
# time, sizes, lintian) go to $MPG_TOP_BUILDDIR/tests/packaging/deb-report.txt.
set -u
# Not the make check that runs us: its flags (TESTS=..., -j) must not reach the nested builds.
unset MAKEFLAGS MFLAGS MAKELEVEL
BUILD=${MPG_TOP_BUILDDIR:?}
SRC=${MPG_TOP_SRCDIR:?}
TNAME=test_deb
skip() { echo "SKIP $TNAME: $*" >&2; exit 77; }
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

[ "$(id -u)" = 0 ] || skip "installs packages: run as root (CI does)"
[ -z "${MPG_SAN_CFLAGS:-}" ] || skip "packages are built once, by the plain build's make check"
[ -w "$SRC" ] || skip "read-only source tree (make distcheck): the plain build tests the packages"
for tool in dpkg-buildpackage dh lintian apt-get; do
    command -v $tool > /dev/null || skip "$tool is not installed (tests/packaging/DEPS)"
done
dpkg-checkbuilddeps "$SRC/debian/control" 2> "$BUILD/tests/packaging/builddeps.txt" ||
    skip "build dependencies missing: $(cat "$BUILD/tests/packaging/builddeps.txt")"

T=$(mktemp -d /var/tmp/mpg-deb.XXXXXX)
REPORT=$BUILD/tests/packaging/deb-report.txt
PKGS="libmpiguard0 libmpiguard-dev mpiguard mpiguard-lmod mpiguard-envmodules mpiguard-slurm mpiguard-probe mpiguard-probe-verbs"
installed_here=no
cleanup() {
    if [ $installed_here = yes ]; then
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 purge -y -qq $PKGS > "$T/purge.log" 2>&1 ||
            echo "$TNAME: could not purge the packages: $(tail -3 "$T/purge.log")" >&2
    fi
    rm -rf "$T"
}
trap cleanup EXIT
# One packaging test at a time on this machine (they install the same packages).
exec 9> /var/tmp/mpg-packaging.lock
flock 9

# ---- build -------------------------------------------------------------------------------
dd=mpg-deb-distdir-$$  # automake wants a distdir relative to the build tree
make -s -C "$BUILD" distdir distdir=$dd > "$T/distdir.log" 2>&1 && mv "$BUILD/$dd" "$T/mpiguard-src" ||
    { bad "make distdir: $(tail -5 "$T/distdir.log")"; exit 1; }
start=$(date +%s.%N)
(cd "$T/mpiguard-src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -us -uc -b) > "$T/build.log" 2>&1
rc=$?
secs=$(echo "$(date +%s.%N) - $start" | bc)
if [ $rc = 0 ]; then ok "dpkg-buildpackage -us -uc -b (${secs%.*} s)"; else bad "dpkg-buildpackage failed: $(tail -20 "$T/build.log")"; exit 1; fi
debs=$(ls "$T"/*.deb | grep -v dbgsym)
{
    echo "# Debian packages built $(date -u +%F) in ${secs%.*} s (dpkg-buildpackage -us -uc -b, nocheck, $(nproc) cores)"
    for d in $debs; do
        echo "$(basename "$d") $(stat -c %s "$d") bytes, installed $(dpkg-deb -f "$d" Installed-Size) kB"
    done
} > "$REPORT"

# ---- lint --------------------------------------------------------------------------------
lintian --pedantic -I "$T"/*.changes > "$T/lintian.txt" 2>&1
{ echo "# lintian --pedantic -I"; grep -v 'root privileges' "$T/lintian.txt"; } >> "$REPORT"
if grep -q '^E: ' "$T/lintian.txt"; then bad "lintian errors: $(grep '^E: ' "$T/lintian.txt")"; else
    ok "lintian: no errors ($(grep -c '^W: ' "$T/lintian.txt") warnings, $(grep -c '^I: ' "$T/lintian.txt") info)"; fi

# ---- the split ---------------------------------------------------------------------------
deb() { ls "$T"/"$1"_*.deb; }
for d in $debs; do
    { echo "# $(basename "$d")"; dpkg-deb -f "$d" Depends; dpkg-deb -c "$d" | awk '{print $6 $7 $8}' | grep -v '/$'; } >> "$REPORT"
done
dpkg-deb -f "$(deb mpiguard-probe-verbs)" Depends | grep -q libibverbs1 && ok "mpiguard-probe-verbs depends on libibverbs1" || bad "verbs plug-in without libibverbs1"
for p in libmpiguard0 mpiguard mpiguard-lmod mpiguard-envmodules mpiguard-slurm mpiguard-probe; do
    dpkg-deb -f "$(deb $p)" Depends | grep -q libibverbs && bad "$p depends on libibverbs" || ok "$p does not need libibverbs"
done
dpkg-deb -f "$(deb mpiguard-lmod)" Depends | grep -q '\blmod\b' && ok "mpiguard-lmod depends on lmod" || bad "mpiguard-lmod without lmod"
# Debian's environment-modules conflicts with lmod: the integration must not pull it in.
dpkg-deb -f "$(deb mpiguard-envmodules)" Depends | grep -q 'environment-modules' && bad "mpiguard-envmodules depends on environment-modules" || ok "mpiguard-envmodules installs beside lmod"
# The plugin dlopens libmpiguard (shlibs cannot see it) and must not pull in Slurm itself.
dpkg-deb -f "$(deb mpiguard-slurm)" Depends | grep -q 'libmpiguard0 (= ' && ! dpkg-deb -f "$(deb mpiguard-slurm)" Depends | grep -q slurm &&
    ok "mpiguard-slurm depends on its exact libmpiguard0, not on Slurm" || bad "mpiguard-slurm's Depends: $(dpkg-deb -f "$(deb mpiguard-slurm)" Depends)"
dpkg-deb -c "$(deb mpiguard)" | grep -q spank_mpiguard && bad "the plugin is in mpiguard too" || ok "the plugin is only in mpiguard-slurm"
# The command has the core linked in and loads libjansson by path on first use (shlibs cannot
# see it): it needs libjansson4 named, and not libmpiguard0.
dpkg-deb -f "$(deb mpiguard)" Depends | grep -q 'libjansson4 (>= ' && ! dpkg-deb -f "$(deb mpiguard)" Depends | grep -q libmpiguard0 &&
    ok "mpiguard depends on libjansson4, not on libmpiguard0" || bad "mpiguard's Depends: $(dpkg-deb -f "$(deb mpiguard)" Depends)"

# ---- install (apt resolves Depends) ----------------------------------------------------------
if DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends $debs > "$T/install.log" 2>&1; then
    installed_here=yes
    ok "apt-get install of the eight packages"
else
    bad "apt-get install: $(tail -10 "$T/install.log")"
    exit 1
fi
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
/usr/bin/mpiguard --version | grep -q '^mpiguard ' && ok "/usr/bin/mpiguard runs" || bad "/usr/bin/mpiguard --version"
readelf -d /usr/bin/mpiguard | grep NEEDED | grep -q 'libmpiguard\|libjansson' && bad "/usr/bin/mpiguard names $(readelf -d /usr/bin/mpiguard | grep -o 'lib[a-z]*\.so[.0-9]*' | tr '\n' ' ')" ||
    ok "/usr/bin/mpiguard names neither libmpiguard nor libjansson"
for page in mpiguard mpiguard-policy mpiguard-site; do
    man -w "$page" > /dev/null 2>&1 && ok "man $page" || bad "man $page not found"
done
[ "$(stat -c '%a %U' /usr/libexec/mpiguard/mpiguard-step-check 2>&1)" = "711 root" ] && ls /usr/lib/*/mpiguard/spank_mpiguard.so > /dev/null 2>&1 &&
    ok "the SPANK plugin and its checker (root, 0711)" || bad "plugin checker: $(stat -c '%a %U %n' /usr/libexec/mpiguard/mpiguard-step-check 2>&1)"
echo "load /usr/lib/$arch/mpiguard/tcl/mpiguard_tcl.so Mpiguard; puts [package present mpiguard]" | tclsh > "$T/tcl.out" 2>&1 &&
    grep -q '^[0-9]' "$T/tcl.out" && ok "the packaged Tcl extension loads into tclsh" || bad "Tcl extension: $(head -3 "$T/tcl.out")"
[ -f /usr/share/mpiguard/envmodules/mpiguard.tcl ] && [ -f /usr/share/mpiguard/modulefiles/debian-tcl/mpich/4.0.2 ] &&
    ok "the Environment Modules fragment and Tcl modulefiles are installed" || bad "Environment Modules files missing"
ex=/usr/share/doc/mpiguard-slurm/examples/plugstack-mpiguard.conf
plugin=$(sed -n 's/^required //p' "$ex" 2>/dev/null)
[ -n "$plugin" ] && [ -f "$plugin" ] && nm -D --defined-only "$plugin" | grep -q ' slurm_spank_init$' &&
    ok "the plugstack example names the installed plugin ($plugin)" || bad "plugstack example: '$plugin' from $ex"
[ -e /etc/slurm/plugstack.conf.d/mpiguard.conf ] && bad "installing mpiguard-slurm enabled the plugin" || ok "installing mpiguard-slurm enables nothing"
ldd /usr/libexec/mpiguard/mpiguard-probe | grep -q libibverbs && bad "the probe links libibverbs" || ok "the probe runs without libibverbs"
ldd /usr/libexec/mpiguard/mpiguard-verbs.so | grep -q libibverbs && ok "the verbs plug-in links libibverbs" || bad "verbs plug-in"

/usr/bin/python3 -m venv --without-pip --system-site-packages "$T/venv"
if [ -d /var/lib/mpiguard/debian-mpi/mpich/bin ]; then ok "postinst laid /var/lib/mpiguard/debian-mpi"; else bad "no /var/lib/mpiguard/debian-mpi/mpich"; fi
home=/usr/share/mpiguard/debian-mpi/mpich
env -i HOME="$T" PATH="$home/bin:$T/venv/bin:/usr/bin:/bin" VIRTUAL_ENV="$T/venv" LMOD_FAMILY_MPI=mpich \
    MPI_HOME="$home" LD_LIBRARY_PATH="$home/lib" /usr/bin/mpiguard check > "$T/check.out" 2>&1
rc=$?
[ $rc = 1 ] && grep -q '^mpiguard: warn ABI_MISMATCH' "$T/check.out" && ok "installed mpiguard check: ABI_MISMATCH (exit 1)" ||
    bad "installed mpiguard check: exit $rc, $(cat "$T/check.out")"

# Real Lmod, enabled as mpiguard-site(7) says, with the packaged files only.
env -i HOME="$T" PATH="$T/venv/bin:/usr/bin:/bin" VIRTUAL_ENV="$T/venv" LANG=C.UTF-8 \
    LMOD_PACKAGE_PATH=/usr/share/mpiguard/lmod MODULEPATH=/usr/share/mpiguard/modulefiles/debian \
    /usr/share/lmod/lmod/libexec/lmod bash load mpich > "$T/lmod.out" 2> "$T/lmod.err"
rc=$?
# MPICC: the mpicc in the module's bin folder, named mpicc (Open MPI's wrappers read their own
# name), whichever spelling of that folder (the packaged tree is reached through a symlink).
# Lmod's output evaluated as the `module` function does (the hooks write MPICC & co. as one
# execute{} line, Lmod its own variables in another form: read the value, not the text).
mpicc=$(env -i bash -c '. "$1" >/dev/null 2>&1; printf %s "${MPICC-}"' _ "$T/lmod.out")
grep -q 'mpiguard: warn ABI_MISMATCH' "$T/lmod.err" && [ "${mpicc##*/}" = mpicc ] &&
    [ "$(dirname "${mpicc:-/nonexistent/x}")" -ef /usr/share/mpiguard/debian-mpi/mpich/bin ] && [ $rc = 0 ] &&
    ok "module load mpich through the packaged SitePackage.lua: finding on stderr, MPICC exported" ||
    bad "packaged Lmod integration: exit $rc, MPICC='$mpicc': $(head -c 600 "$T/lmod.err")"

# The project's Lmod tests against the installed hooks, binding and command (run here, not
# through make, so the build tree's own results in tests/lmod stay as they were).
lpass=0 lskip=0
for t in "$SRC"/tests/lmod/test_*.sh; do
    MPG_INSTALLED=/usr MPG_TOP_SRCDIR=$SRC MPG_TOP_BUILDDIR=$BUILD MPG_LMOD_CMD=/usr/share/lmod/lmod/libexec/lmod \
        bash "$t" > "$T/lmodtest.log" 2>&1
    case $? in
    0) lpass=$((lpass + 1)) ;;
    77) lskip=$((lskip + 1)); echo "  $(basename "$t"): $(grep SKIP "$T/lmodtest.log")" ;;
    *) bad "$(basename "$t") against the installed package: $(grep -E '^FAIL' "$T/lmodtest.log" | head -5)" ;;
    esac
done
# every one of them runs against the package: a skip here means the set-up is wrong (the
# tests could not find the installed binding), not that there was nothing to test
[ "$lpass" -gt 0 ] && [ "$lskip" = 0 ] && ok "tests/lmod against the installed package: $lpass passed" ||
    bad "tests/lmod against the installed package: $lpass passed, $lskip skipped"
grep -q "luaext *= *\"/usr/lib/$arch/mpiguard/lua/5.3/mpiguard.so\"" /usr/share/lua/5.3/mpiguard_hooks_register.lua &&
    ok "the installed hooks load the installed binding" || bad "installed hooks name another binding"

# ---- remove ------------------------------------------------------------------------------
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 purge -y -qq $PKGS > "$T/purge.log" 2>&1 && installed_here=no
[ ! -e /var/lib/mpiguard ] && [ ! -e /usr/bin/mpiguard ] && ok "purge leaves nothing behind" || bad "left after purge: $(ls -d /var/lib/mpiguard /usr/bin/mpiguard 2>/dev/null)"
echo "report: $REPORT"
echo "$fails failed"
[ $fails = 0 ]
