#!/bin/bash
# The body of bench_compare.sh, in the tests' clean environment: one set-up, every row once.
# $1: the baseline build folder.
before=$1
. "$MPG_TOP_SRCDIR/tests/lmod/lib.sh"
. "$MPG_TOP_SRCDIR/bench/common/callgrind.sh"
mkdir -p "$T/site-off" "$T/site-empty" "$T/site-before" "$T/hooks-before" "$T/states"
: > "$T/site-off/SitePackage.lua"
printf 'local hook = require("Hook")\nhook.register("finalize", function(kind) end)\n' > "$T/site-empty/SitePackage.lua"
cp -p "$before"/site/mpiguard_hooks*.lua* "$T/hooks-before/"
cat > "$T/site-before/SitePackage.lua" <<LUA
package.path = "$T/hooks-before/?.lua;" .. package.path
require("mpiguard_hooks").setup{ luaext = "$before/luaext/.libs/mpiguard.so", policy_file = "$POLICY", mpiguard = "$before/src/mpiguard" }
LUA
declare -A SITE=([off]=$T/site-off [empty]=$T/site-empty [before]=$T/site-before [now]=$T/site)
CONFIGS=(off empty before now)
printf '[general]\nlog = no\n' > "$POLICY"
faketime=(/usr/lib/*/faketime/libfaketime.so.1)
fake=()
[ -f "${faketime[0]}" ] && fake=(env LD_PRELOAD="${faketime[0]}" FAKETIME="2099-01-01 00:00:00" NO_FAKE_STAT=1 TZ=UTC)
# and with the addresses fixed: Lua seeds its string hashes with them, and the order Lmod's
# tables iterate in follows (+-30-50 k instructions a run otherwise)
setarch -R true 2>/dev/null && fake+=(setarch -R)
# state CONFIG [ARGS...]: the environment after `module ARGS` under CONFIG, kept in a file
state() {
    local cfg=$1 f=$T/states/$1; shift
    (
        [ $# -gt 0 ] && eval "$(LMOD_PACKAGE_PATH=${SITE[$cfg]} "$LMOD_CMD" bash "$@" 2>/dev/null)"
        export -p > "$f"
    )
}
ir_one() { # CONFIG ARGS...
    local cfg=$1; shift
    rm -rf "$T/cg"; mkdir -p "$T/cg"
    (
        . "$T/states/$cfg"
        [ -n "${COLD:-}" ] && rm -rf "$HOME/.cache/mpiguard"
        LMOD_PACKAGE_PATH=${SITE[$cfg]} "${fake[@]}" "${CALLGRIND_ALL[@]}" \
            --callgrind-out-file="$T/cg/cg.%p" "$LMOD_CMD" bash "$@" >/dev/null 2>&1
    )
    cg_sum "$T/cg" cg.
}
row() { # NAME PRE ARGS...: a tab-separated row: name, before on/off, now on/off, before on/empty, now on/empty
    local name=$1 pre=$2 cfg; shift 2
    declare -A ir=()
    for cfg in "${CONFIGS[@]}"; do state "$cfg" $pre; done
    pad_states $((16 * ${MPG_BENCH_N:-0})) "${CONFIGS[@]}" # the same environment size: the same string hash seed (shapes.sh)
    for cfg in "${CONFIGS[@]}"; do
        ( . "$T/states/$cfg"; LMOD_PACKAGE_PATH=${SITE[$cfg]} "$LMOD_CMD" bash "$@" >/dev/null 2>&1 ) # warm up
        ir[$cfg]=$(ir_one "$cfg" "$@")
    done
    awk -v n="$name" -v o="${ir[off]}" -v e="${ir[empty]}" -v b="${ir[before]}" -v w="${ir[now]}" \
        'BEGIN {printf "%s\t%.6f\t%.6f\t%.6f\t%.6f\n", n, b / o, w / o, b / e, w / e}'
}
[ "$MPG_BENCH_N" = 0 ] && echo "Lmod $LMOD_VERSION on $LUA_NAME; before: $before; now: $MPG_TOP_BUILDDIR"
. "$MPG_TOP_SRCDIR/bench/lmod/shapes.sh"
each_shape row
