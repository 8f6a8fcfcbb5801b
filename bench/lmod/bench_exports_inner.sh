#!/bin/bash
# The body of bench_exports.sh, run in the tests' clean environment (tests/lmod/lib.sh).
. "$MPG_TOP_SRCDIR/tests/lmod/lib.sh"
. "$MPG_TOP_SRCDIR/bench/common/stats.sh"
N=${MPG_BENCH_N:-300}
cc -O2 -o "$T/cputime" "$MPG_TOP_SRCDIR/bench/common/cputime.c" || { echo "bench_exports: cannot build cputime" >&2; exit 2; }
printf '[general]\nlog = no\n' > "$POLICY"
printf '[general]\nlog = no\nexport_mpicc = no\n' > "$T/policy-noexport"
mkdir -p "$T/site-off" "$T/site-empty" "$T/site-noexport"
: > "$T/site-off/SitePackage.lua"
printf 'local hook = require("Hook")\nhook.register("finalize", function(kind) end)\n' > "$T/site-empty/SitePackage.lua"
grep -q "policy_file = \"$POLICY\"" "$T/site/SitePackage.lua" ||
    { echo "bench_exports: the test's SitePackage.lua does not name $POLICY" >&2; exit 2; }
sed "s|policy_file = \"$POLICY\"|policy_file = \"$T/policy-noexport\"|" "$T/site/SitePackage.lua" > "$T/site-noexport/SitePackage.lua"
declare -A SITE=([off]=$T/site-off [empty]=$T/site-empty [on]=$T/site [noexport]=$T/site-noexport)
# The two policies do what they say: mpiguard's bookkeeping after `load mpich` under "on" only.
marker_after_load() { (eval "$(LMOD_PACKAGE_PATH=${SITE[$1]} "$LMOD_CMD" bash load mpich 2>/dev/null)"; echo "${__MPIGUARD_SET:-}"); }
[ -n "$(marker_after_load on)" ] || { echo "bench_exports: MPICC & co. not exported under the default policy" >&2; exit 2; }
[ -z "$(marker_after_load noexport)" ] || { echo "bench_exports: MPICC & co. exported under export_mpicc = no" >&2; exit 2; }

# cpu_one CONFIG ARGS...: CPU microseconds of one `lmod bash ARGS` from CONFIG's saved state
cpu_one() {
    local cfg=$1; shift
    (
        . "$T/state-$cfg"
        LMOD_PACKAGE_PATH=${SITE[$cfg]} "$T/cputime" "$LMOD_CMD" bash "$@" >/dev/null 2>"$T/err"
        sed -n 's/^cputime_us=//p' "$T/err"
    )
}
# compare "PRE" CONFIG... -- ARGS...: the start state after `module PRE` under each CONFIG,
# then N alternated rounds of ARGS; ratios to the first CONFIG.
compare() {
    local pre=$1 cfgs=() cfg i k; shift
    while [ "$1" != -- ]; do cfgs+=("$1"); shift; done; shift
    for cfg in "${cfgs[@]}"; do
        (
            [ -n "$pre" ] && eval "$(LMOD_PACKAGE_PATH=${SITE[$cfg]} "$LMOD_CMD" bash $pre 2>/dev/null)"
            export -p > "$T/state-$cfg"
        )
        cpu_one "$cfg" "$@" >/dev/null # warm up
        : > "$T/t-$cfg"
    done
    for ((i = 0; i < N; i++)); do
        local order=("${cfgs[@]}")
        if ((i % 2)); then order=(); for ((k = ${#cfgs[@]} - 1; k >= 0; k--)); do order+=("${cfgs[k]}"); done; fi
        for cfg in "${order[@]}"; do cpu_one "$cfg" "$@" >> "$T/t-$cfg"; done
    done
    echo "\`$*\`${pre:+ after \`$pre\`}:"
    for cfg in "${cfgs[@]}"; do
        printf '  %-9s %9.0f us' "$cfg" "$(median < "$T/t-$cfg")"
        if [ "$cfg" != "${cfgs[0]}" ]; then
            printf '   %s/%s %s' "$cfg" "${cfgs[0]}" \
                "$(paste "$T/t-${cfgs[0]}" "$T/t-$cfg" | awk '{print $2 / $1}' | median_ci "%.4f [%.4f-%.4f]")"
        fi
        echo
    done
}
echo "Lmod $("$LMOD_CMD" --version 2>&1 | grep -o 'Version [0-9.]*'), N=$N alternated runs a configuration; CPU medians"
compare "" off on noexport -- load mpich
compare "load mpich" empty on noexport -- purge
