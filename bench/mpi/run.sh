#!/bin/bash
# bench/mpi/run.sh: mpiguard-probe's MPI leg against an osu_bw-equivalent C program built with
# the same MPI's mpicc (osu_bw_ref.c), for Debian's MPICH and Open MPI. The two are launched
# alternately, ROUNDS times each, two local ranks, the same sizes and iterations. Per size: the
# median over rounds of probe/ref (each round's two runs are neighbours in time), its quartiles,
# and the ratio of the best run of each (a busy machine only ever lowers a number, so the best
# runs are the least disturbed). Target: >= 0.95 at >= 64 KiB.
#   usage: bench/mpi/run.sh [ROUNDS [mpich|openmpi ...]]
#   MPIGUARD_PROBE: the probe to measure (default $MPG_TOP_BUILDDIR/src/mpiguard-probe)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
PROBE=${MPIGUARD_PROBE:-${MPG_TOP_BUILDDIR:-$top}/src/mpiguard-probe}
ROUNDS=${1:-15}
SIZES=(65536 262144 1048576 4194304)
# Both programs first run 8 KiB, not reported: the probe measures latency before its sweep, so
# without it the reference alone would meet its first size with a cold shared-memory channel.
WARM=8192
LIBDIR=/usr/lib/x86_64-linux-gnu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -x "$PROBE" ] || { echo "no probe at $PROBE" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1

csv() { local IFS=,; echo "$*"; }

bench_one() { # name mpicc launcher libmpi
    local name=$1 mpicc=$2 launcher=$3 lib=$4
    command -v "$mpicc" >/dev/null && command -v "$launcher" >/dev/null || { echo "# $name: not installed, skipped"; return; }
    "$mpicc" -O2 -Wno-stringop-overflow -o "$work/ref-$name" "$here/osu_bw_ref.c"
    : >"$work/$name.probe"; : >"$work/$name.ref"
    run_probe() {
        # the budget is lifted so the probe runs osu_bw's full iteration counts
        timeout 120 "$launcher" -n 2 "$PROBE" --libmpi "$lib" --legs mpi --sizes "$(csv $WARM "${SIZES[@]}")" \
            --budget 1000 2>/dev/null | awk -F'\t' -v r="$1" '$1 == "bw" { print r, $3, $4 }' >>"$work/$name.probe"
    }
    run_ref() {
        timeout 120 "$launcher" -n 2 "$work/ref-$name" $WARM "${SIZES[@]}" 2>/dev/null |
            awk -F'\t' -v r="$1" '{ print r, $1, $2 }' >>"$work/$name.ref"
    }
    for r in $(seq "$ROUNDS"); do
        # alternate which goes first, so neither always gets the quieter (or warmer) slot
        if [ $((r % 2)) = 1 ]; then run_probe "$r"; run_ref "$r"; else run_ref "$r"; run_probe "$r"; fi
    done
    echo "# $name ($lib), $ROUNDS rounds, median over rounds"
    printf "%-9s %12s %12s %8s %15s %10s\n" size "probe MB/s" "ref MB/s" "ratio" "ratio q1-q3" "best/best"
    /usr/bin/python3 - "$work/$name.probe" "$work/$name.ref" "${SIZES[@]}" <<'PY'
import statistics, sys
def load(p):
    d = {}
    for line in open(p):
        r, s, v = line.split()
        d[(int(r), int(s))] = float(v)
    return d
probe, ref = load(sys.argv[1]), load(sys.argv[2])
for s in map(int, sys.argv[3:]):
    rounds = sorted({r for r, z in probe if z == s} & {r for r, z in ref if z == s})
    ratios = sorted(probe[(r, s)] / ref[(r, s)] for r in rounds)
    q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
    best = max(probe[(r, s)] for r in rounds) / max(ref[(r, s)] for r in rounds)
    print("%-9d %12.1f %12.1f %8.3f %7.3f-%-7.3f %10.3f" % (
        s, statistics.median(probe[(r, s)] for r in rounds),
        statistics.median(ref[(r, s)] for r in rounds), statistics.median(ratios), q[0], q[2], best))
PY
}

shift $(($# > 0 ? 1 : 0))
for mpi in ${@:-mpich openmpi}; do
    case $mpi in
    mpich) bench_one mpich mpicc.mpich mpiexec.mpich "$LIBDIR/libmpich.so.12" ;;
    openmpi) bench_one openmpi mpicc.openmpi mpirun.openmpi "$LIBDIR/libmpi.so.40" ;;
    *) echo "unknown MPI '$mpi' (mpich, openmpi)" >&2; exit 2 ;;
    esac
done
