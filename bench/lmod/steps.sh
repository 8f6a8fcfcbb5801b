# steps.sh: where bench_breakdown.sh (instructions) and bench_cpu_steps.sh (CPU time) stop the
# hooks, one step further each time (sourced after tests/lmod/lib.sh). each_step FN calls
# `FN LABEL [FILE SED]...` for each step, in order: the hooks with each FILE (mpiguard_hooks,
# mpiguard_hooks_register or mpiguard_hooks_act, the .lua) edited by SED, which must change
# it; the last step is the hooks as they are.
each_step() {
    local fn=$1
    "$fn" "require(\"mpiguard_hooks\") (parsed, returns at once)" mpiguard_hooks '/^local dir = /i\do return {setup = function() end} end'
    "$fn" "+ register the hooks (the finalize hook returns at once)" mpiguard_hooks_register '/^function M.finalize/a\   do return end'
    "$fn" "+ the finalize hook up to loading its work chunk" mpiguard_hooks_register 's/^   local a = actions("mpiguard_hooks_act", .*$/   do return end/'
    "$fn" "+ the work chunk loaded" mpiguard_hooks_register 's/^   if (curFull) then a.mpiChanged(curFull) else a.noMPI() end$/   do return end/'
    "$fn" "+ the binding loaded" mpiguard_hooks_act '/^   local lib, err = loadLib()/a\   do return end'
    "$fn" "+ check, report, the exports worked out, not handed to Lmod" mpiguard_hooks_act 's/^   applySync(sync)$/   -- (not handed to Lmod)/'
    "$fn" "+ handed to Lmod: the whole hooks"
}
