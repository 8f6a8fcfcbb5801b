#!/bin/bash
# stress_loads.sh [N]: N concurrent `module load mpich` (default 320) in one HOME with a cold
# listing cache, on a conda env of 5,000 records with a bundled MPICH: every load must exit
# 0 and report ENV_BUNDLED_MPI with the conda record (so no load saw a half-written or lying
# cache), and the cache left behind must be complete (its end line) with no temporary file.
# A stress run for the README's figures, not a test (too long for make check; the suite's
# test_cache.sh runs 24 at once). Needs a build tree and the packages in tests/lmod/DEPS.
N=${1:-320}
export MPG_TOP_SRCDIR=${MPG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export MPG_TOP_BUILDDIR=${MPG_TOP_BUILDDIR:-$MPG_TOP_SRCDIR}
export MPG_BENCH_N=$N
exec bash "$MPG_TOP_SRCDIR/bench/lmod/stress_loads_inner.sh"
