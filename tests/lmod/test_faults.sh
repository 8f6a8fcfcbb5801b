#!/bin/bash
# Faults never break `module`: the binding missing or built for another Lua, a policy path
# that is not a file, an env folder that cannot be read. Each gives at most one clear line,
# the module is applied and stdout stays valid shell (checked by `mod` on every command).
. "$(dirname "$0")/lib.sh"

# 1. The .so is missing.
site_package_with() {
    cat > "$T/site/SitePackage.lua" <<EOF2
package.path = "$HOOKS_DIR/?.lua;" .. package.path
require("mpiguard_hooks").setup{ luaext = "$1", policy_file = "${2:-$POLICY}" }
EOF2
}
site_package_with "$T/nowhere/mpiguard.so"
mod load hello; rc=$?
expect_eq "$rc" 0 "missing .so, non-MPI load: exit 0"
expect_empty "$ERR" "missing .so, non-MPI load: silent (the binding is not even loaded)"
mod load mpich; rc=$?
expect_eq "$rc" 0 "missing .so: exit 0"
expect_eq "$(grep -c . "$ERR")" 1 "missing .so: one line"
expect_grep "mpiguard: check skipped: cannot load $T/nowhere/mpiguard.so" "$ERR" "missing .so: says what"
expect_eq "${LOADEDMODULES:-}" "hello/1.0:mpich/4.0.2" "missing .so: module applied"
mod purge

# 1b. The hooks' body (mpiguard_hooks_act.lua, precompiled as .luac) is loaded only when an
# MPI changed: a non-MPI command never reads it; when it is missing, cut short or a FIFO: one
# line, the module applied. A .luac that does not load, or is older than its source, is not used.
site_package
act=$HOOKS_DIR/mpiguard_hooks_act
[ -f "$act.luac" ] || fail "no precompiled hooks in the build ($act.luac)"
mv "$act.lua" "$T/act.lua"; mv "$act.luac" "$T/act.luac"
mod load hello; rc=$?
expect_eq "$rc" 0 "no hooks body, non-MPI load: exit 0"
expect_empty "$ERR" "no hooks body, non-MPI load: silent (the body is not read)"
mod load mpich; rc=$?
expect_eq "$rc" 0 "no hooks body, MPI load: exit 0"
expect_eq "$(grep -c . "$ERR")" 1 "no hooks body: one line"
expect_grep "mpiguard: check skipped: cannot load $act.lua" "$ERR" "no hooks body: says what"
expect_eq "${LOADEDMODULES:-}" "hello/1.0:mpich/4.0.2" "no hooks body: module applied"
mod purge
head -c 3000 "$T/act.lua" > "$act.lua"
mod load mpich; rc=$?
expect_eq "$rc" 0 "hooks body cut short: exit 0"
expect_eq "$(grep -c . "$ERR")" 1 "hooks body cut short: one line"
expect_eq "${LOADEDMODULES:-}" "mpich/4.0.2" "hooks body cut short: module applied"
mod purge
rm -f "$act.lua"; mkfifo "$act.lua"
mod load mpich; rc=$?
expect_eq "$rc" 0 "hooks body a FIFO: exit 0, no hang"
expect_grep "it is a named pipe" "$ERR" "hooks body a FIFO: says what"
mod purge
rm -f "$act.lua"
# the source edited after the .luac was made: the source is used
{ echo 'io.stderr:write("edited source\n")'; cat "$T/act.lua"; } > "$act.lua"
cp -p "$T/act.luac" "$act.luac"; touch -d '1 minute ago' "$act.luac"
mod load mpich; expect_grep "edited source" "$ERR" "source newer than .luac: source used"
mod purge
touch "$act.luac"
mod load mpich; expect_nogrep "edited source" "$ERR" ".luac as new as its source: .luac used"
mod purge
head -c 100 "$T/act.luac" > "$act.luac"
mod load mpich; expect_grep "edited source" "$ERR" ".luac cut short: the source is used instead"
expect_eq "$(grep -c . "$ERR")" 1 ".luac cut short: nothing more said"
mod purge
mv "$T/act.lua" "$act.lua"; mv "$T/act.luac" "$act.luac"

