#!/bin/bash
# bench_exports.sh [N]: what keeping MPICC & co. in step costs, in CPU: the same build under
# the default policy ("on") and under one with `export_mpicc = no` ("noexport"), N alternated
# runs a configuration (default 300), the order reversed every other round. Two commands:
# `load mpich` with no env, against the same Lmod without mpiguard ("off"), and a purge of it
# (each configuration from the state its own `load mpich` left), against an empty finalize
# hook ("empty"). Per configuration: the CPU median (user + system of Lmod and its children,
# microseconds) and the median of the per-run ratios to the first with its 95% interval.
# A benchmark, not a test: nothing passes or fails. Same clean set-up as the tests.
export MPG_TOP_SRCDIR=${MPG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export MPG_TOP_BUILDDIR=${MPG_TOP_BUILDDIR:-$MPG_TOP_SRCDIR}
export MPG_BENCH_N=${1:-300}
exec bash "$MPG_TOP_SRCDIR/bench/lmod/bench_exports_inner.sh"
