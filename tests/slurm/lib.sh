# lib.sh: shared by tests/slurm (sourced, bash). Exit status of a test: 0 pass, 1 fail, 77 skip.
#
# start_cluster starts a private Slurm (Debian's slurm-wlm): one slurmctld and two slurmd
# (n1, n2) on this host, ports derived from the test's PID, auth/none, the plugin under test
# in plugstack.conf. n2 runs in its own mount namespace with a private /tmp: Open MPI's PMIx
# server (srun --mpi=pmix) creates /tmp/spmix_appdir_<uid>_<job>.<step> on each node, and two
# nodes sharing one /tmp collide ("File exists"). Everything the jobs touch therefore lives
# under $W in /var/tmp, which both nodes see; a build or source tree under /tmp is bound back
# into n2's /tmp (SLURM_N2_KEEP in tests/common/slurm_cluster.sh). Jobs run as the
# unprivileged user nobody.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/_build}
BUILD=$top_builddir
SRC=$top_srcdir
PLUGIN=${MPG_SPANK_PLUGIN:-$BUILD/spank/.libs/spank_mpiguard.so}
CORELIB=${MPG_CORE_LIB:-$BUILD/src/.libs/libmpiguard.so.0}
DRIVER=$BUILD/spank/step_check_driver
CHECKER=${MPG_STEP_CHECKER:-$BUILD/spank/mpiguard-step-check}
MPIGUARD=$BUILD/src/mpiguard
TNAME=$(basename "$0" .sh)
FAILS=0

skip() { echo "SKIP $TNAME: $*" >&2; exit 77; }
fail() { echo "FAIL $TNAME: $*" >&2; FAILS=$((FAILS + 1)); }
pass() { echo "ok   $TNAME: $*"; }
note() { echo "#    $TNAME: $*"; }
finish() {
    if [ "$FAILS" -gt 0 ]; then
        echo "$TNAME: $FAILS failure(s)" >&2
        exit 1
    fi
    exit 0
}
expect_grep() { # PATTERN FILE WHAT
    if grep -q -- "$1" "$2"; then pass "$3"; else fail "$3: no '$1' in: $(head -c 3000 "$2")"; fi
}
expect_nogrep() {
    if grep -q -- "$1" "$2"; then fail "$3: unexpected '$1' in: $(head -c 3000 "$2")"; else pass "$3"; fi
}
expect_eq() { # ACTUAL EXPECTED WHAT
    if [ "$1" = "$2" ]; then pass "$3"; else fail "$3: got '$1', expected '$2'"; fi
}

# A build with --enable-sanitizers: the plugin and the core carry ASan, so every Slurm program
# that loads them (slurmstepd, srun, sbatch) gets the runtimes preloaded.
SAN_PRELOAD=
if nm -D "$CORELIB" 2>/dev/null | grep -q ' __asan_init'; then
    SAN_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
fi
san_env() { # prints the env words for a sanitized build
    if [ -n "$SAN_PRELOAD" ]; then
        echo "LD_PRELOAD=$SAN_PRELOAD ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1"
    fi
}

[ -f "$CORELIB" ] || skip "libmpiguard not built at $CORELIB (run make)"
[ -x "$DRIVER" ] || skip "the plugin's checker driver is not built at $DRIVER (configure found no slurm/spank.h? apt-get install libslurm-dev; make check builds it)"
[ -x "$CHECKER" ] || skip "the checker program is not built at $CHECKER (make)"

W=$(mktemp -d /var/tmp/mpg-slurm.XXXXXX) || skip "cannot create a folder in /var/tmp"
chmod 755 "$W"
USER_UID=$(id -u nobody 2>/dev/null) || skip "no user 'nobody' to run jobs as"
USER_GID=$(id -g nobody)
U=$W/home          # nobody's HOME and job folder
mkdir -p "$U"
chown nobody: "$U"