# 1b'. MPICC & co. are given back with no MPI left by a chunk of their own
# (mpiguard_hooks_giveback), in plain Lua in the usual case: neither the check's chunk nor the
# binding is read. What it does not take (here a saved value that needs quoting) goes to the
# check's chunk and the binding; without the binding, that purge says so in one line. With
# the give-back chunk gone, the check's chunk and the binding give the values back, and one
# line says so; a non-MPI command says nothing.
gb=$HOOKS_DIR/mpiguard_hooks_giveback
[ -f "$gb.luac" ] || fail "no precompiled give-back chunk in the build ($gb.luac)"
export MPICC=/home/me/bin/my-mpicc
mod load mpich
expect_eq "${MPICC:-}" "$MPICH_HOME_DIR/bin/mpicc" "MPICC exported on load"
mv "$act.lua" "$T/act.lua"; mv "$act.luac" "$T/act.luac"
site_package_with "$T/nowhere/mpiguard.so"
mod purge; rc=$?
expect_eq "$rc" 0 "no check chunk, no binding, purge: exit 0"
expect_empty "$ERR" "no check chunk, no binding, purge: silent (neither is read)"
expect_eq "${MPICC:-unset}" "/home/me/bin/my-mpicc" "no check chunk, no binding, purge: the user's MPICC back"
expect_eq "$(env | grep -c '^__MPIGUARD_')" 0 "no check chunk, no binding, purge: bookkeeping gone"
mv "$T/act.lua" "$act.lua"; mv "$T/act.luac" "$act.luac"
site_package
export MPICC="/home/me/my bin/mpicc"
mod load mpich
expect_eq "${MPICC:-}" "$MPICH_HOME_DIR/bin/mpicc" "MPICC with a space replaced on load"
site_package_with "$T/nowhere/mpiguard.so"
mod purge; rc=$?
expect_eq "$rc" 0 "a value to quote, no binding, purge: exit 0"
expect_eq "$(grep -c . "$ERR")" 1 "a value to quote, no binding, purge: one line"
expect_grep "^mpiguard: MPICC & co. not given back: cannot load $T/nowhere/mpiguard.so" "$ERR" \
    "a value to quote, no binding, purge: the binding's way was taken, and it says what"
expect_eq "${LOADEDMODULES:-}" "" "a value to quote, no binding, purge: purged"
site_package
mod purge
expect_eq "${MPICC:-}" "/home/me/my bin/mpicc" "binding back: the MPICC with a space back at the next purge"
expect_eq "$(env | grep -c '^__MPIGUARD_')" 0 "binding back: bookkeeping gone"
export MPICC=/home/me/bin/my-mpicc
mod load mpich
expect_eq "${MPICC:-}" "$MPICH_HOME_DIR/bin/mpicc" "MPICC exported on load (again)"
mv "$gb.lua" "$T/gb.lua"; mv "$gb.luac" "$T/gb.luac"
mod load hello; rc=$?
expect_eq "$rc" 0 "no give-back chunk, MPI loaded, non-MPI load: exit 0"
expect_empty "$ERR" "no give-back chunk, MPI loaded, non-MPI load: silent (the chunk is not read)"
mod purge; rc=$?
expect_eq "$rc" 0 "no give-back chunk, purge: exit 0"
expect_eq "$(grep -c . "$ERR")" 1 "no give-back chunk, purge: one line"
expect_grep "^mpiguard: MPICC & co. given back the slower way: cannot load $gb.lua" "$ERR" "no give-back chunk, purge: says what"
expect_eq "${LOADEDMODULES:-}" "" "no give-back chunk, purge: purged"
expect_eq "${MPICC:-}" "/home/me/bin/my-mpicc" "no give-back chunk, purge: the user's MPICC back all the same"
expect_eq "$(env | grep -c '^__MPIGUARD_')" 0 "no give-back chunk, purge: bookkeeping gone"
mv "$T/gb.lua" "$gb.lua"; mv "$T/gb.luac" "$gb.luac"
unset MPICC

# 1b''. No MPI left and no bookkeeping of mpiguard's (here a policy that does not export MPICC
# & co.): nothing to give back, so a purge reads neither chunk nor the binding (all three
# gone here) and says nothing.
printf '[general]\nexport_mpicc = no\nlog = no\n' > "$T/noexport.conf"
site_package_with "$LUAEXT" "$T/noexport.conf"
mod load mpich
expect_eq "${LOADEDMODULES:-}" "mpich/4.0.2" "policy without exports: MPI loaded"
expect_eq "$(env | grep -c '^__MPIGUARD_')" 0 "policy without exports: no bookkeeping"
site_package_with "$T/nowhere/mpiguard.so" "$T/noexport.conf"
mv "$gb.lua" "$T/gb.lua"; mv "$gb.luac" "$T/gb.luac"
mv "$act.lua" "$T/act.lua"; mv "$act.luac" "$T/act.luac"
mod purge; rc=$?
expect_eq "$rc" 0 "nothing to give back, purge: exit 0"
expect_empty "$ERR" "nothing to give back, purge: silent (neither chunk nor the binding is read)"
expect_eq "${LOADEDMODULES:-}" "" "nothing to give back, purge: purged"
mv "$T/gb.lua" "$gb.lua"; mv "$T/gb.luac" "$gb.luac"
mv "$T/act.lua" "$act.lua"; mv "$T/act.luac" "$act.luac"
site_package

