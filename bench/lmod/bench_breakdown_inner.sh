#!/bin/bash
# The body of bench_breakdown.sh, run in the tests' clean environment (tests/lmod/lib.sh);
# its arguments are [--after "PRE"] and the module command.
# (lib.sh re-executes this script with $@: read, never shifted)
after=() # the command run first (its changes evaluated) in each configuration: --after "load mpich"
cmd=("$@") # the module command, as given to bench_breakdown.sh
if [ "${1:-}" = --after ]; then read -r -a after <<< "${2:-}"; cmd=("${@:3}"); fi
[ ${#cmd[@]} -gt 0 ] || cmd=(load mpich) # bench_breakdown.sh's default, also after --after PRE
. "$MPG_TOP_SRCDIR/tests/lmod/lib.sh"
. "$MPG_TOP_SRCDIR/bench/common/callgrind.sh"
. "$MPG_TOP_SRCDIR/bench/lmod/nocheck.sh"
. "$MPG_TOP_SRCDIR/bench/lmod/steps.sh"
command -v valgrind >/dev/null || { echo "bench_breakdown: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
printf '[general]\nlog = no\n' > "$POLICY"
mkdir -p "$T/site-off" "$T/site-empty" "$T/orig" "$T/cg"
: > "$T/site-off/SitePackage.lua"
printf 'local hook = require("Hook")\nhook.register("finalize", function(kind) end)\n' > "$T/site-empty/SitePackage.lua"
faketime=(/usr/lib/*/faketime/libfaketime.so.1)
pre=()
if [ -f "${faketime[0]}" ]; then
    # the clock stopped in 2099: every file is old enough for the listing cache to keep; the
    # file times stat() returns left alone (NO_FAKE_STAT), or the cache would never hit
    pre=(env LD_PRELOAD="${faketime[0]}" FAKETIME="2099-01-01 00:00:00" NO_FAKE_STAT=1)
else
    echo "note: no libfaketime (apt-get install faketime): counts vary by ~0.1 M from run to run" >&2
fi
# the same addresses on every run (Lua 5.3 also seeds its string hashes with one)
if setarch -R true 2>/dev/null; then pre=(setarch -R "${pre[@]}"); fi
# With --after PRE: the environment PRE leaves, evaluated, for Lmod without mpiguard ("off"),
# with the empty hook ("empty") and with the hooks as they are ("on", made before any step edits
# them: the hooks stopped early would not leave what the later ones give back).
mkdir -p "$T/states"
for c in off empty on; do
    case $c in off) d=$T/site-off ;; empty) d=$T/site-empty ;; on) d=$T/site ;; esac
    ( if [ ${#after[@]} -gt 0 ]; then eval "$(LMOD_PACKAGE_PATH=$d "$LMOD_CMD" bash "${after[@]}" 2>/dev/null)"; fi
      export -p > "$T/states/$c" )
done
# ir SITE_DIR [STATE]: instructions of one command, every process, from the environment STATE
# (off, empty or on; default on)
ir() {
    ( . "$T/states/${2:-on}"
      LMOD_PACKAGE_PATH=$1 "$LMOD_CMD" bash "${cmd[@]}" >/dev/null 2>&1 # the caches Lmod keeps
      rm -f "$T"/cg/cg.*
      LMOD_PACKAGE_PATH=$1 "${pre[@]}" "${CALLGRIND_ALL[@]}" \
          --callgrind-out-file="$T/cg/cg.%p" "$LMOD_CMD" bash "${cmd[@]}" >/dev/null 2>&1 )
    cg_sum "$T/cg" cg.
}
files="mpiguard_hooks mpiguard_hooks_register mpiguard_hooks_act mpiguard_hooks_giveback"
for f in $files; do cp "$HOOKS_DIR/$f.lua" "$T/orig/"; done
off=$(ir "$T/site-off" off)
echo "Lmod $("$LMOD_CMD" --version 2>&1 | grep -o 'Version [0-9.]*'), \`${cmd[*]}\`${after[*]:+ after \`${after[*]}\`}; instructions, all processes"
printf '%-62s %12s %12s\n' "hooks stopped after" "Ir" "over off"
printf '%-62s %12d %12s\n' "(Lmod without mpiguard)" "$off" "-"
if [ ${#after[@]} -gt 0 ]; then
    # The steps run in the environment the hooks left (MPICC & co. and the marker set): Lmod
    # alone in it, not in its own, is their floor (a few more variables move Lmod's own count).
    x=$(ir "$T/site-off" on); printf '%-62s %12d %+12d\n' "(Lmod without mpiguard, in the environment the hooks left)" "$x" $((x - off))
fi
x=$(ir "$T/site-empty" empty); printf '%-62s %12d %+12d\n' "(an empty finalize hook instead)" "$x" $((x - off))
# step LABEL [FILE SED]...: the hooks with each FILE edited by SED (which must change it)
step() {
    local label=$1 f; shift
    for f in $files; do cp "$T/orig/$f.lua" "$HOOKS_DIR/"; done
    edit_hooks "$HOOKS_DIR" "$T/orig" "$@"
    x=$(ir "$T/site")
    printf '%-62s %12d %+12d\n' "$label" "$x" $((x - off))
}
each_step step
# What one Lmod setenv costs from a finalize hook, with a short and a long value (the marker
# holds the four exported paths).
long=$(printf 'MPICC=%s/bin/mpicc:MPI4PY_BUILD_MPICC=%s/bin/mpicc:MPICXX=%s/bin/mpicxx:MPIFC=%s/bin/mpifort' \
    "$MPICH_HOME_DIR" "$MPICH_HOME_DIR" "$MPICH_HOME_DIR" "$MPICH_HOME_DIR")
for v in x "$long"; do
    mkdir -p "$T/site-setenv"
    printf 'local hook = require("Hook")\nhook.register("finalize", function(kind) setenv("__MPIGUARD_SET", "%s") end)\n' \
        "$v" > "$T/site-setenv/SitePackage.lua"
    x=$(ir "$T/site-setenv" off)
    printf '%-62s %12d %+12d\n' "(a hook doing one setenv of ${#v} characters)" "$x" $((x - off))
done
# Lua's garbage collector stopped for the whole command (from SitePackage.lua), without and with
# mpiguard: whether the hooks' cost is the collector's extra work on Lmod's heap.
mkdir -p "$T/site-gc-off" "$T/site-gc-on"
echo 'collectgarbage("stop")' > "$T/site-gc-off/SitePackage.lua"
{ echo 'collectgarbage("stop")'; cat "$T/site/SitePackage.lua"; } > "$T/site-gc-on/SitePackage.lua"
gcoff=$(ir "$T/site-gc-off" off)
printf '%-62s %12d %+12d\n' "(the collector stopped, Lmod without mpiguard)" "$gcoff" $((gcoff - off))
x=$(ir "$T/site-gc-on")
printf '%-62s %12d %+12d\n' "(the collector stopped, with mpiguard: over the row above)" "$x" $((x - gcoff))
# The hooks with no check: the binding's check{} replaced by its wrappers() and the exports
# synced from them (bench/lmod/nocheck.sh), which is what an MPI load would pay if the check
# itself cost nothing.
step "(no check: the exports from wrappers() alone)" mpiguard_hooks_act "$NOCHECK_SED"
