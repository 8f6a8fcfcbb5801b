#!/bin/bash
# The body of bench_cost.sh, run in the tests' clean environment (tests/lmod/lib.sh).
. "$MPG_TOP_SRCDIR/tests/lmod/lib.sh"
. "$MPG_TOP_SRCDIR/bench/common/callgrind.sh"
N=${MPG_BENCH_N:-20}
IR_RUNS=${MPG_BENCH_IR_RUNS:-1}
# CPU time in microseconds (bash's `time` gives milliseconds: 1.8% steps on a 55 ms command)
cc -O2 -o "$T/cputime" "$MPG_TOP_SRCDIR/bench/common/cputime.c" || { echo "bench_cost: cannot build cputime" >&2; exit 2; }
mkdir -p "$T/site-off" "$T/site-empty" "$T/states"
: > "$T/site-off/SitePackage.lua"
printf 'local hook = require("Hook")\nhook.register("finalize", function(kind) end)\n' > "$T/site-empty/SitePackage.lua"
declare -A SITE=([off]=$T/site-off [empty]=$T/site-empty [on]=$T/site)
# MPG_BENCH_AA=1: all three are "off" (an A/A run): the ratios then read this machine's noise
# alone, what a difference must exceed before it means anything.
case ${MPG_BENCH_AA:-0} in
0) ;;
1)
    SITE[empty]=$T/site-off SITE[on]=$T/site-off
    echo "MPG_BENCH_AA=1: empty and on are the same as off (an A/A run): every ratio should read 1"
    ;;
*) echo "bench_cost: MPG_BENCH_AA is '$MPG_BENCH_AA': 1 (an A/A run) or 0 (the usual run)" >&2; exit 2 ;;
esac
CONFIGS=(off empty on)
printf '[general]\nlog = no\n' > "$POLICY"

