# steps.sh: where bench_breakdown.sh (instructions) and bench_cpu_steps.sh (CPU time) stop the
# hooks, one step further each time (sourced after tests/lmod/lib.sh). each_step FN calls
# `FN LABEL [FILE SED]...` for each step, in order: the hooks with each FILE (mpiguard_hooks,
# mpiguard_hooks_register, mpiguard_hooks_act or mpiguard_hooks_giveback, the .lua) edited by
# SED, which must change it; the last step is the hooks as they are. edit_hooks makes one step
# of a copy of the hooks.
each_step() {
    local fn=$1
    "$fn" "require(\"mpiguard_hooks\") (parsed, returns at once)" mpiguard_hooks '/^local dir = /i\do return {setup = function() end} end'
    "$fn" "+ register the hooks (the finalize hook returns at once)" mpiguard_hooks_register '/^function M.finalize/a\   do return end'
    "$fn" "+ the finalize hook up to loading its work chunk" mpiguard_hooks_register 's/^      local \([ag]\) = actions(.*$/      do return end/'
    "$fn" "+ the work chunk loaded (check, or give-back)" mpiguard_hooks_register 's/^      if (a) then a.mpiChanged(curFull) end$/      do return end/; s/^      if (g and g.noMPI()) then return end$/      do return end/'
    "$fn" "+ the binding loaded (check only)" mpiguard_hooks_act '/^   local lib, err = loadLib()/a\   do return end'
    "$fn" "+ check and report, or the give-back, worked out, not handed to Lmod" mpiguard_hooks_act 's/^   applySync(sync)$/   -- (not handed to Lmod)/' \
        mpiguard_hooks_giveback 's/^   for i = 1, #changes, 2 do posix.setenv(changes\[i\], changes\[i + 1\] or nil) end$/   do return true end/'
    "$fn" "+ handed to Lmod: the whole hooks"
}

# edit_hooks DIR ORIG [FILE SED]...: edits DIR's FILE.lua with SED, stopping the benchmark when
# it comes out as ORIG's (SED no longer applies: the hooks moved on, and the step with them),
# then precompiles DIR's chunks again.
edit_hooks() {
    local dir=$1 orig=$2 f; shift 2
    while [ $# -gt 0 ]; do
        sed -i "$2" "$dir/$1.lua"
        if cmp -s "$dir/$1.lua" "$orig/$1.lua"; then
            echo "$TNAME: '$2' no longer applies to $1.lua: update bench/lmod/steps.sh" >&2; exit 2
        fi
        shift 2
    done
    precompile_hooks "$dir"
}

# precompile_hooks DIR: DIR's chunks precompiled again after an edit (a chunk an older build's
# hooks do not have is skipped); an edit that leaves one that does not compile stops the benchmark.
precompile_hooks() {
    local f
    for f in mpiguard_hooks_register mpiguard_hooks_act mpiguard_hooks_giveback; do
        [ -f "$1/$f.lua" ] || continue
        "$LUA" "$SRC/site/precompile.lua" "$1/$f.lua" "$1/$f.luac" ||
            { echo "$TNAME: the edited $f.lua in $1 does not compile" >&2; exit 2; }
    done
}