cleanup() {
    stop_cluster
    if [ -n "${FUSE_DIR:-}" ]; then umount -l "$FUSE_DIR" 2>/dev/null; fi
    [ -n "${FUSE_PID:-}" ] && kill "$FUSE_PID" 2>/dev/null
    [ -n "${LOG_PID:-}" ] && kill "$LOG_PID" 2>/dev/null
    if [ -z "${MPG_KEEP:-}" ]; then rm -rf "$W"; else echo "keeping $W" >&2; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- env shapes ---------------------------------------------------------------------------

# make_modules: the reference modulefiles over Debian's MPICH and Open MPI (modulefiles/), for
# real Lmod in the job scripts.
make_modules() {
    [ -f /usr/share/lmod/lmod/init/bash ] || skip "no Lmod (apt-get install lmod)"
    mkdir -p "$W/base/modulefiles"
    cp -r "$SRC/modulefiles/debian" "$W/base/modulefiles/"
    sh "$SRC/modulefiles/mkdebian.sh" "$W/base" 2>/dev/null
    MODULEPATH_TEST=$W/base/modulefiles/debian
}

# make_venv DIR: a venv of Debian's python3 that sees python3-mpi4py (built for Open MPI).
make_venv() {
    [ -d /usr/lib/python3/dist-packages/mpi4py ] || skip "python3-mpi4py is not installed"
    /usr/bin/python3 -m venv --system-site-packages --without-pip "$1" >/dev/null 2>&1 ||
        skip "python3 -m venv failed (apt-get install python3-venv)"
}

# make_conda_bundled DIR: a conda-like env that ships its own MPICH (lib/libmpi.so.12 with
# MPICH's version symbols, recorded as conda-forge's bundled mpich), its mpi4py extension
# linked to it through RPATH $ORIGIN/../../.. as conda-build writes it; bin/python is
# Debian's python3 (the tasks run it).
make_conda_bundled() {
    local p=$1 sp=$1/lib/python3.11/site-packages
    mkdir -p "$p/conda-meta" "$p/bin" "$sp/mpi4py" "$sp/mpi4py-3.1.6.dist-info"
    printf 'const char MPII_Version_string[] = "4.1.2";\nconst char MPII_Version_device[] = "ch4:ofi";\nint MPI_Init(int *c, char ***v) { (void)c; (void)v; return 0; }\n' > "$W/fakempich.c"
    gcc -shared -fPIC -Wl,-soname,libmpi.so.12 -o "$p/lib/libmpi.so.12" "$W/fakempich.c" || skip "cannot build a test libmpi.so.12"
    printf 'extern int MPI_Init(int *, char ***);\nint PyInit_MPI(void) { return MPI_Init(0, 0); }\n' > "$W/mpimod.c"
    gcc -shared -fPIC -o "$sp/mpi4py/MPI.cpython-311-x86_64-linux-gnu.so" "$W/mpimod.c" \
        -L"$p/lib" -l:libmpi.so.12 -Wl,--disable-new-dtags -Wl,-rpath,'$ORIGIN/../../..' || skip "cannot build a test MPI extension"
    printf 'Metadata-Version: 2.1\nName: mpi4py\nVersion: 3.1.6\n' > "$sp/mpi4py-3.1.6.dist-info/METADATA"
    echo conda > "$sp/mpi4py-3.1.6.dist-info/INSTALLER"
    ln -sf /usr/bin/python3 "$p/bin/python3.11"
    ln -sf python3.11 "$p/bin/python3"
    ln -sf python3.11 "$p/bin/python"
    cat > "$p/conda-meta/mpich-4.1.2-h846660c_100.json" <<JSON
{"name": "mpich", "version": "4.1.2", "build": "h846660c_100", "build_number": 100,
 "channel": "https://conda.anaconda.org/conda-forge/linux-64", "subdir": "linux-64",
 "depends": [], "track_features": "", "files": ["bin/mpicc", "bin/mpiexec", "lib/libmpi.so.12"]}
JSON
    cat > "$p/conda-meta/mpi4py-3.1.6-py311h1234567_0.json" <<JSON
{"name": "mpi4py", "version": "3.1.6", "build": "py311h1234567_0", "build_number": 0,
 "channel": "https://conda.anaconda.org/conda-forge/linux-64", "subdir": "linux-64",
 "depends": ["mpich >=4.1.2,<5.0a0"], "files": ["lib/python3.11/site-packages/mpi4py/MPI.cpython-311-x86_64-linux-gnu.so"]}
JSON
    : > "$p/conda-meta/history"
}

# ---- the cluster --------------------------------------------------------------------------

SLURM_LIBDIR=/usr/lib/x86_64-linux-gnu/slurm-wlm
need_slurm() {
    [ "$(id -u)" = 0 ] || skip "starting slurmd needs root"
    for c in slurmctld slurmd srun sbatch sinfo; do
        command -v $c >/dev/null || skip "$c not found (apt-get install slurmctld slurmd slurm-client)"
    done
    for p in auth_none cred_none mpi_pmi2; do
        [ -f "$SLURM_LIBDIR/$p.so" ] || skip "$SLURM_LIBDIR/$p.so not found (apt-get install slurm-wlm-basic-plugins)"
    done
    [ -f "$PLUGIN" ] || skip "the SPANK plugin is not built at $PLUGIN (apt-get install libslurm-dev, rerun configure)"
    command -v unshare >/dev/null || skip "unshare not found (util-linux)"
}

# plugstack ARGS...: the plugin's line in plugstack.conf (re-read by Slurm at each launch).
# The budget is 10 s unless a case sets its own: a machine shared by parallel builds (or an
# ASan build) can take seconds for what takes milliseconds alone.
plugstack() {
    echo "required $PLUGIN lib=$CORELIB checker=$CHECKER policy=$S/policy.conf timeout=10 $*" > "$S/plugstack.conf"
}
# policy TEXT: the site policy (log_socket always the test's).
policy() {
    printf '[general]\nlog_socket = %s\n%b\n' "$SYSLOG_SOCK" "$*" > "$S/policy.conf"
}

. "$top_srcdir/tests/common/slurm_cluster.sh"

start_cluster() {
    need_slurm
    S=$W/slurm
    mkdir -p "$S"
    SYSLOG_SOCK=$S/log.sock
    SYSLOG=$S/syslog.txt
    : > "$SYSLOG"
    . "$top_srcdir/tests/common/syslog_listener.sh"
    start_syslog_listener "$SYSLOG_SOCK" "$SYSLOG" 0 || skip "could not start a test syslog listener"
    LOG_PID=$LISTENER
    policy ""
    plugstack
    SLURM_RUN="env $(san_env)" SLURM_N2_PRIVATE_TMP=1 SLURM_N2_KEEP="$BUILD $SRC $PLUGIN $CORELIB $CHECKER" \
        slurm_cluster_start "$S" "mpgspank$$" \
        "SlurmdDebug=${SLURMD_DEBUG:-info}" "PlugStackConfig=$S/plugstack.conf" \
        "PartitionName=debug Nodes=n1,n2 MaxTime=10 State=UP" || skip "$SLURM_CLUSTER_ERROR"
}

stop_cluster() {
    [ -n "${S:-}" ] || return 0
    slurm_cluster_stop "$S"
}

# as_user CMD...: runs CMD as nobody in a clean environment (plus the words in $USER_ENV).
as_user() {
    env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$U" USER=nobody LOGNAME=nobody LANG=C.UTF-8 \
        SLURM_CONF="$SLURM_CONF" $(san_env) ${USER_ENV:-} \
        /usr/bin/setpriv --reuid="$USER_UID" --regid="$USER_GID" --clear-groups "$@"
}
