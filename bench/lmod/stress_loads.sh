#!/bin/bash
# stress_loads.sh [N]: N concurrent `module load mpich` (default 320) in one HOME with a cold
# listing cache, on a conda env of 5,000 records with a bundled MPICH: every load must exit
# 0 and report ENV_BUNDLED_MPI with the conda record (so no load saw a half-written or lying
# cache), and the cache left behind must be complete (its end line) with no temporary file.
# A stress run for the README's figures, not a test (too long for make check; the suite's
# test_cache.sh runs 24 at once). Needs a build tree (_build, else MPG_TOP_BUILDDIR=DIR) and
# the packages in tests/lmod/DEPS.
N=${1:-320}
export MPG_TOP_SRCDIR=${MPG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# the build tree: dev/setup.sh's _build when there is one, else an in-tree build
if [ -z "${MPG_TOP_BUILDDIR:-}" ] && [ -x "$MPG_TOP_SRCDIR/_build/src/mpiguard" ]; then
    MPG_TOP_BUILDDIR=$MPG_TOP_SRCDIR/_build
fi
export MPG_TOP_BUILDDIR=${MPG_TOP_BUILDDIR:-$MPG_TOP_SRCDIR}
export MPG_BENCH_N=$N
exec bash "$MPG_TOP_SRCDIR/bench/lmod/stress_loads_inner.sh"
