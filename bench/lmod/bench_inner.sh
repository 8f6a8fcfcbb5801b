#!/bin/bash
# The body of bench_load.sh, run in the tests' clean environment (tests/lmod/lib.sh).
. "$MPG_TOP_SRCDIR/tests/lmod/lib.sh"
. "$MPG_TOP_SRCDIR/bench/common/callgrind.sh"
N=${MPG_BENCH_N:-40}
mkdir -p "$T/site-off"
: > "$T/site-off/SitePackage.lua"   # a site without mpiguard: an empty SitePackage

# time_one SITE MODULE: "wall_us cpu_us" of one `lmod bash load MODULE` from no loaded module
# (cpu = user + system of Lmod and its children: less sensitive to a busy machine).
time_one() {
    local TIMEFORMAT='%3R %3U %3S' t
    t=$( { time LMOD_PACKAGE_PATH=$1 "${LMOD[@]}" bash load "$2" >/dev/null 2>"$T/bench.err"; } 2>&1 )
    set -- $t
    echo "$(echo "$1*1000000/1" | bc) $(echo "($2+$3)*1000000/1" | bc)"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
col() { awk -v c="$1" '{print $c}' "$2" | median; }
ms() { echo "$1/1000" | bc -l; }
pct() { echo "100*($2-$1)/$1" | bc -l; }

# run_case NAME MODULE: N alternated pairs; prints medians and overhead.
run_case() {
    local name=$1 module=$2 i
    : > "$T/off.txt"; : > "$T/on.txt"
    time_one "$T/site" "$module" >/dev/null     # warm caches
    time_one "$T/site-off" "$module" >/dev/null
    for i in $(seq "$N"); do
        time_one "$T/site-off" "$module" >> "$T/off.txt"
        time_one "$T/site" "$module" >> "$T/on.txt"
    done
    local w0 w1 c0 c1 dw dc
    w0=$(col 1 "$T/off.txt"); w1=$(col 1 "$T/on.txt")
    c0=$(col 2 "$T/off.txt"); c1=$(col 2 "$T/on.txt")
    # The median of the per-pair differences is steadier than the difference of medians.
    paste "$T/off.txt" "$T/on.txt" | awk '{print $3-$1, $4-$2}' > "$T/diff.txt"
    dw=$(col 1 "$T/diff.txt"); dc=$(col 2 "$T/diff.txt")
    printf '%-42s wall %6.2f -> %6.2f ms, paired %+5.2f ms (%+5.1f%%) | cpu %6.2f -> %6.2f ms, paired %+5.2f ms (%+5.1f%%) [%d lines]\n' \
        "$name" "$(ms "$w0")" "$(ms "$w1")" "$(ms "$dw")" "$(echo "100*$dw/$w0" | bc -l)" \
        "$(ms "$c0")" "$(ms "$c1")" "$(ms "$dc")" "$(echo "100*$dc/$c0" | bc -l)" \
        "$(grep -c . "$T/bench.err")"
}

echo "Lmod $LMOD_VERSION on $LUA_NAME, $N alternated pairs, medians, without -> with mpiguard"
run_case "non-MPI module, no env" hello
run_case "mpich, no env" mpich
make_venv "$T/venv"
( activate_venv "$T/venv"; run_case "openmpi, healthy venv (python3-mpi4py)" openmpi )
make_conda_bundled "$T/big" 5000
(
    activate_conda "$T/big"
    printf '[actions]\ndefault = ignore\n[general]\nlog = no\n' > "$POLICY"
    run_case "mpich, 5,000-record conda env, no message" mpich
    printf '[general]\nlog = no\n' > "$POLICY"
    run_case "mpich, 5,000-record conda env, message" mpich
    export LMOD_TERM_WIDTH=100
    run_case "  same, LMOD_TERM_WIDTH=100" mpich
)

# The cost of one message, apart from the check: a finalize hook that prints one line with
# LmodMessage (which asks TermWidth(), i.e. forks `stty size`, and `tput cols` when TERM is
# set, unless LMOD_TERM_WIDTH is set) or with LmodMsgRaw (what mpiguard uses), against one
# that prints nothing. TERM=xterm as in an interactive shell.
mkdir -p "$T/site-msg" "$T/site-raw" "$T/site-quiet"
hookfile() { printf 'local hook = require("Hook")\nhook.register("finalize", function() %s end)\n' "$1"; }
hookfile 'LmodMessage("mpiguard: one line")' > "$T/site-msg/SitePackage.lua"
hookfile 'LmodMsgRaw("mpiguard: one line\\n")' > "$T/site-raw/SitePackage.lua"
hookfile '' > "$T/site-quiet/SitePackage.lua"
msg_case() { # NAME SITE
    local i
    : > "$T/a.txt"; : > "$T/b.txt"
    for i in $(seq "$N"); do
        time_one "$T/site-quiet" hello >> "$T/a.txt"
        time_one "$2" hello >> "$T/b.txt"
    done
    printf '%-42s wall %+6.2f ms  cpu %+6.2f ms  (quiet: wall %6.2f, cpu %6.2f ms)\n' "$1" \
        "$(ms "$(( $(col 1 "$T/b.txt") - $(col 1 "$T/a.txt") ))")" \
        "$(ms "$(( $(col 2 "$T/b.txt") - $(col 2 "$T/a.txt") ))")" \
        "$(ms "$(col 1 "$T/a.txt")")" "$(ms "$(col 2 "$T/a.txt")")"
}
(
    export TERM=xterm
    msg_case "one LmodMessage, TERM=xterm" "$T/site-msg"
    msg_case "one LmodMsgRaw (mpiguard), TERM=xterm" "$T/site-raw"
    LMOD_TERM_WIDTH=100 msg_case "one LmodMessage, LMOD_TERM_WIDTH=100" "$T/site-msg"
)

# Instructions (valgrind --tool=callgrind, children traced) of one load each, without -> with:
# deterministic, so comparable with bench/envmodules' figures for Environment Modules.
if command -v valgrind >/dev/null; then
    instr() { # SITE MODULE
        rm -f "$T"/cg.out.*
        LMOD_PACKAGE_PATH=$1 "${CALLGRIND_ALL[@]}" \
            --callgrind-out-file="$T/cg.out.%p" "${LMOD[@]}" bash load "$2" >/dev/null 2>&1
        cg_sum "$T" cg.out.
    }
    instr_case() { # NAME MODULE
        local off on
        off=$(instr "$T/site-off" "$2"); on=$(instr "$T/site" "$2")
        printf '%-42s instructions %d -> %d (x%.3f)\n' "$1" "$off" "$on" "$(echo "$on/$off" | bc -l)"
    }
    instr_case "non-MPI module, no env" hello
    instr_case "mpich, no env" mpich
    ( activate_venv "$T/venv"; instr_case "openmpi, healthy venv" openmpi )
fi

# Cross-check with hyperfine (if installed): many runs of each, mean and spread.
if command -v hyperfine >/dev/null; then
    hf() { # NAME MODULE
        echo "hyperfine: $1"
        hyperfine -N --warmup 5 --runs "$((N * 2))" --style basic \
            -n without "env LMOD_PACKAGE_PATH=$T/site-off ${LMOD[*]} bash load $2" \
            -n with "env LMOD_PACKAGE_PATH=$T/site ${LMOD[*]} bash load $2" 2>&1 |
            grep -E 'Time|±|faster|slower' | sed 's/^/    /'
    }
    hf "mpich, no env" mpich
    ( activate_venv "$T/venv"; hf "openmpi, healthy venv" openmpi )
fi
