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
    for cfg in off on; do
        LMOD_PACKAGE_PATH=${SITE[$cfg]} perf stat -r "$MPG_BENCH_N" -x, -e task-clock,page-faults \
            -o "$T/sys/perf-$cfg" "$LMOD_CMD" bash "${cmd[@]}" >/dev/null 2>&1
    done
    for ev in task-clock page-faults; do
        a=$(awk -F, -v e="$ev" '$3 == e {print $1}' "$T/sys/perf-off")
        b=$(awk -F, -v e="$ev" '$3 == e {print $1}' "$T/sys/perf-on")
        awk -v e="$ev" -v a="$a" -v b="$b" -v n="$MPG_BENCH_N" \
            'BEGIN {printf "  %-16s %9.2f -> %9.2f  x%.3f (perf stat -r %d, means)\n", e, a, b, a ? b / a : 0, n}'
    done
else
    echo "  (no usable perf: task-clock and page faults left out; apt-get install linux-perf)"
fi
