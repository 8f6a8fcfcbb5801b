# lib.sh: shared set-up for the Environment Modules integration tests (sourced, bash).
#
# Debian's environment-modules conflicts with its lmod package, so it is never installed:
# `apt-get download` + `dpkg -x` into a cache folder ($MPIGUARD_CACHE, else
# ${XDG_CACHE_HOME:-$HOME/.cache}/mpiguard-test), once. Each test then re-executes itself under
# `env -i` with a fresh HOME, lays out the Tcl reference modulefiles (and Debian's MPIs behind
# them), a siteconfig that enables mpiguard with one `source` line and a test policy, and offers
# `mod ARGS...`: runs modulecmd.tcl for bash, checks that its stdout is valid shell, evaluates
# it as the `module` shell function does, returns that status, keeps stderr in $ERR.
# Environment from `make check` (tests/envmodules/Makefile.am): MPG_TOP_SRCDIR,
# MPG_TOP_BUILDDIR; MPG_MODULECMD=/path/modulecmd.tcl tests another Environment Modules (then
# a path that does not work is a hard error, 99); MPG_TCLEXT= (empty) runs the check through
# `mpiguard module-hook` instead of the Tcl extension. Exit status: 0 pass, 1 fail, 77 skipped
# (reason on stderr).

TNAME=$(basename "$0" .sh)
skip() { echo "SKIP $TNAME: $*" >&2; exit 77; }

if [ -z "${MPG_CLEAN:-}" ]; then
    here=$(cd "$(dirname "$0")" && pwd)
    if [ -n "${MPG_MODULECMD:-}" ]; then
        [ -f "$MPG_MODULECMD" ] || { echo "ERROR $TNAME: MPG_MODULECMD=$MPG_MODULECMD: no such file" >&2; exit 99; }
        MPG_EM_ROOT=
    else
        cache=${MPIGUARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mpiguard-test}
        MPG_EM_ROOT=${MPG_EM_ROOT:-$(bash "${MPG_TOP_SRCDIR:-$here/../..}/tests/envmodules/fetch-modules.sh" "$cache")} ||
            skip "$MPG_EM_ROOT"
    fi
    exec env -i MPG_CLEAN=1 PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
        LANG=C.UTF-8 USER="$(id -un)" LOGNAME="$(id -un)" SHELL=/bin/bash \
        MPG_TOP_SRCDIR="${MPG_TOP_SRCDIR:-$here/../..}" \
        MPG_TOP_BUILDDIR="${MPG_TOP_BUILDDIR:-$here/../..}" MPG_EM_ROOT="$MPG_EM_ROOT" \
        MPG_MODULECMD="${MPG_MODULECMD:-}" MPG_TCLEXT="${MPG_TCLEXT-unset}" \
        ASAN_OPTIONS="${ASAN_OPTIONS:-}" MPG_KEEP="${MPG_KEEP:-}" MPG_BENCH_N="${MPG_BENCH_N:-}" \
        bash "$0" "$@"
fi
set -u

SRC=$MPG_TOP_SRCDIR
BUILD=$MPG_TOP_BUILDDIR
FAILS=0
# A failure is also counted in $T/failures: one in a ( subshell ) is not lost.
fail() { echo "FAIL $TNAME: $*" >&2; FAILS=$((FAILS + 1)); [ -z "${T:-}" ] || echo x >> "$T/failures"; }
pass() { echo "ok   $TNAME: $*"; }

hard_error() { echo "ERROR $TNAME: $*" >&2; exit 99; }
MODULECMD=${MPG_MODULECMD:-$(ls "$MPG_EM_ROOT"/usr/lib/*/modulecmd.tcl 2>/dev/null | head -n 1)}
[ -f "$MODULECMD" ] || skip "no modulecmd.tcl under $MPG_EM_ROOT"
TCLSH=$(sed -n '1s/^#! *//p' "$MODULECMD")
[ -x "$TCLSH" ] || skip "no $TCLSH to run modulecmd.tcl (apt-get install tcl8.6)"
MPIGUARD=$BUILD/src/mpiguard
[ -x "$MPIGUARD" ] || skip "no built $MPIGUARD (run make first)"
[ -f "$BUILD/site/mpiguard.tcl" ] || skip "no $BUILD/site/mpiguard.tcl (run make)"
[ -x /usr/bin/mpicc.mpich ] || skip "Debian's mpich is not installed (apt-get install mpich)"
[ -x /usr/bin/mpicc.openmpi ] || skip "Debian's openmpi-bin is not installed"
EM_VERSION=$("$TCLSH" "$MODULECMD" bash --version 2>&1 | sed -n 's/^Modules Release \([0-9][0-9.]*\).*/\1/p')
if [ -z "$EM_VERSION" ]; then
    why="$MODULECMD does not start: $("$TCLSH" "$MODULECMD" bash --version 2>&1 | head -c 300)"
    [ -n "$MPG_MODULECMD" ] && hard_error "$why"
    skip "$why"
fi
echo "# $TNAME: Environment Modules $EM_VERSION ($MODULECMD) on $TCLSH"
# Before 5.1 Modules has no `family`: a site names its MPI modules (README, site guide).
case $EM_VERSION in 4.*|5.0.*) EM_SETUP='mpi_modules {mpich openmpi}' ;; *) EM_SETUP= ;; esac

