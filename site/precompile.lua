-- precompile.lua IN OUT: IN compiled by the Lua that runs it (the one Lmod runs on: make
-- calls it with configure's LUA_PRECOMPILE), written to OUT without debug information (a
-- third smaller and cheaper to load; to see line numbers in an error, remove the .luac).
local f = assert(loadfile(arg[1]))
local out = assert(io.open(arg[2], "wb"))
assert(out:write(string.dump(f, true)))
assert(out:close())
