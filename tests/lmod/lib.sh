# lib.sh: shared set-up for the Lmod integration tests (sourced, bash).
#
# Each test re-executes itself under `env -i` with a fresh HOME, lays out a module tree with
# the reference modulefiles (and Debian's MPIs behind them), a SitePackage.lua that enables
# mpiguard's hooks with a test policy, and offers `mod ARGS...`: runs `$LMOD_CMD bash ARGS`,
# checks that its stdout is valid shell, evaluates it, and keeps stderr in $ERR.
# Environment from `make check` (tests/lmod/Makefile.am): MPG_TOP_SRCDIR, MPG_TOP_BUILDDIR,
# MPG_LMOD_CMD; MPG_INSTALLED=PREFIX tests the hooks, binding and command installed under PREFIX
# (e.g. /usr, from the Debian packages) instead of the build tree's.
# Exit status: 0 pass, 1 fail, 77 skipped (reason on stderr).

if [ -z "${MPG_CLEAN:-}" ]; then
    here=$(cd "$(dirname "$0")" && pwd)
    exec env -i MPG_CLEAN=1 PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
        LANG=C.UTF-8 USER="$(id -un)" LOGNAME="$(id -un)" SHELL=/bin/bash \
        MPG_TOP_SRCDIR="${MPG_TOP_SRCDIR:-$here/../..}" \
        MPG_TOP_BUILDDIR="${MPG_TOP_BUILDDIR:-$here/../..}" \
        MPG_LMOD_CMD="${MPG_LMOD_CMD:-/usr/share/lmod/lmod/libexec/lmod}" \
        MPG_LUA_RUNTIME="${MPG_LUA_RUNTIME:-}" ASAN_OPTIONS="${ASAN_OPTIONS:-}" \
        MPG_KEEP="${MPG_KEEP:-}" MPG_LUAEXT="${MPG_LUAEXT:-}" MPG_BENCH_N="${MPG_BENCH_N:-}" \
        MPG_INSTALLED="${MPG_INSTALLED:-}" \
        bash "$0" "$@"
fi
set -u

SRC=$MPG_TOP_SRCDIR
BUILD=$MPG_TOP_BUILDDIR
LMOD_CMD=$MPG_LMOD_CMD
export LMOD_CMD
FAILS=0
TNAME=$(basename "$0" .sh)

skip() { echo "SKIP $TNAME: $*" >&2; exit 77; }
fail() { echo "FAIL $TNAME: $*" >&2; FAILS=$((FAILS + 1)); }
pass() { echo "ok   $TNAME: $*"; }

