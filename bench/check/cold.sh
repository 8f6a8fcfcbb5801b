#!/bin/bash
# bench/check/cold.sh [N]: what the check costs the first time in a process, as every `module
# load` of an MPI pays it (one Lmod process, one check), against the third time in the same
# process (what bench/check/run.sh's 100-call medians show). N fresh processes (default 300)
# of the Lua the binding was built for (configure's LUA_RUNTIME), each loading the binding
# (BUILD, default _build) and calling check{} three times, as the hooks do, in two shapes: an
# MPICH "module" (bin, lib, MPI_HOME; modulefiles/mkdebian.sh) with no env, and an Open MPI one
# with a venv of Debian's python3 that sees python3-mpi4py (healthy; its folders aged, so the
# listing cache is used). CPU microseconds of each step from os.clock(), medians; then the page
# faults of such a process with 0, 1, 2 and 3 checks (perf stat -r 100, when linux-perf is
# installed). With BASELINE (a build folder, bench/baseline.sh REV DIR makes one), its binding
# runs too, alternated process by process with this one, and each step gets the median of the
# per-pair ratios this/baseline: the machine's speed moves by +-15% from minute to minute here,
# more than a change to the check. A benchmark: nothing passes or fails.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/_build}
n=${1:-300}
base=${BASELINE:-}
sides=(this)
[ -n "$base" ] && sides=(base this)
lua=$(sed -n 's/^LUA_RUNTIME = //p' "$build/Makefile")
for b in "$build" $base; do
    [ -f "$b/luaext/.libs/mpiguard.so" ] || { echo "cold.sh: no binding in $b (build it first)" >&2; exit 2; }
done
[ -x "$lua" ] || { echo "cold.sh: no Lua in $build/Makefile (LUA_RUNTIME)" >&2; exit 2; }
if [ -n "$base" ] && [ "$(sed -n 's/^LUA_RUNTIME = //p' "$base/Makefile")" != "$lua" ]; then
    echo "cold.sh: $base was built for another Lua than $build" >&2; exit 2
fi
. "$top/bench/common/stats.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/mpg-bench-cold-XXXXXX")
trap 'rm -rf "$work"' EXIT
sh "$top/modulefiles/mkdebian.sh" "$work" >/dev/null
[ -d "$work/debian-mpi/mpich" ] && [ -d "$work/debian-mpi/openmpi" ] ||
    { echo "cold.sh: needs Debian's MPICH and Open MPI (apt-get install mpich openmpi-bin)" >&2; exit 2; }
/usr/bin/python3 -m venv --system-site-packages --without-pip "$work/venv"
find "$work/venv" -exec touch -h -d '1 minute ago' {} +
script() { # SO CHECKS: a Lua chunk that loads the binding SO and checks CHECKS times, printing each step's CPU us
    cat <<LUA
local clock = os.clock
local t = { clock() }
local m = package.loadlib("$1", "luaopen_mpiguard")()
t[#t + 1] = clock()
local args = { policy_file = "$work/policy.conf", log_module = os.getenv("LOADEDMODULES"), mpi_modules = {},
               export = { MPICC = "mpicc", MPI4PY_BUILD_MPICC = "mpicc", MPICXX = "mpicxx", MPIFC = "mpifort" },
               sync = { shell = "bash", set_by_module = function() return false end }, brief = true }
for _ = 1, $2 do
   assert(m.check(args).verdict == "ok")
   t[#t + 1] = clock()
end
local out = {}
for i = 2, #t do out[#out + 1] = string.format("%.0f", (t[i] - t[i - 1]) * 1e6) end
io.write(table.concat(out, " "), "\n")
LUA
}
printf '[general]\nlog = no\n' > "$work/policy.conf"
for c in 0 1 2 3; do
    script "$build/luaext/.libs/mpiguard.so" "$c" > "$work/this-c$c.lua"
    [ -n "$base" ] && script "$base/luaext/.libs/mpiguard.so" "$c" > "$work/base-c$c.lua"
done
# the environment after `module load MPI` (SHAPE: none, or venv)
run() { # SHAPE COMMAND...
    local shape=$1 mpi=$work/debian-mpi/mpich name=mpich/4.0.2 venv=()
    shift
    if [ "$shape" = venv ]; then
        mpi=$work/debian-mpi/openmpi name=openmpi/4.1.4 venv=(VIRTUAL_ENV="$work/venv")
    fi
    env -i HOME="$work/home" PATH="${venv:+$work/venv/bin:}$mpi/bin:/usr/bin:/bin" LD_LIBRARY_PATH="$mpi/lib" \
        MPI_HOME="$mpi" LOADEDMODULES="$name" "${venv[@]}" "$@"
}
mkdir -p "$work/home"
echo "$(basename "$lua"), N=$n processes a shape and build${base:+, alternated with $base}: CPU us, medians (os.clock)"
for shape in none venv; do
    for s in "${sides[@]}"; do run "$shape" "$lua" "$work/$s-c3.lua" >/dev/null; done # fills the listing cache
    for s in "${sides[@]}"; do : > "$work/t-$s"; done
    for ((i = 0; i < n; i++)); do
        for s in "${sides[@]}"; do run "$shape" "$lua" "$work/$s-c3.lua" >> "$work/t-$s"; done
    done
    for s in "${sides[@]}"; do
        col() { awk -v c="$1" '{print $c}' "$work/t-$s" | median; }
        printf '  %-5s %-4s load the binding %s, first check %s, second %s, third %s\n' "$shape" "$s" "$(col 1)" "$(col 2)" "$(col 3)" "$(col 4)"
    done
    if [ -n "$base" ]; then
        ratio() { paste "$work/t-base" "$work/t-this" | awk -v c="$1" '{print $(c + 4) / $c}' | median; }
        printf '  %-5s this/base, median of the per-pair ratios: binding %.3f, first check %.3f, second %.3f, third %.3f\n' \
            "$shape" "$(ratio 1)" "$(ratio 2)" "$(ratio 3)" "$(ratio 4)"
    fi
    if command -v perf >/dev/null && perf stat -e page-faults true >/dev/null 2>&1; then
        for s in "${sides[@]}"; do
            printf '  %-5s %-4s page faults of the process (perf stat -r 100):' "$shape" "$s"
            for c in 0 1 2 3; do
                printf ' %d checks %s;' "$c" "$(run "$shape" perf stat -x, -r 100 -e page-faults "$lua" "$work/$s-c$c.lua" 2>&1 >/dev/null |
                    awk -F, '/page-faults/ {print $1}')"
            done
            echo
        done
    fi
done
