#!/bin/bash
# The body of bench_termwidth.sh.
. "$MPG_TOP_SRCDIR/tests/lmod/lib.sh"
cat > "$T/site/SitePackage.lua" <<EOF2
local hook = require("Hook")
local orig, n = TermWidth, 0
TermWidth = function()
   n = n + 1
   local t0 = epoch()
   local w = orig()
   local where = debug.traceback("", 2):match("traceback:%s*([^\n]*)") or "?"
   io.stderr:write(string.format("  TermWidth call %d: %.2f ms (%s)\n", n, (epoch() - t0) * 1000, where))
   return w
end
hook.register("finalize", function()
   local t0 = epoch()
   if os.getenv("RAW") then LmodMsgRaw("one line\n") elseif os.getenv("MSG") then LmodMessage("one line") end
   if os.getenv("RAW") or os.getenv("MSG") then
      io.stderr:write(string.format("  message in finalize: %.2f ms\n", (epoch() - t0) * 1000))
   end
end)
EOF2
for c in "quiet load" "MSG=1:LmodMessage" "RAW=1:LmodMsgRaw (mpiguard)" "LMOD_TERM_WIDTH=100 MSG=1:LmodMessage, LMOD_TERM_WIDTH=100"; do
    vars=${c%%:*}; [ "$c" = "quiet load" ] && vars=
    echo "${c#*:}, TERM=xterm:"
    env $vars TERM=xterm LD_PRELOAD="$SAN_PRELOAD" "${LMOD[@]}" bash load hello 2>&1 >/dev/null | grep -v '^one line'
    "${LMOD[@]}" bash purge >/dev/null 2>&1
done
