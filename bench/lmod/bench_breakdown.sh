#!/bin/bash
# bench_breakdown.sh [--after "PRE"] [COMMAND...]: where mpiguard's Lmod hooks spend their
# instructions on one command (default: `load mpich`, no env; with --after, in the environment
# `module PRE` left: --after "load mpich" purge), by taking them apart one step at a time: each row is
# the hooks stopped after one more step (a copy of the hooks edited with sed), its callgrind
# instructions (all processes) and the difference from Lmod without mpiguard. Run under
# libfaketime when it is installed (apt-get install faketime) and with address randomization off
# (setarch -R): Lua 5.3 seeds its string hashes with the time and an address, so without them
# repeat runs differ by ~0.1 M. Last rows: one setenv from a hook, the whole hooks with Lua's
# garbage collector stopped, and the hooks with no check (bench/lmod/nocheck.sh). A benchmark:
# nothing passes or fails.
export MPG_TOP_SRCDIR=${MPG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export MPG_TOP_BUILDDIR=${MPG_TOP_BUILDDIR:-$MPG_TOP_SRCDIR}
[ $# -gt 0 ] || set -- load mpich
exec bash "$MPG_TOP_SRCDIR/bench/lmod/bench_breakdown_inner.sh" "$@"
