#!/bin/bash
# bench_sys.sh [N] [module command]: what the hooks cost Lmod beyond instructions, on one command
# (default: `load mpich`, no env): system calls by name (strace -f -c, all processes; the
# names whose count moved) and, when perf is installed (apt-get install linux-perf), task-clock
# and page faults over N alternated runs each (perf stat, default 30), the same Lmod without
# mpiguard (an empty SitePackage.lua) against mpiguard's hooks. A benchmark: nothing passes
# or fails. Same clean set-up as the tests (tests/lmod/lib.sh).
export MPG_TOP_SRCDIR=${MPG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export MPG_TOP_BUILDDIR=${MPG_TOP_BUILDDIR:-$MPG_TOP_SRCDIR}
export MPG_BENCH_N=${1:-30}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- load mpich
exec bash "$MPG_TOP_SRCDIR/bench/lmod/bench_sys_inner.sh" "$@"
