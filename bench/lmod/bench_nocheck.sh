#!/bin/bash
# bench_nocheck.sh [N] [COMMAND...]: how much of the hooks' CPU time on an MPI load is the check
# (its chunk, the binding, the pass over the file system): the same Lmod command (default `load
# mpich`, no env) without mpiguard ("off"), with an empty finalize hook ("empty"), with
# mpiguard ("on") and with mpiguard with no check ("no check": nocheck.sh, the exports from the
# binding's wrappers() alone), N alternated quadruples (default 200). Prints the CPU medians
# and the median of the per-run ratios with its 95% interval. Its instruction counts are
# bench_breakdown.sh's last row. A benchmark, not a test: nothing passes or fails.
export MPG_TOP_SRCDIR=${MPG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export MPG_TOP_BUILDDIR=${MPG_TOP_BUILDDIR:-$MPG_TOP_SRCDIR}
export MPG_BENCH_N=${1:-200}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- load mpich
exec bash "$MPG_TOP_SRCDIR/bench/lmod/bench_nocheck_inner.sh" "$@"
