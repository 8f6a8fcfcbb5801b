# Sourced by bench_breakdown_inner.sh and bench_nocheck_inner.sh: NOCHECK_SED, the sed command
# that makes mpiguard_hooks_act.lua skip the check: its call of the binding's check{} becomes
# an empty result, so the hooks take the path they take when the check cannot run (the site
# policy, the binding's wrappers(), the exports synced from them) and say nothing.
NOCHECK_SED='/^   local res, cerr = lib.check{/,/brief = true }$/c\   local res, cerr = {}, nil -- (no check: bench/lmod/nocheck.sh)'
