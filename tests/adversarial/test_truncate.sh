#!/bin/bash
# Issue #8, points 5 and 9: files that shrink or are not what they seem never crash or hang
# `module`.
#  - A library that shrinks while mpiguard reads it (pip/conda reinstalling it, NFS): an
#    LD_PRELOAD shim (shrink_shim.c) cuts each file of the env to 1 KiB right after mpiguard's
#    first mmap() or pread() of it, inside the real Lmod process and in `mpiguard check`.
#  - The binding's .so cut short (a site mid-upgrade), at a page boundary and at its middle.
#  - A FIFO at the binding's path, at the policy file's path, and as the env's mpi.cfg.
# Each: `module load` exits 0 within seconds, at most one line says what happened, the
# module is applied, stdout stays valid shell.
. "$(dirname "$0")/lib.sh"
command -v gcc >/dev/null || skip "no gcc to build the shim"
gcc -shared -fPIC -O1 -o "$T/shrink.so" "$SRC/tests/adversarial/shrink_shim.c" -ldl ||
    skip "cannot build the shrink shim"
[ -d /usr/lib/python3/dist-packages/mpi4py ] || skip "python3-mpi4py is not installed"

# modt SECONDS ARGS...: `mod` under a time limit (a hang is a failure, not a stuck suite)
modt() {
    local limit=$1 rc
    shift
    LD_PRELOAD="$SAN_PRELOAD${PRELOAD_EXTRA:+ $PRELOAD_EXTRA}" timeout -s KILL "$limit" "$LMOD_CMD" bash "$@" >"$OUT" 2>"$ERR"
    rc=$?
    bash -n "$OUT" 2>/dev/null || fail "stdout of 'module $*' is not valid shell"
    eval "$(cat "$OUT")" >/dev/null 2>&1
    return $rc
}

# A venv with its own copy of Debian's mpi4py and of Open MPI's library (so the files mpiguard
# opens are the env's), loaded under MPICH: ABI_MISMATCH when all is read.
v=$T/venv
quick_venv "$v"
sed -i 's/= true/= false/' "$v/pyvenv.cfg"
fresh_env() {
    rm -rf "$v/lib/python3.11/site-packages/mpi4py" "$v/lib/libmpi.so.40"
    cp -r /usr/lib/python3/dist-packages/mpi4py "$v/lib/python3.11/site-packages/"
    cp "$(readlink -f /usr/lib/x86_64-linux-gnu/libmpi.so.40)" "$v/lib/libmpi.so.40"
}
export VIRTUAL_ENV=$v LD_LIBRARY_PATH=$v/lib

fresh_env
modt 30 load mpich; rc=$?
expect_eq "$rc" 0 "intact env: exit 0"
expect_grep "ABI_MISMATCH" "$ERR" "intact env: the finding"
mod purge

# ---- shrinking while read ----------------------------------------------------------------
for round in 1 2 3; do
    fresh_env
    PRELOAD_EXTRA=$T/shrink.so MPG_SHRINK_UNDER=$v/ MPG_SHRINK_LOG=$T/shrink.log \
        modt 30 load mpich; rc=$?
    expect_eq "$rc" 0 "shrinking library (round $round): module load exits 0 (no SIGBUS)"
    expect_eq "${LOADEDMODULES:-}" "mpich/4.0.2" "shrinking library (round $round): module applied"
    [ "$(grep -c . "$ERR")" -le 3 ] && pass "shrinking library (round $round): a line or two at most" ||
        fail "shrinking library (round $round): too much: $(head -c 600 "$ERR")"
    [ $round = 1 ] && echo "  (module said: $(head -c 400 "$ERR"))"
    mod purge
done
grep -q "shrank $v" "$T/shrink.log" 2>/dev/null && pass "the shim did cut the env's files" ||
    fail "the shim never fired: the test proves nothing"

fresh_env
: > "$T/shrink.log"
env LD_PRELOAD="$SAN_PRELOAD $T/shrink.so" MPG_SHRINK_UNDER=$v/ MPG_SHRINK_LOG=$T/shrink.log \
    timeout -s KILL 30 "$BUILD/src/mpiguard" check > "$T/check.out" 2>&1; rc=$?
[ "$rc" -lt 4 ] && pass "mpiguard check on a shrinking library: exit $rc, no crash" ||
    fail "mpiguard check on a shrinking library: exit $rc: $(head -c 300 "$T/check.out")"
grep -q "shrank" "$T/shrink.log" && pass "mpiguard check: the shim fired" || fail "mpiguard check: the shim never fired"
fresh_env

