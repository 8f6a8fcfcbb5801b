#!/bin/bash
# bench/baseline.sh REV DIR: a build of mpiguard at git revision REV in DIR (source in
# DIR/src, build in DIR/_build), for the benchmarks' "before" side. Built once: a DIR that
# already holds a build of REV is reused. Prints the build folder.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
rev=${1:?usage: baseline.sh REV DIR} dir=${2:?usage: baseline.sh REV DIR}
commit=$(git -C "$top" rev-parse --verify "$rev^{commit}")
if [ "$(cat "$dir/REV" 2>/dev/null)" = "$commit" ] && [ -x "$dir/_build/src/mpiguard" ]; then
    echo "$dir/_build"
    exit 0
fi
rm -rf "$dir"
mkdir -p "$dir/src" "$dir/_build"
# git archive, not a worktree: nothing is left in the repository's own bookkeeping
git -C "$top" archive "$commit" | tar -x -C "$dir/src"
echo "baseline: building $rev ($commit) in $dir (once)" >&2
(cd "$dir/src" && ./autogen.sh >/dev/null 2>&1)
(cd "$dir/_build" && ../src/configure -q >/dev/null && make -j"$(nproc)" >/dev/null 2>&1)
echo "$commit" > "$dir/REV"
echo "$dir/_build"
