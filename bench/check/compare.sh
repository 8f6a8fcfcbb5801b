#!/bin/bash
# bench/check/compare.sh BASELINE_BUILD [ROUNDS]: the in-process cost of mpg_check() (what
# every `module load` of an MPI pays) for a typical venv, this build against another one (e.g.
# main's, built in its own folder), side by side. The venv is Debian's python3 with
# --system-site-packages, so it sees the real python3-mpi4py (built for Open MPI), checked
# under an Open MPI "module" (healthy: no finding) and an MPICH one (ABI_MISMATCH).
#  - wall time: median of 200 calls on warm caches, rounds alternated baseline/this (the
#    machine is shared: only the ratio of neighbours means something), and the CPU time of the
#    checking thread (steadier than wall time on a loaded machine);
#  - instructions per call, from callgrind (noise-free): (Ir of 60 calls - Ir of 10) / 50.
# BUILD (default _build) is "this"; both need src/.libs/libmpgcore.a.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/_build}
base=${1:?usage: compare.sh BASELINE_BUILD [ROUNDS]}
rounds=${2:-5}
work=$(mktemp -d "${TMPDIR:-/tmp}/mpg-compare-XXXXXX")
trap 'rm -rf "$work"' EXIT
for b in "$base" "$build"; do
    [ -f "$b/src/.libs/libmpgcore.a" ] || { echo "compare.sh: no $b/src/.libs/libmpgcore.a (build it first)" >&2; exit 2; }
done
# The bench program against each core, each with its own tree's public header.
base_src=$(sed -n 's/^abs_top_srcdir = //p' "$base/Makefile")
cc -O2 -std=c11 -D_GNU_SOURCE -I"$top/src" -o "$work/this" "$top/bench/check/check_bench.c" \
    "$build/src/.libs/libmpgcore.a" $(pkg-config --libs jansson)
cc -O2 -std=c11 -D_GNU_SOURCE -I"$base_src/src" -o "$work/base" "$top/bench/check/check_bench.c" \
    "$base/src/.libs/libmpgcore.a" $(pkg-config --libs jansson)

bash "$top/tests/unit/fixtures.sh" "$work/fx" >/dev/null
fx=$work/fx
/usr/bin/python3 -m venv --system-site-packages --without-pip "$work/venv"
find "$work/venv" -type d -exec touch -d '1 minute ago' {} +

run() { # module program args...
    local mod=$1; shift
    if [ "$mod" = mpich ]; then
        env -i HOME="$work/home-$mod" PATH="$work/venv/bin:$fx/mpich-module/bin:/usr/bin:/bin" \
            VIRTUAL_ENV="$work/venv" LMOD_FAMILY_MPI=mpich LMOD_FAMILY_MPI_VERSION=4.0.2 \
            MPI_HOME="$fx/mpich-module" LD_LIBRARY_PATH="$fx/mpich-module/lib" "$@"
    else
        env -i HOME="$work/home-$mod" PATH="$work/venv/bin:$fx/openmpi-module/bin:/usr/bin:/bin" \
            VIRTUAL_ENV="$work/venv" LMOD_FAMILY_MPI=openmpi LMOD_FAMILY_MPI_VERSION=4.1.4 \
            MPI_HOME="$fx/openmpi-module" LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openmpi/lib "$@"
    fi
}
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ir() { # module program calls: instructions of the whole run
    run "$1" valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$work/$2" "$3" >/dev/null 2>&1
    awk '/^summary:/ {print $2}' "$work/cg.out"
}

printf '%-8s %10s %10s %6s   %10s %10s %6s   %12s %12s %6s\n' module "base us" "this us" ratio "base cpu" "this cpu" \
    ratio "base Ir/call" "this Ir/call" ratio
for mod in openmpi mpich; do
    mkdir -p "$work/home-$mod"
    : > "$work/base.t"; : > "$work/this.t"; : > "$work/base.c"; : > "$work/this.c"
    for ((r = 0; r < rounds; r++)); do
        for prog in base this; do
            run "$mod" "$work/$prog" 200 > "$work/out"
            sed -E -n 's/^median_us=([0-9.]+).*/\1/p' "$work/out" >> "$work/$prog.t"
            sed -E -n 's/.*cpu_median_us=([0-9.]+).*/\1/p' "$work/out" >> "$work/$prog.c"
        done
    done
    tb=$(median < "$work/base.t") tt=$(median < "$work/this.t")
    cb=$(median < "$work/base.c") ct=$(median < "$work/this.c")
    if command -v valgrind >/dev/null; then
        ib=$(( ($(ir "$mod" base 60) - $(ir "$mod" base 10)) / 50 ))
        it=$(( ($(ir "$mod" this 60) - $(ir "$mod" this 10)) / 50 ))
    else
        ib=0 it=0
    fi
    awk -v m="$mod" -v tb="$tb" -v tt="$tt" -v cb="$cb" -v ct="$ct" -v ib="$ib" -v it="$it" 'BEGIN {
        printf "%-8s %10.1f %10.1f %6.3f   %10.1f %10.1f %6.3f   %12d %12d %6s\n", m, tb, tt, tt / tb, cb, ct, ct / cb,
            ib, it, ib ? sprintf("%.3f", it / ib) : "-" }'
    findings=$(run "$mod" "$work/this" 1 | sed -E 's/.*findings=([0-9]+).*/\1/')
    echo "         ($mod: $findings finding(s); wall time median of $rounds rounds of 200 calls each)"
done
