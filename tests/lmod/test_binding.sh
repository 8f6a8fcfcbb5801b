#!/bin/bash
# The Lua binding on its own, in the Lua that runs Lmod: module table, entry points, the
# nil-plus-message convention, argument errors, policy defaults on a malformed file. The Lua
# state is closed at the end, so a sanitizer build also checks the binding for leaks.
. "$(dirname "$0")/lib.sh"

[ -x "$LUA" ] || skip "no Lua interpreter for Lmod ($LUA)"
printf '[general]\nexport_mpicc = maybe\n' > "$T/bad.conf"
printf '[general]\nexport_mpicc = no\n[actions]\nABI_MISMATCH = block\n' > "$T/good.conf"
make_venv "$T/venv"
MODENV="LMOD_FAMILY_MPI = 'mpich', LMOD_FAMILY_MPI_VERSION = '4.0.2',
         MPI_HOME = '$MPICH_HOME_DIR', PATH = '$MPICH_HOME_DIR/bin:/usr/bin:/bin',
         LD_LIBRARY_PATH = '$MPICH_HOME_DIR/lib'"
cat > "$T/t.lua" <<LUA
local m = assert(package.loadlib("$LUAEXT", "luaopen_mpiguard"))()
local function check(c, what) print((c and "ok   " or "FAIL ") .. "test_binding: " .. what) end
check(type(m.version) == "string" and m.version:match("^%d+%.%d+") and m.version ~= "0.0.0", "version field")
check(type(m.policy_file) == "string" and m.policy_file:sub(1, 1) == "/", "policy_file field")
check(type(m.lua_version) == "number", "lua_version field")
local p, err = m.policy("$T/bad.conf")
check(p and p.export_mpicc == true and err and err:find("bad.conf:2:", 1, true), "malformed policy: defaults + message")
p, err = m.policy("$T/good.conf")
check(p.export_mpicc == false and p.actions.ABI_MISMATCH == "block" and err == nil, "policy table")
p, err = m.policy("$T/none.conf")
check(p.source == nil and err == nil, "missing policy: defaults, no error")
local ok, e = pcall(m.check, 42)
check(not ok and tostring(e):find("table expected", 1, true), "check(42) raises an argument error")
ok, e = pcall(m.check, { env = 1 })
check(not ok, "check{env = 1} raises")
local r = assert(m.check{ env_prefix = "$T/venv", policy_file = "$T/none.conf", env = { $MODENV } })
check(r.env.kind == "venv" and r.env.prefix == "$T/venv", "check: env")
check(r.module.loaded and r.module.name == "mpich" and r.module.mpi.abi == "mpich", "check: module")
local codes = {}
for _, f in ipairs(r.findings) do codes[f.code] = f.severity end
check(codes.ABI_MISMATCH == "warn" and r.verdict == "warn", "check: ABI_MISMATCH warn")
check(type(r.text) == "string" and r.text:find("ABI_MISMATCH", 1, true), "check: text")
r = assert(m.check{ env_prefix = "$T/venv", policy_file = "$T/good.conf", env = { $MODENV } })
check(r.verdict == "block" and r.policy.export_mpicc == false, "check: policy applied")
r = assert(m.check{ env_prefix = "$T/nowhere", policy_file = "$T/none.conf" })
check(r.verdict ~= nil, "check: missing prefix gives a result, not an error")
local w = m.wrappers()
check(w == nil or type(w.mpicc) == "string", "wrappers")
-- export: the module's wrappers, found in the check's own pass, are what the check sees for
-- those variables (a stale MPICC about to be replaced is no finding) and come back as exports
local function has(res, code)
   for _, f in ipairs(res.findings) do if (f.code == code) then return true end end
   return false
end
r = assert(m.check{ env_prefix = "$T/venv", policy_file = "$T/none.conf",
                    env = { $MODENV, MPICC = "/usr/bin/mpicc.openmpi" } })
check(has(r, "MPICC_MISMATCH") and r.exports == nil, "check: a stale MPICC is a finding without export")
r = assert(m.check{ env_prefix = "$T/venv", policy_file = "$T/none.conf",
                    env = { $MODENV, MPICC = "/usr/bin/mpicc.openmpi" },
                    export = { MPICC = "mpicc", MPIFC = "mpifort", BOGUS = "nothing" } })
check(r.exports and r.exports.MPICC == r.module.mpicc and r.exports.MPIFC == r.module.mpifort and
      r.module.mpicc:find("$MPICH_HOME_DIR", 1, true) == 1 and r.exports.BOGUS == nil,
      "check{export}: the module's wrappers")
check(not has(r, "MPICC_MISMATCH") and has(r, "ABI_MISMATCH"), "check{export}: checked with them")
r = assert(m.check{ env_prefix = "$T/venv", policy_file = "$T/good.conf",
                    env = { $MODENV, MPICC = "/usr/bin/mpicc.openmpi" },
                    export = { MPICC = "mpicc" } })
check(r.exports and next(r.exports) == nil and has(r, "MPICC_MISMATCH"),
      "check{export} under export_mpicc = no: nothing exported, the user's MPICC checked")
ok, e = pcall(m.check, { export = 1 })
check(not ok and tostring(e):find("export must be a table", 1, true), "check{export = 1} raises")
-- a check stopped by an argument error leaves nothing behind: the next one sees a folder made since
r = assert(m.check{ env_prefix = "$T/venv2", policy_file = "$T/none.conf" })
check(r.env.kind ~= "venv", "check: a missing env is not a venv")
ok = pcall(m.check, { env_prefix = "$T/venv2", mpi_modules = 5 })
check(not ok, "check{mpi_modules = 5} raises")
r = assert(m.check{ env_prefix = "$T/venv2", policy_file = "$T/none.conf" })
check(r.env.kind ~= "venv", "check: still no venv")
os.execute("mkdir -p '$T/venv2/bin' && ln -s /usr/bin/python3 '$T/venv2/bin/python' && " ..
           "printf 'home = /usr/bin\\ninclude-system-site-packages = false\\n' > '$T/venv2/pyvenv.cfg'")
r = assert(m.check{ env_prefix = "$T/venv2", policy_file = "$T/none.conf" })
check(r.env.kind == "venv" and r.env.prefix == "$T/venv2", "check after a raised one: the env made since is seen")
LUA
echo "  $LUA: $("$LUA" -v 2>&1)"
run_lua_checks "$T/t.lua" 24 detect_leaks=1
finish
