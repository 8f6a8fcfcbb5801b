#!/bin/bash
# The body of bench_compare.sh, in the tests' clean environment: one set-up, every row once.
# $1: the baseline build folder.
before=$1
. "$MPG_TOP_SRCDIR/tests/lmod/lib.sh"
. "$MPG_TOP_SRCDIR/bench/common/callgrind.sh"
# Every configuration's folders have names of the same length (the hooks' folder is in Lua's
# package.path, the site's in LMOD_PACKAGE_PATH, the binding's in the loader's list), so that
# the configurations differ in their code only; the length grows by set-up. (Measured: one
# character more in the hooks' folder moved a purge by under 1 k instructions.)
x=$(printf "%$((3 * ${MPG_BENCH_N:-0} + 1))s" | tr ' ' x)
declare -A SITE=([off]=$T/s-off$x [empty]=$T/s-emp$x [before]=$T/s-bef$x [now]=$T/s-now$x)
CONFIGS=(off empty before now)
mkdir -p "${SITE[@]}" "$T/states"
: > "${SITE[off]}/SitePackage.lua"
printf 'local hook = require("Hook")\nhook.register("finalize", function(kind) end)\n' > "${SITE[empty]}/SitePackage.lua"
# site_with CONFIG NAME BUILD HOOKS: SITE[CONFIG] enables BUILD's hooks (from HOOKS), its
# binding and its command, all copied to folders named after NAME (three letters)
site_with() {
    local d=$T/h-$2$x l=$T/l-$2$x f
    mkdir -p "$d" "$l"
    cp -p "$4"/mpiguard_hooks*.lua* "$d/"
    # A .lua newer than its .luac is parsed instead (+0.5 M instructions a command): a build
    # whose chunks were edited and not remade would be measured as slower than it is.
    for f in "$d"/*.luac; do
        if [ "${f%c}" -nt "$f" ]; then
            echo "bench_compare: ${4}/$(basename "${f%c}") is newer than its .luac: run make in $3" >&2; exit 2
        fi
    done
    cp -p "$3/luaext/.libs/mpiguard.so" "$l/mpiguard.so"
    ln -s "$(cd "$3/src" && pwd)/mpiguard" "$l/mpiguard"
    # the hooks' folder on Lua's path while they load, as mpiguard-site(7) says (since 1c73df8;
    # the same for both builds, so that they differ in their code only)
    cat > "${SITE[$1]}/SitePackage.lua" <<LUA
local path = package.path
package.path = "$d/?.lua;" .. path
require("mpiguard_hooks").setup{ luaext = "$l/mpiguard.so", policy_file = "$POLICY", mpiguard = "$l/mpiguard" }
package.path = path
LUA
}
site_with before bef "$before" "$before/site"
site_with now now "$BUILD" "$HOOKS_DIR"
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