# state CONFIG [ARGS...]: the environment after `module ARGS` under CONFIG (none: as is), kept
# in a file each timed run starts from.
state() {
    local cfg=$1 f=$T/states/$1; shift
    (
        if [ $# -gt 0 ]; then
            eval "$(LMOD_PACKAGE_PATH=${SITE[$cfg]} "$LMOD_CMD" bash "$@" 2>/dev/null)"
        fi
        export -p > "$f"
    )
}
# cpu_one CONFIG ARGS...: CPU microseconds of one `lmod bash ARGS` from the CONFIG's state
cpu_one() {
    local cfg=$1; shift
    (
        . "$T/states/$cfg"
        [ -n "${COLD:-}" ] && rm -rf "$HOME/.cache/mpiguard"
        LMOD_PACKAGE_PATH=${SITE[$cfg]} "$T/cputime" "$LMOD_CMD" bash "$@" >/dev/null 2>"$T/err-$cfg"
        sed -n 's/^cputime_us=//p' "$T/err-$cfg"
        sed -i '/^cputime_us=/d' "$T/err-$cfg"
    )
}
# The callgrind runs under libfaketime, when installed, with the clock stopped at one moment:
# Lua 5.3 seeds its string hashes with the time, so without it repeat runs of one command
# differ by 0.1-0.2% (more than some differences measured here). The moment is in 2099, so
# every file the runs read is old enough for the listing cache to keep (dircache.c:
# RACY_SECONDS), and the same for every run of this script. NO_FAKE_STAT: libfaketime would
# also change the file times stat() returns, so the listing cache (which compares them with
# the ones it recorded) would never hit: 1.57 M instead of 0.55 M instructions for a venv.
faketime=(/usr/lib/*/faketime/libfaketime.so.1)
fake=()
if [ -f "${faketime[0]}" ]; then
    fake=(env LD_PRELOAD="${faketime[0]}" FAKETIME="2099-01-01 00:00:00" NO_FAKE_STAT=1 TZ=UTC)
else
    echo "note: no libfaketime (apt-get install faketime): instruction counts vary by 0.1-0.2% from run to run" >&2
fi
# ir_one CONFIG ARGS...: instructions of a run, all processes; the mean of IR_RUNS runs (the
# addresses are randomized, and Lua's string hashes and table orders follow them: single runs
# of one build differ by +-30-50 k, 0.03% of a command)
ir_one() {
    local cfg=$1 sum=0 k; shift
    for ((k = 0; k < IR_RUNS; k++)); do
        rm -rf "$T/cg"; mkdir -p "$T/cg"
        (
            . "$T/states/$cfg"
            [ -n "${COLD:-}" ] && rm -rf "$HOME/.cache/mpiguard"
            LMOD_PACKAGE_PATH=${SITE[$cfg]} "${fake[@]}" "${CALLGRIND_ALL[@]}" \
                --callgrind-out-file="$T/cg/cg.%p" "$LMOD_CMD" bash "$@" >/dev/null 2>&1
        )
        sum=$((sum + $(cg_sum "$T/cg" cg.)))
    done
    echo $((sum / IR_RUNS))
}
. "$MPG_TOP_SRCDIR/bench/common/stats.sh"
# ratio_stats A B: "median [95% CI] (min-max)" of the per-run ratios B/A.
ratio_stats() { paste "$T/t-$1" "$T/t-$2" | awk '{print $2 / $1}' | median_ci "%.3f [%.3f-%.3f] (%.2f-%.2f)"; }

# case NAME PRE ARGS...: PRE is the module command that sets the start state ("" for none)
case_() {
    local name=$1 pre=$2 cfg i; shift 2
    for cfg in "${CONFIGS[@]}"; do state "$cfg" $pre; done
    pad_states 0 "${CONFIGS[@]}" # the same environment size: the same string hash seed (shapes.sh)
    for cfg in "${CONFIGS[@]}"; do
        cpu_one "$cfg" "$@" >/dev/null    # warm up (and fill the listing cache)
        [ "$N" -gt 0 ] || echo 1 > "$T/t-$cfg" # N=0: instructions only
        [ "$N" -gt 0 ] && : > "$T/t-$cfg"
    done
    # Each triple in a rotated order (off empty on, empty on off, on off empty, ...), so that no
    # configuration always runs right after the same other one, or in the same place.
    local k
    for ((i = 0; i < N; i++)); do
        for ((k = 0; k < ${#CONFIGS[@]}; k++)); do
            cfg=${CONFIGS[(i + k) % ${#CONFIGS[@]}]}
            cpu_one "$cfg" "$@" >> "$T/t-$cfg"
        done
    done
    if [ -n "${MPG_BENCH_RAW:-}" ]; then # each run's CPU microseconds, one file a config
        local slug; slug=$(printf '%s' "$name" | tr -c 'A-Za-z0-9' '_')
        mkdir -p "$MPG_BENCH_RAW" && for cfg in "${CONFIGS[@]}"; do cp "$T/t-$cfg" "$MPG_BENCH_RAW/$slug.$cfg"; done
    fi
    local lines; lines=$(grep -c . "$T/err-on")
    local ir_off ir_empty ir_on
    if command -v valgrind >/dev/null; then
        ir_off=$(ir_one off "$@") ir_empty=$(ir_one empty "$@") ir_on=$(ir_one on "$@")
    else
        ir_off=1 ir_empty=1 ir_on=1
    fi
    printf '%-40s %7.2f %7.2f %7.2f  %-34s %-34s  %6.4f %6.4f  %d\n' "$name" \
        "$(median < "$T/t-off" | awk '{print $1 / 1000}')" "$(median < "$T/t-empty" | awk '{print $1 / 1000}')" \
        "$(median < "$T/t-on" | awk '{print $1 / 1000}')" "$(ratio_stats off on)" "$(ratio_stats empty on)" \
        "$(awk -v a="$ir_off" -v b="$ir_on" 'BEGIN {print b / a}')" \
        "$(awk -v a="$ir_empty" -v b="$ir_on" 'BEGIN {print b / a}')" "$lines"
}

echo "Lmod $("$LMOD_CMD" --version 2>&1 | grep -o 'Version [0-9.]*'), N=$N alternated runs a config; CPU ms medians;" \
    "instructions: the mean of $IR_RUNS callgrind run(s) a config"
printf '%-40s %7s %7s %7s  %-34s %-34s  %6s %6s  %s\n' "command, env" off empty on "on/off [95% CI] (min-max)" \
    "on/empty [95% CI] (min-max)" "Ir on/off" "on/empty" "stderr lines"
. "$MPG_TOP_SRCDIR/bench/lmod/shapes.sh"
each_shape case_
echo "on/off: mpiguard against the same Lmod without it; on/empty: against an empty finalize hook."
