#!/bin/bash
# The body of bench_nocheck.sh, run in the tests' clean environment (tests/lmod/lib.sh); its
# arguments are the module command.
cmd=("$@") # the module command (lib.sh reuses $@)
. "$MPG_TOP_SRCDIR/tests/lmod/lib.sh"
. "$MPG_TOP_SRCDIR/bench/lmod/nocheck.sh"
. "$MPG_TOP_SRCDIR/bench/lmod/cpu_rounds.sh"
N=${MPG_BENCH_N:-200}
printf '[general]\nlog = no\n' > "$POLICY"
mkdir -p "$T/site-off" "$T/site-empty" "$T/site-standin" "$T/hooks-standin"
: > "$T/site-off/SitePackage.lua"
printf 'local hook = require("Hook")\nhook.register("finalize", function(kind) end)\n' > "$T/site-empty/SitePackage.lua"
# The stand-in: a copy of the hooks with no check (nocheck.sh): the exports from the binding's
# wrappers() alone.
cp -p "$HOOKS_DIR"/mpiguard_hooks* "$T/hooks-standin/"
act=$T/hooks-standin/mpiguard_hooks_act.lua
sed -i "$NOCHECK_SED" "$act"
cmp -s "$act" "$HOOKS_DIR/mpiguard_hooks_act.lua" && { echo "bench_nocheck: the no-check edit no longer applies to mpiguard_hooks_act.lua: update nocheck.sh" >&2; exit 2; }
"$LUA" "$SRC/site/precompile.lua" "$act" "${act}c"
sed "s|$HOOKS_DIR|$T/hooks-standin|g" "$T/site/SitePackage.lua" > "$T/site-standin/SitePackage.lua"
declare -A SITE=([off]=$T/site-off [empty]=$T/site-empty [on]=$T/site [standin]=$T/site-standin)
CONFIGS=(off empty on standin)
# With no check the hooks must export what they do with it, or it measures nothing.
for cfg in on standin; do
    LMOD_PACKAGE_PATH=${SITE[$cfg]} "$LMOD_CMD" bash "${cmd[@]}" > "$T/out-$cfg" 2>&1
done
exports() { grep 'export MPICC=' "$1"; } # the hooks' one line of exports
if [ -z "$(exports "$T/out-on")" ] || [ "$(exports "$T/out-on")" != "$(exports "$T/out-standin")" ] ||
    grep -q mpiguard "$T/out-standin"; then
    echo "bench_nocheck: with no check the hooks did not export what they do with it (or said something):" >&2
    diff "$T/out-on" "$T/out-standin" >&2
    exit 2
fi
. "$MPG_TOP_SRCDIR/bench/common/stats.sh"
cpu_rounds "$N" "${cmd[@]}"
ratio() { paste "$T/t-$1" "$T/t-$2" | awk '{print $2 / $1}' | median_ci "%.3f [%.3f-%.3f] (%.2f-%.2f)"; }
echo "Lmod $("$LMOD_CMD" --version 2>&1 | grep -o 'Version [0-9.]*'), \`${cmd[*]}\`, N=$N alternated runs a config"
printf 'CPU ms medians: off %.2f, empty %.2f, on %.2f, no check %.2f\n' \
    "$(median < "$T/t-off" | awk '{print $1 / 1000}')" "$(median < "$T/t-empty" | awk '{print $1 / 1000}')" \
    "$(median < "$T/t-on" | awk '{print $1 / 1000}')" "$(median < "$T/t-standin" | awk '{print $1 / 1000}')"
echo "CPU ratios, median of the per-run ratios [95% CI] (min-max):"
echo "  empty hook / off:    $(ratio off empty)"
echo "  mpiguard / off:      $(ratio off on)"
echo "  no check / off:      $(ratio off standin)   (what the rest of the hooks costs)"
echo "  no check / mpiguard: $(ratio on standin)"
