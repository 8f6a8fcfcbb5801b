# lib.sh: shared set-up for the Lmod integration tests (sourced, bash).
#
# Each test re-executes itself under `env -i` with a fresh HOME, lays out a module tree with
# the reference modulefiles (and Debian's MPIs behind them), a SitePackage.lua that enables
# mpiguard's hooks with a test policy, and offers `mod ARGS...`: runs `$LMOD_CMD bash ARGS`,
# checks that its stdout is valid shell, evaluates it, and keeps stderr in $ERR.
# Environment from `make check` (tests/lmod/Makefile.am): MPG_TOP_SRCDIR, MPG_TOP_BUILDDIR,
# MPG_LMOD_CMD_DEFAULT, MPG_LUA_RUNTIME_DEFAULT (what configure found). MPG_LMOD_CMD and
# MPG_LUA_RUNTIME, given by the person running the tests, select another Lmod and the Lua to
# run it with; if what they name does not start, that is a hard error (99), never a skip.
# MPG_INSTALLED=PREFIX tests the hooks, binding and command installed under PREFIX
# (e.g. /usr, from the Debian packages) instead of the build tree's.
# Exit status: 0 pass, 1 fail, 77 skipped (reason on stderr), 99 the Lmod asked for is broken.

if [ -z "${MPG_CLEAN:-}" ]; then
    here=$(cd "$(dirname "$0")" && pwd)
    exec env -i MPG_CLEAN=1 PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
        LANG=C.UTF-8 USER="$(id -un)" LOGNAME="$(id -un)" SHELL=/bin/bash \
        MPG_TOP_SRCDIR="${MPG_TOP_SRCDIR:-$here/../..}" \
        MPG_TOP_BUILDDIR="${MPG_TOP_BUILDDIR:-$here/../..}" \
        MPG_LMOD_CMD="${MPG_LMOD_CMD:-}" MPG_LMOD_CMD_DEFAULT="${MPG_LMOD_CMD_DEFAULT:-}" \
        MPG_LUA_RUNTIME="${MPG_LUA_RUNTIME:-}" MPG_LUA_RUNTIME_DEFAULT="${MPG_LUA_RUNTIME_DEFAULT:-}" \
        ASAN_OPTIONS="${ASAN_OPTIONS:-}" \
        MPG_KEEP="${MPG_KEEP:-}" MPG_LUAEXT="${MPG_LUAEXT:-}" MPG_BENCH_N="${MPG_BENCH_N:-}" \
        MPG_BENCH_IR_RUNS="${MPG_BENCH_IR_RUNS:-}" MPG_BENCH_ROWS="${MPG_BENCH_ROWS:-}" MPG_BENCH_AA="${MPG_BENCH_AA:-}" \
        MPG_BENCH_RAW="${MPG_BENCH_RAW:-}" MPG_MEMO_RECORD="${MPG_MEMO_RECORD:-}" \
        MPG_INSTALLED="${MPG_INSTALLED:-}" \
        bash "$0" "$@"
fi
set -u

SRC=$MPG_TOP_SRCDIR
BUILD=$MPG_TOP_BUILDDIR
LMOD_CMD=${MPG_LMOD_CMD:-${MPG_LMOD_CMD_DEFAULT:-/usr/share/lmod/lmod/libexec/lmod}}
export LMOD_CMD
FAILS=0
TNAME=$(basename "$0" .sh)

skip() { echo "SKIP $TNAME: $*" >&2; exit 77; }
# A failure is also counted in $T/failures: one in a ( subshell ) is not lost.
fail() { echo "FAIL $TNAME: $*" >&2; FAILS=$((FAILS + 1)); [ -z "${T:-}" ] || echo x >> "$T/failures"; }
pass() { echo "ok   $TNAME: $*"; }
hard_error() { echo "ERROR $TNAME: $*" >&2; exit 99; }

