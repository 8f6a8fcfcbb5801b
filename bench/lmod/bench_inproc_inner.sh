#!/bin/bash
# The body of bench_inproc.sh, in the tests' clean environment (tests/lmod/lib.sh).
. "$MPG_TOP_SRCDIR/tests/lmod/lib.sh"
make_venv "$T/venv"; make_conda_bundled "$T/big" 0
bash "$MPG_TOP_SRCDIR/bench/common/conda_records.sh" "$T/big" 5000  # realistic names
# aged as in real life: mpiguard does not cache a folder changed in the last 2 seconds
find "$T/venv" "$T/big" \( -type d -o -type f \) -exec touch -d '1 minute ago' {} +
cat > $T/b.lua <<LUA
local t0 = os.clock()
local m = assert(package.loadlib("$LUAEXT", "luaopen_mpiguard"))()
print(string.format("load .so (first, cold-ish): %.3f ms cpu", (os.clock() - t0) * 1000))
local env = { LMOD_FAMILY_MPI = "mpich", LMOD_FAMILY_MPI_VERSION = "4.0.2", MPI_HOME = "$MPICH_HOME_DIR",
              PATH = "$MPICH_HOME_DIR/bin:/usr/bin:/bin", LD_LIBRARY_PATH = "$MPICH_HOME_DIR/lib" }
local function bench(name, opts, n)
  m.check(opts)
  local c0 = os.clock()
  for i = 1, n do m.check(opts) end
  print(string.format("%-40s %.3f ms cpu per check", name, (os.clock() - c0) * 1000 / n))
end
bench("no env", { env = env, policy_file = "$T/none" }, 200)
env.VIRTUAL_ENV = "$T/venv"
bench("venv (Debian mpi4py), mpich", { env = env, policy_file = "$T/none" }, 200)
env.VIRTUAL_ENV = false
env.CONDA_PREFIX = "$T/big"
bench("conda 5,000 records, bundled", { env = env, policy_file = "$T/none" }, 50)
local c0 = os.clock(); for i = 1, 1000 do m.wrappers() end
print(string.format("%-40s %.3f ms cpu", "wrappers()", (os.clock() - c0)))
c0 = os.clock(); for i = 1, 1000 do m.policy("$T/none") end
print(string.format("%-40s %.3f ms cpu", "policy() (missing file)", (os.clock() - c0)))
LUA
"$LUA" "$T/b.lua"
