#!/bin/bash
# bench_termwidth.sh: who pays Lmod's terminal-width probe (TermWidth(): `stty size`, then
# `tput cols` when TERM is set; cached per process) on a `module load`, and what a message
# adds. Wraps TermWidth in a test SitePackage and prints each call with its wall time and
# caller. Same clean set-up as the tests (tests/lmod/lib.sh).
export MPG_TOP_SRCDIR=${MPG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export MPG_TOP_BUILDDIR=${MPG_TOP_BUILDDIR:-$MPG_TOP_SRCDIR}
exec bash "$MPG_TOP_SRCDIR/bench/lmod/bench_termwidth_inner.sh"
