#!/bin/bash
# bench_memo_proto.sh [N]: what a memo of a clean result would save an MPI load, measured in
# place with a prototype (bench/HOT_PATH.md, twenty-third round). The prototype is a copy of
# this build's act chunk (bench/lmod/memo_proto.py edits it) that, when the last clean check
# left a record, lstat()s again each path mpiguard looked at and, when none changed, hands Lmod
# the recorded MPICC & co. line without loading the binding or running the check. The paths are
# those `strace -f` shows mpiguard adding to one `module load mpich` (against Lmod with an empty
# SitePackage.lua), less the hooks' and the binding's own files. The copy is run as
# bench_cpu_stamps.sh's baseline, alternated run by run with this build, N times (default
# 150) each row (MPG_BENCH_ROWS, default 'load mpich, no env': the prototype knows that row's
# paths only). The prototype checks nothing but those paths: it is a measurement, never
# mpiguard's behaviour. MPG_MEMO_RECORD=folders: the record is instead the real folders and
# files those paths lead to (bench/lmod/memo_record.py), each stat()ed into one table reused.
# Needs strace. A benchmark: nothing passes or fails. Same clean set-up as the tests
# (tests/lmod/lib.sh).
export MPG_TOP_SRCDIR=${MPG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export MPG_TOP_BUILDDIR=${MPG_TOP_BUILDDIR:-$MPG_TOP_SRCDIR}
export MPG_BENCH_N=${1:-150}
export MPG_BENCH_ROWS=${MPG_BENCH_ROWS:-load mpich, no env}
exec bash "$MPG_TOP_SRCDIR/bench/lmod/bench_memo_proto_inner.sh"
