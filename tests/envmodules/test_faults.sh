#!/bin/bash
# Faults never break `module` on Environment Modules: the mpiguard command missing, a policy
# path that is not a file, an env folder that cannot be read. Each gives at most one clear line,
# the module is applied and stdout stays valid shell (checked by `mod` on every command).
. "$(dirname "$0")/lib.sh"

# 1. Neither the Tcl extension nor the mpiguard command can be used (the fragment installed,
#    the rest not).
cat > "$T/site/siteconfig.tcl" <<EOF2
source {$T/site/mpiguard.tcl}
mpiguard::setup mpiguard {$T/nowhere/mpiguard} tclext {$T/nowhere/mpiguard_tcl.so} policy_file {$POLICY} $EM_SETUP
EOF2
mod load hello; rc=$?
expect_eq "$rc" 0 "missing mpiguard, non-MPI load: exit 0"
expect_empty "$ERR" "missing mpiguard, non-MPI load: silent (nothing is run)"
mod load mpich; rc=$?
expect_eq "$rc" 0 "missing mpiguard: exit 0"
expect_eq "$(grep -c . "$ERR")" 1 "missing mpiguard: one line"
expect_grep "mpiguard: check skipped: cannot run $T/nowhere/mpiguard" "$ERR" "missing mpiguard: says what"
expect_eq "${LOADEDMODULES:-}" "hello/1.0:mpich/4.0.2" "missing mpiguard: module applied"
mod purge; rc=$?
expect_eq "$rc" 0 "missing mpiguard: purge exit 0"

# 1b. Only the extension is missing (another Tcl, or not built): the same check through
#     `mpiguard module-hook`, silently.
siteconfig '' "tclext {$T/nowhere/mpiguard_tcl.so}"
make_venv "$T/venv"
( activate_venv "$T/venv"
  mod load mpich; rc=$?
  expect_eq "$rc" 0 "no extension: exit 0"
  expect_grep "^(mpiguard findings for mpich/4.0.2: ABI_MISMATCH=warn" "$ERR" "no extension: the check still runs (through the command)"
  expect_nogrep "skipped\|cannot" "$ERR" "no extension: nothing said about it"
  expect_eq "${MPICC:-}" "$MPICH_HOME_DIR/bin/mpicc" "no extension: MPICC exported"
  mod purge )
siteconfig

# 2. A setting with a typo: one line, the rest works (an error in siteconfig.tcl would make
#    every module command fail).
siteconfig '' 'no_such_setting 1'
mod load mpich; rc=$?
expect_eq "$rc" 0 "bad setting: exit 0"
expect_eq "$(grep -c . "$ERR")" 1 "bad setting: one line"
expect_grep "ignoring the unknown setting 'no_such_setting'" "$ERR" "bad setting: named"
expect_eq "${MPICC:-}" "$MPICH_HOME_DIR/bin/mpicc" "bad setting: the integration still works"
mod purge
siteconfig

# 2b. A bug inside the fragment (simulated: a procedure of mpiguard_act.tcl that raises, once
#     that file is read): one line, the module command goes on and is applied.
cp "$T/site/mpiguard_act.tcl" "$T/site/act.orig"
echo 'proc ::mpiguard::applyChanges {res} { error "simulated bug" }' >> "$T/site/mpiguard_act.tcl"
mod load mpich; rc=$?
expect_eq "$rc" 0 "internal error: exit 0"
expect_eq "$(grep -c . "$ERR")" 1 "internal error: one line"
expect_grep "mpiguard: internal error in the check (simulated bug); module commands are not affected" "$ERR" "internal error: says so"
expect_eq "${LOADEDMODULES:-}" "mpich/4.0.2" "internal error: module applied"
mod purge
mv "$T/site/act.orig" "$T/site/mpiguard_act.tcl"

