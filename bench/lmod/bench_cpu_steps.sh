#!/bin/bash
# bench_cpu_steps.sh [N] [module command]: where the hooks' CPU time goes on one command
# (default: `load mpich`, no env): the hooks stopped one step further each time (the steps of
# bench_breakdown.sh, bench/lmod/steps.sh), against the same Lmod without mpiguard and with an
# empty finalize hook, N alternated rounds of every configuration (default 300): CPU medians and
# the median of the per-run ratios over "off" with its 95% interval. The CPU counterpart of
# bench_breakdown.sh, which counts instructions: on a 26-40 ms command a step's CPU can be
# several times its share of the instructions (cold code, page faults, system calls). A
# benchmark: nothing passes or fails. Same clean set-up as the tests (tests/lmod/lib.sh).
export MPG_TOP_SRCDIR=${MPG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export MPG_TOP_BUILDDIR=${MPG_TOP_BUILDDIR:-$MPG_TOP_SRCDIR}
export MPG_BENCH_N=${1:-300}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- load mpich
exec bash "$MPG_TOP_SRCDIR/bench/lmod/bench_cpu_steps_inner.sh" "$@"
