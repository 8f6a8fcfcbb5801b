#!/bin/bash
# The whole test suite, from a fresh Debian 12 machine: installs what is missing, builds, runs
# `make check` (unit tests and the integration tests against real Lmod, Environment Modules,
# MPICH, Open MPI and Soft-RoCE in QEMU), the same suite under ASan+UBSan, the Lmod tests on
# LuaJIT, and each fuzz target briefly.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash dev/setup.sh --sanitizers

status=0
run() { # label command...
    local label=$1; shift
    echo "== $label" >&2
    if "$@"; then echo "== $label: ok" >&2; else echo "== $label: FAILED" >&2; status=1; fi
}
# Totals over both builds: Criterion's per-test counts plus each integration script's result.
count() {
    local pass=0 fail=0 skip=0 f
    for f in $(find _build _build-san _build-luajit -name '*.trs' -path '*tests*' 2>/dev/null); do
        local log=${f%.trs}.log res
        res=$(sed -n 's/^:test-result: //p' "$f" | head -1)
        if grep -q 'Synthesis: Tested' "$log" 2>/dev/null; then
            local line
            line=$(grep 'Synthesis: Tested' "$log" | tail -1)
            pass=$((pass + $(sed -E 's/.*Passing: ([0-9]+).*/\1/' <<<"$line")))
            fail=$((fail + $(sed -E 's/.*Failing: ([0-9]+).*Crashing: ([0-9]+).*/\1+\2/' <<<"$line")))
        else
            case $res in PASS) pass=$((pass + 1)) ;; SKIP) skip=$((skip + 1)) ;; *) fail=$((fail + 1)) ;; esac
        fi
    done
    echo "$pass passed, $fail failed, $skip skipped"
}
show_logs() {
    find "$1" -name '*.log' -path '*tests*' ! -name 'test-suite.log' -newer "$1/Makefile" -print0 |
        xargs -0 -r grep -h -E 'Synthesis|^(PASS|FAIL|SKIP|ERROR)|^not ok|SKIPPED' || true
}
# At the very end (the part of a long CI log one reads first): each failed script's failed
# checks, so a failure can be diagnosed from the CI output alone.
failure_details() {
    local f log
    for f in $(find _build _build-san _build-luajit -name '*.trs' -path '*tests*' 2>/dev/null); do
        grep -q '^:test-result: \(FAIL\|ERROR\)' "$f" || continue
        log=${f%.trs}.log
        echo "-- $log"
        grep -E '^not ok|^FAIL|\[FAIL\]|Assertion|ERROR' "$log" | head -n 20
    done
}
run "make check" make -k -C _build check
show_logs _build
run "make check (ASan+UBSan)" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 make -k -C _build-san check
show_logs _build-san
# Lmod on LuaJIT: Debian's Lmod moved to LuaJIT with Debian's 5.1 Lua modules
# (tests/lmod/lmod-for-lua.sh), the binding built for it by configure; the Lmod tests only.
luajit_suite() {
    sh tests/lmod/lmod-for-lua.sh /usr/bin/luajit "$top/_build-luajit/lmod" >/dev/null &&
        (cd _build-luajit && { [ -f Makefile ] || ../configure -q --with-lua=luajit --with-lmod="$top/_build-luajit/lmod"; } &&
            make -j"$(nproc)" >/dev/null && make -k -C tests/lmod check)
}
run "Lmod tests on LuaJIT" luajit_suite
show_logs _build-luajit
run "fuzz targets (${FUZZ_SECONDS:-12}s each)" bash tests/fuzz/run.sh
echo "tests: $(count)"
[ $status -eq 0 ] || failure_details >&2
[ $status -eq 0 ] && echo "dev/test.sh: all passed" >&2 || echo "dev/test.sh: FAILURES above" >&2
exit $status