if [ -n "${MPG_INSTALLED:-}" ]; then
    HOOKS_SRC=$(ls "$MPG_INSTALLED"/share/lua/*/mpiguard_hooks.lua 2>/dev/null | head -n 1)
    [ -f "$HOOKS_SRC" ] || skip "no mpiguard_hooks.lua installed under $MPG_INSTALLED/share/lua"
    # the binding the installed hooks load by default (their settings' defaults)
    LUAEXT=${MPG_LUAEXT:-$(sed -n 's/^ *luaext *= *"\(.*\)",.*/\1/p' "${HOOKS_SRC%.lua}_register.lua" | head -n 1)}
    MPIGUARD_CMD=$MPG_INSTALLED/bin/mpiguard
else
    HOOKS_SRC=$BUILD/site/mpiguard_hooks.lua
    LUAEXT=${MPG_LUAEXT:-$BUILD/luaext/.libs/mpiguard.so}
    MPIGUARD_CMD=$BUILD/src/mpiguard
fi


# The Lmod and the Lua under test. LMOD is the command line that runs Lmod; LUA the
# interpreter it runs on (an explicit MPG_LUA_RUNTIME, else the lmod script's #! line).
if [ -n "$MPG_LMOD_CMD" ] && [ ! -f "$MPG_LMOD_CMD" ]; then
    hard_error "MPG_LMOD_CMD=$MPG_LMOD_CMD: no such file (expected .../libexec/lmod)"
fi
[ -f "$LMOD_CMD" ] || skip "no Lmod at $LMOD_CMD (apt-get install lmod)"
if [ -n "$MPG_LUA_RUNTIME" ]; then
    [ -x "$MPG_LUA_RUNTIME" ] || hard_error "MPG_LUA_RUNTIME=$MPG_LUA_RUNTIME: not an executable"
    LUA=$MPG_LUA_RUNTIME
    LMOD=("$LUA" "$LMOD_CMD")
else
    set -- $(sed -n '1s/^#! *//p' "$LMOD_CMD")
    case ${1:-} in */env) LUA=$(command -v "${2:-}") ;; *) LUA=${1:-} ;; esac
    LMOD=("$LMOD_CMD")
    set --
fi
LUA_NAME=$("$LUA" -e 'io.write(rawget(_G, "jit") and jit.version or _VERSION)' 2>/dev/null)
LMOD_VERSION=$("${LMOD[@]}" bash --version 2>&1 | sed -n 's/.*Version \([0-9][0-9.]*\).*/\1/p' | head -n 1)
if [ -z "$LMOD_VERSION" ] || [ -z "$LUA_NAME" ]; then
    why="${LMOD[*]} does not start: $("${LMOD[@]}" bash --version 2>&1 | head -c 400)"
    [ -n "$MPG_LMOD_CMD$MPG_LUA_RUNTIME" ] && hard_error "$why"
    skip "$why"
fi
echo "# $TNAME: Lmod $LMOD_VERSION ($LMOD_CMD) on $LUA_NAME ($LUA)"
[ -f "$LUAEXT" ] || skip "no built Lua binding at $LUAEXT (run make first)"
[ -f "$HOOKS_SRC" ] || skip "no $HOOKS_SRC (run make)"
[ -x /usr/bin/mpicc.mpich ] || skip "Debian's mpich is not installed (apt-get install mpich)"
[ -x /usr/bin/mpicc.openmpi ] || skip "Debian's openmpi-bin is not installed"

# A binding built with --enable-sanitizers needs the sanitizer runtimes loaded first into the
# (uninstrumented) Lua that runs Lmod. Lua is not closed when Lmod calls os.exit, so leak
# checking is left to test_binding.sh, which closes its Lua state. The preload also reaches
# whatever Lmod starts (mpiexec, the user's python under `module test-mpi`), whose own leaks
# (Open MPI's, Python's) are not mpiguard's: leak checking is off here even when the caller
# (dev/test.sh) turned it on for the whole suite.
SAN_PRELOAD=
if ldd "$LUAEXT" 2>/dev/null | grep -q libasan; then
    SAN_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
    export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
fi
lmod_cmd() { LD_PRELOAD=$SAN_PRELOAD "${LMOD[@]}" "$@"; }

