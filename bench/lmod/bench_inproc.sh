#!/bin/bash
# bench_inproc.sh: the in-process cost of what the finalize hook does on an MPI load, in the
# Lua that runs Lmod: loading the binding, one check (no env, Debian's mpi4py in a venv, a
# 5,000-record conda env with a bundled MPICH), wrappers(), policy(). CPU time (os.clock).
export MPG_TOP_SRCDIR=${MPG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export MPG_TOP_BUILDDIR=${MPG_TOP_BUILDDIR:-$MPG_TOP_SRCDIR}
exec bash "$MPG_TOP_SRCDIR/bench/lmod/bench_inproc_inner.sh"
