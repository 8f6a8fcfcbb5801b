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

echo "test_cli: $fails failed"
[ $fails = 0 ]
