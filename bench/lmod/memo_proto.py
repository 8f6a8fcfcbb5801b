"""memo_proto.py ACT_LUA LIST paths|folders: turns a copy of mpiguard_hooks_act.lua into
bench_memo_proto.sh's prototype of a memo of a clean result. Never for use: it checks nothing but
the entries listed, and is only as right as that list.

The prototype's mpiChanged(): when $T/memo.txt is there ($T: HOME without its last "/home", the
test tree), it looks again at each entry the file lists and, when each one's inode, modification
and change times, size and device are the recorded ones, hands Lmod the recorded execute{} line
of MPICC & co. and returns: no binding loaded, no check. Otherwise it runs the real mpiChanged()
and, when the check gave a sync line, writes memo.txt: that line, then each entry of the file
LIST ("@T@" standing for $T) with what it says of it now. "paths": LIST holds the paths looked
at, each lstat()ed (lfs.symlinkattributes, a new table each); "folders": LIST holds the real
folders and files they lead to (memo_record.py), each stat()ed into one table reused
(lfs.attributes(path, table)).
The edits go by whole lines that must be there once; one gone stops with a message."""
import sys

PROTO = r'''function A.mpiChanged(curFull)
   -- bench_memo_proto.sh's prototype (bench/lmod/memo_proto.py): not mpiguard's code
   local T = (os.getenv("HOME") or ""):gsub("/home$", "")
   local lfs = require("lfs")
   -- paths: each path lstat()ed, a table each; folders: each real folder and file of the
   -- record stat()ed into one table, reused (its device too: another mount, another answer)
   local folders = "@MODE@" == "folders"
   local tb = {}
   local sa = folders and function(p) return lfs.attributes(p, tb) end or lfs.symlinkattributes
   local fmt = string.format
   local mf = io.open(T .. "/memo.txt", "rb")
   if (mf) then
      local cmd, ok = mf:read("*l"), true
      for line in mf:lines() do
         local p, rec = line:match("^(.-)\t(.*)$")
         local a = p and sa(p)
         if (a) then
            ok = ok and fmt("%d\t%d\t%d\t%d\t%d", a.ino, a.modification, a.change, a.size, a.dev) == rec
         else
            ok = ok and rec == "-1\t-1\t-1\t-1\t-1"
         end
         if (not ok) then break end
      end
      mf:close()
      if (ok and cmd and cmd ~= "") then
         execute{ cmd = cmd, modeA = { "all" } }
         return
      end
   end
   A.mpiChangedReal(curFull)
   local sync, list = rawget(_G, "__mpgProtoSync"), io.open("@LIST@", "rb")
   if (sync and sync.cmd and list) then
      local out = io.open(T .. "/memo.txt", "wb")
      out:write(sync.cmd, "\n")
      for p in list:lines() do
         p = p:gsub("@T@", T)
         local a = sa(p)
         if (a) then
            out:write(p, "\t", a.ino, "\t", a.modification, "\t", a.change, "\t", a.size, "\t", a.dev, "\n")
         else
            out:write(p, "\t-1\t-1\t-1\t-1\t-1\n")
         end
      end
      out:close()
   end
   if (list) then list:close() end
end

function A.mpiChangedReal(curFull)'''

EDITS = [("function A.mpiChanged(curFull)", PROTO),
         ("   applySync(sync)\nend", "   rawset(_G, \"__mpgProtoSync\", sync)\n   applySync(sync)\nend")]


def main(path, paths_list, mode):
    if '"' in paths_list or "\\" in paths_list or "%" in paths_list:
        sys.stderr.write("memo_proto.py: %s: the list's path must hold no quote, backslash or %%\n" % paths_list)
        sys.exit(2)
    with open(path) as f:
        s = f.read()
    for old, new in EDITS:
        n = s.count(old + "\n")
        if n != 1:
            sys.stderr.write("memo_proto.py: %s has %d of '%s' (one expected): update "
                             "bench/lmod/memo_proto.py\n" % (path, n, old.split("\n")[0].strip()))
            sys.exit(2)
        s = s.replace(old + "\n", new.replace("@LIST@", paths_list).replace("@MODE@", mode) + "\n", 1)
    with open(path, "w") as f:
        f.write(s)


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[3] not in ("paths", "folders"):
        sys.stderr.write("usage: memo_proto.py ACT_LUA LIST paths|folders (ACT_LUA: a copy of "
                         "mpiguard_hooks_act.lua)\n")
        sys.exit(2)
    main(sys.argv[1], sys.argv[2], sys.argv[3])