# The Tcl extension the fragment loads (MPG_TCLEXT= forces the `mpiguard module-hook` path).
TCLEXT=$BUILD/tclext/.libs/mpiguard_tcl.so
[ "$MPG_TCLEXT" = unset ] || TCLEXT=$MPG_TCLEXT
# An extension built with --enable-sanitizers needs the sanitizer runtimes loaded first into
# the (uninstrumented) tclsh. Tcl does not free everything at exit: no leak checks there.
SAN_PRELOAD=
if [ -n "$TCLEXT" ] && ldd "$TCLEXT" 2>/dev/null | grep -q libasan; then
    SAN_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
    export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
fi
modulecmd() { LD_PRELOAD=$SAN_PRELOAD "$TCLSH" "$MODULECMD" "$@"; }

T=$(mktemp -d /tmp/mpg-em.XXXXXX)
if [ -z "${MPG_KEEP:-}" ]; then trap 'rm -rf "$T"' EXIT; else echo "keeping $T" >&2; fi
export HOME=$T/home
mkdir -p "$HOME" "$T/base/modulefiles" "$T/site"
cp "$BUILD/site/mpiguard.tcl" "$BUILD/site/mpiguard_act.tcl" "$T/site/"
cp -r "$SRC/modulefiles/debian-tcl" "$T/base/modulefiles/"
sh "$SRC/modulefiles/mkdebian.sh" "$T/base" 2>/dev/null
mkdir -p "$T/base/modulefiles/debian-tcl/hello"
printf '#%%Module1.0\nsetenv HELLO 1\n' > "$T/base/modulefiles/debian-tcl/hello/1.0"
MPICH_HOME_DIR=$T/base/debian-mpi/mpich
OMPI_HOME_DIR=$T/base/debian-mpi/openmpi
POLICY=$T/policy.conf

# siteconfig [EXTRA_TCL] [SETUP_ARGS]: a site siteconfig.tcl that enables mpiguard with one
# line (plus the test's paths), optionally after the site's own code.
siteconfig() {
    cat > "$T/site/siteconfig.tcl" <<EOF
${1:-}
source {$T/site/mpiguard.tcl}
mpiguard::setup mpiguard {$MPIGUARD} tclext {$TCLEXT} policy_file {$POLICY} $EM_SETUP ${2:-}
EOF
}
siteconfig

export MODULEPATH=$T/base/modulefiles/debian-tcl
export MODULES_SITECONFIG=$T/site/siteconfig.tcl
export LOADEDMODULES=
# No pager, no colour: what a job script sees.
export MODULES_PAGER= MODULES_COLOR=never

OUT=$T/stdout
ERR=$T/stderr
# mod ARGS...: one module command, evaluated like the `module` shell function does (its status
# is the status of evaluating modulecmd.tcl's stdout); RC_CMD keeps modulecmd.tcl's own.
mod() {
    modulecmd bash "$@" >"$OUT" 2>"$ERR"
    RC_CMD=$?
    if ! bash -n "$OUT" 2>/dev/null; then
        fail "stdout of 'module $*' is not valid shell: $(head -c 300 "$OUT")"
    fi
    eval "$(cat "$OUT")" >/dev/null 2>&1
}

finish() {
    [ -f "$T/failures" ] && FAILS=$(grep -c . "$T/failures")
    if [ "$FAILS" -gt 0 ]; then
        echo "$TNAME: $FAILS failure(s)" >&2
        exit 1
    fi
    exit 0
}

# expect_*, make_venv, make_conda_*: shared with tests/lmod.
. "$SRC/tests/checks.sh"
