#!/bin/bash
# The body of bench_sys.sh, run in the tests' clean environment; its arguments are the command.
cmd=("$@")
. "$MPG_TOP_SRCDIR/tests/lmod/lib.sh"
command -v strace >/dev/null || { echo "bench_sys: needs strace (apt-get install strace)" >&2; exit 2; }
printf '[general]\nlog = no\n' > "$POLICY"
mkdir -p "$T/site-off" "$T/sys"
: > "$T/site-off/SitePackage.lua"
declare -A SITE=([off]=$T/site-off [on]=$T/site)
echo "Lmod $("$LMOD_CMD" --version 2>&1 | grep -o 'Version [0-9.]*'), \`${cmd[*]}\`, without (off) and with mpiguard (on)"
for cfg in off on; do
    LMOD_PACKAGE_PATH=${SITE[$cfg]} "$LMOD_CMD" bash "${cmd[@]}" >/dev/null 2>&1 # the caches Lmod keeps
    LMOD_PACKAGE_PATH=${SITE[$cfg]} strace -f -c -o "$T/sys/$cfg" "$LMOD_CMD" bash "${cmd[@]}" >/dev/null 2>&1
    # "name count": strace -c rows have an errors column only when there were errors
    awk 'NR > 2 && $1 ~ /^[0-9.]+$/ && NF >= 5 {print $NF, $4}' "$T/sys/$cfg" | sort > "$T/sys/$cfg.n"
done
join -a1 -a2 -e0 -o 0,1.2,2.2 "$T/sys/off.n" "$T/sys/on.n" |
    awk '{d = $3 - $2; a = d < 0 ? -d : d}
         $1 == "total" {printf "%d\t  %-16s %6d -> %6d  %+5d\n", 1e9, "syscalls, all", $2, $3, d; next}
         d != 0 {printf "%d\t  %-16s %6d -> %6d  %+5d\n", a, $1, $2, $3, d}' | sort -rn | cut -f2-
if command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1; then
    # off and on alternated, one run each a round (N rounds in a row of one side would compare
    # two different stretches of a shared machine)
    . "$MPG_TOP_SRCDIR/bench/common/stats.sh"
    : > "$T/sys/perf-off"; : > "$T/sys/perf-on"
    for ((i = 0; i < MPG_BENCH_N; i++)); do
        for cfg in off on; do
            LMOD_PACKAGE_PATH=${SITE[$cfg]} perf stat -x, -e task-clock,page-faults -o "$T/sys/p" \
                "$LMOD_CMD" bash "${cmd[@]}" >/dev/null 2>&1
            awk -F, '$3 == "task-clock" {t = $1} $3 == "page-faults" {p = $1} END {print t, p}' \
                "$T/sys/p" >> "$T/sys/perf-$cfg"
        done
    done
    col() { awk -v c="$2" '{print $c}' "$T/sys/perf-$1"; }
    printf '  %-16s %9.2f -> %9.2f  median of the per-run ratios %s (perf stat, %d alternated runs)\n' \
        task-clock "$(col off 1 | median)" "$(col on 1 | median)" \
        "$(paste "$T/sys/perf-off" "$T/sys/perf-on" | awk '{print $3 / $1}' | median_ci "%.3f [%.3f-%.3f]")" "$MPG_BENCH_N"
    printf '  %-16s %9s -> %9s  (medians)\n' page-faults "$(col off 2 | median)" "$(col on 2 | median)"
else
    echo "  (no usable perf: task-clock and page faults left out; apt-get install linux-perf)"
fi
