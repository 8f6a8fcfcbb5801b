#!/bin/bash
# bench_cost.sh [N]: what mpiguard's Lmod hooks cost a user, per command and env shape: the
# same Lmod with an empty SitePackage.lua ("off"), with an empty finalize hook ("empty hook",
# the floor of any hook), and with mpiguard ("on"), N alternated triples (default 20), each
# triple in a rotated order.
# For each: medians of the CPU time (user + system of Lmod and its children), the median of the
# per-run on/off ratios with its 95% confidence interval (distribution-free, from the order
# statistics: narrow it with a bigger N; a 2% target needs N in the hundreds on a shared
# machine) and min-max, and the instruction ratio from callgrind (every
# process, --trace-children). A benchmark, not a test: nothing passes or fails.
# MPG_BENCH_IR_RUNS=K: the instruction counts are the mean of K runs (default 1; single runs
# carry +-0.03% of address-layout noise). N=0: instructions only. MPG_BENCH_AA=1: an A/A run,
# all three configurations "off": the ratios show what this machine's noise alone reads.
# MPG_BENCH_RAW=DIR: each row's per-run CPU times kept in DIR/<row>.{off,empty,on}, in run
# order (bench/common/estimators.py compares estimators on them).
# Needs a build tree (make) and the packages in tests/lmod/DEPS. Same set-up as the tests.
export MPG_TOP_SRCDIR=${MPG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export MPG_TOP_BUILDDIR=${MPG_TOP_BUILDDIR:-$MPG_TOP_SRCDIR}
export MPG_BENCH_N=${1:-20}
exec bash "$MPG_TOP_SRCDIR/bench/lmod/bench_cost_inner.sh"
