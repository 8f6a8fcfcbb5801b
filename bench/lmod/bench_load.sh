#!/bin/bash
# bench_load.sh [N]: wall time of `$LMOD_CMD bash load <mpi>` with and without mpiguard's
# hooks, run alternately (N pairs, default 40) from the same state, for: no env, a healthy
# env, and a large mismatched conda env (5,000 records) with and without its message.
# Prints medians and the overhead; a benchmark, not a test (no pass/fail).
# Needs a build tree (make) and the packages in tests/lmod/DEPS. Same set-up as the tests.
N=${1:-40}
export MPG_TOP_SRCDIR=${MPG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export MPG_TOP_BUILDDIR=${MPG_TOP_BUILDDIR:-$MPG_TOP_SRCDIR}
export MPG_BENCH_N=$N
exec bash "$MPG_TOP_SRCDIR/bench/lmod/bench_inner.sh"
