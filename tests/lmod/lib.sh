# lib.sh: shared set-up for the Lmod integration tests (sourced, bash).
#
# Each test re-executes itself under `env -i` with a fresh HOME, lays out a module tree with
# the reference modulefiles (and Debian's MPIs behind them), a SitePackage.lua that enables
# mpiguard's hooks with a test policy, and offers `mod ARGS...`: runs `$LMOD_CMD bash ARGS`,
# checks that its stdout is valid shell, evaluates it, and keeps stderr in $ERR.
# Environment from `make check` (tests/lmod/Makefile.am): MPG_TOP_SRCDIR, MPG_TOP_BUILDDIR,
# MPG_LMOD_CMD. Exit status: 0 pass, 1 fail, 77 skipped (reason on stderr).

if [ -z "${MPG_CLEAN:-}" ]; then
    here=$(cd "$(dirname "$0")" && pwd)
    exec env -i MPG_CLEAN=1 PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
        LANG=C.UTF-8 USER="$(id -un)" LOGNAME="$(id -un)" SHELL=/bin/bash \
        MPG_TOP_SRCDIR="${MPG_TOP_SRCDIR:-$here/../..}" \
        MPG_TOP_BUILDDIR="${MPG_TOP_BUILDDIR:-$here/../..}" \
        MPG_LMOD_CMD="${MPG_LMOD_CMD:-/usr/share/lmod/lmod/libexec/lmod}" \
        MPG_KEEP="${MPG_KEEP:-}" MPG_LUAEXT="${MPG_LUAEXT:-}" \
        bash "$0" "$@"
fi
set -u

SRC=$MPG_TOP_SRCDIR
BUILD=$MPG_TOP_BUILDDIR
LMOD_CMD=$MPG_LMOD_CMD
export LMOD_CMD
LUAEXT=${MPG_LUAEXT:-$BUILD/luaext/.libs/mpiguard.so}
HOOKS_DIR=$BUILD/site
FAILS=0
TNAME=$(basename "$0" .sh)

skip() { echo "SKIP $TNAME: $*" >&2; exit 77; }
fail() { echo "FAIL $TNAME: $*" >&2; FAILS=$((FAILS + 1)); }
pass() { echo "ok   $TNAME: $*"; }

[ -x "$LMOD_CMD" ] || skip "no Lmod at $LMOD_CMD (apt-get install lmod)"
[ -f "$LUAEXT" ] || skip "no built Lua binding at $LUAEXT (run make first)"
[ -f "$HOOKS_DIR/mpiguard_hooks.lua" ] || skip "no $HOOKS_DIR/mpiguard_hooks.lua (run make)"
[ -x /usr/bin/mpicc.mpich ] || skip "Debian's mpich is not installed (apt-get install mpich)"
[ -x /usr/bin/mpicc.openmpi ] || skip "Debian's openmpi-bin is not installed"

T=$(mktemp -d /tmp/mpg-lmod.XXXXXX)
if [ -z "${MPG_KEEP:-}" ]; then trap 'rm -rf "$T"' EXIT; else echo "keeping $T" >&2; fi
export HOME=$T/home
mkdir -p "$HOME" "$T/base/modulefiles" "$T/site"
cp -r "$SRC/modulefiles/debian" "$T/base/modulefiles/"
sh "$SRC/modulefiles/mkdebian.sh" "$T/base" 2>/dev/null
mkdir -p "$T/base/modulefiles/debian/hello"
printf 'setenv("HELLO", "1")\n' > "$T/base/modulefiles/debian/hello/1.0.lua"
MPICH_HOME_DIR=$T/base/debian-mpi/mpich
OMPI_HOME_DIR=$T/base/debian-mpi/openmpi
POLICY=$T/policy.conf

# site_package [EXTRA_LUA]: the SitePackage.lua of a site that enables mpiguard with one line
# (plus the test's paths), optionally after the site's own code.
site_package() {
    cat > "$T/site/SitePackage.lua" <<EOF
${1:-}
package.path = "$HOOKS_DIR/?.lua;" .. package.path
require("mpiguard_hooks").setup{ luaext = "$LUAEXT", policy_file = "$POLICY" }
EOF
}
site_package

export MODULEPATH=$T/base/modulefiles/debian
export LMOD_PACKAGE_PATH=$T/site
unset LMOD_TERM_WIDTH

OUT=$T/stdout
ERR=$T/stderr
# mod ARGS...: one module command, evaluated like the `module` shell function does.
mod() {
    local rc
    "$LMOD_CMD" bash "$@" >"$OUT" 2>"$ERR"
    rc=$?
    if ! bash -n "$OUT" 2>/dev/null; then
        fail "stdout of 'module $*' is not valid shell: $(head -c 300 "$OUT")"
    fi
    eval "$(cat "$OUT")" >/dev/null 2>&1
    return $rc
}

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
    if [ "$1" = "$2" ]; then pass "$3"; else fail "$3: got '$1', expected '$2'"; fi
}
# expect_grep PATTERN FILE WHAT / expect_nogrep PATTERN FILE WHAT
expect_grep() {
    if grep -q -- "$1" "$2"; then pass "$3"; else fail "$3: no '$1' in: $(cat "$2")"; fi
}
expect_nogrep() {
    if grep -q -- "$1" "$2"; then fail "$3: unexpected '$1' in: $(cat "$2")"; else pass "$3"; fi
}
# expect_empty FILE WHAT
expect_empty() {
    if [ -s "$1" ]; then fail "$2: expected nothing, got: $(head -c 600 "$1")"; else pass "$2"; fi
}

finish() {
    if [ "$FAILS" -gt 0 ]; then
        echo "$TNAME: $FAILS failure(s)" >&2
        exit 1
    fi
    exit 0
}
