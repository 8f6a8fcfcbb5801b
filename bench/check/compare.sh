#!/bin/bash
# mpg_check() of this build against a baseline build, side by side, on the typical venv: a venv
# of Debian's python3 that sees Debian's python3-mpi4py (--system-site-packages) under an Open
# MPI module (warm listing cache, as on every module load after the first).
#  - wall time: ROUNDS rounds, each running both programs (order alternating), 200 checks per
#    run; the median of the per-round medians and their ratio, for wall time and for the CPU
#    time of the checking thread (steadier on a loaded machine);
#  - instructions per check (callgrind, noise-free): 20 warm checks minus 1, per check.
#
#   bash bench/check/compare.sh BASELINE_BUILD [ROUNDS]
#
# BASELINE_BUILD is a build tree (its src/.libs/libmpgcore.a) of another commit, e.g.
#   git worktree add /tmp/base main && (cd /tmp/base && ./autogen.sh && mkdir _b && cd _b &&
#   ../configure && make)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/_build}
base=${1:?usage: compare.sh BASELINE_BUILD [ROUNDS]}
rounds=${2:-7}
[ -d /usr/lib/python3/dist-packages/mpi4py ] || { echo "compare: python3-mpi4py is not installed" >&2; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/mpg-compare-XXXXXX")
trap 'rm -rf "$work"' EXIT
for which in new base; do
    lib=$build/src/.libs/libmpgcore.a
    [ "$which" = base ] && lib=$base/src/.libs/libmpgcore.a
    cc -O2 -std=c11 -D_GNU_SOURCE -I"$top/src" -o "$work/bench-$which" "$top/bench/check/check_bench.c" "$lib" \
        $(pkg-config --libs jansson)
done
bash "$top/tests/unit/fixtures.sh" "$work/fx" >/dev/null
/usr/bin/python3 -m venv --without-pip --system-site-packages "$work/venv"
mkdir -p "$work/home"
run_env() {
    env -i HOME="$work/home" PATH="$work/venv/bin:$work/fx/openmpi-module/bin:/usr/bin:/bin" VIRTUAL_ENV="$work/venv" \
        LMOD_FAMILY_MPI=openmpi LMOD_FAMILY_MPI_VERSION=4.1.4 MPI_HOME="$work/fx/openmpi-module" \
        LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openmpi/lib "$@"
}
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
: > "$work/new.t"
: > "$work/base.t"
: > "$work/new.c"
: > "$work/base.c"
for ((r = 0; r < rounds; r++)); do
    order="new base"
    [ $((r % 2)) = 1 ] && order="base new"
    for which in $order; do
        run_env "$work/bench-$which" 200 > "$work/out"
        sed -n 's/^median_us=\([0-9.]*\).*/\1/p' "$work/out" >> "$work/$which.t"
        sed -n 's/.*cpu_median_us=\([0-9.]*\).*/\1/p' "$work/out" >> "$work/$which.c"
    done
done
tn=$(median < "$work/new.t")
tb=$(median < "$work/base.t")
echo "typical venv (Debian python3-mpi4py via --system-site-packages, Open MPI module), $rounds rounds"
printf 'wall time per check: baseline %s us, this build %s us, ratio %s\n' "$tb" "$tn" \
    "$(awk -v a="$tn" -v b="$tb" 'BEGIN{printf "%.2f", a/b}')"
cn=$(median < "$work/new.c")
cb=$(median < "$work/base.c")
printf 'CPU time per check: baseline %s us, this build %s us, ratio %s\n' "$cb" "$cn" \
    "$(awk -v a="$cn" -v b="$cb" 'BEGIN{printf "%.2f", a/b}')"
if command -v valgrind >/dev/null; then
    ir() { # program checks
        run_env valgrind --tool=callgrind --callgrind-out-file="$work/cg" --toggle-collect=mpg_check "$1" "$2" 2>&1 |
            sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
    }
    for which in base new; do
        a=$(ir "$work/bench-$which" 20)
        b=$(ir "$work/bench-$which" 1)
        eval "ir_$which=$(( (a - b) / 19 ))"
    done
    printf 'instructions per check (callgrind): baseline %s, this build %s, ratio %s\n' "$ir_base" "$ir_new" \
        "$(awk -v a="$ir_new" -v b="$ir_base" 'BEGIN{printf "%.2f", a/b}')"
fi