if [ -n "${MPG_INSTALLED:-}" ]; then
    HOOKS_SRC=$(ls "$MPG_INSTALLED"/share/lua/*/mpiguard_hooks.lua 2>/dev/null | head -n 1)
    [ -f "$HOOKS_SRC" ] || skip "no mpiguard_hooks.lua installed under $MPG_INSTALLED/share/lua"
    # the binding the installed hooks load by default
    LUAEXT=${MPG_LUAEXT:-$(sed -n 's/^ *luaext *= *"\(.*\)",.*/\1/p' "$HOOKS_SRC" | head -n 1)}
    MPIGUARD_CMD=$MPG_INSTALLED/bin/mpiguard
else
    HOOKS_SRC=$BUILD/site/mpiguard_hooks.lua
    LUAEXT=${MPG_LUAEXT:-$BUILD/luaext/.libs/mpiguard.so}
    MPIGUARD_CMD=$BUILD/src/mpiguard
fi

[ -x "$LMOD_CMD" ] || skip "no Lmod at $LMOD_CMD (apt-get install lmod)"
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
lmod_cmd() { LD_PRELOAD=$SAN_PRELOAD "$LMOD_CMD" "$@"; }

T=$(mktemp -d /tmp/mpg-lmod.XXXXXX)
if [ -z "${MPG_KEEP:-}" ]; then trap 'rm -rf "$T"' EXIT; else echo "keeping $T" >&2; fi
export HOME=$T/home
mkdir -p "$HOME" "$T/base/modulefiles" "$T/site" "$T/hooks"
# The hooks module in its own folder, as installed (a build tree's site/ also holds the
# shipped SitePackage.lua, which would then shadow the test's in `module --config`).
HOOKS_DIR=$T/hooks
# With the files it loads from beside it (mpiguard_hooks_register/_act, .lua and .luac), their
# times kept: a precompiled .luac is used only when it is not older than its source.
cp -p "$(dirname "$HOOKS_SRC")"/mpiguard_hooks*.lua* "$HOOKS_DIR/"
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
require("mpiguard_hooks").setup{ luaext = "$LUAEXT", policy_file = "$POLICY", mpiguard = "$MPIGUARD_CMD" }
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

# ---- env shapes -------------------------------------------------------------------------

# make_venv DIR: a venv of Debian's python3 that sees python3-mpi4py (links Open MPI's
# libmpi.so.40); activate with activate_venv DIR.
make_venv() {
    [ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
    [ -d /usr/lib/python3/dist-packages/mpi4py ] || skip "python3-mpi4py is not installed"
    /usr/bin/python3 -m venv --system-site-packages --without-pip "$1" >/dev/null 2>&1 ||
        skip "python3 -m venv failed (apt-get install python3-venv)"
}
activate_venv() { export VIRTUAL_ENV=$1 PATH=$1/bin:$PATH; }

# make_conda_bundled DIR [RECORDS]: a conda-like env whose mpi4py loads the env's own MPICH
# (lib/libmpi.so.12 with MPICH's version symbols, recorded by a conda-forge bundled mpich
# package), plus RECORDS extra package records (default 0). Activate with activate_conda.
make_conda_bundled() {
    local p=$1 n=${2:-0} sp i
    command -v gcc >/dev/null || skip "no gcc"
    sp=$p/lib/python3.11/site-packages
    mkdir -p "$p/conda-meta" "$p/bin" "$sp/mpi4py" "$sp/mpi4py-3.1.6.dist-info"
    printf 'const char MPII_Version_string[] = "4.1.2";\nconst char MPII_Version_device[] = "ch4:ofi";\nint MPI_Init(int *c, char ***v) { (void)c; (void)v; return 0; }\n' > "$T/fakempich.c"
    gcc -shared -fPIC -Wl,-soname,libmpi.so.12 -o "$p/lib/libmpi.so.12" "$T/fakempich.c" ||
        skip "cannot build a test libmpi.so.12"
    printf 'extern int MPI_Init(int *, char ***);\nint PyInit_MPI(void) { return MPI_Init(0, 0); }\n' > "$T/mpimod.c"
    gcc -shared -fPIC -o "$sp/mpi4py/MPI.cpython-311-x86_64-linux-gnu.so" "$T/mpimod.c" \
        -L"$p/lib" -l:libmpi.so.12 -Wl,--disable-new-dtags -Wl,-rpath,'$ORIGIN/../../..' ||
        skip "cannot build a test MPI extension"
    printf '[mpi]\nmpicc = %s/bin/mpicc\n' "$p" > "$sp/mpi4py/mpi.cfg"
    printf 'Metadata-Version: 2.1\nName: mpi4py\nVersion: 3.1.6\n' > "$sp/mpi4py-3.1.6.dist-info/METADATA"
    echo conda > "$sp/mpi4py-3.1.6.dist-info/INSTALLER"
    ln -sf /usr/bin/python3 "$p/bin/python3.11"
    ln -sf python3.11 "$p/bin/python"
    cat > "$p/conda-meta/mpich-4.1.2-h846660c_100.json" <<JSON
{"name": "mpich", "version": "4.1.2", "build": "h846660c_100", "build_number": 100,
 "channel": "https://conda.anaconda.org/conda-forge/linux-64", "subdir": "linux-64",
 "depends": [], "track_features": "",
 "files": ["bin/mpicc", "bin/mpiexec", "lib/libmpi.so.12"]}
JSON
    cat > "$p/conda-meta/mpi4py-3.1.6-py311h1234567_0.json" <<JSON
{"name": "mpi4py", "version": "3.1.6", "build": "py311h1234567_0", "build_number": 0,
 "channel": "https://conda.anaconda.org/conda-forge/linux-64", "subdir": "linux-64",
 "depends": ["mpich >=4.1.2,<5.0a0", "python >=3.11,<3.12.0a0"],
 "files": ["lib/python3.11/site-packages/mpi4py/MPI.cpython-311-x86_64-linux-gnu.so"]}
JSON
    cat > "$p/conda-meta/python-3.11.7-hab00c5b_0.json" <<JSON
{"name": "python", "version": "3.11.7", "build": "hab00c5b_0", "build_number": 0,
 "channel": "https://conda.anaconda.org/conda-forge/linux-64", "subdir": "linux-64",
 "depends": [], "files": ["bin/python3.11"]}
JSON
    for i in $(seq 1 "$n"); do
        printf '{"name": "pkg%d", "version": "1.0", "build": "h0_0", "build_number": 0, "channel": "https://conda.anaconda.org/conda-forge/linux-64", "depends": [], "files": ["lib/pkg%d.txt"]}\n' "$i" "$i" > "$p/conda-meta/pkg$i-1.0-h0_0.json"
    done
    : > "$p/conda-meta/history"
}
activate_conda() {
    export CONDA_PREFIX=$1 CONDA_DEFAULT_ENV=$(basename "$1") PATH=$1/bin:$PATH
}

# make_conda_external DIR: a conda env with conda-forge's "external" MPICH (no library of its
# own) whose mpi4py needs libmpi.so.12, which Debian's MPICH does not provide (it has only
# libmpich.so.12). Activate with activate_conda.
make_conda_external() {
    local p=$1 sp
    make_conda_bundled "$p"
    rm -f "$p/lib/libmpi.so.12" "$p/conda-meta/mpich-4.1.2-h846660c_100.json"
    cat > "$p/conda-meta/mpich-4.0.2-external_0.json" <<JSON
{"name": "mpich", "version": "4.0.2", "build": "external_0", "build_number": 0,
 "channel": "https://conda.anaconda.org/conda-forge/linux-64", "subdir": "linux-64",
 "depends": [], "track_features": "mpich_external", "files": []}
JSON
}
