#!/bin/bash
# test_cli.sh: `mpiguard check` as a user runs it: exit statuses (0 ok/notes, 1 warn, 2 block,
# 3 usage or nothing inspected), valid JSON with the documented fields, plain text on stdout,
# policy errors on stderr. Real venv on Debian's python3-mpi4py, real Debian MPICH/Open MPI.
set -u
BUILD=${MPG_TOP_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SRC=${MPG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
M=$BUILD/src/mpiguard
[ -x "$M" ] || { echo "SKIP: $M not built" >&2; exit 77; }
[ -d /usr/lib/python3/dist-packages/mpi4py ] || { echo "SKIP: python3-mpi4py not installed" >&2; exit 77; }
T=$(mktemp -d /tmp/mpg-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
expect_rc() { # want label command...
    local want=$1 label=$2; shift 2
    "$@" > "$T/out" 2> "$T/err"
    local rc=$?
    [ "$rc" = "$want" ] && ok "$label (exit $rc)" || { bad "$label: exit $rc, want $want"; cat "$T/out" "$T/err"; }
}

sh "$SRC/modulefiles/mkdebian.sh" "$T" 2>/dev/null
/usr/bin/python3 -m venv --without-pip --system-site-packages "$T/venv"
in_env() { # module command...
    local mod=$1; shift
    local home=$T/debian-mpi/$mod
    env -i HOME="$T" PATH="$home/bin:$T/venv/bin:/usr/bin:/bin" VIRTUAL_ENV="$T/venv" \
        LMOD_FAMILY_MPI="$mod" MPI_HOME="$home" LD_LIBRARY_PATH="$home/lib" "$@"
}
printf '[actions]\nABI_MISMATCH = block\n' > "$T/block.conf"
printf '[actions]\nABI_MISMATCH = ignore\n' > "$T/ignore.conf"
printf '[actions\nthis is not a policy\n' > "$T/broken.conf"
: > "$T/empty.conf"

expect_rc 1 "mismatched venv under mpich warns" in_env mpich "$M" check --policy "$T/empty.conf"
grep -q '^mpiguard: warn ABI_MISMATCH' "$T/out" && ok "finding on stdout" || bad "no finding on stdout"
grep -q 'fix: MPICC=.*/mpicc python -m pip install --no-binary=mpi4py' "$T/out" && ok "fix printed" || bad "no fix"
expect_rc 0 "matched venv under openmpi is ok" in_env openmpi "$M" check --policy "$T/empty.conf"
[ -s "$T/out" ] && bad "healthy env printed something: $(cat "$T/out")" || ok "healthy env prints nothing"
expect_rc 2 "policy block gives exit 2" in_env mpich "$M" check --policy "$T/block.conf"
grep -q '^mpiguard: block ABI_MISMATCH' "$T/out" && ok "block shown" || bad "block not shown"
expect_rc 0 "policy ignore drops the finding" in_env mpich "$M" check --policy "$T/ignore.conf"
expect_rc 1 "broken policy: defaults" in_env mpich "$M" check --policy "$T/broken.conf"
grep -q 'broken.conf:1' "$T/err" && [ "$(wc -l < "$T/err")" = 1 ] && ok "one clear line for a broken policy" ||
    bad "broken policy message: $(cat "$T/err")"

expect_rc 1 "--json" in_env mpich "$M" check --json --policy "$T/empty.conf"
if python3 - "$T/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "mpiguard.check/1", d["schema"]
assert d["verdict"] == "warn"
assert d["env"]["kind"] == "venv" and d["env"]["system_site_packages"] is True
assert d["module_mpi"]["loaded"] and d["module_mpi"]["mpi"]["abi"] == "mpich"
p = d["packages"][0]
assert p["name"] == "mpi4py" and p["needed"] == "libmpi.so.40" and p["mpi"]["impl"] == "Open MPI"
f = d["findings"][0]
assert set(f) >= {"code", "severity", "message", "fix", "package", "path"}, f
assert f["code"] == "ABI_MISMATCH" and f["severity"] == "warn"
PY
then ok "JSON has the documented fields"; else bad "JSON content"; fi

expect_rc 3 "--env on a missing folder" "$M" check --env /nonexistent/env
grep -q 'no such folder' "$T/err" && ok "says why" || bad "no reason: $(cat "$T/err")"
expect_rc 3 "unknown option" "$M" check --frobnicate
expect_rc 3 "unknown command" "$M" frobnicate
expect_rc 0 "--version" "$M" --version
expect_rc 0 "--env inspects a prefix without activating it" env -i PATH=/usr/bin:/bin HOME="$T" "$M" check --env "$T/venv" --policy "$T/empty.conf"
grep -q 'NO_MPI_MODULE' "$T/out" && ok "NO_MPI_MODULE note without a module" || bad "no NO_MPI_MODULE: $(cat "$T/out")"
[ "$(in_env mpich "$M" check --color=always --policy "$T/empty.conf" | grep -c $'\033')" -gt 0 ] && ok "--color=always colours" || bad "no colour"
[ "$(in_env mpich "$M" check --policy "$T/empty.conf" | grep -c $'\033')" = 0 ] && ok "no colour when not a terminal" || bad "colour in a pipe"

# The command names no library but libc (and the sanitizers' runtimes): libmpiguard is linked
# in and libjansson loaded by its path when JSON is needed, so a user's own libjansson.so.4 or
# libmpiguard.so.0 first on LD_LIBRARY_PATH (a broken one here) cannot stop it, and its start
# does not look for them in every LD_LIBRARY_PATH folder.
needed=$(readelf -d "$M" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | grep -v '^lib[at]san\|^libubsan' | sort | tr '\n' ' ')
case "$needed" in
    "libc.so.6 "|"ld-linux-x86-64.so.2 libc.so.6 "|"libc.so.6 ld-linux"*) ok "names only libc: $needed" ;;
    *) bad "the command names libraries beside libc: $needed" ;;
esac
mkdir -p "$T/decoy"
echo 'int decoy(void) { return 0; }' > "$T/decoy/decoy.c"
for so in libjansson.so.4 libmpiguard.so.0; do
    gcc -shared -fPIC -Wl,-soname,$so -o "$T/decoy/$so" "$T/decoy/decoy.c" || bad "cannot build a decoy $so"
done
decoy_env() {
    local home=$T/debian-mpi/mpich
    env -i HOME="$T" PATH="$home/bin:$T/venv/bin:/usr/bin:/bin" VIRTUAL_ENV="$T/venv" \
        LMOD_FAMILY_MPI=mpich MPI_HOME="$home" LD_LIBRARY_PATH="$T/decoy:$home/lib" "$@"
}
expect_rc 1 "--json with a libjansson.so.4 and a libmpiguard.so.0 of a user's first on LD_LIBRARY_PATH" \
    decoy_env "$M" check --json --policy "$T/empty.conf"
python3 -c 'import json, sys; assert json.load(open(sys.argv[1]))["findings"][0]["code"] == "ABI_MISMATCH"' "$T/out" &&
    ok "the JSON written all the same" || bad "no JSON with decoys: $(cat "$T/out" "$T/err")"

# libjansson cannot be loaded (a shim makes dlopen() of it fail): the text check runs, and each
# --json says what is missing and how to install it instead of printing nothing.
cat > "$T/decoy/nojansson.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
void *dlopen(const char *file, int flags)
{
    static void *(*real)(const char *, int);
    if (file && strstr(file, "jansson")) return NULL;
    if (!real) real = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
    return real(file, flags);
}
C
if gcc -shared -fPIC -o "$T/decoy/nojansson.so" "$T/decoy/nojansson.c" -ldl; then
    nojansson=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" LD_PRELOAD="$T/decoy/nojansson.so")
    expect_rc 1 "without libjansson: the check in text" in_env mpich "${nojansson[@]}" "$M" check --policy "$T/empty.conf"
    grep -q '^mpiguard: warn ABI_MISMATCH' "$T/out" && ok "without libjansson: the finding shown" || bad "without libjansson: $(cat "$T/out" "$T/err")"
    expect_rc 3 "without libjansson: check --json" in_env mpich "${nojansson[@]}" "$M" check --json --policy "$T/empty.conf"
    [ ! -s "$T/out" ] && grep -q 'check --json needs libjansson, and cannot load libjansson.so.4.*apt-get install libjansson4' "$T/err" &&
        ok "without libjansson: --json says what to install" || bad "without libjansson, --json: $(cat "$T/out" "$T/err")"
    expect_rc 3 "without libjansson: report --json" "${nojansson[@]}" "$M" report --json "$SRC/tests/cli/report.syslog"
    grep -q 'report --json needs libjansson' "$T/err" && ok "without libjansson: report --json says so" || bad "report --json: $(cat "$T/err")"
else
    bad "cannot build the shim that hides libjansson"
fi

echo "test_cli: $fails failed"
[ $fails = 0 ]
