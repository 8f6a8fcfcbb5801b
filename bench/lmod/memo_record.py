"""memo_record.py: reads paths (one a line) on stdin and writes what a memo would have to
look at again to know that none of their answers changed: each real folder walked to reach
them, and each file (or other non-folder) they lead to. Symbolic links and missing names are
left out: replacing or removing a link, or creating a name, changes the folder that holds it,
and that folder is in the list. A line "@T@..." stands for $T and is written back that way.

For bench_memo_proto.sh (MPG_MEMO_RECORD=folders): the record as a memo kept by folder would
hold it. A measurement helper, never mpiguard's behaviour."""
import os
import stat
import sys


def main(prefix):
    folders, files = set(), set()

    def walk(path, depth):
        if depth > 40:  # a loop of links: the kernel's limit
            return
        cur = "/"
        folders.add("/")
        parts = [p for p in path.split("/") if p]
        for i, name in enumerate(parts):
            nxt = os.path.join(cur, name)
            try:
                st = os.lstat(nxt)
            except OSError:
                return  # missing: its folder (in the list) says when it appears
            if stat.S_ISLNK(st.st_mode):
                target = os.path.normpath(os.path.join(cur, os.readlink(nxt)))
                rest = parts[i + 1:]
                walk(target + ("/" + "/".join(rest) if rest else ""), depth + 1)
                return
            if not stat.S_ISDIR(st.st_mode):
                files.add(nxt)
                return
            folders.add(nxt)
            cur = nxt

    for line in sys.stdin:
        p = line.rstrip("\n")
        if p.startswith("@T@"):
            p = prefix + p[3:]
        if p.startswith("/"):
            walk(p, 0)
    for p in sorted(folders) + sorted(files):
        if p == prefix or p.startswith(prefix + "/"):
            p = "@T@" + p[len(prefix):]
        print(p)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: memo_record.py T < PATHS > RECORD (T: what @T@ stands for)\n")
        sys.exit(2)
    main(sys.argv[1])
