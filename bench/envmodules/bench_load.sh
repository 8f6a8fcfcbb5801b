#!/bin/bash
# bench_load.sh [N]: the cost of mpiguard's Environment Modules integration on `module load`,
# `list` and `purge`: modulecmd.tcl (Debian's environment-modules, as tests/envmodules runs it)
# with a siteconfig that sources mpiguard.tcl vs. an empty one, N alternated pairs (default 40)
# from the same state: median CPU time (user + system, children included) and the median of the
# per-pair ratios, with the check in-process (the Tcl extension) and through `mpiguard module-hook`
# (what runs where the extension cannot be loaded: a fork of tclsh and an exec); then
# instructions (valgrind --tool=callgrind, children traced) of one load each; then what one
# exec costs from Tcl. A benchmark, not a test (no pass/fail). Needs a build tree (make).
N=${1:-40}
export MPG_TOP_SRCDIR=${MPG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export MPG_TOP_BUILDDIR=${MPG_TOP_BUILDDIR:-$MPG_TOP_SRCDIR}
export MPG_BENCH_N=$N
exec bash "$MPG_TOP_SRCDIR/bench/envmodules/bench_inner.sh"