# 1c. `module test-mpi`'s chunk (mpiguard_hooks_testmpi) is read for that command only: missing,
# it costs test-mpi one line and nothing else.
tm=$HOOKS_DIR/mpiguard_hooks_testmpi
[ -f "$tm.luac" ] || fail "no precompiled test-mpi chunk in the build ($tm.luac)"
mv "$tm.lua" "$T/tm.lua"; mv "$tm.luac" "$T/tm.luac"
mod load mpich; rc=$?
expect_eq "$rc" 0 "no test-mpi chunk, MPI load: exit 0"
expect_empty "$ERR" "no test-mpi chunk, MPI load: silent (the chunk is not read)"
mod frobnicate
expect_nogrep "mpiguard" "$ERR" "no test-mpi chunk, another unknown command: mpiguard says nothing"
mod test-mpi quick
expect_eq "$(grep -c '^mpiguard: module test-mpi unavailable: cannot load '"$tm"'.lua' "$ERR")" 1 \
    "no test-mpi chunk: test-mpi says why, once"
mod purge
mv "$T/tm.lua" "$tm.lua"; mv "$T/tm.luac" "$tm.luac"

# 1d. The hooks themselves (mpiguard_hooks_register) missing, or their source a FIFO with no
# .luac: mpiguard_hooks.lua says so on each command, in one line, and `module` works.
reg=$HOOKS_DIR/mpiguard_hooks_register
mv "$reg.lua" "$T/reg.lua"; mv "$reg.luac" "$T/reg.luac"
mod load mpich; rc=$?
expect_eq "$rc" 0 "no hooks chunk: exit 0"
expect_eq "$(grep -c . "$ERR")" 1 "no hooks chunk: one line"
expect_grep "^mpiguard: not active: cannot load $reg.lua" "$ERR" "no hooks chunk: says what"
expect_eq "${LOADEDMODULES:-}" "mpich/4.0.2" "no hooks chunk: module applied"
mod purge
mkfifo "$reg.lua"
mod load hello; rc=$?
expect_eq "$rc" 0 "hooks chunk a FIFO: exit 0, no hang"
expect_grep "^mpiguard: not active: cannot load $reg.lua (it is a named pipe, not a file)" "$ERR" "hooks chunk a FIFO: says what"
rm -f "$reg.lua"
mv "$T/reg.lua" "$reg.lua"; mv "$T/reg.luac" "$reg.luac"
mod load hello; expect_empty "$ERR" "hooks chunk back: silent again"
mod purge
# Its .luac is used only when not older than its .lua (the .luac itself checks, then hands
# back to mpiguard_hooks.lua's fallback), and a .luac that does not load is passed over.
cp -p "$reg.lua" "$T/reg.lua"; cp -p "$reg.luac" "$T/reg.luac"
{ echo 'io.stderr:write("edited register\n")'; cat "$T/reg.lua"; } > "$reg.lua"
touch -d '1 minute ago' "$reg.luac"
mod load mpich
expect_eq "$(cat "$ERR")" "edited register" "hooks chunk's source newer than its .luac: the source used, once"
expect_eq "${MPICC:-}" "$MPICH_HOME_DIR/bin/mpicc" "hooks chunk from its source: the hooks work"
mod purge
touch "$reg.luac"
mod load hello; expect_empty "$ERR" "hooks chunk's .luac as new as its source: the .luac used"
head -c 100 "$T/reg.luac" > "$reg.luac"
mod load mpich
expect_eq "$(cat "$ERR")" "edited register" "hooks chunk's .luac cut short: the source used, nothing more said"
mod purge
rm -f "$reg.luac"
mod load hello; expect_eq "$(cat "$ERR")" "edited register" "no .luac of the hooks chunk: the source used"
mv "$T/reg.lua" "$reg.lua"; mv "$T/reg.luac" "$reg.luac"
mod purge

