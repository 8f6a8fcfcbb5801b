#!/bin/bash
# Issue #8, point 9, the smaller ones (the FIFO at the binding's path is in test_truncate.sh):
#  - a site policy saved with a UTF-8 byte order mark is read, not rejected;
#  - a 120 kB CONDA_PREFIX gets a line, not silence;
#  - test-mpi under a module without bin/mpiexec says so, instead of launching the first
#    mpiexec on PATH (another MPI's: "0 of 1");
#  - a launcher that fails is named, with what it printed, instead of blaming mpiguard-probe;
#  - getpwuid() (an LDAP call at many sites) is not called when nothing needs the user's name.
. "$(dirname "$0")/lib.sh"
command -v gcc >/dev/null || skip "no gcc"

# ---- a policy with a byte order mark --------------------------------------------------------
quick_venv "$T/v"
export VIRTUAL_ENV=$T/v
printf '\357\273\277[actions]\nABI_MISMATCH = block\n' > "$POLICY"
mod load mpich; rc=$?
expect_eq "$rc" 1 "policy with a BOM: its block applies"
expect_nogrep "ignoring the site policy" "$ERR" "policy with a BOM: not rejected"
mod purge
rm -f "$POLICY"
unset VIRTUAL_ENV

# ---- a 120 kB CONDA_PREFIX --------------------------------------------------------------------
CONDA_PREFIX=/$(head -c 122880 /dev/zero | tr '\0' x) mod load mpich; rc=$?
expect_eq "$rc" 0 "120 kB CONDA_PREFIX: module load exits 0"
expect_grep "CONDA_PREFIX is 122881 characters long" "$ERR" "120 kB CONDA_PREFIX: said"
[ "$(grep -c . "$ERR")" -le 3 ] && pass "120 kB CONDA_PREFIX: a line or two" ||
    fail "120 kB CONDA_PREFIX: too much: $(head -c 400 "$ERR")"
mod purge

# ---- test-mpi: a module without bin/mpiexec; a launcher that fails -------------------------------
if [ -x "$BUILD/src/mpiguard-probe" ] && [ -e /usr/lib/x86_64-linux-gnu/libmpich.so.12 ]; then
    export MPIGUARD_PROBE=$BUILD/src/mpiguard-probe MPIGUARD_MPI4PY_BW=$SRC/share/mpiguard/mpi4py_bw.py
    home=$T/nolauncher
    mkdir -p "$home/bin" "$home/lib" "$T/otherbin"
    ln -sf /usr/bin/mpicc.mpich "$home/bin/mpicc"
    ln -sf /usr/lib/x86_64-linux-gnu/libmpich.so.12 "$home/lib/libmpich.so.12"
    ln -sf /usr/bin/mpirun.openmpi "$T/otherbin/mpiexec" # another MPI's launcher first on PATH
    env PATH="$T/otherbin:$PATH" LMOD_FAMILY_MPI=mpich LMOD_FAMILY_MPI_VERSION=4.0.2 MPI_HOME="$home" \
        OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout 60 \
        "$BUILD/src/mpiguard" test-mpi --quick --legs mpi > "$T/tm.out" 2> "$T/tm.err"; rc=$?
    expect_grep "no mpiexec or mpirun in $home/bin" "$T/tm.out" "module without bin/mpiexec: said"
    expect_nogrep "0 of 1" "$T/tm.out" "module without bin/mpiexec: not blamed on the env"
    expect_nogrep "otherbin/mpiexec" "$T/tm.err" "module without bin/mpiexec: another MPI's launcher not started"
    expect_eq "$rc" 3 "module without bin/mpiexec: exit 3 (the MPI could not run)"

    printf '#!/bin/sh\necho "badlauncher: cannot reach node n7"\nexit 7\n' > "$T/badlauncher"
    chmod +x "$T/badlauncher"
    env LMOD_FAMILY_MPI=mpich LMOD_FAMILY_MPI_VERSION=4.0.2 MPI_HOME="$MPICH_HOME_DIR" timeout 60 \
        "$BUILD/src/mpiguard" test-mpi --quick --legs mpi --launcher "$T/badlauncher" > "$T/tm.out" 2> "$T/tm.err"
    expect_grep "the launcher $T/badlauncher exited with status 7" "$T/tm.out" "failing launcher: named"
    expect_grep "cannot reach node n7" "$T/tm.out" "failing launcher: what it printed is shown"
    expect_nogrep "mpiguard-probe exited" "$T/tm.out" "failing launcher: the probe is not blamed"
else
    echo "note: no mpiguard-probe or Debian MPICH: the test-mpi cases are skipped" >&2
fi

# ---- getpwuid() only when a name is needed ----------------------------------------------------
cat > "$T/pw.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
struct passwd *getpwuid(uid_t uid)
{
    static struct passwd *(*real)(uid_t);
    if (!real) real = (struct passwd *(*)(uid_t))dlsym(RTLD_NEXT, "getpwuid");
    FILE *f = fopen(getenv("MPG_PW_LOG"), "a");
    if (f) { fputs("getpwuid\n", f); fclose(f); }
    return real(uid);
}
EOF
gcc -shared -fPIC -o "$T/pw.so" "$T/pw.c" -ldl || skip "cannot build the getpwuid counter"
pw_calls() { # module: getpwuid() calls of one `module load`
    rm -f "$T/pw.log"
    MPG_PW_LOG=$T/pw.log LD_PRELOAD="$SAN_PRELOAD $T/pw.so" "$LMOD_CMD" bash load "$1" > /dev/null 2>&1
    grep -c . "$T/pw.log" 2>/dev/null || echo 0
}
export VIRTUAL_ENV=$T/v # Open MPI's mpi4py: nothing under openmpi, ABI_MISMATCH under mpich
expect_eq "$(pw_calls openmpi)" 0 "getpwuid: not called when there is nothing to log or exempt"
[ "$(pw_calls mpich)" -ge 1 ] && pass "getpwuid: called to log a finding (user=)" || fail "getpwuid: not called to log"
printf '[general]\nlog = no\n' > "$POLICY"
expect_eq "$(pw_calls mpich)" 0 "getpwuid: not called with log = no"
printf '[general]\nlog = no\nexempt_users = nobody\n' > "$POLICY"
[ "$(pw_calls openmpi)" -ge 1 ] && pass "getpwuid: called when exempt_users needs the name" ||
    fail "getpwuid: not called for exempt_users"
finish
