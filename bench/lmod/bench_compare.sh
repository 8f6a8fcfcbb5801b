#!/bin/bash
# bench_compare.sh BASELINE_BUILD [K]: the instructions the hooks add to each command and env
# shape of bench_cost.sh, for an older build and for this one side by side in the same set-up
# (the same temporary folder, states and files: its name alone moves Lmod's own counts by
# +-0.05%), the mean over K set-ups (default 3). Per row: Ir on/off and on/empty of each build,
# callgrind over all processes under libfaketime and `setarch -R` (repeat runs in one set-up
# give the same counts). BASELINE_BUILD: a build folder
# (bench/baseline.sh REV DIR makes one). A benchmark, not a test: nothing passes or fails.
export MPG_TOP_SRCDIR=${MPG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export MPG_TOP_BUILDDIR=${MPG_TOP_BUILDDIR:-$MPG_TOP_SRCDIR}
base=${1:?usage: bench_compare.sh BASELINE_BUILD [K]} k=${2:-3}
[ -f "$base/luaext/.libs/mpiguard.so" ] || { echo "bench_compare: no built binding in $base" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "bench_compare: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
for ((i = 0; i < k; i++)); do # MPG_BENCH_N: the set-up's number (the first prints a header)
    MPG_BENCH_N=$i bash "$MPG_TOP_SRCDIR/bench/lmod/bench_compare_inner.sh" "$(cd "$base" && pwd)"
done | awk -F'\t' '
    NF == 5 {if (!($1 in n)) order[++rows] = $1; n[$1]++; for (c = 2; c <= 5; c++) s[$1, c] += $c
             printf "  set-up %d: %-52s %12.4f %12.4f %12.4f %12.4f\n", n[$1], $1, $2, $3, $4, $5; next}
    {print}
    END {
        printf "mean of %d set-ups       %-40s %12s %12s %12s %12s\n", n[order[1]], "command, env", "before on/off", "now on/off", "before on/empty", "now on/empty"
        for (r = 1; r <= rows; r++)
            printf "%-64s %12.4f %12.4f %12.4f %12.4f\n", order[r], s[order[r], 2] / n[order[r]], s[order[r], 3] / n[order[r]],
                s[order[r], 4] / n[order[r]], s[order[r], 5] / n[order[r]]
    }'