# 2. A .so built for another Lua than the one that runs Lmod (LuaJIT has the 5.1 ABI).
PIC=$BUILD/src/.libs/libmpgcore.a
running=$("$LUA" -e 'io.write(_VERSION)')
for v in 5.1 5.3 5.4; do
    [ "Lua $v" = "$running" ] && continue
    if [ ! -f /usr/include/lua$v/lua.h ]; then
        echo "note: no /usr/include/lua$v (apt-get install liblua$v-dev): case skipped" >&2
        continue
    fi
    [ -f "$PIC" ] || { fail "no $PIC to build a Lua $v binding"; continue; }
    mkdir -p "$T/lua$v"
    if ! gcc -std=c11 -D_GNU_SOURCE -shared -fPIC -fvisibility=hidden -I/usr/include/lua$v \
        -I"$SRC/src" -I"$SRC/luaext" "$SRC"/luaext/mpiguard_lua.c "$SRC"/luaext/export_sync_lua.c "$SRC"/luaext/hook_message.c \
        -Wl,--whole-archive "$PIC" -Wl,--no-whole-archive $(pkg-config --libs jansson 2>/dev/null) \
        -o "$T/lua$v/mpiguard.so" 2>"$T/cc.log"; then
        fail "cannot build the binding for Lua $v: $(head -5 "$T/cc.log")"
        continue
    fi
    site_package_with "$T/lua$v/mpiguard.so"
    mod load mpich; rc=$?
    expect_eq "$rc" 0 "Lua $v binding: exit 0"
    expect_eq "$(grep -c . "$ERR")" 1 "Lua $v binding: one line"
    expect_grep "mpiguard: check skipped: cannot load $T/lua$v/mpiguard.so into $running" "$ERR" "Lua $v binding: says what"
    expect_eq "${LOADEDMODULES:-}" "mpich/4.0.2" "Lua $v binding: module applied"
    mod purge
done
site_package

# 3. The policy path is a folder.
rm -f "$POLICY"; mkdir -p "$POLICY"
mod load mpich; rc=$?
expect_eq "$rc" 0 "policy is a folder: exit 0"
expect_eq "$(grep -c "ignoring the site policy: $POLICY: not a regular file" "$ERR")" 1 "policy is a folder: one line"
expect_eq "${MPICC:-}" "$MPICH_HOME_DIR/bin/mpicc" "policy is a folder: defaults (MPICC exported)"
mod purge
rmdir "$POLICY"

# 4. CONDA_PREFIX that does not exist, and an env folder that cannot be read.
export CONDA_PREFIX=$T/no-such-env
mod load mpich; rc=$?
expect_eq "$rc" 0 "missing CONDA_PREFIX: exit 0"
expect_eq "${LOADEDMODULES:-}" "mpich/4.0.2" "missing CONDA_PREFIX: applied"
[ "$(grep -c . "$ERR")" -le 1 ] && pass "missing CONDA_PREFIX: at most one line" ||
    fail "missing CONDA_PREFIX: more than one line: $(cat "$ERR")"
mod purge
unset CONDA_PREFIX

make_conda_bundled "$T/conda"
activate_conda "$T/conda"
chmod 000 "$T/conda/conda-meta" "$T/conda/lib/python3.11/site-packages"
if [ "$(id -u)" = 0 ]; then
    # root reads anything: run the module command as nobody instead.
    if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
        chmod 755 "$T" "$T/home"
        setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$T/home" LD_PRELOAD="$SAN_PRELOAD" \
            "${LMOD[@]}" bash load mpich >"$OUT" 2>"$ERR"; rc=$?
        bash -n "$OUT" || fail "unreadable env: stdout is not valid shell"
        expect_eq "$rc" 0 "unreadable env (as nobody): exit 0"
        expect_grep "LOADEDMODULES=mpich/4.0.2" "$OUT" "unreadable env: module applied"
        [ "$(grep -c . "$ERR")" -le 2 ] && pass "unreadable env: at most a line or two" ||
            fail "unreadable env: too much output: $(cat "$ERR")"
        echo "  (unreadable env said: $(head -c 400 "$ERR"))"
    else
        echo "note: running as root without setpriv/nobody: unreadable-env case skipped" >&2
    fi
else
    mod load mpich; rc=$?
    expect_eq "$rc" 0 "unreadable env: exit 0"
    expect_eq "${LOADEDMODULES:-}" "mpich/4.0.2" "unreadable env: applied"
fi
chmod 755 "$T/conda/conda-meta" "$T/conda/lib/python3.11/site-packages"

# 5. The binding loads libjansson (here to read the env's conda records) from the path it was
# built against, not by a search of LD_LIBRARY_PATH: a libjansson.so.4 of the user's first there
# (here one without jansson's functions) is not loaded into Lmod, and the records are read.
mkdir -p "$T/decoy"
echo 'int not_jansson(void) { return 0; }' > "$T/decoy/decoy.c"
if gcc -shared -fPIC -Wl,-soname,libjansson.so.4 -o "$T/decoy/libjansson.so.4" "$T/decoy/decoy.c"; then
    LD_LIBRARY_PATH="$T/decoy${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" mod load mpich; rc=$?
    expect_eq "$rc" 0 "a libjansson.so.4 on LD_LIBRARY_PATH: exit 0"
    expect_grep "conda package mpich 4.1.2" "$ERR" "a libjansson.so.4 on LD_LIBRARY_PATH: the records read all the same"
    expect_nogrep "libjansson" "$ERR" "a libjansson.so.4 on LD_LIBRARY_PATH: not loaded"
    mod purge
else
    fail "cannot build a decoy libjansson.so.4"
fi
finish
