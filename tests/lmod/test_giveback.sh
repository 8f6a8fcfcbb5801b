#!/bin/bash
# MPICC & co. are given back, with no MPI left, by plain Lua in the usual case
# (mpiguard_hooks_giveback.lua), and worked out in C everywhere else (src/export_sync.c,
# through the binding). Where the Lua takes the give-back, it must give back exactly what the
# binding would: on thousands of environments (markers well formed and not, values with ':',
# '%', '=', spaces, quotes and newlines, old per-variable markers, saved user values), in the
# Lua that runs Lmod, the Lua's shell line and changes are compared with the binding's
# sync_exports{} with nothing wanted, for each shell Lmod writes and for none. The usual
# cases must be the Lua's (else the test could pass with a chunk that takes nothing).
. "$(dirname "$0")/lib.sh"

[ -x "$LUA" ] || skip "no Lua interpreter for Lmod ($LUA)"
"$LUA" -e 'require("posix")' 2>/dev/null || skip "no luaposix for $LUA (Lmod's own dependency)"
GB=$HOOKS_DIR/mpiguard_hooks_giveback.lua
[ -f "$GB" ] || fail "no $GB in the build"
cat > "$T/t.lua" <<LUA
local m = assert(package.loadlib("$LUAEXT", "luaopen_mpiguard"))()
local G = assert(loadfile("$GB"))({})
local posix = require("posix")
local vars = { "MPICC", "MPI4PY_BUILD_MPICC", "MPICXX", "MPIFC" }
local names = { "__MPIGUARD_SET" }
for _, v in ipairs(vars) do
   names[#names + 1] = v
   names[#names + 1] = "__MPIGUARD_SET_" .. v
   names[#names + 1] = "__MPIGUARD_USER_" .. v
end

local bits = { "/a/bin/mpicc", "/b/bin/mpicxx", ":", "%", "%3A", "%25", "%2", "3A", "=", " ",
               "\n", "\t", "'", '"', "\$(x)", "MPICC=", "MPICXX=", "x", "", "-", "+,@", "\127" }
local function pick(t) return t[math.random(#t)] end
local function junk()
   local s = {}
   for i = 1, math.random(0, 4) do s[i] = pick(bits) end
   return table.concat(s)
end
local function encode(v) return (v:gsub("%%", "%%25"):gsub(":", "%%3A")) end

-- One environment: what mpiguard set (in the marker, well formed or not, or in the old
-- per-variable markers), the variables (often still what was set), the saved user values.
-- Half of them are near the usual case (plain paths, a well-formed marker), with one thing
-- out of the usual now and then; the others are anything.
local plainPaths = { "/a/bin/mpicc", "/opt/mpi-4.1/bin/mpicxx", "/p+q,r@s=t/mpicc", "./x", "_y", "/a/bin/mpicc" }
local function randomEnv()
   local env, fields, usual = {}, {}, math.random() < 0.5
   local function odd(p) return math.random() < (usual and p / 4 or p) end
   for _, v in ipairs(vars) do
      local ours = math.random() < 0.7 and ((usual or math.random() < 0.5) and pick(plainPaths)
                                             or pick{ "/p:q%r/mpicc", junk() }) or nil
      if (ours and not odd(0.2)) then
         fields[#fields + 1] = (odd(0.1) and junk() or "") .. v .. "=" .. encode(ours)
      elseif (ours) then
         env["__MPIGUARD_SET_" .. v] = ours
      end
      if (ours and math.random() < 0.6) then env[v] = ours
      elseif (math.random() < 0.5) then env[v] = usual and pick(plainPaths) or junk() end
      if (math.random() < 0.4) then
         env["__MPIGUARD_USER_" .. v] = (usual and not odd(0.4)) and pick(plainPaths) or
                                        pick{ "/home/me/cc", junk(), "/x y/cc", "/x~y", "/x*y", "-x", "/x#y" }
      end
      if (odd(0.1)) then env["__MPIGUARD_SET_" .. v] = junk() end
   end
   if (odd(0.15)) then fields[#fields + 1] = junk() end
   if (odd(0.1)) then fields[#fields + 1] = pick(vars) .. "=" .. junk() end
   if (#fields > 0 or math.random() < 0.1) then env.__MPIGUARD_SET = table.concat(fields, ":") end
   return env
end

local function setEnv(env)
   for _, n in ipairs(names) do posix.setenv(n, env[n]) end
end
local function show(changes) -- the binding's changes: {{var, value or false}, ...}
   local s = {}
   for i, c in ipairs(changes or {}) do s[i] = c[1] .. (c[2] and "=" .. c[2] or " unset") end
   return table.concat(s, " | ")
end

math.randomseed(20261201)
local cases, bad, taken = 0, 0, 0
-- compare: true when the Lua took the give-back (and then agrees with the binding)
local function compare(env, shell, label)
   setEnv(env)
   local line, changes = G.plan(os.getenv, shell)
   local r = m.sync_exports{ shell = shell }
   cases = cases + 1
   if (not line) then return false end
   taken = taken + 1
   local ok = line == r.cmd and r.notices == nil
   -- the binding made its changes in this environment: the Lua's must be the same ones
   for i = 1, #changes, 2 do ok = ok and os.getenv(changes[i]) == (changes[i + 1] or nil) end
   if (not ok) then
      bad = bad + 1
      if (bad <= 5) then
         local e = {}
         for _, n in ipairs(names) do if env[n] then e[#e + 1] = n .. "=" .. string.format("%q", env[n]) end end
         print("FAIL test_giveback: " .. label .. ": differ (" .. tostring(shell) .. ") for " .. table.concat(e, " "))
         print("     Lua: " .. line)
         print("     C:   " .. tostring(r.cmd) .. " / " .. show(r.changes) .. " / " .. table.concat(r.notices or {}, " "))
      end
   end
   return true
end

-- Hand-picked first: the usual cases, which the Lua must take, and the others.
local P, U = "/usr/lib/mpich/bin/", "/home/me/bin/"
local usual = {
   { label = "the marker alone", env = { __MPIGUARD_SET = "" } },
   { label = "set and still ours", env = { __MPIGUARD_SET = "MPICC=" .. P .. "mpicc", MPICC = P .. "mpicc" } },
   { label = "the user's value back", env = { __MPIGUARD_SET = "MPICC=" .. P .. "mpicc", MPICC = P .. "mpicc",
                                              __MPIGUARD_USER_MPICC = U .. "cc" } },
   { label = "changed by the user since", env = { __MPIGUARD_SET = "MPICC=" .. P .. "mpicc", MPICC = U .. "later",
                                                  __MPIGUARD_USER_MPICC = U .. "cc" } },
   { label = "a name given twice", env = { __MPIGUARD_SET = "MPICC=/a:MPICC=/b", MPICC = "/b" } },
   { label = "all four", env = { __MPIGUARD_SET = "MPICC=/a/mpicc:MPI4PY_BUILD_MPICC=/a/mpicc:MPICXX=/a/mpicxx:MPIFC=/a/mpifort",
                                 MPICC = "/a/mpicc", MPI4PY_BUILD_MPICC = "/a/mpicc", MPICXX = "/a/mpicxx", MPIFC = "/a/mpifort" } },
}
local others = {
   { label = "nothing set", env = {} },
   { label = "a saved value with a newline", env = { __MPIGUARD_SET = "MPICXX=" .. P .. "mpicxx", MPICXX = P .. "mpicxx",
                                                     __MPIGUARD_USER_MPICXX = "y\nrm -rf z" } },
   { label = "a saved value with a space", env = { __MPIGUARD_SET = "MPICC=/a", MPICC = "/a",
                                                   __MPIGUARD_USER_MPICC = "/x y/cc" } },
   { label = "a saved value that needs quoting", env = { __MPIGUARD_SET = "MPICC=/a", MPICC = "/a",
                                                         __MPIGUARD_USER_MPICC = "/x y/\$(touch z)" } },
   { label = "':' and '%' in the marker", env = { __MPIGUARD_SET = "MPICC=/we%3Aird%253A/mpicc", MPICC = "/we:ird%3A/mpicc" } },
   { label = "old markers", env = { __MPIGUARD_SET_MPICC = P .. "mpicc", MPICC = P .. "mpicc",
                                    __MPIGUARD_SET_MPIFC = P .. "mpifort", __MPIGUARD_USER_MPICXX = U .. "cxx" } },
   { label = "the marker and an old one", env = { __MPIGUARD_SET = "MPICC=/new", __MPIGUARD_SET_MPICC = "/old",
                                                  MPICC = "/old" } },
   { label = "junk before a name", env = { __MPIGUARD_SET = "x MPICC=/a", MPICC = "/a" } },
}
local notTaken = {}
for _, shell in ipairs{ "sh", "csh", "fish" } do
   for _, f in ipairs(usual) do
      if (not compare(f.env, shell, f.label)) then notTaken[#notTaken + 1] = f.label .. " (" .. shell .. ")" end
   end
end
print((#notTaken == 0 and "ok   " or "FAIL ") .. "test_giveback: the usual cases are the Lua's" ..
      (#notTaken > 0 and " (not: " .. table.concat(notTaken, ", ") .. ")" or ""))
for _, shell in ipairs{ "sh", "csh", "fish", "perl", false } do
   for _, f in ipairs(usual) do compare(f.env, shell or nil, f.label) end
   for _, f in ipairs(others) do compare(f.env, shell or nil, f.label) end
end
local fixedBad = bad
print((fixedBad == 0 and "ok   " or "FAIL ") .. "test_giveback: " .. (#usual + #others) ..
      " hand-picked environments, 5 shells: where the Lua takes it, Lua and C agree")
local N, before = 4000, taken
for i = 1, N do
   local env = randomEnv()
   compare(env, pick{ "sh", "csh", "fish", "sh", false } or nil, "random environment " .. i)
end
print((bad == fixedBad and "ok   " or "FAIL ") .. "test_giveback: " .. N .. " random environments: where the Lua takes it (" ..
      (taken - before) .. "), Lua and C agree (" .. (bad - fixedBad) .. " differ)")
print(((taken - before) > N / 4 and "ok   " or "FAIL ") .. "test_giveback: the Lua takes some of the random environments (" ..
      (taken - before) .. " of " .. N .. ")")
print("cases " .. cases)
LUA
run_lua_checks "$T/t.lua" 4
finish
