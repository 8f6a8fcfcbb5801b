#!/bin/bash
# bench_check_steps.sh [N] [REV]: where check{} spends its time inside Lmod, step by step,
# measured in place: bench_cpu_stamps.sh times check{} as one step; this script builds a copy of
# revision REV (default HEAD: committed code only) with time stamps between the steps of the
# binding's check(), the core's check pass and its module discovery, and runs N times (default
# 100) each row of bench_cost.sh whose command runs the check (MPG_BENCH_ROWS=REGEX keeps some),
# with that build's hooks and binding. Per row: each step's median microseconds with its 25-75%
# range, and their sum. A stamp reads CLOCK_MONOTONIC (elapsed time, ~0.02 us, no system call);
# the thread's CPU clock is a system call here (~0.75 us a call), and stamping with it put the
# sum of a ~260 us check ~18 us higher (two runs). The stamps live only in the copy (a temporary
# folder, removed after; MPG_KEEP=1 keeps it); a line the stamps go by that is gone stops the
# script, so a stamp cannot silently fall off. Building the copy takes under a minute here. A
# benchmark: nothing passes or fails. Same clean set-up as the tests (tests/lmod/lib.sh).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
export MPG_TOP_SRCDIR=${MPG_TOP_SRCDIR:-$top}
export MPG_BENCH_N=${1:-100}
rev=${2:-HEAD}
commit=$(git -C "$MPG_TOP_SRCDIR" rev-parse --verify "$rev^{commit}") ||
    { echo "bench_check_steps: $rev is not a revision of $MPG_TOP_SRCDIR" >&2; exit 2; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/mpg-check-steps.XXXXXX")
if [ -z "${MPG_KEEP:-}" ]; then trap 'rm -rf "$dir"' EXIT; else echo "keeping $dir" >&2; fi
mkdir -p "$dir/src" "$dir/_build"
git -C "$MPG_TOP_SRCDIR" archive "$commit" | tar -x -C "$dir/src"
python3 "$MPG_TOP_SRCDIR/bench/lmod/check_stamps.py" "$dir/src" || exit 2
echo "bench_check_steps: building $rev ($commit) with stamps in $dir" >&2
(cd "$dir/src" && ./autogen.sh >/dev/null 2>&1) || { echo "bench_check_steps: autogen.sh failed in $dir/src" >&2; exit 2; }
(cd "$dir/_build" && ../src/configure -q >/dev/null && make -j"$(nproc)" >/dev/null 2>&1) ||
    { echo "bench_check_steps: the stamped copy does not build (MPG_KEEP=1 keeps $dir)" >&2; exit 2; }
# The copy's hooks and binding; the scripts (lib.sh, shapes.sh) of this tree.
MPG_TOP_BUILDDIR=$dir/_build MPG_LUAEXT='' bash "$MPG_TOP_SRCDIR/bench/lmod/bench_check_steps_inner.sh"
