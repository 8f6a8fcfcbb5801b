#!/bin/bash
# bench_cpu_stamps.sh [N] [BASELINE_BUILD]: where the hooks' CPU time goes inside Lmod, step
# by step, measured in place: a copy of the hooks with os.clock() stamps (process CPU time; a
# stamp costs ~0.6 us) between their steps, N runs of each row of bench_cost.sh (default 100;
# MPG_BENCH_ROWS=REGEX keeps some), each run printing its stamps on stderr. Per row, each step's
# median CPU microseconds with its 25-75% range, and the hooks' whole (every step but Lmod's own
# work between registration and the finalize hook). Unlike bench_cpu_steps.sh, which compares
# whole commands (ratios with +-0.5% intervals on 26-40 ms), each step is timed alone: a 20 us
# step is seen. With BASELINE_BUILD (a build folder; bench/baseline.sh REV DIR makes one), its
# hooks and binding are stamped and run too, alternated run by run with this build's, and each
# step is shown as base -> this. The first stamp is the first line of a copy of the test's
# SitePackage.lua, so finding and parsing the stub is a step. What the stamps cannot see: what
# the hooks leave Lmod to do after them (writing the exports, exit). The binding's C is one
# step (check{}). A benchmark: nothing passes or fails. Same clean set-up as
# the tests (tests/lmod/lib.sh).
export MPG_TOP_SRCDIR=${MPG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export MPG_TOP_BUILDDIR=${MPG_TOP_BUILDDIR:-$MPG_TOP_SRCDIR}
export MPG_BENCH_N=${1:-100}
[ $# -gt 0 ] && shift
exec bash "$MPG_TOP_SRCDIR/bench/lmod/bench_cpu_stamps_inner.sh" "$@"