T=$(mktemp -d /tmp/mpg-lmod.XXXXXX)
if [ -z "${MPG_KEEP:-}" ]; then trap 'rm -rf "$T"' EXIT; else echo "keeping $T" >&2; fi
export HOME=$T/home
mkdir -p "$HOME" "$T/base/modulefiles" "$T/site" "$T/hooks"
# The hooks module in its own folder, as installed (a build tree's site/ also holds the
# shipped SitePackage.lua, which would then shadow the test's in `module --config`).
HOOKS_DIR=$T/hooks
# With the files it loads from beside it (mpiguard_hooks_register, _exports, _act, _testmpi,
# .lua and .luac), their times kept: a precompiled .luac is used only when it is not older
# than its source.
cp -p "$(dirname "$HOOKS_SRC")"/mpiguard_hooks*.lua* "$HOOKS_DIR/"
cp -r "$SRC/modulefiles/debian" "$T/base/modulefiles/"
sh "$SRC/modulefiles/mkdebian.sh" "$T/base" 2>/dev/null
mkdir -p "$T/base/modulefiles/debian/hello"
printf 'setenv("HELLO", "1")\n' > "$T/base/modulefiles/debian/hello/1.0.lua"
MPICH_HOME_DIR=$T/base/debian-mpi/mpich
OMPI_HOME_DIR=$T/base/debian-mpi/openmpi
POLICY=$T/policy.conf

# site_package [EXTRA_LUA]: the SitePackage.lua of a site that enables mpiguard with one line
# (plus the test's paths, the hooks' folder on Lua's path while they load, as mpiguard-site(7)
# says), optionally after the site's own code.
site_package() {
    cat > "$T/site/SitePackage.lua" <<EOF
${1:-}
local path = package.path
package.path = "$HOOKS_DIR/?.lua;" .. path
require("mpiguard_hooks").setup{ luaext = "$LUAEXT", policy_file = "$POLICY", mpiguard = "$MPIGUARD_CMD" }
package.path = path
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
    lmod_cmd bash "$@" >"$OUT" 2>"$ERR"
    rc=$?
    if ! bash -n "$OUT" 2>/dev/null; then
        fail "stdout of 'module $*' is not valid shell: $(head -c 300 "$OUT")"
    fi
    eval "$(cat "$OUT")" >/dev/null 2>&1
    return $rc
}

# run_lua_checks SCRIPT MIN_OK [SAN_ASAN_OPTIONS]: SCRIPT in the Lua under test (a sanitizer
# build's runtimes preloaded, with ASAN_OPTIONS=SAN_ASAN_OPTIONS when given), which prints one
# "ok   ..." or "FAIL ..." line a check: shows them, counts the FAILs, and fails when Lua
# exits non-zero or fewer than MIN_OK checks passed (a script stopped early).
run_lua_checks() {
    local rc
    if [ -n "$SAN_PRELOAD" ]; then
        LD_PRELOAD=$SAN_PRELOAD ASAN_OPTIONS=${3:-$ASAN_OPTIONS} "$LUA" "$1" >"$OUT" 2>"$ERR"
    else
        "$LUA" "$1" >"$OUT" 2>"$ERR"
    fi
    rc=$?
    cat "$OUT"
    [ $rc -eq 0 ] || fail "lua exited $rc: $(head -c 2000 "$ERR")"
    FAILS=$((FAILS + $(grep -c '^FAIL' "$OUT")))
    [ "$(grep -c '^ok' "$OUT")" -ge "$2" ] || fail "not all checks ran: $(head -c 2000 "$ERR")"
}

finish() {
    [ -f "$T/failures" ] && FAILS=$(grep -c . "$T/failures")
    if [ "$FAILS" -gt 0 ]; then
        echo "$TNAME: $FAILS failure(s)" >&2
        exit 1
    fi
    exit 0
}

# expect_*, make_venv, make_conda_*: shared with tests/envmodules.
. "$SRC/tests/checks.sh"
