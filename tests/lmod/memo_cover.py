"""memo_cover.py MEMO PATHS: whether a memo's record (luaext/memo_lua.c; src/fsmemo.h names the
kinds of lines) covers every path a traced check looked at (PATHS, one a line). Each path is
walked again from "/", name by name, as the kernel resolves it: every folder, file and link met
must be on a line of the record, and every name found missing too; a link or a missing name may
instead be covered by its folder, when the record looks at that folder by its times (G, g: a
link replaced or a name created there changes them), and a path on an M line needs nothing
more (lstat() of the whole path still failing answers for every name in it). Prints what is not covered and exits 1;
exits 0 when all is. For tests/lmod/test_memo.sh."""
import os
import stat
import sys


def main(memo, paths_file):
    seen = {}  # path -> kind
    with open(memo, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2 and parts[0] in ("G", "g", "D", "d", "F", "f", "L", "M"):
                seen.setdefault(parts[1], parts[0])
    timed = {p for p, k in seen.items() if k in ("G", "g")}
    missing = []

    def need(path, what, folder=None):
        if path in seen:
            return
        if what in ("link", "missing") and folder in timed:
            return
        missing.append("%s %s (in %s)" % (what, path, folder))

    def walk(path, depth):
        if depth > 40 or seen.get(path) == "M":
            return  # missing still: one lstat() of the whole path answers for all its names
        need("/", "folder")
        cur = "/"
        parts = [p for p in path.split("/") if p]
        for i, name in enumerate(parts):
            nxt = os.path.join(cur, name)
            try:
                st = os.lstat(nxt)
            except OSError:
                if path not in seen:  # the probe's one lstat() of the whole path may say so
                    need(nxt, "missing", cur)
                return
            if stat.S_ISLNK(st.st_mode):
                need(nxt, "link", cur)
                target = os.path.normpath(os.path.join(cur, os.readlink(nxt)))
                rest = parts[i + 1:]
                walk(target + ("/" + "/".join(rest) if rest else ""), depth + 1)
                return
            need(nxt, "folder" if stat.S_ISDIR(st.st_mode) else "file", cur)
            if not stat.S_ISDIR(st.st_mode):
                return
            cur = nxt

    with open(paths_file) as f:
        for line in f:
            p = line.rstrip("\n")
            if p.startswith("/"):
                walk(os.path.normpath(p), 0)
    for m in sorted(set(missing)):
        print(m)
    return 1 if missing else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.stderr.write("usage: memo_cover.py MEMO PATHS\n")
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