# ---- the binding cut short, or not a file ----------------------------------------------------
site_package_with() {
    cat > "$T/site/SitePackage.lua" <<EOF2
package.path = "$HOOKS_DIR/?.lua;" .. package.path
require("mpiguard_hooks").setup{ luaext = "$1", policy_file = "$POLICY" }
EOF2
}
size=$(stat -c %s "$LUAEXT")
# where its loadable segments end (what follows, debug info and section headers, the loader
# never reads: a copy cut there still loads, and should)
load_end=0
while read -r type off _ _ filesz _; do
    [ "$type" = LOAD ] && [ $((off + filesz)) -gt "$load_end" ] && load_end=$((off + filesz))
done < <(readelf -lW "$LUAEXT")
[ "$load_end" -gt 8192 ] || fail "cannot read the binding's program headers (readelf)"
for cut in 4096 $(( (load_end / 2) / 4096 * 4096 )) $((load_end / 2 + 123)) $((load_end - 1)); do
    head -c "$cut" "$LUAEXT" > "$T/cut.so"
    site_package_with "$T/cut.so"
    modt 30 load mpich; rc=$?
    expect_eq "$rc" 0 "binding cut at $cut of $size bytes: exit 0 (no SIGBUS)"
    expect_eq "$(grep -c . "$ERR")" 1 "binding cut at $cut: one line"
    expect_grep "mpiguard: check skipped: cannot load $T/cut.so" "$ERR" "binding cut at $cut: says what"
    expect_eq "${LOADEDMODULES:-}" "mpich/4.0.2" "binding cut at $cut: module applied"
    [ "$cut" = 4096 ] && echo "  (cut binding said: $(cat "$ERR"))"
    mod purge
done
# Cut after them: the loader would not fault, but the hooks go by the section headers that end
# the file (one read of its first 64 bytes), so this copy is refused as cut short too.
head -c "$load_end" "$LUAEXT" > "$T/cut.so"
site_package_with "$T/cut.so"
modt 30 load mpich; rc=$?
expect_eq "$rc" 0 "binding cut after its loadable segments: exit 0"
expect_eq "$(grep -c . "$ERR")" 1 "binding cut after its loadable segments: one line"
expect_grep "cannot load $T/cut.so .*it is cut short" "$ERR" "binding cut after its loadable segments: refused as cut short"
mod purge
# With no section headers at all (e_shoff 0, as sstrip leaves it), the program headers decide:
# whole loadable segments load and check.
cp "$LUAEXT" "$T/nosh.so"
python3 - "$T/nosh.so" <<'PY'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(40); f.write(struct.pack("<Q", 0))   # e_shoff
    f.seek(60); f.write(struct.pack("<HH", 0, 0)) # e_shnum, e_shstrndx
PY
head -c "$load_end" "$T/nosh.so" > "$T/cut.so"
site_package_with "$T/cut.so"
modt 30 load mpich; rc=$?
expect_eq "$rc" 0 "no section headers, cut after its loadable segments: exit 0"
expect_grep "ABI_MISMATCH" "$ERR" "no section headers, cut after its loadable segments: loads and checks"
mod purge
head -c $((load_end / 2)) "$T/nosh.so" > "$T/cut.so"
site_package_with "$T/cut.so"
modt 30 load mpich; rc=$?
expect_eq "$rc" 0 "no section headers, cut at half: exit 0 (no SIGBUS)"
expect_grep "cannot load $T/cut.so .*it is cut short" "$ERR" "no section headers, cut at half: refused as cut short"
mod purge

mkfifo "$T/fifo.so"
site_package_with "$T/fifo.so"
modt 20 load mpich; rc=$?
expect_eq "$rc" 0 "FIFO at the binding's path: exit 0, no hang"
expect_eq "$(grep -c . "$ERR")" 1 "FIFO at the binding's path: one line"
expect_grep "cannot load $T/fifo.so" "$ERR" "FIFO at the binding's path: says what"
mod purge
site_package

# A FIFO where the policy file and mpi.cfg are expected: read without blocking.
rm -f "$POLICY"
mkfifo "$POLICY"
modt 20 load mpich; rc=$?
expect_eq "$rc" 0 "FIFO as the policy file: exit 0, no hang"
expect_grep "ignoring the site policy" "$ERR" "FIFO as the policy file: one line says so"
mod purge
rm -f "$POLICY"
mkfifo "$v/lib/python3.11/site-packages/mpi4py/mpi.cfg.fifo"
rm -f "$v/lib/python3.11/site-packages/mpi4py/mpi.cfg"
mv "$v/lib/python3.11/site-packages/mpi4py/mpi.cfg.fifo" "$v/lib/python3.11/site-packages/mpi4py/mpi.cfg"
modt 20 load mpich; rc=$?
expect_eq "$rc" 0 "FIFO as mpi.cfg: exit 0, no hang"
expect_grep "ABI_MISMATCH" "$ERR" "FIFO as mpi.cfg: the check still ran"
mod purge
finish
