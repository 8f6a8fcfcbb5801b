# cpu_rounds.sh: the alternated CPU runs of bench_nocheck.sh and bench_cpu_steps.sh (sourced
# after tests/lmod/lib.sh). cpu_rounds N ARGS...: N rounds, each running `$LMOD_CMD bash ARGS`
# once under every configuration in CONFIGS (its site folder in SITE, as LMOD_PACKAGE_PATH),
# one after the other, so that a stretch of a busy machine weighs on all of them alike; the CPU
# microseconds of each run (bench/common/cputime.c) go to $T/t-<configuration>, a line each.
cpu_rounds() {
    local n=$1 i c; shift
    [ -x "$T/cputime" ] || cc -O2 -o "$T/cputime" "$MPG_TOP_SRCDIR/bench/common/cputime.c" ||
        { echo "$TNAME: cannot build cputime" >&2; exit 2; }
    for c in "${CONFIGS[@]}"; do : > "$T/t-$c"; done
    for ((i = 0; i < n; i++)); do
        for c in "${CONFIGS[@]}"; do
            LMOD_PACKAGE_PATH=${SITE[$c]} "$T/cputime" "$LMOD_CMD" bash "$@" >/dev/null 2>"$T/err"
            sed -n 's/^cputime_us=//p' "$T/err" >> "$T/t-$c"
        done
    done
}
