#!/bin/bash
# bench/check/cold.sh [N]: what the check costs the first time in a process, as every `module
# load` of an MPI pays it (one Lmod process, one check), against the third time in the same
# process (what bench/check/run.sh's 100-call medians show). N fresh processes (default 300)
# of the Lua the binding was built for (configure's LUA_RUNTIME), each loading the binding
# (BUILD, default _build) and calling check{} three times, as the hooks do, under an MPICH
# "module" (bin, lib, MPI_HOME; modulefiles/mkdebian.sh) with no env; CPU microseconds of each
# step from os.clock(), medians. Then the page faults of such a process with 0, 1, 2 and 3
# checks (perf stat -r 100, when linux-perf is installed). A benchmark: nothing passes or
# fails.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/_build}
n=${1:-300}
so=$build/luaext/.libs/mpiguard.so
lua=$(sed -n 's/^LUA_RUNTIME = //p' "$build/Makefile")
[ -f "$so" ] && [ -x "$lua" ] || { echo "cold.sh: no binding or Lua in $build (build it first)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/mpg-bench-cold-XXXXXX")
trap 'rm -rf "$work"' EXIT
sh "$top/modulefiles/mkdebian.sh" "$work" >/dev/null
mpi=$work/debian-mpi/mpich
[ -d "$mpi" ] || { echo "cold.sh: needs Debian's MPICH (apt-get install mpich)" >&2; exit 2; }
script() { # CHECKS: a Lua chunk that loads the binding and checks CHECKS times, printing each step's CPU us
    cat <<LUA
local clock = os.clock
local t = { clock() }
local m = package.loadlib("$so", "luaopen_mpiguard")()
t[#t + 1] = clock()
local args = { policy_file = "$work/policy.conf", log_module = "mpich/4.0.2", mpi_modules = {},
               export = { MPICC = "mpicc", MPI4PY_BUILD_MPICC = "mpicc", MPICXX = "mpicxx", MPIFC = "mpifort" },
               sync = { shell = "bash", set_by_module = function() return false end }, brief = true }
for _ = 1, $1 do
   assert(m.check(args).verdict == "ok")
   t[#t + 1] = clock()
end
local out = {}
for i = 2, #t do out[#out + 1] = string.format("%.0f", (t[i] - t[i - 1]) * 1e6) end
io.write(table.concat(out, " "), "\n")
LUA
}
printf '[general]\nlog = no\n' > "$work/policy.conf"
for c in 0 1 2 3; do script "$c" > "$work/c$c.lua"; done
# the environment after `module load mpich` with no env: nothing else on PATH that is an MPI
run() { env -i HOME="$work/home" PATH="$mpi/bin:/usr/bin:/bin" LD_LIBRARY_PATH="$mpi/lib" MPI_HOME="$mpi" \
        LOADEDMODULES=mpich/4.0.2 "$@"; }
mkdir -p "$work/home"
for ((i = 0; i < n; i++)); do run "$lua" "$work/c3.lua"; done > "$work/t"
med() { awk -v c="$1" '{print $c}' "$work/t" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
echo "$(basename "$lua"), N=$n processes: CPU us, medians (os.clock)"
printf '  load the binding %s, first check %s, second %s, third %s\n' "$(med 1)" "$(med 2)" "$(med 3)" "$(med 4)"
if command -v perf >/dev/null && perf stat -e page-faults true >/dev/null 2>&1; then
    printf '  page faults of the process (perf stat -r 100):'
    for c in 0 1 2 3; do
        printf ' %d checks %s;' "$c" "$(run perf stat -x, -r 100 -e page-faults "$lua" "$work/c$c.lua" 2>&1 >/dev/null | awk -F, '/page-faults/ {print $1}')"
    done
    echo
fi
