#!/bin/bash
# The body of bench_cpu_steps.sh, run in the tests' clean environment; its arguments are the
# module command.
cmd=("$@") # the module command (lib.sh reuses $@)
. "$MPG_TOP_SRCDIR/tests/lmod/lib.sh"
. "$MPG_TOP_SRCDIR/bench/lmod/steps.sh"
. "$MPG_TOP_SRCDIR/bench/lmod/cpu_rounds.sh"
. "$MPG_TOP_SRCDIR/bench/common/stats.sh"
N=${MPG_BENCH_N:-300}
printf '[general]\nlog = no\n' > "$POLICY"
mkdir -p "$T/site-off" "$T/site-empty"
: > "$T/site-off/SitePackage.lua"
printf 'local hook = require("Hook")\nhook.register("finalize", function(kind) end)\n' > "$T/site-empty/SitePackage.lua"
declare -A SITE=([off]=$T/site-off [empty]=$T/site-empty) LABEL=()
CONFIGS=(off empty)
# variant LABEL [FILE SED]...: a copy of the hooks stopped at one step, with its own site folder
variant() {
    local label=$1 k=s${#CONFIGS[@]}; shift
    local dir=$T/hooks-$k
    mkdir -p "$dir" "$T/site-$k"
    cp -p "$HOOKS_DIR"/mpiguard_hooks* "$dir/"
    edit_hooks "$dir" "$HOOKS_DIR" "$@"
    sed "s|$HOOKS_DIR|$dir|g" "$T/site/SitePackage.lua" > "$T/site-$k/SitePackage.lua"
    SITE[$k]=$T/site-$k LABEL[$k]=$label
    CONFIGS+=("$k")
}
each_step variant
for c in "${CONFIGS[@]}"; do
    LMOD_PACKAGE_PATH=${SITE[$c]} "$LMOD_CMD" bash "${cmd[@]}" >/dev/null 2>&1 # the caches Lmod keeps
done
cpu_rounds "$N" "${cmd[@]}"
echo "Lmod $("$LMOD_CMD" --version 2>&1 | grep -o 'Version [0-9.]*'), \`${cmd[*]}\`, N=$N alternated rounds of every row"
printf '%-62s %9s  %s\n' "hooks stopped after" "CPU ms" "median of the per-run ratios over off [95% CI]"
printf '%-62s %9.2f  -\n' "(Lmod without mpiguard)" "$(median < "$T/t-off" | awk '{print $1 / 1000}')"
for c in "${CONFIGS[@]:1}"; do
    label=${LABEL[$c]:-"(an empty finalize hook instead)"}
    printf '%-62s %9.2f  %s\n' "$label" "$(median < "$T/t-$c" | awk '{print $1 / 1000}')" \
        "$(paste "$T/t-off" "$T/t-$c" | awk '{print $2 / $1}' | median_ci "%.4f [%.4f-%.4f]")"
done