# 2c. What an MPI change needs (mpiguard_act.tcl) is read only then: not on a non-MPI command.
#     Missing, or not a file: one line on an MPI change, the module applied.
cp "$T/site/mpiguard_act.tcl" "$T/site/act.orig"
sed -i '1i puts stderr ACT-READ' "$T/site/mpiguard_act.tcl"
mod load hello
expect_nogrep "ACT-READ" "$ERR" "non-MPI load: mpiguard_act.tcl not read"
mod load mpich
expect_grep "ACT-READ" "$ERR" "MPI load: mpiguard_act.tcl read"
expect_eq "${MPICC:-}" "$MPICH_HOME_DIR/bin/mpicc" "MPI load: MPICC exported"
mod list
expect_nogrep "ACT-READ" "$ERR" "module list with the MPI loaded: not read"
mod purge
expect_grep "ACT-READ" "$ERR" "purge: read (MPICC & co. given back)"
expect_eq "${MPICC-unset}" "unset" "purge: MPICC given back"
# A symbolic link to it (a site's own layout) is read as the file.
mv "$T/site/mpiguard_act.tcl" "$T/site/act.real"
ln -s act.real "$T/site/mpiguard_act.tcl"
mod load mpich; rc=$?
expect_eq "$rc" 0 "mpiguard_act.tcl a symbolic link: exit 0"
expect_grep "ACT-READ" "$ERR" "mpiguard_act.tcl a symbolic link: read"
expect_eq "${MPICC:-}" "$MPICH_HOME_DIR/bin/mpicc" "mpiguard_act.tcl a symbolic link: MPICC exported"
mod purge
rm "$T/site/mpiguard_act.tcl"; mv "$T/site/act.real" "$T/site/mpiguard_act.tcl"
installed_act=$(sed -n 's/.*set file {\(.*mpiguard_act.tcl\)}.*/\1/p' "$T/site/mpiguard.tcl")
for what in missing fifo; do
    rm -f "$T/site/mpiguard_act.tcl"
    [ $what = fifo ] && mkfifo "$T/site/mpiguard_act.tcl"
    mod load mpich; rc=$?
    expect_eq "$rc" 0 "mpiguard_act.tcl $what: exit 0"
    expect_eq "${LOADEDMODULES:-}" "mpich/4.0.2" "mpiguard_act.tcl $what: module applied"
    if [ -e "$installed_act" ]; then
        echo "# (an installed $installed_act is read instead: its message not checked)"
    else
        expect_eq "$(grep -c . "$ERR")" 1 "mpiguard_act.tcl $what: one line"
        expect_grep "mpiguard: not active: cannot read .*mpiguard_act.tcl (\(no such file\|it is a fifo, not a file\)); module commands are not affected" "$ERR" "mpiguard_act.tcl $what: says what"
    fi
    mod purge
done
rm -f "$T/site/mpiguard_act.tcl"
mv "$T/site/act.orig" "$T/site/mpiguard_act.tcl"
siteconfig

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
        chmod 755 "$T" "$T/home" "$T/site"
        # The cache may be under root's 0700 home: nobody runs a copy of modulecmd.tcl.
        cp "$MODULECMD" "$T/modulecmd.tcl" && chmod 644 "$T/modulecmd.tcl"
        setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$T/home" LD_PRELOAD="$SAN_PRELOAD" \
            "$TCLSH" "$T/modulecmd.tcl" bash load mpich >"$OUT" 2>"$ERR"
        bash -n "$OUT" || fail "unreadable env: stdout is not valid shell"
        expect_grep "LOADEDMODULES=mpich/4.0.2" "$OUT" "unreadable env (as nobody): module applied"
        expect_nogrep "test 0 = 1" "$OUT" "unreadable env (as nobody): status 0"
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

# 5. The extension loads libjansson (here to read the env's conda records) from the path it was
# built against, as the Lua binding does: a libjansson.so.4 of the user's first on
# LD_LIBRARY_PATH (here one without jansson's functions) is not loaded into modulecmd.tcl.
mkdir -p "$T/decoy"
echo 'int not_jansson(void) { return 0; }' > "$T/decoy/decoy.c"
if gcc -shared -fPIC -Wl,-soname,libjansson.so.4 -o "$T/decoy/libjansson.so.4" "$T/decoy/decoy.c"; then
    LD_LIBRARY_PATH="$T/decoy${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" mod load mpich; rc=$?
    expect_eq "$rc" 0 "a libjansson.so.4 on LD_LIBRARY_PATH: exit 0"
    expect_grep "conda package mpich 4.1.2" "$ERR" "a libjansson.so.4 on LD_LIBRARY_PATH: the records read all the same"
    expect_nogrep "libjansson\|check skipped\|symbol" "$ERR" "a libjansson.so.4 on LD_LIBRARY_PATH: not loaded"
    mod purge
else
    fail "cannot build a decoy libjansson.so.4"
fi
finish
