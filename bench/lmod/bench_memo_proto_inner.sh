#!/bin/bash
# The body of bench_memo_proto.sh, run in the tests' clean environment (tests/lmod/lib.sh).
. "$MPG_TOP_SRCDIR/tests/lmod/lib.sh"
command -v strace >/dev/null || { echo "bench_memo_proto: needs strace (apt-get install strace)" >&2; exit 2; }
printf '[general]\nlog = no\n' > "$POLICY"

# The paths mpiguard adds to a `load mpich` (file system calls of the whole command, with and
# without mpiguard; -s 4096: a path strace cut short would be one nobody looked at), less its
# own files, the test tree's prefix as @T@.
mkdir -p "$T/site-off" "$T/sys"
: > "$T/site-off/SitePackage.lua"
declare -A SITE=([off]=$T/site-off [on]=$T/site)
for cfg in off on; do
    LMOD_PACKAGE_PATH=${SITE[$cfg]} "$LMOD_CMD" bash load mpich >/dev/null 2>&1
    LMOD_PACKAGE_PATH=${SITE[$cfg]} strace -f -s 4096 -e trace=%file -o "$T/sys/$cfg" "$LMOD_CMD" bash load mpich >/dev/null 2>&1
    grep -o '"/[^"]*"' "$T/sys/$cfg" | tr -d '"' | sort -u > "$T/sys/$cfg.paths"
done
comm -13 "$T/sys/off.paths" "$T/sys/on.paths" |
    grep -v -e "^$HOOKS_DIR/" -e "^$T/site/" -e "^$(dirname "$LUAEXT")/" |
    sed "s|^$T/|@T@/|; s|^$T\$|@T@|" > "$T/memo_paths.txt"
[ -s "$T/memo_paths.txt" ] || { echo "bench_memo_proto: strace showed no path mpiguard looked at" >&2; exit 2; }
record=${MPG_MEMO_RECORD:-paths}
case $record in
paths)
    echo "the prototype's record: the $(wc -l < "$T/memo_paths.txt") paths mpiguard adds to \`load mpich\` (strace)"
    ;;
folders)
    python3 "$MPG_TOP_SRCDIR/bench/lmod/memo_record.py" "$T" < "$T/memo_paths.txt" > "$T/memo_record.txt" || exit 2
    echo "the prototype's record: the $(grep -c . "$T/memo_record.txt") real folders and files that the" \
         "$(wc -l < "$T/memo_paths.txt") paths mpiguard adds to \`load mpich\` (strace) lead to"
    mv "$T/memo_record.txt" "$T/memo_paths.txt"
    ;;
*) echo "bench_memo_proto: MPG_MEMO_RECORD is '$record': paths or folders" >&2; exit 2 ;;
esac

# The prototype: this build's hooks and binding, its act chunk edited.
mkdir -p "$T/proto/site" "$T/proto/luaext/.libs"
cp -p "$HOOKS_DIR"/mpiguard_hooks* "$T/proto/site/"
ln -s "$(readlink -f "$LUAEXT")" "$T/proto/luaext/.libs/mpiguard.so"
python3 "$MPG_TOP_SRCDIR/bench/lmod/memo_proto.py" "$T/proto/site/mpiguard_hooks_act.lua" "$T/memo_paths.txt" "$record" || exit 2
echo "base: the prototype (a memo of a clean result); this: the build as it is"
bash "$MPG_TOP_SRCDIR/bench/lmod/bench_cpu_stamps_inner.sh" "$T/proto"
