-- A stand-in for a verdict cached from an earlier check, for bench_breakdown.sh and
-- bench_nocheck.sh only: what an MPI load would pay with no check and no binding. It takes the
-- place of mpiguard_hooks_act (the same mpiChanged), reads FILE, whose lines are VAR=VALUE (the
-- exports) or "MTIME CTIME PATH" (paths whose recorded times are compared, as a real cache
-- would have to), and syncs the exports when every time matches.
local e, file = ...
local attr = require("lfs").attributes
return { mpiChanged = function(curFull)
   local want, fresh = {}, true
   for line in io.lines(file) do
      local var, val = line:match("^([%w_]+)=(.*)$")
      if (var) then
         want[var] = val
      else
         local m, c, path = line:match("^(%d+) (%d+) (.*)$")
         if (attr(path, "modification") ~= tonumber(m) or attr(path, "change") ~= tonumber(c)) then
            fresh = false
         end
      end
   end
   if (fresh) then e.sync(want, curFull) end
end }
